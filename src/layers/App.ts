import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect, Layer, Option } from "effect"
import cluster from "node:cluster"
import * as fs from "node:fs"
import { CertRenewal } from "../programs/CertRenewal.js"
import { Download } from "../programs/Download.js"
import { runPrimary } from "../programs/Primary.js"
import { profiledUpstream, profilerConfig, ResolveProfile, runProfiler } from "../programs/Profiler.js"
import { Serve, ServeOffload } from "../programs/Serve.js"
import { Admission } from "../services/Admission.js"
import { AnswerCache } from "../services/AnswerCache.js"
import { Blocklists } from "../services/Blocklists.js"
import { CertFetcher, CertFetcherLive } from "../services/CertFetcher.js"
import { CertStore } from "../services/CertStore.js"
import { ClusterWorker, ClusterWorkerLive, workerCertFetcher } from "../services/ClusterWorker.js"
import { Metrics } from "../services/Metrics.js"
import { QueryHandler } from "../services/QueryHandler.js"
import { ServerConfig, ServerConfigLive, type ServerConfigShape } from "../services/ServerConfig.js"
import { type SystemLoad, SystemLoadLive } from "../services/SystemLoad.js"
import { TlsServerRegistry } from "../services/TlsServerRegistry.js"
import { TlsSessions } from "../services/TlsSessions.js"
import { type Upstream, UpstreamLive } from "../services/Upstream.js"
import { observedUpstream } from "../services/Upstream/Observed.js"
import { LoggingLive } from "./Logging.js"

/** What every mode's listeners resolve through: the query handler, its cache, blocklists and admission. */
const QueryServices = Layer.mergeAll(QueryHandler.Default, AnswerCache.Default, Blocklists.Default, Admission.Default)

/**
 * The services behind the listeners, given a `ServerConfig`, with certificates from `certFetcher` and
 * upstreams from `upstream` (by default the configured ones, observed for `/metrics`).
 */
export const servicesLayerWith = <E, R = never>(
  certFetcher: Layer.Layer<CertFetcher, E, ServerConfig>,
  upstream: Layer.Layer<Upstream, never, R | ServerConfig | Metrics> = observedUpstream(UpstreamLive)
) =>
  Layer.mergeAll(QueryServices, TlsServerRegistry.Default, TlsSessions.Default).pipe(
    Layer.provideMerge(Layer.mergeAll(CertStore.Default, upstream)),
    Layer.provideMerge(Layer.mergeAll(certFetcher, Metrics.Default))
  )

/** The services behind the listeners, given a `ServerConfig`. */
export const ServicesLayer = servicesLayerWith(CertFetcherLive)

/**
 * Everything that resolves and serves, given a `ServerConfig` (to embed in another Effect app), with the
 * machine's load read from `systemLoad` (tests drive it; an embedder may read a container's limits): the
 * listeners run while the layer is alive, and its services stay reachable (stats, registry, cache).
 */
export const dnsServerLayerWith = (
  systemLoad: Layer.Layer<SystemLoad>,
  upstream: Layer.Layer<Upstream, never, ServerConfig> = UpstreamLive
) =>
  Layer.scopedDiscard(Serve).pipe(
    Layer.provide(systemLoad),
    Layer.provideMerge(
      upstream === UpstreamLive ? ServicesLayer : servicesLayerWith(CertFetcherLive, observedUpstream(upstream))
    )
  )

/** `dnsServerLayerWith` the machine's own load (`node:os`): the server of `main.ts`. */
export const DnsServerLayer = dnsServerLayerWith(SystemLoadLive)

/** The process: configuration from the environment, logging as configured, the server. */
export const AppLive = DnsServerLayer.pipe(
  Layer.provide(LoggingLive),
  Layer.provide(ServerConfigLive)
)

/**
 * The services behind the cleartext listeners of TLS offload: no `CertStore`, `CertFetcher` or
 * `TlsSessions` is built (no certificate is loaded, no renewal or ticket rotation runs).
 */
export const offloadServicesLayerWith = <R = never>(
  upstream: Layer.Layer<Upstream, never, R | ServerConfig | Metrics> = observedUpstream(UpstreamLive)
) =>
  Layer.mergeAll(QueryServices, TlsServerRegistry.DefaultWithoutDependencies).pipe(
    Layer.provideMerge(upstream),
    Layer.provideMerge(Metrics.Default)
  )

/** `offloadServicesLayerWith` the configured upstreams. */
export const OffloadServicesLayer = offloadServicesLayerWith()

/** TLS offload (`TLS_OFFLOAD=true`): health, cleartext DoT and cleartext DoH (HTTP/1.1 and h2c). */
export const offloadServerLayerWith = (systemLoad: Layer.Layer<SystemLoad>) =>
  Layer.scopedDiscard(ServeOffload).pipe(Layer.provide(systemLoad), Layer.provideMerge(OffloadServicesLayer))

