import { Effect } from "effect";
import { type StoredBlocklist } from "../services/Blocklists/Download.js";
import { ServerConfig } from "../services/ServerConfig.js";
/** The table printed at the end of download mode: name, size in bytes, entries. */
export declare const formatStored: (stored: ReadonlyArray<StoredBlocklist>) => string;
/**
 * Download mode (SPEC.md §6, `BLOCKLIST_DOWNLOAD_ONLY`): fetches every `BLOCKLISTS` source into
 * `DATA_DIR/blocklists`, reports what was stored, and ends without opening a port; a list that cannot be
 * fetched fails the program with an error naming it (the process exits non-zero).
 */
export declare const Download: Effect.Effect<StoredBlocklist[], import("../services/Blocklists/Download.js").BlocklistDownloadError, ServerConfig | import("@effect/platform/HttpClient").HttpClient>;
