import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Fiber, Layer, TestClock } from "effect"
import { QueryHandler } from "../../src/services/QueryHandler.js"
import { Rcode } from "../../src/services/QueryHandler/Wire.js"
import { ServerConfig } from "../../src/services/ServerConfig.js"
import { Upstream, UpstreamError } from "../../src/services/Upstream.js"
import { a, answerTo, decode, idOf, query, rcodeOf, soa, ttlsOf } from "../fixtures/Dns.js"
import { collected } from "../fixtures/Gc.js"

/** An in-process upstream answering from a function, counting what it was asked. */
const fakeUpstream = (answer: (q: Uint8Array) => Effect.Effect<Uint8Array, UpstreamError>) => {
  const asked: Array<Uint8Array> = []
  const layer = Layer.succeed(Upstream, {
    query: (q) =>
      Effect.suspend(() => {
        asked.push(q)
        return answer(q)
      })
  })
  return { asked, layer }
}

const table = (q: Uint8Array) => {
  const name = decode(q).questions?.[0]?.name.toLowerCase()
  if (name === "example.com") {
    return Effect.succeed(answerTo(q, [a("example.com", "192.0.2.1", 300), a("example.com", "192.0.2.2", 120)]))
  }
  return Effect.succeed(answerTo(q, [], { rcode: "NXDOMAIN", authorities: [soa("com", 3600, 60)] }))
}

const handlerLayer = (upstream: Layer.Layer<Upstream>, config: Parameters<typeof ServerConfig.layer>[0] = {}) =>
  QueryHandler.Default.pipe(Layer.provide(upstream), Layer.provide(ServerConfig.layer(config)))

/** Runs one query through the handler and waits for its answer. */
const ask = (q: Uint8Array) =>
  Effect.flatMap(
    QueryHandler,
    (h) =>
      Effect.async<{ answer: Buffer | null; ttl: number; malformed: boolean }>((resume) =>
        h.handle(q, { transport: "dot", remoteAddress: "127.0.0.1", selection: 0 }, (answer, ttl, malformed) =>
          resume(Effect.succeed({ answer, ttl, malformed })))
      )
  )

describe("QueryHandler: cache", () => {
  it.scoped("answers a repeat from the cache with the client's ID and decremented TTLs", () => {
    const up = fakeUpstream(table)
    return Effect.gen(function*() {
      const first = yield* ask(query("example.com", "A", { id: 1 }))
      expect(idOf(first.answer!)).toBe(1)
      expect(ttlsOf(first.answer!)).toEqual([300, 120])
      expect(first.ttl).toBe(120)
      yield* TestClock.adjust(Duration.seconds(100))
      const second = yield* ask(query("EXAMPLE.com", "A", { id: 2 }))
      expect(up.asked).toHaveLength(1)
      expect(idOf(second.answer!)).toBe(2)
      expect(ttlsOf(second.answer!)).toEqual([200, 20])
      expect(second.ttl).toBe(20)
      // the client's spelling of the name comes back (0x20 randomisation)
      expect(decode(second.answer!).questions?.[0]?.name).toBe("EXAMPLE.com")
    }).pipe(Effect.provide(handlerLayer(up.layer)))
  })

  it.scoped("never serves past the lowest TTL", () => {
    const up = fakeUpstream(table)
    return Effect.gen(function*() {
      yield* ask(query("example.com"))
      yield* TestClock.adjust(Duration.seconds(119))
      yield* ask(query("example.com"))
      expect(up.asked).toHaveLength(1)
      yield* TestClock.adjust(Duration.seconds(1))
      const fresh = yield* ask(query("example.com"))
      expect(up.asked).toHaveLength(2)
      expect(ttlsOf(fresh.answer!)).toEqual([300, 120])
    }).pipe(Effect.provide(handlerLayer(up.layer)))
  })

  it.scoped("caches NXDOMAIN for the SOA's negative TTL (RFC 2308)", () => {
    const up = fakeUpstream(table)
    return Effect.gen(function*() {
      const nx = yield* ask(query("nope.com"))
      expect(rcodeOf(nx.answer!)).toBe(Rcode.NXDOMAIN)
      yield* TestClock.adjust(Duration.seconds(59))
      const again = yield* ask(query("nope.com"))
      expect(rcodeOf(again.answer!)).toBe(Rcode.NXDOMAIN)
      expect(decode(again.answer!).authorities?.[0]?.ttl).toBe(60 - 59)
      expect(decode(nx.answer!).authorities?.[0]?.ttl).toBe(60)
      expect(up.asked).toHaveLength(1)
      yield* TestClock.adjust(Duration.seconds(1))
      yield* ask(query("nope.com"))
      expect(up.asked).toHaveLength(2)
    }).pipe(Effect.provide(handlerLayer(up.layer)))
  })

  it.scoped("with CACHE_SIZE=0 every query goes upstream", () => {
    const up = fakeUpstream(table)
    return Effect.gen(function*() {
      yield* ask(query("example.com"))
      yield* ask(query("example.com"))
      expect(up.asked).toHaveLength(2)
    }).pipe(Effect.provide(handlerLayer(up.layer, { cacheSize: 0 })))
  })
})

