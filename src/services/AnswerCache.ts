import { Effect } from "effect"
import { LRUCache } from "lru-cache"
import type { ChainMark } from "./Blocklists.js"
import { type AnswerInfo, MAX_MESSAGE, writeTtls } from "./QueryHandler/Wire.js"
import { ServerConfig } from "./ServerConfig.js"

/** An answer kept encoded, served again with its ID, question case and TTLs patched in place. */
interface Entry {
  /** the answer as stored (first half of the entry's own allocation, see `ownCopy`) */
  readonly answer: Buffer
  readonly info: AnswerInfo
  readonly storedAt: number
  readonly expiresAt: number
  /** what its CNAME chain runs through, when blocklists are on */
  readonly mark: ChainMark | undefined
  /** the answer with TTLs decremented by `patchedFor` seconds (second half; rewritten in place) */
  readonly patched: Buffer
  patchedFor: number
}

/**
 * The stored answer and the room for its patched copy, in one allocation of their own. What an upstream
 * hands over is often a slice of a larger buffer: a small `Buffer.from`, `allocUnsafe` or `concat` is
 * carved out of Node's shared 8 KiB pool, a framed TCP answer is a view of the read it came in. A cache
 * entry that kept such a slice would keep the whole pool or read alive for as long as the entry lives
 * (up to a day): 30,000 entries of 60 bytes held that way take ~170 MB instead of ~40 (`bench/cache-memory.mjs`).
 */
export const ownCopy = (answer: Uint8Array): { readonly answer: Buffer; readonly patched: Buffer } => {
  const own = Buffer.allocUnsafeSlow(2 * answer.length)
  own.set(answer, 0)
  return { answer: own.subarray(0, answer.length), patched: own.subarray(answer.length) }
}

/**
 * What the last cache hit found beside its answer: the lowest TTL left in it, and the entry's chain mark
 * (blocklists on) with the stored answer it describes. One record, overwritten by every hit and read
 * synchronously right after it: a hit allocates nothing but the answer it hands back.
 */
export interface CacheHit {
  ttl: number
  mark: ChainMark | undefined
  source: Uint8Array
}

/** Never keep an answer longer than a day, whatever its TTL says. */
export const MAX_CACHE_TTL_S = 86_400

/**
 * The answer cache: an LRU (`lru-cache`) of encoded answers keyed by the query's flags and lower-cased
 * question bytes. TTLs honoured (an entry is gone the second its lowest TTL runs out, no serving past it),
 * decremented on the way out, negative answers cached for their RFC 2308 TTL. Time is Effect's `Clock`,
 * read synchronously on the hot path so that `TestClock` drives expiry.
 */
export class AnswerCache extends Effect.Service<AnswerCache>()("vigil/AnswerCache", {
  effect: Effect.gen(function*() {
    const { cacheSize } = yield* ServerConfig
    const clock = yield* Effect.clock
    const lru = cacheSize > 0 ? new LRUCache<string, Entry>({ max: cacheSize }) : undefined
    const stats = { hits: 0, misses: 0, expired: 0, stored: 0 }
    const hit: CacheHit = { ttl: 0, mark: undefined, source: new Uint8Array(0) }

    /**
     * Looks `key` up for a query; on a hit returns the answer ready to send (in a fresh buffer the caller
     * owns) and fills `hit`. With `framed`, the answer carries its RFC 7766 two-byte length in front (DoT):
     * one allocation and one copy per hit, whatever the transport.
     */
    const lookup = (key: string, query: Uint8Array, questionEnd: number, framed: boolean): Buffer | undefined => {
      if (lru === undefined) return undefined
      const entry = lru.get(key)
      if (entry === undefined) {
        stats.misses++
        return undefined
      }
      const now = clock.unsafeCurrentTimeMillis()
      if (now >= entry.expiresAt) {
        lru.delete(key)
        stats.expired++
        stats.misses++
        return undefined
      }
      stats.hits++
      const elapsed = Math.floor((now - entry.storedAt) / 1000)
      if (elapsed !== entry.patchedFor) repatch(entry, elapsed)
      const len = entry.patched.length
      const at = framed ? 2 : 0
      const out = Buffer.allocUnsafe(len + at)
      if (framed) {
        out[0] = len >> 8
        out[1] = len & 0xff
      }
      entry.patched.copy(out, at)
      out[at] = query[0]!
      out[at + 1] = query[1]!
      // the client's spelling of the question (a byte loop: no view allocated per hit)
      if (entry.info.questionEnd === questionEnd) { for (let i = 12; i < questionEnd; i++) out[at + i] = query[i]! }
      hit.ttl = Math.min(entry.info.cacheTtl, MAX_CACHE_TTL_S) - elapsed
      hit.mark = entry.mark
      hit.source = entry.answer
      return out
    }

    /** Keeps an answer when it is cacheable. */
    const store = (key: string, answer: Uint8Array, info: AnswerInfo, mark?: ChainMark): void => {
      // every upstream answer fits (each transport refuses more); the framed lookup relies on it
      if (lru === undefined || info.cacheTtl <= 0 || answer.length > MAX_MESSAGE) return
      const now = clock.unsafeCurrentTimeMillis()
      const ttl = Math.min(info.cacheTtl, MAX_CACHE_TTL_S)
      const own = ownCopy(answer)
      lru.set(key, {
        answer: own.answer,
        info,
        storedAt: now,
        expiresAt: now + ttl * 1000,
        mark,
        patched: own.patched,
        patchedFor: -1
      })
      stats.stored++
    }

    return {
      lookup,
      /** what the last hit of `lookup` found beside its answer */
      hit: hit as Readonly<CacheHit>,
      store,
      size: () => lru?.size ?? 0,
      clear: () => lru?.clear(),
      stats: () => ({ ...stats })
    }
  })
}) {}

/** Rewrites the entry's patched copy for `elapsed` seconds of age (in place: every hit copies it out). */
const repatch = (entry: Entry, elapsed: number) => {
  entry.patched.set(entry.answer)
  writeTtls(entry.patched, entry.info, elapsed)
  entry.patchedFor = elapsed
}
