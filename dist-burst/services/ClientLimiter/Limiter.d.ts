/** What the limiter says about one query. */
export type Verdict = "ok" | "limited" | "blocked";
/** Defaults of SPEC.md §2 and of the memory bounds. */
export declare const DEFAULT_BLOCK_AFTER_S = 10;
export declare const DEFAULT_BLOCK_FOR_S = 60;
export declare const DEFAULT_MAX_CLIENTS = 100000;
export declare const DEFAULT_MAX_BLOCKED = 10000;
/** Limited queries at most this far apart belong to one stretch over the limit. */
export declare const OVER_LIMIT_GAP_MS = 1000;
export interface LimiterOptions {
    /** `RATE_LIMIT_QPS`: tokens added per second; 0 or undefined turns the limiter off */
    readonly qps?: number | undefined;
    /** `RATE_LIMIT_BURST`: bucket capacity (default: `qps`, at least 1) */
    readonly burst?: number | undefined;
    /** `BLOCK_AFTER_S`: seconds over the limit before a block (default 10; 0: the first limited query) */
    readonly blockAfterS?: number | undefined;
    /** `BLOCK_FOR_S`: seconds a block lasts (default 60; 0: never block, only limit) */
    readonly blockForS?: number | undefined;
    /** `RATE_LIMIT_V4_PREFIX` (default 24) */
    readonly v4Prefix?: number | undefined;
    /** `RATE_LIMIT_V6_PREFIX` (default 56) */
    readonly v6Prefix?: number | undefined;
    /** clients whose bucket is kept (an LRU; default 100,000) */
    readonly maxClients?: number | undefined;
    /** blocks kept at once (default 10,000) */
    readonly maxBlocked?: number | undefined;
    /** called when a block starts, with the client key and the time it ends (ms) */
    readonly onBlockStart?: ((key: string, untilMs: number) => void) | undefined;
}
export interface LimiterStats {
    /** queries refused because the client's bucket was empty */
    readonly limited: number;
    /** queries refused because the client was blocked (the one that started a block included) */
    readonly blocked: number;
    /** blocks started */
    readonly blocksStarted: number;
}
export interface Limiter {
    readonly enabled: boolean;
    /** the verdict on one query from `address` at `nowMs`; an "ok" consumes a token */
    readonly check: (address: string, nowMs: number) => Verdict;
    /** clients blocked at `nowMs` (drops the blocks that have ended) */
    readonly currentlyBlocked: (nowMs: number) => number;
    readonly stats: () => LimiterStats;
    /** buckets held (at most `maxClients`) */
    readonly size: () => number;
    /** blocks held, ended ones not yet dropped included (at most `maxBlocked`) */
    readonly blockedSize: () => number;
}
/**
 * Per-client rate limiting with dynamic blocks, as dnsdist's `exceedQRate` + `addDynBlocks`; plain
 * synchronous code for the per-query path, the time passed in by the caller.
 *
 * **Buckets.** Each client key (`clientKey`: IPv4 /24, IPv6 /56) has a token bucket of `burst` tokens,
 * refilled continuously at `qps` per second, full when first seen. A query takes one token ("ok") or,
 * when less than one is left, is "limited" and takes nothing. Tokens are counted in thousandths
 * (token-milliseconds: a second at `qps` adds `qps * 1000`), so integer rates refill exactly.
 *
 * **Blocks.** A client is *over the limit* from a limited query for as long as its next limited queries
 * follow at most `OVER_LIMIT_GAP_MS` (1 s) apart — in other words it is limited at least once in every
 * second. The first limited query at least `blockAfterS` seconds after the first one of that stretch
 * starts a block: that query and every query of the key in the next `blockForS` seconds are "blocked",
 * consume nothing and leave the bucket to refill; at `start + blockForS` the block ends by itself and the
 * stretch starts from zero (so a client that keeps flooding gets its burst, then `blockAfterS` seconds of
 * "limited", then another block). A client steadily above `qps + 1` queries per second is blocked; one
 * that only spends its burst now and then is not.
 *
 * **Memory.** Clients are keyed by `limiterKey` (a small integer per IPv4 network, an 8-character string
 * per IPv6 one). Buckets live in an LRU of at most `maxClients` keys whose values are slot numbers into
 * typed arrays (four float64 per client, grown by doubling up to `maxClients`): no object per client.
 * Blocks live apart, in an insertion-ordered `Map` of key → end time bounded by `maxBlocked`, so that a
 * flood of new addresses, which only churns the LRU, cannot evict a block; since every block lasts
 * `blockForS`, insertion order is end order: ended blocks are dropped from the front, and when the map is
 * full of running blocks the one ending soonest makes room.
 */
export declare const makeLimiter: (options: LimiterOptions) => Limiter;
