import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Clock, Data, Deferred, Duration, Effect, FiberId, FiberSet, Option, Redacted, Stream } from "effect"
import cluster, { type Worker } from "node:cluster"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs/promises"
import {
  AggregatorRegistry,
  Counter,
  Gauge,
  type MetricObjectWithValues,
  type MetricValue,
  Registry
} from "prom-client"
import { RETRY_AFTER_FAILURE, urlSources } from "../services/Blocklists.js"
import { blocklistPath, downloadBlocklist } from "../services/Blocklists/Download.js"
import type { CertKeyPair } from "../services/CertFetcher.js"
import type { CertStore } from "../services/CertStore.js"
import { isToPrimary, type ToWorker, type WireCert, type WorkerReport } from "../services/ClusterWorker/Messages.js"
import { withoutStack } from "../services/OperatorError.js"
import { ServerConfig } from "../services/ServerConfig.js"
import { formatAddress, listen } from "../services/TlsServerRegistry.js"
import { healthListener } from "./HealthServer.js"

/** A worker that lived this long before it died restarts after the shortest delay again. */
export const WORKER_STABLE = Duration.minutes(1)
/** How long the primary waits for a worker's stats before leaving it out of `/ready` and `/metrics`. */
export const STATS_TIMEOUT = Duration.seconds(2)
/** Added to `SHUTDOWN_TIMEOUT_MS` for the workers' drain (close grace, exit) before they are killed. */
export const SHUTDOWN_MARGIN = Duration.seconds(5)

/** The delay before restarting a worker after `failures` quick exits in a row: 250 ms doubling, at most 30 s. */
export const restartDelay = (failures: number): Duration.Duration =>
  Duration.millis(Math.min(30_000, 250 * 2 ** Math.max(0, Math.min(failures - 1, 10))))

/** A worker that exited before it listened, during start-up: the server does not start. */
export class WorkerStartError extends Data.TaggedError("WorkerStartError")<{
  readonly slot: number
  readonly detail: string
}> {
  constructor(args: { readonly slot: number; readonly detail: string }) {
    super(args)
    withoutStack(this)
  }

  override get message() {
    return `worker ${this.slot} exited before it listened (${this.detail}); see its log above`
  }
}

interface Slot {
  readonly slot: number
  worker: Worker | undefined
  pid: number | undefined
  /** the worker got `vigil:init` and receives every new certificate */
  initialized: boolean
  /** the worker's listeners accept */
  listening: boolean
  restarts: number
  exited: Deferred.Deferred<void> | undefined
}

type Report = { readonly slot: Slot; readonly pid: number | undefined; readonly report: WorkerReport }

const wire = (pair: CertKeyPair): WireCert => ({
  certPem: pair.certPem,
  keyPem: Redacted.value(pair.keyPem),
  source: pair.source
})

const describeExit = (code: number | null, signal: string | null) =>
  signal !== null ? `signal ${signal}` : `exit code ${code ?? "?"}`

/**
 * The primary process of `WORKERS=N` (node:cluster; normal and offload modes): N workers share the
 * ports and serve; the primary owns what must happen once per host and hands it over IPC:
 * - the ticket-key seed: without TOP_SECRET_512_B64/TLS_PSK, one random seed for every worker (and every
 *   restarted one), so that a session resumes on any worker;
 * - the certificate (`certs`: its store, renewed by `CertRenewal` in the primary): every worker gets the
 *   current one before it listens and each new one when it is accepted;
 * - the first download of URL blocklists into `DATA_DIR`, which the workers then load as stored copies;
 * - `HEALTH_PORT`: `/check`, `/ready` (every listening worker ready) and `/metrics` (the workers' series
 *   aggregated into one view, plus `vigil_worker_*` series per worker).
 * A worker that dies is restarted with backoff; on interruption (SIGTERM/SIGINT) every worker drains as
 * a single process would and the primary waits for all of them (`SHUTDOWN_TIMEOUT_MS` + a margin).
 */
