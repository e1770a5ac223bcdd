import { Effect } from "effect";
import type { ChainMark } from "./Blocklists.js";
import { type AnswerInfo } from "./QueryHandler/Wire.js";
import { ServerConfig } from "./ServerConfig.js";
/**
 * What the last cache hit found beside its answer: the lowest TTL left in it, and the entry's chain mark
 * (blocklists on) with the stored answer it describes. One record, overwritten by every hit and read
 * synchronously right after it: a hit allocates nothing but the answer it hands back.
 */
export interface CacheHit {
    ttl: number;
    mark: ChainMark | undefined;
    source: Uint8Array;
}
/** Never keep an answer longer than a day, whatever its TTL says. */
export declare const MAX_CACHE_TTL_S = 86400;
declare const AnswerCache_base: Effect.Service.Class<AnswerCache, "vigil/AnswerCache", {
    readonly effect: Effect.Effect<{
        lookup: (key: string, query: Uint8Array, questionEnd: number, framed: boolean) => Buffer | undefined;
        /** what the last hit of `lookup` found beside its answer */
        hit: Readonly<CacheHit>;
        store: (key: string, answer: Uint8Array, info: AnswerInfo, mark?: ChainMark) => void;
        size: () => number;
        clear: () => void | undefined;
        stats: () => {
            hits: number;
            misses: number;
            expired: number;
            stored: number;
        };
    }, never, ServerConfig>;
}>;
/**
 * The answer cache: an LRU (`lru-cache`) of encoded answers keyed by the query's flags and lower-cased
 * question bytes. TTLs honoured (an entry is gone the second its lowest TTL runs out, no serving past it),
 * decremented on the way out, negative answers cached for their RFC 2308 TTL. Time is Effect's `Clock`,
 * read synchronously on the hot path so that `TestClock` drives expiry.
 */
export declare class AnswerCache extends AnswerCache_base {
}
export {};
