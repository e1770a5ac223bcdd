import { Effect, Layer } from "effect";
import { ServerConfig } from "../services/ServerConfig.js";
import { Upstream } from "../services/Upstream.js";
/** Latency percentiles of a set of resolves, in milliseconds. */
export interface LatencySummary {
    readonly count: number;
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
}
/**
 * The `p`-th percentile (0 < p <= 100) of ascending `sorted` by the nearest-rank method: the smallest
 * value with at least p% of the values at or below it; NaN for no values.
 */
export declare const percentile: (sorted: ReadonlyArray<number>, p: number) => number;
export declare const summarize: (latencies: ReadonlyArray<number>) => LatencySummary;
export declare const formatSummary: (s: LatencySummary) => string;
declare const ResolveProfile_base: Effect.Service.Class<ResolveProfile, "vigil/ResolveProfile", {
    readonly sync: () => {
        record: (millis: number) => void;
        summary: Effect.Effect<LatencySummary, never, never>;
    };
}>;
/** The resolve latencies (ms, Effect `Clock`) recorded by `profiledUpstream`. */
export declare class ResolveProfile extends ResolveProfile_base {
}
/**
 * `Upstream` with every resolve (the cache-miss path: the answer cache is off in profiler mode) timed by
 * Effect's `Clock`, answered or failed, into `ResolveProfile`.
 */
export declare const profiledUpstream: Layer.Layer<Upstream, never, Upstream | ResolveProfile>;
/** Profiler mode's configuration: the answer cache off, so every query resolves upstream. */
export declare const profilerConfig: Layer.Layer<ServerConfig, never, ServerConfig>;
/**
 * Profiler mode (SPEC.md §6): runs `serving` (a server layer) for `PROFILE_DURATION_MS` of Effect's
 * `Clock`, logs the resolve-latency percentiles, then closes the layer — the normal graceful shutdown.
 */
export declare const runProfiler: <E, R>(serving: Layer.Layer<never, E, R>) => Effect.Effect<void, E, ServerConfig | ResolveProfile | Exclude<R, import("effect/Scope").Scope>>;
export {};
