import { LRUCache } from "lru-cache";
import { DEFAULT_V4_PREFIX, DEFAULT_V6_PREFIX, keyText, limiterKey } from "./Key.js";
/** Defaults of SPEC.md §2 and of the memory bounds. */
export const DEFAULT_BLOCK_AFTER_S = 10;
export const DEFAULT_BLOCK_FOR_S = 60;
export const DEFAULT_MAX_CLIENTS = 100_000;
export const DEFAULT_MAX_BLOCKED = 10_000;
/** Limited queries at most this far apart belong to one stretch over the limit. */
export const OVER_LIMIT_GAP_MS = 1000;
const OFF = {
    enabled: false,
    check: () => "ok",
    currentlyBlocked: () => 0,
    stats: () => ({ limited: 0, blocked: 0, blocksStarted: 0 }),
    size: () => 0,
    blockedSize: () => 0
};
const checkRange = (name, value, min, max, integer) => {
    if (!(value >= min && value <= max) || (integer && !Number.isInteger(value))) {
        throw new RangeError(`ClientLimiter: ${name} must be ${integer ? "an integer " : ""}in ${min}..${max}, not ${value}`);
    }
};
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
export const makeLimiter = (options) => {
    const qps = options.qps ?? 0;
    checkRange("qps", qps, 0, 1e9, false);
    if (qps === 0)
        return OFF;
    const burst = options.burst ?? Math.max(1, qps);
    const blockAfterS = options.blockAfterS ?? DEFAULT_BLOCK_AFTER_S;
    const blockForS = options.blockForS ?? DEFAULT_BLOCK_FOR_S;
    const v4Prefix = options.v4Prefix ?? DEFAULT_V4_PREFIX;
    const v6Prefix = options.v6Prefix ?? DEFAULT_V6_PREFIX;
    const maxClients = options.maxClients ?? DEFAULT_MAX_CLIENTS;
    const maxBlocked = options.maxBlocked ?? DEFAULT_MAX_BLOCKED;
    checkRange("burst", burst, 1, 1e9, false);
    checkRange("blockAfterS", blockAfterS, 0, 1e7, false);
    checkRange("blockForS", blockForS, 0, 1e7, false);
    checkRange("v4Prefix", v4Prefix, 0, 32, true);
    checkRange("v6Prefix", v6Prefix, 0, 128, true);
    checkRange("maxClients", maxClients, 1, 1e8, true);
    checkRange("maxBlocked", maxBlocked, 1, 1e8, true);
    const onBlockStart = options.onBlockStart;
    const COST = 1000;
    const capacity = burst * COST;
    const blockAfterMs = blockAfterS * 1000;
    const blockForMs = blockForS * 1000;
    const lru = new LRUCache({ max: maxClients });
    // per slot: tokens (thousandths), time of the last refill, first and last limited query of the stretch
    let tokens = new Float64Array(Math.min(1024, maxClients));
    let refilledAt = new Float64Array(tokens.length);
    let overSince = new Float64Array(tokens.length);
    let lastLimited = new Float64Array(tokens.length);
    let slots = 0;
    const blocks = new Map();
    const stats = { limited: 0, blocked: 0, blocksStarted: 0 };
    const grow = () => {
        const n = Math.min(tokens.length * 2, maxClients);
        const more = (a) => {
            const b = new Float64Array(n);
            b.set(a);
            return b;
        };
        tokens = more(tokens);
        refilledAt = more(refilledAt);
        overSince = more(overSince);
        lastLimited = more(lastLimited);
    };
    /** A slot for a new key: a fresh one while there is room, else the least recently used key's. */
    const allocate = () => {
        if (slots < maxClients) {
            if (slots === tokens.length)
                grow();
            return slots++;
        }
        return lru.pop();
    };
    const dropEnded = (nowMs) => {
        for (const [key, until] of blocks) {
            if (until > nowMs)
                return;
            blocks.delete(key);
        }
    };
    const startBlock = (key, slot, nowMs) => {
        if (blocks.size >= maxBlocked) {
            dropEnded(nowMs);
            if (blocks.size >= maxBlocked)
                blocks.delete(blocks.keys().next().value);
        }
        const until = nowMs + blockForMs;
        blocks.set(key, until);
        overSince[slot] = -Infinity;
        lastLimited[slot] = -Infinity;
        stats.blocksStarted++;
        stats.blocked++;
        if (onBlockStart !== undefined)
            onBlockStart(keyText(key, v4Prefix, v6Prefix), until);
    };
    const check = (address, nowMs) => {
        const key = limiterKey(address, v4Prefix, v6Prefix);
        if (blocks.size > 0) {
            const until = blocks.get(key);
            if (until !== undefined) {
                if (nowMs < until) {
                    stats.blocked++;
                    return "blocked";
                }
                blocks.delete(key);
            }
        }
        let slot = lru.get(key);
        if (slot === undefined) {
            slot = allocate();
            lru.set(key, slot);
            tokens[slot] = capacity - COST;
            refilledAt[slot] = nowMs;
            overSince[slot] = -Infinity;
            lastLimited[slot] = -Infinity;
            return "ok";
        }
        let t = tokens[slot];
        const elapsed = nowMs - refilledAt[slot];
        if (elapsed !== 0) {
            // a clock that went back refills nothing and restarts the count from now
            if (elapsed > 0)
                t = Math.min(capacity, t + elapsed * qps);
            refilledAt[slot] = nowMs;
        }
        if (t >= COST) {
            tokens[slot] = t - COST;
            return "ok";
        }
        tokens[slot] = t;
        if (blockForMs > 0) {
            if (nowMs - lastLimited[slot] > OVER_LIMIT_GAP_MS)
                overSince[slot] = nowMs;
            lastLimited[slot] = nowMs;
            if (nowMs - overSince[slot] >= blockAfterMs) {
                startBlock(key, slot, nowMs);
                return "blocked";
            }
        }
        stats.limited++;
        return "limited";
    };
    return {
        enabled: true,
        check,
        currentlyBlocked: (nowMs) => {
            dropEnded(nowMs);
            return blocks.size;
        },
        stats: () => ({ ...stats }),
        size: () => lru.size,
        blockedSize: () => blocks.size
    };
};
//# sourceMappingURL=Limiter.js.map