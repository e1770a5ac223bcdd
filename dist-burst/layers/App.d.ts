import { Effect, Layer } from "effect";
import { Admission } from "../services/Admission.js";
import { AnswerCache } from "../services/AnswerCache.js";
import { Blocklists } from "../services/Blocklists.js";
import { CertFetcher } from "../services/CertFetcher.js";
import { CertStore } from "../services/CertStore.js";
import { Metrics } from "../services/Metrics.js";
import { QueryHandler } from "../services/QueryHandler.js";
import { ServerConfig, type ServerConfigShape } from "../services/ServerConfig.js";
import { type SystemLoad } from "../services/SystemLoad.js";
import { TlsServerRegistry } from "../services/TlsServerRegistry.js";
import { TlsSessions } from "../services/TlsSessions.js";
import { type Upstream } from "../services/Upstream.js";
/**
 * The services behind the listeners, given a `ServerConfig`, with certificates from `certFetcher` and
 * upstreams from `upstream` (by default the configured ones, observed for `/metrics`).
 */
export declare const servicesLayerWith: <E, R = never>(certFetcher: Layer.Layer<CertFetcher, E, ServerConfig>, upstream?: Layer.Layer<Upstream, never, R | ServerConfig | Metrics>) => Layer.Layer<CertFetcher | CertStore | Blocklists | TlsSessions | TlsServerRegistry | Metrics | AnswerCache | Upstream | QueryHandler | Admission, import("../services/CertFetcher.js").CertError | E, ServerConfig | Exclude<R, CertFetcher | Metrics>>;
/** The services behind the listeners, given a `ServerConfig`. */
export declare const ServicesLayer: Layer.Layer<CertFetcher | CertStore | Blocklists | TlsSessions | TlsServerRegistry | Metrics | AnswerCache | Upstream | QueryHandler | Admission, import("../services/CertFetcher.js").CertError, ServerConfig>;
/**
 * Everything that resolves and serves, given a `ServerConfig` (to embed in another Effect app), with the
 * machine's load read from `systemLoad` (tests drive it; an embedder may read a container's limits): the
 * listeners run while the layer is alive, and its services stay reachable (stats, registry, cache).
 */
export declare const dnsServerLayerWith: (systemLoad: Layer.Layer<SystemLoad>, upstream?: Layer.Layer<Upstream, never, ServerConfig>) => Layer.Layer<CertFetcher | CertStore | Blocklists | TlsSessions | TlsServerRegistry | Metrics | AnswerCache | Upstream | QueryHandler | Admission, import("../services/CertFetcher.js").CertError | import("../services/TlsServerRegistry.js").ListenError, ServerConfig>;
/** `dnsServerLayerWith` the machine's own load (`node:os`): the server of `main.ts`. */
export declare const DnsServerLayer: Layer.Layer<CertFetcher | CertStore | Blocklists | TlsSessions | TlsServerRegistry | Metrics | AnswerCache | Upstream | QueryHandler | Admission, import("../services/CertFetcher.js").CertError | import("../services/TlsServerRegistry.js").ListenError, ServerConfig>;
/** The process: configuration from the environment, logging as configured, the server. */
export declare const AppLive: Layer.Layer<CertFetcher | CertStore | Blocklists | TlsSessions | TlsServerRegistry | Metrics | AnswerCache | Upstream | QueryHandler | Admission, import("../services/CertFetcher.js").CertError | import("../services/ServerConfig.js").ServerConfigError | import("../services/TlsServerRegistry.js").ListenError, never>;
/**
 * The services behind the cleartext listeners of TLS offload: no `CertStore`, `CertFetcher` or
 * `TlsSessions` is built (no certificate is loaded, no renewal or ticket rotation runs).
 */
export declare const offloadServicesLayerWith: <R = never>(upstream?: Layer.Layer<Upstream, never, R | ServerConfig | Metrics>) => Layer.Layer<Blocklists | TlsServerRegistry | Metrics | AnswerCache | Upstream | QueryHandler | Admission, never, ServerConfig | Exclude<R, Metrics>>;
/** `offloadServicesLayerWith` the configured upstreams. */
export declare const OffloadServicesLayer: Layer.Layer<Blocklists | TlsServerRegistry | Metrics | AnswerCache | Upstream | QueryHandler | Admission, never, ServerConfig>;
/** TLS offload (`TLS_OFFLOAD=true`): health, cleartext DoT and cleartext DoH (HTTP/1.1 and h2c). */
export declare const offloadServerLayerWith: (systemLoad: Layer.Layer<SystemLoad>) => Layer.Layer<Blocklists | TlsServerRegistry | Metrics | AnswerCache | Upstream | QueryHandler | Admission, import("../services/TlsServerRegistry.js").ListenError, ServerConfig>;
export type Mode = "normal" | "offload" | "download" | "profiler";
/** The one place the mode is chosen (SPEC.md §6); download wins over profiler, which serves as configured. */
export declare const modeOf: (c: ServerConfigShape) => Mode;
/**
 * The program of the process given its configuration: the first log line names the mode, then the
 * mode's own program runs — normal and offload serve until interrupted (SIGTERM/SIGINT), download ends
 * after storing the lists, the profiler ends itself after `PROFILE_DURATION_MS` with a graceful shutdown.
 */
export declare const runModeWith: (systemLoad: Layer.Layer<SystemLoad>) => Effect.Effect<void, import("../services/CertFetcher.js").CertError | import("../services/Blocklists/Download.js").BlocklistDownloadError | import("../services/TlsServerRegistry.js").ListenError | import("../programs/Primary.js").WorkerStartError, ServerConfig>;
/** `main.ts`: configuration from the environment, logging as configured, the mode's program. */
export declare const AppMain: Effect.Effect<void, import("../services/CertFetcher.js").CertError | import("../services/ServerConfig.js").ServerConfigError | import("../services/Blocklists/Download.js").BlocklistDownloadError | import("../services/TlsServerRegistry.js").ListenError | import("../programs/Primary.js").WorkerStartError, never>;