describe("QueryHandler: upstream", () => {
  it.scoped("coalesces identical questions in flight into one upstream query", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const up = fakeUpstream((q) => Effect.zipRight(Deferred.await(gate), table(q)))
      yield* Effect.gen(function*() {
        const f1 = yield* Effect.fork(ask(query("example.com", "A", { id: 11 })))
        const f2 = yield* Effect.fork(ask(query("Example.Com", "A", { id: 22 })))
        yield* Effect.yieldNow()
        yield* Deferred.succeed(gate, undefined)
        const [r1, r2] = yield* Fiber.join(Fiber.zip(f1, f2))
        expect(up.asked).toHaveLength(1)
        expect(idOf(r1.answer!)).toBe(11)
        expect(idOf(r2.answer!)).toBe(22)
        expect(decode(r2.answer!).questions?.[0]?.name).toBe("Example.Com")
        const h = yield* QueryHandler
        expect(h.stats().coalesced).toBe(1)
        expect(h.inFlight()).toBe(0)
      }).pipe(Effect.provide(handlerLayer(up.layer)))
    }))

  it.scoped("answers SERVFAIL when the upstream fails, and does not cache it", () => {
    const up = fakeUpstream(() => Effect.fail(new UpstreamError({ upstream: "test", reason: "Connect" })))
    return Effect.gen(function*() {
      const r = yield* ask(query("example.com", "A", { id: 9 }))
      expect(rcodeOf(r.answer!)).toBe(Rcode.SERVFAIL)
      expect(idOf(r.answer!)).toBe(9)
      expect(decode(r.answer!).questions?.[0]?.name).toBe("example.com")
      yield* ask(query("example.com"))
      expect(up.asked).toHaveLength(2)
    }).pipe(Effect.provide(handlerLayer(up.layer)))
  })

  it.scoped("answers SERVFAIL at the query deadline when the upstream never answers", () => {
    const up = fakeUpstream(() => Effect.never)
    return Effect.gen(function*() {
      const f = yield* Effect.fork(ask(query("example.com")))
      yield* TestClock.adjust(Duration.millis(3999))
      expect(f.unsafePoll()).toBeNull()
      yield* TestClock.adjust(Duration.millis(1))
      const r = yield* Fiber.join(f)
      expect(rcodeOf(r.answer!)).toBe(Rcode.SERVFAIL)
    }).pipe(Effect.provide(handlerLayer(up.layer, { workerTimeout: Duration.millis(2000) })))
  })

  it.scoped("answers SERVFAIL to a malformed upstream answer", () => {
    const up = fakeUpstream(() => Effect.succeed(new Uint8Array([1, 2, 3])))
    return Effect.gen(function*() {
      const r = yield* ask(query("example.com"))
      expect(rcodeOf(r.answer!)).toBe(Rcode.SERVFAIL)
    }).pipe(Effect.provide(handlerLayer(up.layer)))
  })

  describe("a finished lookup holds nothing until its deadline: its query can be collected at once", () => {
    /** asks one question whose query only a WeakRef keeps, then collects after the answer */
    const queryCollected = Effect.gen(function*() {
      const ref = yield* Effect.sync(() => {
        const q = query("example.com", "A", { id: 5 })
        return { weak: new WeakRef(q), asked: ask(q) }
      }).pipe(Effect.flatMap(({ asked, weak }) => Effect.map(asked, (r) => ({ r, weak }))))
      expect(idOf(ref.r.answer!)).toBe(5)
      return yield* collected(ref.weak)
    })
    it.scoped("plain code (tryExchange)", () => {
      const layer = Layer.succeed(Upstream, {
        query: () => Effect.die("not used"),
        tryExchange: (msg, done) => {
          setImmediate(() => done(answerTo(msg, [a("example.com", "192.0.2.1", 300)])))
          return () => {}
        }
      })
      // the deadline (10 s by default) is far off on the TestClock: only a release lets go
      return Effect.map(queryCollected, (collected) => expect(collected).toBe(true)).pipe(
        Effect.provide(handlerLayer(layer))
      )
    })
    it.scoped("plain code, the upstream failing (SERVFAIL)", () => {
      const layer = Layer.succeed(Upstream, {
        query: () => Effect.die("not used"),
        tryExchange: (_msg, done) => {
          setImmediate(() => done(new UpstreamError({ upstream: "test", reason: "BadAnswer" })))
          return () => {}
        }
      })
      return Effect.gen(function*() {
        const { r, weak } = yield* Effect.suspend(() => {
          const q = query("example.com", "A", { id: 6 })
          const weak = new WeakRef(q)
          return Effect.map(ask(q), (r) => ({ r, weak }))
        })
        expect(rcodeOf(r.answer!)).toBe(Rcode.SERVFAIL)
        expect(yield* collected(weak)).toBe(true)
      }).pipe(Effect.provide(handlerLayer(layer)))
    })
    it.scoped("in a fiber (query)", () => {
      // answered on a later turn: the fiber is still running when the handler bounds it by the deadline
      const later = Effect.async<void>((resume) => void setImmediate(() => resume(Effect.void)))
      const up = fakeUpstream((q) => Effect.zipRight(later, table(q)))
      return Effect.map(queryCollected, (collected) => expect(collected).toBe(true)).pipe(
        Effect.provide(handlerLayer(up.layer))
      )
    })
  })

  it.scoped("answers bad input without asking upstream", () => {
    const up = fakeUpstream(table)
    return Effect.gen(function*() {
      const short = yield* ask(new Uint8Array(5))
      expect(short.answer).toBeNull()
      const q = query("example.com", "A", { id: 77 })
      const cut = yield* ask(q.subarray(0, q.length - 3))
      expect(cut.malformed).toBe(true)
      expect(rcodeOf(cut.answer!)).toBe(Rcode.FORMERR)
      expect(idOf(cut.answer!)).toBe(77)
      expect(up.asked).toHaveLength(0)
    }).pipe(Effect.provide(handlerLayer(up.layer)))
  })
})

