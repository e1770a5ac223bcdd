import { Clock, Context, Duration, Effect, Layer, Option, Redacted, Stream } from "effect";
import { watch } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { CertError, mintSelfSigned, parseCertKey, parseKeyCrtLines } from "./CertFetcher/Pem.js";
import { remoteFetcherFromConfig, RemoteHttpClientLive } from "./CertFetcher/Remote.js";
import { ServerConfig } from "./ServerConfig.js";
export { CertError } from "./CertFetcher/Pem.js";
export class CertFetcher extends Context.Tag("vigil/CertFetcher")() {
    static layer = (source, dataDir, renewBefore = Duration.days(1)) => Layer.succeed(CertFetcher, fromSource(source, dataDir, renewBefore));
}
/**
 * The fetcher the configuration asks for: the TLS source (files, `TLS_CERTKEY` or the self-signed
 * default); or, when `CERT_SERVICE_URL` and a valid `KDF_SVC` are set, the remote certificate service,
 * which is also asked first at start — if it cannot answer then, the TLS source gives the certificate to
 * start with and the renewal schedule keeps asking the service.
 */
export const CertFetcherLive = Layer.effect(CertFetcher, Effect.gen(function* () {
    const c = yield* ServerConfig;
    const local = fromSource(c.tls, c.dataDir, c.certRenewBefore);
    const remote = yield* remoteFetcherFromConfig;
    if (Option.isNone(remote))
        return local;
    return {
        ...remote.value,
        initial: remote.value.fetch.pipe(Effect.tapError((e) => Effect.logWarning(`certificate service unavailable at start (${e.message}); starting with ${local.describe}`)), Effect.orElse(() => local.initial), Effect.annotateLogs({ service: "CertFetcher" }))
    };
})).pipe(Layer.provide(RemoteHttpClientLive));
export const fromSource = (source, dataDir, renewBefore) => {
    switch (source._tag) {
        case "Files":
            return fromFiles(source.certPath, source.keyPath);
        case "Inline":
            return fromInline(source.certKey);
        case "SelfSigned":
            return selfSigned(dataDir, renewBefore);
    }
};
/** A source with no notion of change: the renewal schedule alone asks it again. */
const simple = (describe, fetch) => ({
    describe,
    initial: fetch,
    fetch,
    changes: Stream.never
});
const read = (file, source) => Effect.tryPromise({
    try: () => fs.readFile(file, "utf8"),
    catch: (e) => new CertError({ source, reason: "Read", detail: `${file}: ${e.code ?? "unreadable"}` })
});
/** How long file events are left to settle before the pair is read (an editor, certbot and lego write in steps). */
export const FILE_SETTLE = Duration.seconds(1);
/** Files are also read this often, for file systems whose change events do not arrive (NFS, some volumes). */
export const FILE_POLL = Duration.minutes(1);
/**
 * `TLS_CERT_PATH` + `TLS_KEY_PATH`: read on every fetch. `changes` fires, debounced, after any event in
 * the files' directories (an in-place write, an atomic rename, a Kubernetes secret's symlink swap) and
 * once a minute; a half-written pair fails to parse or its key does not match, and is not applied.
 */
export const fromFiles = (certPath, keyPath) => {
    const source = `files ${certPath} + ${keyPath}`;
    const fetch = Effect.all([read(certPath, source), read(keyPath, source)]).pipe(Effect.flatMap(([cert, key]) => parseCertKey(cert, key, source)), Effect.withSpan("CertFetcher.fetch", { attributes: { source: "files" } }));
    const dirs = [...new Set([path.dirname(path.resolve(certPath)), path.dirname(path.resolve(keyPath))])];
    const names = new Set([path.basename(certPath), path.basename(keyPath)]);
    const events = Stream.mergeAll(dirs.map((dir) => watchDir(dir, names)), { concurrency: "unbounded" });
    return {
        describe: source,
        initial: fetch,
        fetch,
        changes: Stream.merge(events, Stream.tick(FILE_POLL).pipe(Stream.drop(1))).pipe(Stream.debounce(FILE_SETTLE))
    };
};
/**
 * Whether a file event in the certificate's directory may concern the pair: one of `names`, a Kubernetes
 * secret's `..data` swap (names starting with `..`), or an event without a name. Other files of a busy
 * directory (logs, other services' files) are ignored, so they cost no reads.
 */
