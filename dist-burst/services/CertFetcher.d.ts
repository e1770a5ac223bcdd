import { Context, Duration, Effect, Layer, Redacted, Stream } from "effect";
import { CertError, type CertKeyPair } from "./CertFetcher/Pem.js";
import { ServerConfig, type TlsSource } from "./ServerConfig.js";
export { CertError, type CertKeyPair } from "./CertFetcher/Pem.js";
/**
 * A source of certificates. `initial` is the certificate to start with; `fetch` returns the newest
 * certificate the source has (the certificate store decides whether it replaces the one being served);
 * `changes` signals that the source may hold a new one now (a file written), besides the renewal schedule.
 */
export interface CertFetcherShape {
    readonly describe: string;
    readonly initial: Effect.Effect<CertKeyPair, CertError>;
    readonly fetch: Effect.Effect<CertKeyPair, CertError>;
    readonly changes: Stream.Stream<void>;
}
declare const CertFetcher_base: Context.TagClass<CertFetcher, "vigil/CertFetcher", CertFetcherShape>;
export declare class CertFetcher extends CertFetcher_base {
    static readonly layer: (source: TlsSource, dataDir: string, renewBefore?: Duration.Duration) => Layer.Layer<CertFetcher>;
}
/**
 * The fetcher the configuration asks for: the TLS source (files, `TLS_CERTKEY` or the self-signed
 * default); or, when `CERT_SERVICE_URL` and a valid `KDF_SVC` are set, the remote certificate service,
 * which is also asked first at start — if it cannot answer then, the TLS source gives the certificate to
 * start with and the renewal schedule keeps asking the service.
 */
export declare const CertFetcherLive: Layer.Layer<CertFetcher, never, ServerConfig>;
export declare const fromSource: (source: TlsSource, dataDir: string, renewBefore: Duration.Duration) => CertFetcherShape;
/** How long file events are left to settle before the pair is read (an editor, certbot and lego write in steps). */
export declare const FILE_SETTLE: Duration.Duration;
/** Files are also read this often, for file systems whose change events do not arrive (NFS, some volumes). */
export declare const FILE_POLL: Duration.Duration;
/**
 * `TLS_CERT_PATH` + `TLS_KEY_PATH`: read on every fetch. `changes` fires, debounced, after any event in
 * the files' directories (an in-place write, an atomic rename, a Kubernetes secret's symlink swap) and
 * once a minute; a half-written pair fails to parse or its key does not match, and is not applied.
 */
export declare const fromFiles: (certPath: string, keyPath: string) => CertFetcherShape;
/**
 * Whether a file event in the certificate's directory may concern the pair: one of `names`, a Kubernetes
 * secret's `..data` swap (names starting with `..`), or an event without a name. Other files of a busy
 * directory (logs, other services' files) are ignored, so they cost no reads.
 */
export declare const concernsPair: (names: ReadonlySet<string>, filename: string | null) => boolean;
/** `TLS_CERTKEY`: `KEY=`/`CRT=` lines of base64 PEM. */
export declare const fromInline: (certKey: Redacted.Redacted<string>) => CertFetcherShape;
/** Days a generated self-signed certificate is valid for. */
export declare const SELF_SIGNED_DAYS = 90;
/**
 * The embedded default: a self-signed ECDSA P-256 certificate for localhost, kept in `DATA_DIR`
 * (`selfsigned.crt`, `selfsigned.key`, mode 0600) and reused while more than `renewBefore` (at least a
 * day) of it is left; otherwise a new one is minted and stored — so the renewal schedule, which asks at
 * `renewBefore` before expiry, gets a new one.
 */
export declare const selfSigned: (dataDir: string, renewBefore?: Duration.Duration) => CertFetcherShape;
