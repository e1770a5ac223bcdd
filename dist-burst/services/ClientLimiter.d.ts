import { Context, Effect, Layer } from "effect";
import type { LimiterOptions, LimiterStats, Verdict } from "./ClientLimiter/Limiter.js";
export { clientKey, DEFAULT_V4_PREFIX, DEFAULT_V6_PREFIX } from "./ClientLimiter/Key.js";
export { DEFAULT_BLOCK_AFTER_S, DEFAULT_BLOCK_FOR_S, DEFAULT_MAX_BLOCKED, DEFAULT_MAX_CLIENTS, type Limiter, makeLimiter, OVER_LIMIT_GAP_MS, type Verdict } from "./ClientLimiter/Limiter.js";
/** The limiter's settings: `RATE_LIMIT_*`, `BLOCK_*` (SPEC.md §2) and the memory bounds. */
export type ClientLimiterOptions = Omit<LimiterOptions, "onBlockStart">;
export type ClientLimiterStats = LimiterStats;
export interface ClientLimiterShape {
    /** false when `qps` is 0 or unset: `check` is always "ok" */
    readonly enabled: boolean;
    /**
     * The verdict on one query from `address` (the real client address, after PROXY / `X-Forwarded-For`),
     * at the time of Effect's `Clock`; synchronous, for the per-query path. "limited": answer REFUSED / 429
     * without asking upstream; "blocked": the same, the client being in a dynamic block.
     */
    readonly check: (address: string) => Verdict;
    /** clients blocked now (a gauge) */
    readonly currentlyBlocked: () => number;
    /** counters since start: `limited`, `blocked`, `blocksStarted` */
    readonly stats: () => ClientLimiterStats;
    /** client buckets held (bounded by `maxClients`) */
    readonly size: () => number;
}
declare const ClientLimiter_base: Context.TagClass<ClientLimiter, "vigil/ClientLimiter", ClientLimiterShape>;
/**
 * Per-client rate limits and dynamic blocks (issue 8; semantics in `ClientLimiter/Limiter.ts`). Time is
 * Effect's `Clock`, read synchronously per check, so `TestClock` drives refills and block ends. A block
 * start is logged at info with the client's network (never more than one line per client per
 * `BLOCK_AFTER_S + BLOCK_FOR_S`).
 */
export declare class ClientLimiter extends ClientLimiter_base {
    /** A limiter with these settings; dies on settings out of range (`ServerConfig` validates them first). */
    static readonly make: (options: ClientLimiterOptions) => Effect.Effect<ClientLimiterShape>;
    /** The limiter as a layer. */
    static readonly layer: (options: ClientLimiterOptions) => Layer.Layer<ClientLimiter>;
    /** No limits: every query is "ok". */
    static readonly disabled: Layer.Layer<ClientLimiter>;
}
