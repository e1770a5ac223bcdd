import { Context, Duration, Effect } from "effect";
import { Metrics } from "../services/Metrics.js";
import { ServerConfig } from "../services/ServerConfig.js";
import type { LoadSample } from "../services/SystemLoad.js";
import { SystemLoad } from "../services/SystemLoad.js";
import { TlsServerRegistry } from "../services/TlsServerRegistry.js";
/** How often the load is sampled and the limit applied (PROTOCOLS.md §4). */
export declare const LIMIT_PERIOD: Duration.Duration;
declare const LimitPeriod_base: Context.ReferenceClass<LimitPeriod, "vigil/ConnectionLimit/Period", Duration.Duration>;
/**
 * The sampling period in use: `LIMIT_PERIOD` unless provided. An infinite period turns the loop off (the
 * initial `MAXCONNS` still applies): a whole-app test that moves the TestClock by days would otherwise
 * wake it every 5 s of those days.
 */
export declare class LimitPeriod extends LimitPeriod_base {
}
/** `MAXCONNS` and `MINCONNS`. */
export interface LimitBounds {
    readonly maxConns: number;
    readonly minConns: number;
}
export interface LimitDecision {
    /** `maxConnections` for every listener (at least 1: Node reads 0 as "no limit") */
    readonly limit: number;
    /** the pressure carried to the next sample */
    readonly adj: number;
    /** adj > 72 or very low memory: not ready, serving at the floor */
    readonly overloaded: boolean;
    /** 1- and 5-minute load in percent of the CPUs */
    readonly avg1: number;
    readonly avg5: number;
    /** free memory below 10 % / 2.5 % of the total */
    readonly lowRam: boolean;
    readonly veryLowRam: boolean;
}
/** The lowest limit: `⌊MINCONNS / 2⌋`, at least 1. */
export declare const floorOf: (bounds: LimitBounds) => number;
/**
 * The adaptive connection limit of PROTOCOLS.md §4 for one load sample, given the pressure `adj` carried
 * from the previous sample (0 at start). Overloaded (adj > 72, or free memory below 2.5 %) serves at the
 * floor, `⌊MINCONNS / 2⌋`, where the original stopped the process.
 */
export declare const limitFor: (sample: LoadSample, bounds: LimitBounds, adj?: number) => LimitDecision;
/**
 * Applies `MAXCONNS` to every listener now, then forks (in the caller's scope) a loop that every
 * `LimitPeriod` (5 s) of Effect's `Clock` samples `SystemLoad`, computes `limitFor` and sets `maxConnections`
 * on every tracked server; connections refused by it are the registry's `dropped`. The state goes to
 * `Metrics` (`/metrics`, heartbeat; `/ready` is 503 while overloaded).
 */
export declare const ConnectionLimit: Effect.Effect<void, never, ServerConfig | import("effect/Scope").Scope | TlsServerRegistry | SystemLoad | Metrics>;
export {};