/** Like `ask`, in a DoT connection's framed context: every answer comes with its two-byte length. */
const askFramed = (q: Uint8Array) =>
  Effect.flatMap(
    QueryHandler,
    (h) =>
      Effect.async<Buffer | null>((resume) =>
        h.handle(q, { transport: "dot", remoteAddress: "127.0.0.1", selection: 0, framed: true }, (answer) =>
          resume(Effect.succeed(answer)))
      )
  )

/** The message inside a framed answer, checked to be exactly as long as its prefix says. */
const unframe = (framed: Buffer | null): Buffer => {
  expect(framed).not.toBeNull()
  expect(framed!.readUInt16BE(0)).toBe(framed!.length - 2)
  return framed!.subarray(2)
}

describe("QueryHandler: framed answers (DoT)", () => {
  it.scoped("an upstream answer, a cache hit, a FORMERR and a SERVFAIL all come framed, and are counted", () => {
    const up = fakeUpstream((q) =>
      decode(q).questions?.[0]?.name === "down.example"
        ? Effect.fail(new UpstreamError({ upstream: "stub", reason: "Connect" }))
        : table(q)
    )
    return Effect.gen(function*() {
      const h = yield* QueryHandler
      const miss = unframe(yield* askFramed(query("example.com", "A", { id: 7 })))
      expect(idOf(miss)).toBe(7)
      expect(ttlsOf(miss)).toEqual([300, 120])
      const hit = unframe(yield* askFramed(query("Example.COM", "A", { id: 8 })))
      expect(up.asked).toHaveLength(1)
      expect(idOf(hit)).toBe(8)
      expect(decode(hit).questions?.[0]?.name).toBe("Example.COM")
      // the same hit unframed (DoH) is the same message
      const plain = yield* ask(query("Example.COM", "A", { id: 8 }))
      expect(Buffer.compare(plain.answer!, hit)).toBe(0)
      const bad = Buffer.from(query("example.com", "A", { id: 9 }))
      bad.writeUInt16BE(2, 4) // QDCOUNT 2
      expect(rcodeOf(unframe(yield* askFramed(bad)))).toBe(Rcode.FORMERR)
      expect(rcodeOf(unframe(yield* askFramed(query("down.example", "A", { id: 10 }))))).toBe(Rcode.SERVFAIL)
      const counted = h.answers().dot
      expect(counted[Rcode.NOERROR]).toBe(3)
      expect(counted[Rcode.FORMERR]).toBe(1)
      expect(counted[Rcode.SERVFAIL]).toBe(1)
      expect(h.inFlight()).toBe(0)
    }).pipe(Effect.provide(handlerLayer(up.layer)))
  })
})
