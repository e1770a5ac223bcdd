import { Effect } from "effect";
import { Histogram } from "prom-client";
import type { LoadSample } from "./SystemLoad.js";
/** Upper bounds (seconds) of the upstream latency histogram buckets. */
export declare const UPSTREAM_LATENCY_BUCKETS: ReadonlyArray<number>;
/** The adaptive connection limit as last set (PROTOCOLS.md §4). */
export interface LimitState {
    /** `maxConnections` applied to every listener */
    limit: number;
    /** accumulated pressure */
    adj: number;
    /** adj > 72 or very low memory: `/ready` is 503 */
    overloaded: boolean;
    /** the load that decided it; undefined until the first sample */
    sample: LoadSample | undefined;
}
/** Upstream exchanges seen through the `Upstream` port (after failover). */
export interface UpstreamCounters {
    /** queries that got an answer */
    answered: number;
    /** sum of the latencies of answered queries, seconds */
    latencySum: number;
    /** queries that failed, by `UpstreamError` reason, or `Interrupted` (query deadline, shutdown) */
    readonly errors: Record<string, number>;
}
declare const Metrics_base: Effect.Service.Class<Metrics, "vigil/Metrics", {
    readonly effect: Effect.Effect<{
        /** Clock time at which the server started, ms */
        startedAt: number;
        /** an upstream answer after `seconds` */
        upstreamAnswered: (seconds: number) => void;
        /** an upstream query that failed for `reason` */
        upstreamFailed: (reason: string) => void;
        upstream: () => {
            errors: {
                [x: string]: number;
            };
            /** queries that got an answer */
            answered: number;
            /** sum of the latencies of answered queries, seconds */
            latencySum: number;
        };
        upstreamLatency: Histogram<string>;
        setLimit: (next: Readonly<LimitState>) => void;
        limit: () => Readonly<LimitState>;
        overloaded: Effect.Effect<boolean, never, never>;
    }, never, never>;
}>;
/**
 * What the server observes that no other service keeps: upstream latency and errors, the adaptive
 * connection limit and overload flag. Hot paths only bump numbers here; `/metrics` and the heartbeat
 * read everything at once (`programs/Stats.ts`).
 */
export declare class Metrics extends Metrics_base {
}
export {};
