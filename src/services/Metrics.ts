import { Clock, Effect } from "effect"
import { Histogram } from "prom-client"
import type { LoadSample } from "./SystemLoad.js"

/** Upper bounds (seconds) of the upstream latency histogram buckets. */
export const UPSTREAM_LATENCY_BUCKETS: ReadonlyArray<number> = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10
]

/** The adaptive connection limit as last set (PROTOCOLS.md §4). */
export interface LimitState {
  /** `maxConnections` applied to every listener */
  limit: number
  /** accumulated pressure */
  adj: number
  /** adj > 72 or very low memory: `/ready` is 503 */
  overloaded: boolean
  /** the load that decided it; undefined until the first sample */
  sample: LoadSample | undefined
}

/** Upstream exchanges seen through the `Upstream` port (after failover). */
export interface UpstreamCounters {
  /** queries that got an answer */
  answered: number
  /** sum of the latencies of answered queries, seconds */
  latencySum: number
  /** queries that failed, by `UpstreamError` reason, or `Interrupted` (query deadline, shutdown) */
  readonly errors: Record<string, number>
}

/**
 * What the server observes that no other service keeps: upstream latency and errors, the adaptive
 * connection limit and overload flag. Hot paths only bump numbers here; `/metrics` and the heartbeat
 * read everything at once (`programs/Stats.ts`).
 */
export class Metrics extends Effect.Service<Metrics>()("vigil/Metrics", {
  effect: Effect.gen(function*() {
    const startedAt = yield* Clock.currentTimeMillis
    const limit: LimitState = { limit: 0, adj: 0, overloaded: false, sample: undefined }
    const upstream: UpstreamCounters = { answered: 0, latencySum: 0, errors: {} }
    // registered into the exposition's registry by the health listener; not the global registry
    const upstreamLatency = new Histogram({
      name: "vigil_upstream_latency_seconds",
      help: "Time from sending a query upstream to its answer (answered queries, after failover).",
      buckets: [...UPSTREAM_LATENCY_BUCKETS],
      registers: []
    })

    return {
      /** Clock time at which the server started, ms */
      startedAt,
      /** an upstream answer after `seconds` */
      upstreamAnswered: (seconds: number) => {
        upstream.answered++
        upstream.latencySum += seconds
        upstreamLatency.observe(seconds)
      },
      /** an upstream query that failed for `reason` */
      upstreamFailed: (reason: string) => {
        upstream.errors[reason] = (upstream.errors[reason] ?? 0) + 1
      },
      upstream: () => ({ ...upstream, errors: { ...upstream.errors } }),
      upstreamLatency,
      setLimit: (next: Readonly<LimitState>) => {
        Object.assign(limit, next)
      },
      limit: (): Readonly<LimitState> => ({ ...limit }),
      overloaded: Effect.sync(() => limit.overloaded)
    }
  })
}) {}
