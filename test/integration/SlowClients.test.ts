/**
 * Slow clients (issue 7, reliability; SPEC.md §5, §8): with WORKER_TIMEOUT = 1000 ms (handshake timeout
 * max(W/2, 3000) = 3000 ms, idle timeout W), clients that dribble bytes, stop half-way through their TLS
 * handshake, idle after connecting, or send HTTP headers slowly are each cut and counted as timed out in
 * the registry (the counters behind /metrics), while a normal client on another connection keeps being
 * answered. Real time, outcomes only: no duration is asserted.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, Fiber, Layer, Ref } from "effect"
import * as net from "node:net"
import * as tls from "node:tls"
import { TlsServerRegistry } from "../../src/services/TlsServerRegistry.js"
import { mintCerts, type TestCerts } from "../fixtures/Certs.js"
import { a, idOf, query, rcodeOf } from "../fixtures/Dns.js"
import { connectDot } from "../fixtures/DotClient.js"
import * as StubUpstream from "../fixtures/StubUpstream.js"
import { portOf, serverLayer, udpUpstream } from "../fixtures/TestServer.js"

const certs: TestCerts = await mintCerts()

const sleep = (ms: number) => Effect.promise(() => new Promise((r) => setTimeout(r, ms)))

/** A real ClientHello (captured from node:tls talking to a plain TCP server that never answers). */
const clientHello: Buffer = await new Promise((resolve) => {
  const server = net.createServer((socket) => {
    socket.once("data", (d: Buffer) => {
      resolve(d)
      socket.destroy()
      server.close()
    })
  })
  server.listen(0, "127.0.0.1", () => {
    const port = (server.address() as net.AddressInfo).port
    tls.connect({ host: "127.0.0.1", port, servername: "localhost", ALPNProtocols: ["dot"] }).on("error", () => {})
  })
})

const setup = Effect.gen(function*() {
  const stub = yield* StubUpstream.make()
  stub.set("normal.test", "A", [a("normal.test", "192.0.2.1", 0)])
  const ctx = yield* Layer.build(
    serverLayer(certs, { upstreams: [udpUpstream(stub.port)], workerTimeout: Duration.millis(1000) })
  )
  const registry = Context.get(ctx, TlsServerRegistry)
  const dot = yield* portOf("dot").pipe(Effect.provide(ctx))
  const doh = yield* portOf("doh").pipe(Effect.provide(ctx))
  /** timed-out counter of a listener */
  const timedOut = (kind: string) =>
    Effect.map(registry.servers, (servers) => servers.find((s) => s.kind === kind)!.counters.timedOut)
  return { dot, doh, timedOut }
})

/**
 * A normal DoT client on its own connection asking every 100 ms (TTL 0: every query goes upstream) until
 * interrupted; the fiber's result is [asked, answered NOERROR with the right ID].
 */
const normalClient = (port: number) =>
  Effect.gen(function*() {
    const client = yield* connectDot(port, certs.caPem)
    const counts = yield* Ref.make<[number, number]>([0, 0])
    const loop = Effect.gen(function*() {
      for (let id = 1;; id++) {
        client.send(query("normal.test", "A", { id }))
        const got = yield* client.answers(id)
        const last = got[id - 1]
        const good = last !== undefined && idOf(last) === id && rcodeOf(last) === 0
        yield* Ref.update(counts, ([n, ok]): [number, number] => [n + 1, ok + (good ? 1 : 0)])
        yield* sleep(100)
      }
    })
    const fiber = yield* Effect.forkScoped(loop)
    return {
      stop: Effect.zipRight(Fiber.interrupt(fiber), Ref.get(counts))
    }
  })

/** A raw TCP connection; resolves once the server has closed it, with whatever it sent before. */
const rawConnection = (port: number, onConnect: (socket: net.Socket) => void) =>
  Effect.async<{ readonly received: Buffer }>((resume) => {
    const socket = net.connect(port, "127.0.0.1")
    const chunks: Array<Buffer> = []
    socket.on("data", (d: Buffer) => chunks.push(d))
    socket.on("error", () => {})
    socket.on("connect", () => onConnect(socket))
    socket.on("close", () => resume(Effect.succeed({ received: Buffer.concat(chunks) })))
    return Effect.sync(() => socket.destroy())
  })

/** Writes `bytes` one at a time, `everyMs` apart, until done or the socket closes. */
const dribble = (socket: net.Socket, bytes: Buffer, everyMs: number) => {
  let i = 0
  const timer = setInterval(() => {
    if (i >= bytes.length || socket.destroyed) return clearInterval(timer)
    socket.write(bytes.subarray(i, ++i))
  }, everyMs)
  socket.once("close", () => clearInterval(timer))
}