export const runPrimary = (certs: Option.Option<CertStore>) =>
  Effect.gen(function*() {
    const config = yield* ServerConfig
    const started = yield* Clock.currentTimeMillis
    const runFork = yield* FiberSet.makeRuntime<never, unknown, never>()

    const ticketSeed = Option.isNone(config.ticketSecret) && Option.isNone(config.tlsPsk)
      ? randomBytes(64).toString("base64")
      : undefined
    if (ticketSeed !== undefined) {
      yield* Effect.logWarning(
        `neither TOP_SECRET_512_B64 nor TLS_PSK is set: the ${config.workers} workers share one random ` +
          "session-ticket key seed, so TLS sessions resume on any worker and across worker restarts, but not " +
          "across restarts of the server nor with other instances"
      )
    }

    // URL blocklists are fetched here, once per host: at start (a stored copy still fresh is kept) and every
    // BLOCKLIST_REFRESH; the workers load the stored copies, and again when told
    const urls = urlSources(config)
    const fetchLists = (refetch: boolean) =>
      Effect.forEach(urls, ({ list, store }) =>
        Effect.gen(function*() {
          const file = blocklistPath(config.dataDir, store.name)
          const now = yield* Clock.currentTimeMillis
          const mtime = yield* Effect.promise(() => fs.stat(file).then((s) => s.mtimeMs, () => undefined))
          if (!refetch && mtime !== undefined && now - mtime < Duration.toMillis(config.blocklistRefresh)) {
            return undefined
          }
          return yield* downloadBlocklist(config.dataDir, store).pipe(
            Effect.as(undefined),
            Effect.catchAll((e) =>
              Effect.logWarning(`${e.message}; the workers keep the stored copy`).pipe(
                Effect.as({ name: list, error: e.message })
              )
            )
          )
        })).pipe(
          Effect.map((r) => r.filter((f) => f !== undefined)),
          Effect.provide(NodeHttpClient.layer),
          Effect.annotateLogs({ service: "Blocklists" })
        )
    const listsOk = urls.length === 0 || (yield* fetchLists(false)).length === 0

    let stopping = false
    let startupDone = false
    let latestCert: WireCert | undefined
    const slots: Array<Slot> = Array.from({ length: config.workers }, (_, i) => ({
      slot: i + 1,
      worker: undefined,
      pid: undefined,
      initialized: false,
      listening: false,
      restarts: 0,
      exited: undefined
    }))
    const allListening = yield* Deferred.make<void, WorkerStartError>()
    const pending = new Map<number, (r: WorkerReport) => void>()
    let nextRequest = 1

    const send = (slot: Slot, message: ToWorker) => {
      const w = slot.worker
      if (w === undefined || !w.isConnected()) return false
      try {
        w.send(message)
        return true
      } catch {
        return false
      }
    }

    // the current certificate now and every later one, to every initialized worker
    if (Option.isSome(certs)) {
      latestCert = wire(yield* certs.value.current)
      yield* certs.value.changes.pipe(
        Stream.drop(1),
        Stream.runForEach((pair) =>
          Effect.gen(function*() {
            latestCert = wire(pair)
            const sent = slots.filter((s) => s.initialized && send(s, { type: "vigil:cert", cert: latestCert! }))
            yield* Effect.logInfo(
              `certificate valid until ${pair.notAfter.toISOString()} sent to ${sent.length} workers`
            )
          })
        ),
        Effect.forkScoped
      )
    }

    /** Forks the slot's worker; completes when it exits. */
    const runWorker = (slot: Slot) =>
      Effect.async<{ readonly code: number | null; readonly signal: string | null; readonly pid: number | undefined }>(
        (resume) => {
          const exited = Deferred.unsafeMake<void>(FiberId.none)
          const w = cluster.fork()
          Object.assign(slot, { worker: w, pid: w.process.pid, initialized: false, listening: false, exited })
          w.on("error", () => undefined)
          w.on("message", (m: unknown) => {
            if (!isToPrimary(m)) return
            switch (m.type) {
              case "vigil:hello":
                slot.initialized = send(slot, {
                  type: "vigil:init",
                  slot: slot.slot,
                  ticketSeed,
                  cert: latestCert
                })
                return
              case "vigil:listening": {
                slot.listening = true
                if (startupDone) {
                  runFork(
                    Effect.logInfo(`worker ${slot.slot} (pid ${slot.pid}) listening again (restart ${slot.restarts})`)
                  )
                } else if (slots.every((s) => s.listening)) {
                  startupDone = true
                  Deferred.unsafeDone(allListening, Effect.void)
                }
                return
              }
              case "vigil:stats":
                pending.get(m.id)?.(m.report)
                pending.delete(m.id)
                return
            }
          })
          w.once("exit", (code, signal) => {
            const pid = slot.pid
            Object.assign(slot, { worker: undefined, pid: undefined, initialized: false, listening: false })
            Deferred.unsafeDone(exited, Effect.void)
            resume(Effect.succeed({ code, signal, pid }))
          })
        }
      )

    /** Keeps the slot's worker running: restarts it with backoff after an unexpected exit. */
    const supervise = (slot: Slot) =>
      Effect.gen(function*() {
        let failures = 0
        for (;;) {
          const from = yield* Clock.currentTimeMillis
          const { code, pid, signal } = yield* runWorker(slot)
          if (stopping) return
          if (!startupDone) {
            yield* Deferred.fail(
              allListening,
              new WorkerStartError({ slot: slot.slot, detail: describeExit(code, signal) })
            )
            return
          }
          const lived = (yield* Clock.currentTimeMillis) - from
          failures = lived >= Duration.toMillis(WORKER_STABLE) ? 1 : failures + 1
          const delay = restartDelay(failures)
          slot.restarts++
          yield* Effect.logWarning(
            `worker ${slot.slot} (pid ${pid ?? "?"}) exited unexpectedly (${
              describeExit(code, signal)
            }) after ${lived} ms; restarting it in ${Duration.format(delay)}`
          )
          yield* Effect.sleep(delay)
          if (stopping) return
        }
      })

    /** Asks every listening worker for its readiness and counters. */
    const reports: Effect.Effect<Array<Report>> = Effect.suspend(() =>
      Effect.forEach(
        slots.filter((s) => s.listening),
        (slot) =>
          Effect.async<WorkerReport>((resume) => {
            const id = nextRequest++
            pending.set(id, (r) => resume(Effect.succeed(r)))
            if (!send(slot, { type: "vigil:stats", id })) pending.delete(id)
            return Effect.sync(() => pending.delete(id))
          }).pipe(
            Effect.timeout(STATS_TIMEOUT),
            Effect.option,
            Effect.map(Option.map((report): Report => ({ slot, pid: slot.pid, report })))
          ),
        { concurrency: "unbounded" }
      )
    ).pipe(Effect.map((all) => all.flatMap((o) => (Option.isSome(o) ? [o.value] : []))))

    const ready = Effect.gen(function*() {
      if (stopping || !startupDone) return false
      const rs = yield* reports
      const certValid = Option.isSome(certs) ? yield* certs.value.isValid : true
      return certValid && rs.length > 0 && rs.every((r) => r.report.ready)
    })

    const metricsText = Effect.gen(function*() {
      const rs = yield* reports
      const now = yield* Clock.currentTimeMillis
      const cert = Option.isSome(certs)
        ? Option.some({ pair: yield* certs.value.current, stats: certs.value.stats() })
        : Option.none()
      return yield* Effect.promise(() => exposition(rs, slots, cert, now, started))
    })

    // the health listener of the host
    const run = yield* FiberSet.makeRuntimePromise<never, unknown, never>()
    const server = yield* healthListener(
      () => run(ready),
      () => run(metricsText).then((text) => ({ text, contentType: Registry.PROMETHEUS_CONTENT_TYPE }))
    )
    server.keepAliveTimeout = 5_000
    const health = yield* listen("health", server, config.listenHost, config.healthPort, config.tcpBacklog)

    // registered after the health listener: runs before it closes (finalizers run in reverse)
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        stopping = true
        const from = yield* Clock.currentTimeMillis
        const live = slots.filter((s) => s.worker !== undefined)
        yield* Effect.logInfo(`shutting down: stopping ${live.length} workers`)
        for (const s of live) s.worker?.process.kill("SIGTERM")
        const bound = Duration.sum(config.shutdownTimeout, SHUTDOWN_MARGIN)
        const all = yield* Effect.forEach(
          live,
          (s) => s.exited === undefined ? Effect.void : Deferred.await(s.exited),
          {
            concurrency: "unbounded",
            discard: true
          }
        ).pipe(Effect.interruptible, Effect.timeout(bound), Effect.option)
        if (Option.isNone(all)) {
          const left = slots.filter((s) => s.worker !== undefined)
          yield* Effect.logWarning(
            `${left.length} workers still running after ${Duration.format(bound)}: killed (pids ${
              left.map((s) => s.pid).join(", ")
            })`
          )
          for (const s of left) s.worker?.process.kill("SIGKILL")
        }
        yield* Effect.logInfo(`all workers stopped after ${(yield* Clock.currentTimeMillis) - from} ms`)
      })
    )

    for (const slot of slots) yield* Effect.forkScoped(supervise(slot))
    yield* Deferred.await(allListening)
    if (urls.length > 0) {
      // the refresh schedule of the host's URL blocklists; after a failure the next try comes sooner
      yield* Effect.gen(function*() {
        let ok = listsOk
        for (;;) {
          yield* Effect.sleep(ok ? config.blocklistRefresh : Duration.min(config.blocklistRefresh, RETRY_AFTER_FAILURE))
          const failed = yield* fetchLists(true)
          ok = failed.length === 0
          const told = slots.filter((s) => s.initialized && send(s, { type: "vigil:blocklists", failed }))
          yield* Effect.logInfo(
            `blocklists refreshed${
              ok ? "" : ` (${failed.length} failed, kept their stored copy)`
            }; ${told.length} workers reload them`
          )
        }
      }).pipe(Effect.forkScoped)
    }
    yield* Effect.logInfo(
      `${config.workers} workers listening (pids ${slots.map((s) => s.pid).join(", ")}); health ${
        formatAddress(health)
      }`
    )
    return yield* Effect.never
  }).pipe(Effect.annotateLogs({ service: "Primary" }))