export type Mode = "normal" | "offload" | "download" | "profiler"

/** The one place the mode is chosen (SPEC.md §6); download wins over profiler, which serves as configured. */
export const modeOf = (c: ServerConfigShape): Mode =>
  c.blocklistDownloadOnly ? "download" : c.profileDnsResolves ? "profiler" : c.tlsOffload ? "offload" : "normal"

/** Profiler mode's server: every upstream resolve timed into `ResolveProfile`, the answer cache off. */
const profiledServerLayerWith = (systemLoad: Layer.Layer<SystemLoad>, offload: boolean) => {
  const upstream = profiledUpstream.pipe(Layer.provide(observedUpstream(UpstreamLive)))
  const serving = offload
    ? Layer.scopedDiscard(ServeOffload).pipe(
      Layer.provide(systemLoad),
      Layer.provide(offloadServicesLayerWith(upstream))
    )
    : Layer.scopedDiscard(Serve).pipe(
      Layer.provide(systemLoad),
      Layer.provide(servicesLayerWith(CertFetcherLive, upstream))
    )
  return serving.pipe(Layer.provide(profilerConfig))
}

const version = (): string => {
  try {
    const pkg: unknown = JSON.parse(fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8"))
    return typeof pkg === "object" && pkg !== null && "version" in pkg && typeof pkg.version === "string"
      ? pkg.version
      : "unknown"
  } catch {
    return "unknown"
  }
}

/** Modes that run as a primary and `WORKERS` worker processes when `WORKERS` > 1. */
const clustered = (c: ServerConfigShape, mode: Mode): "normal" | "offload" | undefined =>
  c.workers > 1 && (mode === "normal" || mode === "offload") ? mode : undefined

/**
 * A worker process of `WORKERS=N`: it waits for the primary's `vigil:init` (slot, ticket seed,
 * certificate) and serves like a single process, without a health listener or certificate renewal.
 */
const runWorkerWith = (systemLoad: Layer.Layer<SystemLoad>, mode: "normal" | "offload") =>
  Effect.gen(function*() {
    const worker = yield* ClusterWorker
    const serving = mode === "offload"
      ? offloadServerLayerWith(systemLoad)
      : Layer.scopedDiscard(Serve).pipe(
        Layer.provide(systemLoad),
        Layer.provideMerge(servicesLayerWith(Layer.succeed(CertFetcher, workerCertFetcher(worker))))
      )
    return yield* Layer.launch(serving).pipe(Effect.annotateLogs({ worker: worker.slot }))
  }).pipe(Effect.provide(ClusterWorkerLive))

/** The primary of `WORKERS=N`: in normal mode it owns the certificate (store and renewal). */
const runPrimaryFor = (mode: "normal" | "offload") =>
  mode === "offload"
    ? Effect.scoped(runPrimary(Option.none()))
    : Effect.gen(function*() {
      const store = yield* CertStore
      yield* Effect.forkScoped(CertRenewal)
      return yield* runPrimary(Option.some(store))
    }).pipe(Effect.scoped, Effect.provide(CertStore.Default.pipe(Layer.provideMerge(CertFetcherLive))))

/**
 * The program of the process given its configuration: the first log line names the mode, then the
 * mode's own program runs — normal and offload serve until interrupted (SIGTERM/SIGINT), download ends
 * after storing the lists, the profiler ends itself after `PROFILE_DURATION_MS` with a graceful shutdown.
 */
export const runModeWith = (systemLoad: Layer.Layer<SystemLoad>) =>
  Effect.gen(function*() {
    const config = yield* ServerConfig
    const mode = modeOf(config)
    if (cluster.isWorker && (mode === "normal" || mode === "offload")) return yield* runWorkerWith(systemLoad, mode)
    const primary = clustered(config, mode)
    if (primary !== undefined) {
      yield* Effect.logInfo(`vigil-dns ${version()} starting in ${mode} mode with ${config.workers} workers`)
      return yield* runPrimaryFor(primary)
    }
    yield* Effect.logInfo(`vigil-dns ${version()} starting in ${mode} mode`)
    switch (mode) {
      case "download":
        yield* Download.pipe(Effect.provide(NodeHttpClient.layer))
        return
      case "offload":
        return yield* Layer.launch(offloadServerLayerWith(systemLoad))
      case "profiler":
        return yield* runProfiler(profiledServerLayerWith(systemLoad, config.tlsOffload)).pipe(
          Effect.provide(ResolveProfile.Default)
        )
      case "normal":
        return yield* Layer.launch(dnsServerLayerWith(systemLoad))
    }
  })

/** `main.ts`: configuration from the environment, logging as configured, the mode's program. */
export const AppMain = runModeWith(SystemLoadLive).pipe(
  Effect.provide(LoggingLive),
  Effect.provide(ServerConfigLive)
)
