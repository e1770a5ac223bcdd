import { Layer } from "effect"
import { Serve } from "../programs/Serve.js"
import { AnswerCache } from "../services/AnswerCache.js"
import { CertFetcherLive } from "../services/CertFetcher.js"
import { CertStore } from "../services/CertStore.js"
import { Metrics } from "../services/Metrics.js"
import { QueryHandler } from "../services/QueryHandler.js"
import { ServerConfigLive } from "../services/ServerConfig.js"
import { type SystemLoad, SystemLoadLive } from "../services/SystemLoad.js"
import { TlsServerRegistry } from "../services/TlsServerRegistry.js"
import { UpstreamLive } from "../services/Upstream.js"
import { observedUpstream } from "../services/Upstream/Observed.js"
import { LoggingLive } from "./Logging.js"

/** The services behind the listeners, given a `ServerConfig`. */
export const ServicesLayer = Layer.mergeAll(QueryHandler.Default, AnswerCache.Default, TlsServerRegistry.Default).pipe(
  Layer.provideMerge(Layer.mergeAll(CertStore.Default, observedUpstream(UpstreamLive))),
  Layer.provideMerge(Layer.mergeAll(CertFetcherLive, Metrics.Default))
)

/**
 * Everything that resolves and serves, given a `ServerConfig` (to embed in another Effect app), with the
 * machine's load read from `systemLoad` (tests drive it; an embedder may read a container's limits): the
 * listeners run while the layer is alive, and its services stay reachable (stats, registry, cache).
 */
export const dnsServerLayerWith = (systemLoad: Layer.Layer<SystemLoad>) =>
  Layer.scopedDiscard(Serve).pipe(Layer.provide(systemLoad), Layer.provideMerge(ServicesLayer))

/** `dnsServerLayerWith` the machine's own load (`node:os`): the server of `main.ts`. */
export const DnsServerLayer = dnsServerLayerWith(SystemLoadLive)

/** The process: configuration from the environment, logging as configured, the server. */
export const AppLive = DnsServerLayer.pipe(
  Layer.provide(LoggingLive),
  Layer.provide(ServerConfigLive)
)
