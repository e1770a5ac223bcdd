import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Exit, Fiber, Layer, Scope } from "effect"
import * as net from "node:net"
import { QueryHandler } from "../../src/services/QueryHandler.js"
import { mintCerts, type TestCerts } from "../fixtures/Certs.js"
import { a, decode, idOf, query, rcodeOf } from "../fixtures/Dns.js"
import { connectDot } from "../fixtures/DotClient.js"
import * as StubUpstream from "../fixtures/StubUpstream.js"
import { portOf, serverLayer, udpUpstream } from "../fixtures/TestServer.js"

let certs: TestCerts | undefined
const getCerts = Effect.promise(async () => (certs ??= await mintCerts()))

/** A stub upstream with a few names, and the server in front of it; yields the DoT port. */
const setup = (overrides: Parameters<typeof serverLayer>[1] = {}) =>
  Effect.gen(function*() {
    const c = yield* getCerts
    const stub = yield* StubUpstream.make()
    stub.set("one.test", "A", [a("one.test", "192.0.2.1", 300)])
    stub.set("two.test", "A", [a("two.test", "192.0.2.2", 300)])
    stub.set("slow.test", "A", [a("slow.test", "192.0.2.9", 300)])
    const scope = yield* Effect.scope
    const ctx = yield* Layer.buildWithScope(
      serverLayer(c, { upstreams: [udpUpstream(stub.port)], ...overrides }),
      scope
    )
    const port = yield* portOf("dot").pipe(Effect.provide(ctx))
    return { stub, port, ctx, ca: c.caPem }
  })

