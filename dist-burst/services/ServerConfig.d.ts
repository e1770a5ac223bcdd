import { Cause, Config, ConfigError, ConfigProvider, Context, Duration, Effect, Layer, LogLevel, Option, Redacted } from "effect";
import { type AccessKey } from "./AccessKeys.js";
import { type UpstreamSpec } from "./Upstream/Spec.js";
/** Where the served certificate comes from. */
export type TlsSource = {
    readonly _tag: "Files";
    readonly certPath: string;
    readonly keyPath: string;
} | {
    readonly _tag: "Inline";
    readonly certKey: Redacted.Redacted<string>;
} | {
    readonly _tag: "SelfSigned";
};
export type LogFormat = "pretty" | "json" | "logfmt";
/** The validated configuration of one server process (SPEC.md §2). */
export interface ServerConfigShape {
    readonly listenHost: string;
    readonly dotPort: number;
    readonly dohPort: number;
    readonly healthPort: number;
    readonly upstreams: ReadonlyArray<UpstreamSpec>;
    /** socket idle timeout */
    readonly workerTimeout: Duration.Duration;
    readonly tcpBacklog: number;
    readonly shutdownTimeout: Duration.Duration;
    readonly tls: TlsSource;
    readonly dataDir: string;
    readonly cacheSize: number;
    readonly logLevel: LogLevel.LogLevel;
    readonly logFormat: LogFormat;
    /** `CERT_SERVICE_URL`: remote certificate service; requests go to `<url><epoch ms>` */
    readonly certServiceUrl: Option.Option<URL>;
    /** `KDF_SVC`: hex key material of the remote certificate service (checked when the service starts) */
    readonly kdfSvc: Option.Option<Redacted.Redacted<string>>;
    /** `HOST_IDENTIFIER`: the `who` sent to the certificate service */
    readonly hostIdentifier: string;
    /** `CERT_RENEW_BEFORE`: how long before expiry renewal starts */
    readonly certRenewBefore: Duration.Duration;
    /** `CERT_MAX_ATTEMPTS`: failed renewal attempts before falling back to hourly tries */
    readonly certMaxAttempts: number;
    /** `TLS_PSK`: the PSK seed bytes (>= 32), enables TLS-PSK */
    readonly tlsPsk: Option.Option<Redacted.Redacted<Uint8Array>>;
    /** `TOP_SECRET_512_B64`: fleet secret for session-ticket keys */
    readonly ticketSecret: Option.Option<Redacted.Redacted<Uint8Array>>;
    /** `IMAGE_REF`: appended to the ticket-key context */
    readonly imageRef: string;
    /** `TICKET_ROTATION`: ticket-key rotation period */
    readonly ticketRotation: Duration.Duration;
    /** `MAXCONNS`, `MINCONNS`: bounds of the adaptive connection limit */
    readonly maxConns: number;
    readonly minConns: number;
    /** `TLS_OFFLOAD`: serve cleartext DoT/DoH (TLS terminated in front of this server) */
    readonly tlsOffload: boolean;
    readonly dotCleartextPort: number;
    readonly dohCleartextPort: number;
    /** `DOT_HAS_PROXY_PROTO`: also serve DoT preceded by a PROXY v1/v2 header on `DOT_PROXY_PORT` */
    readonly dotHasProxyProto: boolean;
    readonly dotProxyPort: number;
    /** `PROXY_TRUSTED`: peers whose PROXY header or `X-Forwarded-For` is believed */
    readonly proxyTrusted: ReadonlyArray<Cidr>;
    /** `BLOCKLISTS`: `name=URL-or-path` */
    readonly blocklists: ReadonlyArray<{
        readonly name: string;
        readonly source: string;
    }>;
    /** `BLOCKLIST_DOWNLOAD_ONLY`: download mode */
    readonly blocklistDownloadOnly: boolean;
    /** `DEFAULT_BLOCKLISTS`: names of `BLOCKLISTS` applied when a request names none */
    readonly defaultBlocklists: ReadonlyArray<string>;
    /** `ALLOWLIST`: a file (or URL) of names never blocked, with their subdomains */
    readonly allowlist: Option.Option<string>;
    /** `DENYLIST`: a file (or URL) of names always blocked, with their subdomains */
    readonly denylist: Option.Option<string>;
    /** `BLOCKLIST_REFRESH`: how often lists are fetched again and recompiled */
    readonly blocklistRefresh: Duration.Duration;
    /** `BLOCK_TTL`: TTL (seconds) of the answers given for blocked names */
    readonly blockTtl: number;
    /** `ALLOW_CLIENTS`: the client addresses that may connect; none: everyone */
    readonly allowClients: Option.Option<ReadonlyArray<Cidr>>;
    /** `ACCESS_KEYS`: stored hashes of the access tokens; none: no token needed */
    readonly accessKeys: Option.Option<ReadonlyArray<AccessKey>>;
    /** `RATE_LIMIT_QPS` (0: off), `RATE_LIMIT_BURST` (0: = qps): per-client query rate limit */
    readonly rateLimitQps: number;
    readonly rateLimitBurst: number;
    /** `BLOCK_AFTER_S`, `BLOCK_FOR_S`: a client over its limit that long is blocked that long */
    readonly blockAfterS: number;
    readonly blockForS: number;
    /** `RATE_LIMIT_V4_PREFIX`, `RATE_LIMIT_V6_PREFIX`: the networks a client is counted by */
    readonly rateLimitV4Prefix: number;
    readonly rateLimitV6Prefix: number;
    /** `PROFILE_DNS_RESOLVES`, `PROFILE_DURATION_MS`: profiler mode */
    readonly profileDnsResolves: boolean;
    readonly profileDuration: Duration.Duration;
    /** `WORKERS`: worker processes sharing the ports (node:cluster); 1 = a single process */
    readonly workers: number;
}
/** An address range of `PROXY_TRUSTED` (`10.0.0.0/8`, `::1/128`; a bare address is a single host). */
export interface Cidr {
    readonly text: string;
    readonly family: 4 | 6;
    /** the network address, as 4 or 16 bytes */
    readonly bytes: Uint8Array;
    readonly prefix: number;
}
/** Parses one CIDR; undefined when it is not one. */
export declare const parseCidr: (raw: string) => Cidr | undefined;
/** The bytes of an IPv4 or IPv6 address (an IPv4-mapped IPv6 address gives its 4 IPv4 bytes). */
export declare const ipBytes: (addr: string) => Uint8Array | undefined;
/** Is `addr` inside one of the ranges? */
export declare const inCidrs: (addr: string | undefined, ranges: ReadonlyArray<Cidr>) => boolean;
declare const ServerConfig_base: Context.TagClass<ServerConfig, "vigil/ServerConfig", ServerConfigShape>;
export declare class ServerConfig extends ServerConfig_base {
    /** A config from values (for tests and embedding); unspecified fields take the defaults. */
    static readonly layer: (overrides?: Partial<ServerConfigShape>) => Layer.Layer<ServerConfig>;
}
/** TLS handshake timeout: `max(WORKER_TIMEOUT / 2, 3000)` ms. */
export declare const handshakeTimeoutMs: (c: ServerConfigShape) => number;
/** Per-query deadline: `clamp(WORKER_TIMEOUT, 4000, 30000)` ms. */
export declare const queryDeadlineMs: (c: ServerConfigShape) => number;
declare const ServerConfigError_base: new <A extends Record<string, any> = {}>(args: import("effect/Types").VoidIfEmpty<{ readonly [P in keyof A as P extends "_tag" ? never : P]: A[P]; }>) => Cause.YieldableError & {
    readonly _tag: "ServerConfigError";
} & Readonly<A>;
/** Every invalid or missing variable, reported together. */
export declare class ServerConfigError extends ServerConfigError_base<{
    readonly problems: ReadonlyArray<string>;
}> {
    constructor(args: {
        readonly problems: ReadonlyArray<string>;
    });
    get message(): string;
}
/** The Config description of every variable; `resolvConf` is where the default upstreams come from. */
export declare const serverConfig: (resolvConf?: string) => Config.Config<ServerConfigShape>;
/** Flattens a ConfigError into one line per variable. */
export declare const describeConfigError: (error: ConfigError.ConfigError) => ReadonlyArray<string>;
/** Reads and validates the configuration once from the given provider. */
export declare const loadServerConfig: (provider: ConfigProvider.ConfigProvider, resolvConf?: string) => Effect.Effect<ServerConfigShape, ServerConfigError>;
/** The configuration from the process environment, read once. */
export declare const ServerConfigLive: Layer.Layer<ServerConfig, ServerConfigError>;
export {};