export const concernsPair = (names, filename) => filename === null || names.has(filename) || filename.startsWith("..");
/**
 * Events in a directory (`fs.watch`) that may concern the pair; ends quietly when the directory cannot be
 * watched (the poll remains).
 */
const watchDir = (dir, names) => Stream.asyncScoped((emit) => Effect.acquireRelease(Effect.try(() => watch(dir, { persistent: false }, (_event, filename) => {
    if (concernsPair(names, filename))
        void emit.single(undefined);
})).pipe(Effect.tap((w) => Effect.sync(() => w.on("error", () => void emit.end()))), Effect.tapError(() => Effect.logWarning(`cannot watch ${dir}; certificate files are polled every minute`)), Effect.orElseSucceed(() => undefined)), (w) => Effect.sync(() => w?.close())));
/** `TLS_CERTKEY`: `KEY=`/`CRT=` lines of base64 PEM. */
export const fromInline = (certKey) => simple("TLS_CERTKEY", Effect.suspend(() => parseKeyCrtLines(Redacted.value(certKey), "TLS_CERTKEY")));
/** Days a generated self-signed certificate is valid for. */
export const SELF_SIGNED_DAYS = 90;
/**
 * The embedded default: a self-signed ECDSA P-256 certificate for localhost, kept in `DATA_DIR`
 * (`selfsigned.crt`, `selfsigned.key`, mode 0600) and reused while more than `renewBefore` (at least a
 * day) of it is left; otherwise a new one is minted and stored — so the renewal schedule, which asks at
 * `renewBefore` before expiry, gets a new one.
 */
export const selfSigned = (dataDir, renewBefore = Duration.days(1)) => {
    const reuseMinMs = Math.max(86_400_000, Duration.toMillis(renewBefore));
    const certFile = path.join(dataDir, "selfsigned.crt");
    const keyFile = path.join(dataDir, "selfsigned.key");
    const source = `self-signed (${certFile})`;
    const reuse = Effect.all([read(certFile, source), read(keyFile, source)]).pipe(Effect.flatMap(([c, k]) => parseCertKey(c, k, source)), Effect.option);
    const mint = (now) => Effect.tryPromise({
        try: () => mintSelfSigned(new Date(now), SELF_SIGNED_DAYS),
        catch: (e) => new CertError({ source, reason: "Generate", detail: String(e) })
    }).pipe(Effect.tap(({ certPem, keyPem }) => Effect.tryPromise({
        try: async () => {
            await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
            await fs.writeFile(keyFile, keyPem, { mode: 0o600 });
            await fs.writeFile(certFile, certPem, { mode: 0o644 });
        },
        catch: (e) => new CertError({
            source,
            reason: "Write",
            detail: `${dataDir}: ${e.code ?? "unwritable"}`
        })
    })), Effect.flatMap(({ certPem, keyPem }) => parseCertKey(certPem, keyPem, source)), Effect.tap(() => Effect.logInfo(`generated a self-signed certificate for localhost, 127.0.0.1, ::1 in ${dataDir}`)));
    return simple(source, Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis;
        const stored = yield* reuse;
        if (stored._tag === "Some" && stored.value.notAfter.getTime() - now > reuseMinMs) {
            return stored.value;
        }
        return yield* mint(now);
    }).pipe(Effect.annotateLogs({ service: "CertFetcher" })));
};
//# sourceMappingURL=CertFetcher.js.map