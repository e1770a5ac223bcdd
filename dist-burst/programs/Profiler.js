import { Duration, Effect, Layer } from "effect";
import { ServerConfig } from "../services/ServerConfig.js";
import { Upstream } from "../services/Upstream.js";
/**
 * The `p`-th percentile (0 < p <= 100) of ascending `sorted` by the nearest-rank method: the smallest
 * value with at least p% of the values at or below it; NaN for no values.
 */
export const percentile = (sorted, p) => {
    if (sorted.length === 0)
        return NaN;
    const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
    return sorted[rank - 1];
};
export const summarize = (latencies) => {
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
        count: sorted.length,
        p50: percentile(sorted, 50),
        p90: percentile(sorted, 90),
        p99: percentile(sorted, 99),
        max: sorted.length === 0 ? NaN : sorted[sorted.length - 1]
    };
};
const ms = (v) => (Number.isNaN(v) ? "-" : `${Math.round(v * 100) / 100} ms`);
export const formatSummary = (s) => `resolve latency over ${s.count} resolves: p50 ${ms(s.p50)}, p90 ${ms(s.p90)}, p99 ${ms(s.p99)}, max ${ms(s.max)}`;
/** The resolve latencies (ms, Effect `Clock`) recorded by `profiledUpstream`. */
export class ResolveProfile extends Effect.Service()("vigil/ResolveProfile", {
    sync: () => {
        const latencies = [];
        return {
            record: (millis) => {
                latencies.push(millis);
            },
            summary: Effect.sync(() => summarize(latencies))
        };
    }
}) {
}
/**
 * `Upstream` with every resolve (the cache-miss path: the answer cache is off in profiler mode) timed by
 * Effect's `Clock`, answered or failed, into `ResolveProfile`.
 */
export const profiledUpstream = Layer.effect(Upstream, Effect.gen(function* () {
    const inner = yield* Upstream;
    const profile = yield* ResolveProfile;
    return {
        query: (msg) => inner.query(msg).pipe(Effect.timed, Effect.tap(([took]) => Effect.sync(() => profile.record(Duration.toMillis(took)))), Effect.map(([, answer]) => answer))
    };
}));
/** Profiler mode's configuration: the answer cache off, so every query resolves upstream. */
export const profilerConfig = Layer.effect(ServerConfig, Effect.map(ServerConfig, (c) => ({ ...c, cacheSize: 0 })));
/**
 * Profiler mode (SPEC.md §6): runs `serving` (a server layer) for `PROFILE_DURATION_MS` of Effect's
 * `Clock`, logs the resolve-latency percentiles, then closes the layer — the normal graceful shutdown.
 */
export const runProfiler = (serving) => Effect.gen(function* () {
    const config = yield* ServerConfig;
    const profile = yield* ResolveProfile;
    yield* Effect.scoped(Effect.gen(function* () {
        yield* Layer.build(serving);
        yield* Effect.logInfo(`profiling resolves for ${Duration.format(config.profileDuration)} with the answer cache off`);
        yield* Effect.sleep(config.profileDuration);
        yield* Effect.logInfo(formatSummary(yield* profile.summary));
        yield* Effect.logInfo("profile done: shutting down");
    }));
}).pipe(Effect.annotateLogs({ service: "Profiler" }));
//# sourceMappingURL=Profiler.js.map