/**
 * vigil-dns as a library: compose `DnsServerLayer` into an Effect app and provide a `ServerConfig`
 * (e.g. `ServerConfig.layer({ dotPort: 853, ... })` or `ServerConfigLive` for the environment).
 */
import "reflect-metadata";
export { AppLive, DnsServerLayer, dnsServerLayerWith, ServicesLayer } from "./layers/App.js";
export { LoggingLive } from "./layers/Logging.js";
export { ConnectionLimit, limitFor } from "./programs/ConnectionLimit.js";
export { DohServer } from "./programs/DohServer.js";
export { DotServer } from "./programs/DotServer.js";
export { HealthServer } from "./programs/HealthServer.js";
export { Heartbeat } from "./programs/Heartbeat.js";
export { Serve } from "./programs/Serve.js";
export { readStats, type Stats } from "./programs/Stats.js";
export { AnswerCache } from "./services/AnswerCache.js";
export { CertError, CertFetcher, CertFetcherLive, type CertFetcherShape, type CertKeyPair } from "./services/CertFetcher.js";
export { CertStore } from "./services/CertStore.js";
export { Metrics } from "./services/Metrics.js";
export { type QueryContext, QueryHandler, type Reply } from "./services/QueryHandler.js";
export { loadServerConfig, ServerConfig, ServerConfigError, ServerConfigLive, type ServerConfigShape, type TlsSource } from "./services/ServerConfig.js";
export { type LoadSample, SystemLoad, SystemLoadLive, type SystemLoadShape } from "./services/SystemLoad.js";
export { TicketKeys, tkt48 } from "./services/TicketKeys.js";
export { ListenError, TlsServerRegistry } from "./services/TlsServerRegistry.js";
export { TlsSessions, type TlsSessionStats, tlsSessionStats } from "./services/TlsSessions.js";
export { Upstream, UpstreamError, type UpstreamShape } from "./services/Upstream.js";
export type { UpstreamSpec } from "./services/Upstream/Spec.js";
