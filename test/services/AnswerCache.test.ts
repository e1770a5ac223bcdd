import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, TestClock } from "effect"
import { AnswerCache, ownCopy } from "../../src/services/AnswerCache.js"
import { inspectAnswer, peekQuery, type QueryPeek } from "../../src/services/QueryHandler/Wire.js"
import { ServerConfig } from "../../src/services/ServerConfig.js"
import { a, answerTo, idOf, query, ttlsOf } from "../fixtures/Dns.js"

const cacheLayer = AnswerCache.Default.pipe(Layer.provide(ServerConfig.layer({})))
const q = query("example.com", "A", { id: 7 })
const peek = peekQuery(q) as QueryPeek
const answer = answerTo(q, [a("example.com", "192.0.2.1", 300), a("example.com", "192.0.2.2", 120)])

describe("AnswerCache", () => {
  it("ownCopy: a slice of Node's shared buffer pool comes out in an allocation of its own", () => {
    const pooled = Buffer.from(answer)
    // the premise: a small Buffer.from is a view of an 8 KiB pool that a kept slice would pin
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.length * 4)
    const own = ownCopy(pooled)
    expect(own.answer.buffer).not.toBe(pooled.buffer)
    expect(own.answer.buffer.byteLength).toBe(2 * answer.length)
    expect(own.patched.buffer).toBe(own.answer.buffer)
    expect(own.answer.equals(answer)).toBe(true)
  })

  it.effect("keeps what it stores in memory of its own: the slice it was handed can change or go", () =>
    Effect.gen(function*() {
      const cache = yield* AnswerCache
      // an answer framed inside a larger read, as a TCP upstream hands it over
      const read = Buffer.alloc(16_384)
      answer.copy(read, 100)
      const slice = read.subarray(100, 100 + answer.length)
      cache.store("k", slice, inspectAnswer(slice)!)
      read.fill(0)
      const out = cache.lookup("k", q, peek.questionEnd, false)!
      expect(out.subarray(2).equals(answer.subarray(2))).toBe(true)
      expect(cache.hit.source.buffer).not.toBe(read.buffer)
      expect(cache.hit.source.buffer.byteLength).toBe(2 * answer.length)
    }).pipe(Effect.provide(cacheLayer)))

  it.effect("patches TTLs in place as the entry ages, without touching answers already handed out", () =>
    Effect.gen(function*() {
      const cache = yield* AnswerCache
      cache.store("k", answer, inspectAnswer(answer)!)
      const first = cache.lookup("k", q, peek.questionEnd, false)!
      expect(ttlsOf(first)).toEqual([300, 120])
      yield* TestClock.adjust(Duration.seconds(10))
      const second = cache.lookup("k", query("example.com", "A", { id: 9 }), peek.questionEnd, false)!
      expect(ttlsOf(second)).toEqual([290, 110])
      expect(idOf(second)).toBe(9)
      yield* TestClock.adjust(Duration.seconds(5))
      const framed = cache.lookup("k", q, peek.questionEnd, true)!
      expect(framed.readUInt16BE(0)).toBe(answer.length)
      expect(ttlsOf(framed.subarray(2))).toEqual([285, 105])
      // the earlier answers are copies: the rewrite of the entry did not reach them
      expect(ttlsOf(first)).toEqual([300, 120])
      expect(ttlsOf(second)).toEqual([290, 110])
      expect(cache.hit.ttl).toBe(105)
    }).pipe(Effect.provide(cacheLayer)))
})