describe("DoT listener", () => {
  it.scopedLive("answers over TLS with ALPN dot, byte-checked, with the client's ID", () =>
    Effect.gen(function*() {
      const { ca, port } = yield* setup()
      const client = yield* connectDot(port, ca)
      expect(client.socket.alpnProtocol).toBe("dot")
      client.send(query("one.test", "A", { id: 0xabcd }))
      const [answer] = yield* client.answers(1)
      expect(idOf(answer!)).toBe(0xabcd)
      expect(rcodeOf(answer!)).toBe(0)
      const p = decode(answer!)
      expect(p.questions).toEqual([{ name: "one.test", type: "A", class: "IN" }])
      expect(p.answers?.map((r) => [r.name, r.type, r.data, r.ttl])).toEqual([["one.test", "A", "192.0.2.1", 300]])
      expect(p.flag_qr).toBe(true)
    }))

  it.scopedLive("answers pipelined queries out of order: a fast one overtakes a slow one", () =>
    Effect.gen(function*() {
      const { ca, port, stub } = yield* setup()
      stub.behave("slow.test", { delayMs: 300 })
      const client = yield* connectDot(port, ca)
      const many = [query("slow.test", "A", { id: 1 })]
      for (let i = 2; i <= 40; i++) many.push(query(i % 2 ? "one.test" : "two.test", "A", { id: i }))
      client.socket.write(
        Buffer.concat(many.map((m) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 255]), m])))
      )
      const answers = yield* client.answers(40)
      expect(answers.map(idOf).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
      expect(idOf(answers[39]!)).toBe(1)
      expect(answers.every((x) => rcodeOf(x) === 0)).toBe(true)
    }))

  it.scopedLive("reads a query split at every byte", () =>
    Effect.gen(function*() {
      const { ca, port } = yield* setup()
      const client = yield* connectDot(port, ca)
      client.socket.setNoDelay(true)
      const q = query("two.test", "A", { id: 77 })
      const framed = Buffer.concat([Buffer.from([q.length >> 8, q.length & 255]), q])
      for (const byte of framed) {
        client.socket.write(Buffer.from([byte]))
        yield* Effect.sleep(Duration.millis(2))
      }
      const [answer] = yield* client.answers(1)
      expect(idOf(answer!)).toBe(77)
      expect(decode(answer!).answers?.[0]?.data).toBe("192.0.2.2")
    }))

  it.scopedLive("still answers after the client half-closes", () =>
    Effect.gen(function*() {
      const { ca, port, stub } = yield* setup()
      stub.behave("slow.test", { delayMs: 200 })
      const client = yield* connectDot(port, ca)
      client.send(query("slow.test", "A", { id: 5 }))
      client.socket.end()
      const [answer] = yield* client.answers(1)
      expect(idOf(answer!)).toBe(5)
      yield* client.closed
    }))

  it.scopedLive("answers FORMERR to a malformed query and keeps the connection", () =>
    Effect.gen(function*() {
      const { ca, port } = yield* setup()
      const client = yield* connectDot(port, ca)
      const q = query("one.test", "A", { id: 6 })
      client.send(q.subarray(0, q.length - 2))
      client.send(query("one.test", "A", { id: 7 }))
      const answers = yield* client.answers(2)
      expect(answers.map((x) => [idOf(x), rcodeOf(x)])).toEqual([[6, 1], [7, 0]])
    }))

  it.scopedLive("closes a connection that sends a zero-length frame or garbage TLS, and serves others", () =>
    Effect.gen(function*() {
      const { ca, port } = yield* setup()
      const bad = yield* connectDot(port, ca)
      bad.socket.write(Buffer.from([0, 0]))
      yield* bad.closed
      const raw = net.connect(port, "127.0.0.1")
      raw.write(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
      yield* Effect.async<void>((k) => {
        raw.on("close", () => k(Effect.void))
      })
      const good = yield* connectDot(port, ca)
      good.send(query("one.test", "A", { id: 8 }))
      expect(idOf((yield* good.answers(1))[0]!)).toBe(8)
    }))

  it.scopedLive("refuses a client that offers only another ALPN protocol", () =>
    Effect.gen(function*() {
      const { ca, port } = yield* setup()
      const result = yield* Effect.either(connectDot(port, ca, { alpn: ["h2"] }))
      expect(result._tag).toBe("Left")
    }))

  it.scopedLive("answers SERVFAIL quickly when the upstream refuses connections", () =>
    Effect.gen(function*() {
      const refused = yield* Effect.promise(() =>
        new Promise<number>((resolve) => {
          const s = net.createServer().listen(0, "127.0.0.1", () => {
            const p = (s.address() as net.AddressInfo).port
            s.close(() => resolve(p))
          })
        })
      )
      const { ca, port } = yield* setup({
        upstreams: [{ _tag: "tcp", host: "127.0.0.1", port: refused, text: `tcp://127.0.0.1:${refused}` }]
      })
      const client = yield* connectDot(port, ca)
      const start = yield* Clock.currentTimeMillis
      client.send(query("one.test", "A", { id: 9 }))
      const [answer] = yield* client.answers(1)
      expect(rcodeOf(answer!)).toBe(2)
      expect(idOf(answer!)).toBe(9)
      // well before the 4 s query deadline: the refusal itself ended the attempt
      expect((yield* Clock.currentTimeMillis) - start).toBeLessThan(3000)
    }))

  it.scopedLive("answers SERVFAIL at the query deadline when the upstream is silent", () =>
    Effect.gen(function*() {
      const { ca, port, stub } = yield* setup({ workerTimeout: Duration.millis(1000) })
      stub.behave("slow.test", { drop: true })
      const client = yield* connectDot(port, ca)
      const start = yield* Clock.currentTimeMillis
      client.send(query("slow.test", "A", { id: 10 }))
      client.send(query("one.test", "A", { id: 11 }))
      const answers = yield* client.answers(2)
      const elapsed = (yield* Clock.currentTimeMillis) - start
      expect(answers.map((x) => [idOf(x), rcodeOf(x)])).toEqual([[11, 0], [10, 2]])
      // deadline = clamp(WORKER_TIMEOUT, 4000, 30000) = 4000 ms
      expect(elapsed).toBeGreaterThanOrEqual(3900)
      expect(elapsed).toBeLessThan(8000)
    }), 15_000)

  it.scopedLive("closes an idle connection after WORKER_TIMEOUT", () =>
    Effect.gen(function*() {
      const { ca, port } = yield* setup({ workerTimeout: Duration.millis(300) })
      const client = yield* connectDot(port, ca)
      client.send(query("one.test", "A", { id: 12 }))
      yield* client.answers(1)
      yield* client.closed.pipe(Effect.timeout(Duration.seconds(3)))
      expect(client.socket.destroyed || client.socket.readableEnded).toBe(true)
    }))

  it.scopedLive("drains an in-flight query on shutdown, then closes the connection", () =>
    Effect.gen(function*() {
      const c = yield* getCerts
      const stub = yield* StubUpstream.make()
      stub.set("slow.test", "A", [a("slow.test", "192.0.2.9", 300)])
      stub.behave("slow.test", { delayMs: 500 })
      const scope = yield* Scope.make()
      const ctx = yield* Layer.buildWithScope(serverLayer(c, { upstreams: [udpUpstream(stub.port)] }), scope)
      const port = yield* portOf("dot").pipe(Effect.provide(ctx))
      const client = yield* connectDot(port, c.caPem)
      client.send(query("slow.test", "A", { id: 13 }))
      yield* Effect.sleep(Duration.millis(100))
      const handler = yield* QueryHandler.pipe(Effect.provide(ctx))
      expect(handler.inFlight()).toBe(1)
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      const [answer] = yield* client.answers(1)
      expect(idOf(answer!)).toBe(13)
      expect(rcodeOf(answer!)).toBe(0)
      expect(decode(answer!).answers?.[0]?.data).toBe("192.0.2.9")
      yield* Fiber.join(closing)
      yield* client.closed
      // no new connection is accepted after shutdown
      const refused = yield* Effect.either(connectDot(port, c.caPem))
      expect(refused._tag).toBe("Left")
    }))

  it.scopedLive("gives up on in-flight queries after SHUTDOWN_TIMEOUT_MS and closes the connection", () =>
    Effect.gen(function*() {
      const c = yield* getCerts
      const stub = yield* StubUpstream.make()
      stub.set("slow.test", "A", [a("slow.test", "192.0.2.9", 300)])
      stub.behave("slow.test", { drop: true })
      const scope = yield* Scope.make()
      const ctx = yield* Layer.buildWithScope(
        serverLayer(c, { upstreams: [udpUpstream(stub.port)], shutdownTimeout: Duration.millis(300) }),
        scope
      )
      const port = yield* portOf("dot").pipe(Effect.provide(ctx))
      const client = yield* connectDot(port, c.caPem)
      client.send(query("slow.test", "A", { id: 14 }))
      yield* Effect.sleep(Duration.millis(100))
      const start = yield* Clock.currentTimeMillis
      yield* Scope.close(scope, Exit.void)
      const took = (yield* Clock.currentTimeMillis) - start
      yield* client.closed
      // the 4 s query deadline was not waited for: 300 ms of drain, then at most the 1 s close grace
      expect(took).toBeGreaterThanOrEqual(290)
      expect(took).toBeLessThan(2500)
      expect(yield* client.answers(1)).toEqual([])
    }))
})
