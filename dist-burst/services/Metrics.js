import { Clock, Effect } from "effect";
import { Histogram } from "prom-client";
/** Upper bounds (seconds) of the upstream latency histogram buckets. */
export const UPSTREAM_LATENCY_BUCKETS = [
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
];
/**
 * What the server observes that no other service keeps: upstream latency and errors, the adaptive
 * connection limit and overload flag. Hot paths only bump numbers here; `/metrics` and the heartbeat
 * read everything at once (`programs/Stats.ts`).
 */
export class Metrics extends Effect.Service()("vigil/Metrics", {
    effect: Effect.gen(function* () {
        const startedAt = yield* Clock.currentTimeMillis;
        const limit = { limit: 0, adj: 0, overloaded: false, sample: undefined };
        const upstream = { answered: 0, latencySum: 0, errors: {} };
        // registered into the exposition's registry by the health listener; not the global registry
        const upstreamLatency = new Histogram({
            name: "vigil_upstream_latency_seconds",
            help: "Time from sending a query upstream to its answer (answered queries, after failover).",
            buckets: [...UPSTREAM_LATENCY_BUCKETS],
            registers: []
        });
        return {
            /** Clock time at which the server started, ms */
            startedAt,
            /** an upstream answer after `seconds` */
            upstreamAnswered: (seconds) => {
                upstream.answered++;
                upstream.latencySum += seconds;
                upstreamLatency.observe(seconds);
            },
            /** an upstream query that failed for `reason` */
            upstreamFailed: (reason) => {
                upstream.errors[reason] = (upstream.errors[reason] ?? 0) + 1;
            },
            upstream: () => ({ ...upstream, errors: { ...upstream.errors } }),
            upstreamLatency,
            setLimit: (next) => {
                Object.assign(limit, next);
            },
            limit: () => ({ ...limit }),
            overloaded: Effect.sync(() => limit.overloaded)
        };
    })
}) {
}
//# sourceMappingURL=Metrics.js.map