type Json = ReadonlyArray<MetricObjectWithValues<MetricValue<string>>>

/**
 * The `/metrics` text of the host: the workers' series aggregated by prom-client (counters and additive
 * gauges summed, host-wide gauges by their `aggregator`), the certificate series of the primary (which
 * owns it), and per-worker series labelled `worker` (slot 1…N).
 */
const exposition = async (
  reports: ReadonlyArray<Report>,
  slots: ReadonlyArray<Slot>,
  cert: Option.Option<{ readonly pair: CertKeyPair; readonly stats: ReturnType<CertStore["stats"]> }>,
  now: number,
  started: number
): Promise<string> => {
  const own = new Registry()
  const gauge = (name: string, help: string, labelNames: Array<string> = []) =>
    new Gauge({ name, help, labelNames, registers: [own] })
  const counter = (name: string, help: string, labelNames: Array<string> = []) =>
    new Counter({ name, help, labelNames, registers: [own] })

  const workers = gauge("vigil_workers", "Worker processes: configured, and listening now.", ["state"])
  workers.set({ state: "configured" }, slots.length)
  workers.set({ state: "listening" }, slots.filter((s) => s.listening).length)
  const restarts = counter("vigil_worker_restarts_total", "Unexpected worker exits followed by a restart.", ["worker"])
  const queries = counter("vigil_worker_queries_total", "DNS queries received, by worker.", ["worker"])
  const open = gauge("vigil_worker_connections_open", "Connections open now, by worker.", ["worker"])
  const up = gauge("vigil_worker_up", "1 for each worker that answered this scrape, with its pid.", ["worker", "pid"])
  for (const s of slots) restarts.inc({ worker: String(s.slot) }, s.restarts)
  for (const r of reports) {
    const worker = String(r.slot.slot)
    queries.inc({ worker }, r.report.queries)
    open.set({ worker }, r.report.openConnections)
    up.set({ worker, pid: String(r.pid ?? 0) }, 1)
  }
  gauge("process_resident_memory_bytes", "Resident memory size in bytes.").set(process.memoryUsage.rss())
  gauge("vigil_primary_uptime_seconds", "Seconds since the primary started.").set(Math.max(0, (now - started) / 1000))
  if (Option.isSome(cert)) {
    const { pair, stats } = cert.value
    gauge("vigil_certificate_expiry_seconds", "Seconds until the served certificate expires (negative once it has).")
      .set(Math.floor((pair.notAfter.getTime() - now) / 1000))
    gauge("vigil_certificate_not_after_timestamp_seconds", "Expiry of the served certificate, Unix time.")
      .set(Math.floor(pair.notAfter.getTime() / 1000))
    counter("vigil_certificate_renewals_total", "Certificates replaced by a newer one.").inc(stats.renewals)
    counter("vigil_certificate_renewal_failures_total", "Renewal attempts that failed.").inc(stats.renewalFailures)
    counter("vigil_certificate_rejected_total", "Candidate certificates rejected by a check.").inc(stats.rejected)
  }
  const fromWorkers: Array<Json> = reports.map((r) =>
    Option.isSome(cert) ? r.report.metrics.filter((m) => !m.name.startsWith("vigil_certificate_")) : r.report.metrics
  )
  const ownJson = await own.getMetricsAsJSON()
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return AggregatorRegistry.aggregate([...fromWorkers, ownJson] as Array<any>).metrics()
}
