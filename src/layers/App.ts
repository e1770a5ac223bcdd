import { Layer } from "effect"
import { Serve } from "../programs/Serve.js"
import { CertFetcherLive } from "../services/CertFetcher.js"
import { CertStore } from "../services/CertStore.js"
import { QueryHandler } from "../services/QueryHandler.js"
import { ServerConfigLive } from "../services/ServerConfig.js"
import { TlsServerRegistry } from "../services/TlsServerRegistry.js"
import { UpstreamLive } from "../services/Upstream.js"
import { LoggingLive } from "./Logging.js"

/** The services behind the listeners, given a `ServerConfig`. */
export const ServicesLayer = Layer.mergeAll(QueryHandler.Default, TlsServerRegistry.Default).pipe(
  Layer.provideMerge(Layer.mergeAll(CertStore.Default, UpstreamLive)),
  Layer.provideMerge(CertFetcherLive)
)

/**
 * Everything that resolves and serves, given a `ServerConfig` (to embed in another Effect app): the
 * listeners run while the layer is alive, and its services stay reachable (stats, registry, cache).
 */
export const DnsServerLayer = Layer.scopedDiscard(Serve).pipe(Layer.provideMerge(ServicesLayer))

/** The process: configuration from the environment, logging as configured, the server. */
export const AppLive = DnsServerLayer.pipe(
  Layer.provide(LoggingLive),
  Layer.provide(ServerConfigLive)
)
