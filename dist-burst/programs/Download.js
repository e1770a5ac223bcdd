import { Effect } from "effect";
import { downloadAll } from "../services/Blocklists/Download.js";
import { ServerConfig } from "../services/ServerConfig.js";
/** The table printed at the end of download mode: name, size in bytes, entries. */
export const formatStored = (stored) => {
    const width = Math.max(4, ...stored.map((s) => s.name.length));
    return [
        `stored ${stored.length} blocklist${stored.length === 1 ? "" : "s"}:`,
        ...stored.map((s) => `  ${s.name.padEnd(width)}  ${String(s.bytes).padStart(10)} bytes  ${s.entries} entries  ${s.path}`)
    ].join("\n");
};
/**
 * Download mode (SPEC.md §6, `BLOCKLIST_DOWNLOAD_ONLY`): fetches every `BLOCKLISTS` source into
 * `DATA_DIR/blocklists`, reports what was stored, and ends without opening a port; a list that cannot be
 * fetched fails the program with an error naming it (the process exits non-zero).
 */
export const Download = Effect.gen(function* () {
    const config = yield* ServerConfig;
    if (config.blocklists.length === 0)
        yield* Effect.logWarning("download mode: BLOCKLISTS is empty, nothing to fetch");
    const stored = yield* downloadAll(config.dataDir, config.blocklists);
    yield* Effect.logInfo(formatStored(stored));
    return stored;
}).pipe(Effect.annotateLogs({ service: "Download" }));
//# sourceMappingURL=Download.js.map