/** Runs `slow` beside a normal client; the normal client must have been answered every time. */
const withNormalClient = <A, E>(dotPort: number, slow: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const normal = yield* normalClient(dotPort)
    const result = yield* slow
    const [asked, answered] = yield* normal.stop
    expect(asked).toBeGreaterThan(0)
    expect(answered).toBe(asked)
    return result
  })

describe("slow clients are cut at their timeout and counted; a normal client is answered throughout", () => {
  it.scopedLive("DoT: a ClientHello sent one byte a second is cut at the handshake timeout", () =>
    Effect.gen(function*() {
      const s = yield* setup
      const before = yield* s.timedOut("dot")
      const { received } = yield* withNormalClient(
        s.dot,
        rawConnection(s.dot, (socket) => dribble(socket, clientHello, 1000))
      )
      expect(received.length).toBe(0) // the ClientHello was never complete: no ServerHello
      expect(yield* s.timedOut("dot")).toBe(before + 1)
    }))

  it.scopedLive("DoT: a half-finished TLS handshake (ClientHello, then silence) is cut at the handshake timeout", () =>
    Effect.gen(function*() {
      const s = yield* setup
      const before = yield* s.timedOut("dot")
      const { received } = yield* withNormalClient(s.dot, rawConnection(s.dot, (socket) => socket.write(clientHello)))
      expect(received[0]).toBe(0x16) // the server did answer with its handshake records
      expect(yield* s.timedOut("dot")).toBe(before + 1)
    }))

  it.scopedLive("DoT: a TCP connection that never starts TLS is cut at the handshake timeout", () =>
    Effect.gen(function*() {
      const s = yield* setup
      const before = yield* s.timedOut("dot")
      yield* withNormalClient(s.dot, rawConnection(s.dot, () => {}))
      expect(yield* s.timedOut("dot")).toBe(before + 1)
    }))

  it.scopedLive("DoT: a client idle after its handshake is cut at the idle timeout", () =>
    Effect.gen(function*() {
      const s = yield* setup
      const before = yield* s.timedOut("dot")
      yield* withNormalClient(
        s.dot,
        Effect.scoped(Effect.flatMap(connectDot(s.dot, certs.caPem), (idle) => idle.closed))
      )
      expect(yield* s.timedOut("dot")).toBe(before + 1)
    }))

  it.scopedLive("DoT: a query sent a byte every 400 ms (the idle timer never fires) is cut, unanswered", () =>
    Effect.gen(function*() {
      const s = yield* setup
      const before = yield* s.timedOut("dot")
      const answers = yield* withNormalClient(
        s.dot,
        Effect.scoped(Effect.gen(function*() {
          const slow = yield* connectDot(s.dot, certs.caPem)
          const q = query("normal.test", "A", { id: 99 })
          dribble(slow.socket, Buffer.concat([Buffer.from([q.length >> 8, q.length & 255]), q]), 400)
          yield* slow.closed
          return yield* slow.answers(1)
        }))
      )
      expect(answers).toEqual([])
      expect(yield* s.timedOut("dot")).toBe(before + 1)
    }))

  it.scopedLive("DoH HTTP/1.1: headers sent a byte every 200 ms are cut at the headers timeout (408)", () =>
    Effect.gen(function*() {
      const s = yield* setup
      const before = yield* s.timedOut("doh")
      const received = yield* withNormalClient(
        s.dot,
        Effect.async<string>((resume) => {
          const socket = tls.connect({
            host: "127.0.0.1",
            port: s.doh,
            ca: certs.caPem,
            servername: "localhost",
            ALPNProtocols: ["http/1.1"]
          })
          let text = ""
          socket.on("data", (d: Buffer) => (text += d.toString("latin1")))
          socket.on("error", () => {})
          socket.on("secureConnect", () =>
            dribble(
              socket,
              Buffer.from(
                `GET /dns-query?dns=${query("normal.test").toString("base64url")} HTTP/1.1\r\n` +
                  "host: localhost\r\naccept: application/dns-message\r\nx-padding: " + "p".repeat(64) + "\r\n\r\n"
              ),
              200
            ))
          socket.on("close", () => resume(Effect.succeed(text)))
          return Effect.sync(() => socket.destroy())
        })
      )
      expect(received).toMatch(/^HTTP\/1\.1 408 /)
      expect(yield* s.timedOut("doh")).toBe(before + 1)
    }))
})
