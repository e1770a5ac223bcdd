/**
 * Upstream faults (issue 7, reliability): the whole server in-process, a stub upstream misbehaving on
 * purpose over each transport (udp, tcp, tls, https), DoT and DoH clients on real TLS sockets.
 *
 * Time is the server's TestClock: a test sends its queries, waits (real time) until the server holds
 * them, then moves the clock to 1 ms before the query deadline (clamp(WORKER_TIMEOUT, 4000, 30000) =
 * 4000 ms here); answers that come now came within the deadline. A fault that can only end at the
 * deadline (an upstream that never answers usably) gets the last millisecond too. No duration is measured.
 *
 * After every test: no query in flight in the QueryHandler, no question waiting in its coalescing map,
 * and the stub holds at most one connection per transport (a broken one is closed, a good one reused).
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Deferred, Duration, Effect, Either, Exit, FiberId, Layer, type Scope, TestClock } from "effect"
import * as http2 from "node:http2"
import * as net from "node:net"
import * as tls from "node:tls"
import { QueryHandler } from "../../src/services/QueryHandler.js"
import { frame, makeFrameReader } from "../../src/services/QueryHandler/Framing.js"
import { TlsServerRegistry } from "../../src/services/TlsServerRegistry.js"
import { parseUpstream, type UpstreamSpec } from "../../src/services/Upstream/Spec.js"
import { mintCerts, type TestCerts } from "../fixtures/Certs.js"
import { a, decode, idOf, query, rcodeOf } from "../fixtures/Dns.js"
import * as StubUpstream from "../fixtures/StubUpstream.js"
import { freePort, portOf, serverLayer } from "../fixtures/TestServer.js"

type Kind = "udp" | "tcp" | "tls" | "https"
const KINDS: ReadonlyArray<Kind> = ["udp", "tcp", "tls", "https"]

const WORKER_TIMEOUT = Duration.millis(1000)
/** clamp(WORKER_TIMEOUT, 4000, 30000) */
const DEADLINE_MS = 4000

const certs: TestCerts = await mintCerts()
/** a certificate from another CA: an upstream showing it fails its TLS handshake */
const strangerCerts: TestCerts = await mintCerts()

const specOf = (url: string): UpstreamSpec => Either.getOrThrow(parseUpstream(url))

const urlOf = (stub: StubUpstream.StubUpstream, kind: Kind): string =>
  ({ udp: stub.udpUrl, tcp: stub.tcpUrl, tls: stub.tlsUrl!, https: stub.httpsUrl! })[kind]

/** Real-time wait (TestClock does not move here) until `check` holds; fails after 10 s. */
const eventually = (check: () => boolean, what: string) =>
  Effect.gen(function*() {
    const limit = performance.now() + 10_000
    while (!check()) {
      if (performance.now() > limit) return yield* Effect.dieMessage(`not reached in 10 s: ${what}`)
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 5)))
    }
  })

// ------------------------------------------------------------------------------------------- clients

/** A DoT client whose answers are matched by message ID. */
const dotClient = (port: number) =>
  Effect.acquireRelease(
    Effect.async<{ socket: tls.TLSSocket; ask: (q: Buffer) => Effect.Effect<Buffer, Error> }, Error>((resume) => {
      const waiting = new Map<number, Deferred.Deferred<Buffer, Error>>()
      const socket = tls.connect({
        host: "127.0.0.1",
        port,
        ca: certs.caPem,
        servername: "localhost",
        ALPNProtocols: ["dot"]
      })
      const reader = makeFrameReader((m) => {
        const d = waiting.get(idOf(m))
        waiting.delete(idOf(m))
        if (d !== undefined) Deferred.unsafeDone(d, Exit.succeed(Buffer.from(m)))
      }, () => socket.destroy())
      socket.on("data", reader.push)
      socket.on("close", () => {
        for (const d of waiting.values()) Deferred.unsafeDone(d, Exit.fail(new Error("DoT connection closed")))
        waiting.clear()
      })
      socket.once("error", (e) => resume(Effect.fail(e)))
      socket.once("secureConnect", () =>
        resume(Effect.succeed({
          socket,
          ask: (q: Buffer) =>
            Effect.suspend(() => {
              const d = Deferred.unsafeMake<Buffer, Error>(FiberId.none)
              waiting.set(idOf(q), d)
              socket.write(frame(q))
              return Deferred.await(d)
            })
        })))
    }),
    (c) => Effect.sync(() => c.socket.destroy())
  )

/** A DoH (HTTP/2) client: POST and GET; resolves with the status and the body. */
const dohClient = (port: number) =>
  Effect.acquireRelease(
    Effect.async<http2.ClientHttp2Session, Error>((resume) => {
      const session = http2.connect(`https://127.0.0.1:${port}`, { ca: certs.caPem, servername: "localhost" })
      session.on("error", (e) => resume(Effect.fail(e)))
      session.once("remoteSettings", () => resume(Effect.succeed(session)))
    }),
    (session) => Effect.sync(() => session.destroy())
  ).pipe(Effect.map((session) => {
    const request = (headers: http2.OutgoingHttpHeaders, body?: Buffer) =>
      Effect.async<{ status: number; body: Buffer }, Error>((resume) => {
        const req = session.request(headers, { endStream: body === undefined })
        const chunks: Array<Buffer> = []
        let status = 0
        req.on("response", (h) => (status = Number(h[":status"])))
        req.on("data", (c: Buffer) => chunks.push(c))
        req.on("error", () => {})
        req.on("close", () =>
          status === 0
            ? resume(Effect.fail(new Error(`DoH stream closed without a response (${req.rstCode})`)))
            : resume(Effect.succeed({ status, body: Buffer.concat(chunks) })))
        if (body !== undefined) req.end(body)
      })
    return {
      post: (q: Buffer) =>
        request({
          ":method": "POST",
          ":path": "/dns-query",
          "content-type": "application/dns-message",
          "content-length": q.length
        }, q),
      get: (q: Buffer) => request({ ":method": "GET", ":path": `/dns-query?dns=${q.toString("base64url")}` })
    }
  }))

// ------------------------------------------------------------------------------------------- the server

interface Setup {
  readonly stub: StubUpstream.StubUpstream
  /** a second, healthy stub (the failover target) */
  readonly good: StubUpstream.StubUpstream
  readonly handler: QueryHandler
  readonly dot: Effect.Effect.Success<ReturnType<typeof dotClient>>
  readonly doh: Effect.Effect.Success<ReturnType<typeof dohClient>>
}

/**
 * The server under TestClock (set to now: the certificate is valid) with `W = 1000 ms`, its upstreams
 * given by `upstreams` (the stub's own certificate is trusted); one DoT and one DoH client connected.
 */
const setup = (
  upstreams: (stub: StubUpstream.StubUpstream, good: StubUpstream.StubUpstream) => ReadonlyArray<string>
): Effect.Effect<Setup, Error, Scope.Scope> =>
  Effect.gen(function*() {
    yield* TestClock.setTime(Date.now())
    const stub = yield* StubUpstream.make({ tls: { certPem: certs.certPem, keyPem: certs.keyPem } })
    const good = yield* StubUpstream.make()
    const healthPort = yield* Effect.promise(freePort)
    const ctx = yield* Layer.build(
      serverLayer(
        certs,
        { healthPort, workerTimeout: WORKER_TIMEOUT, upstreams: upstreams(stub, good).map(specOf) },
        { upstreamCa: certs.caPem }
      )
    )
    const handler = Context.get(ctx, QueryHandler)
    // the graceful shutdown polls on the TestClock, which nobody moves then: let the clients' closes reach
    // the server (real time) before the server closes, and destroy what is left
    const registry = Context.get(ctx, TlsServerRegistry)
    yield* Effect.addFinalizer(() =>
      eventually(() => Effect.runSync(registry.openConnections) === 0, "clients gone").pipe(
        Effect.ignore,
        Effect.zipRight(registry.closeConnections)
      )
    )
    const dot = yield* dotClient(yield* portOf("dot").pipe(Effect.provide(ctx)))
    const doh = yield* dohClient(yield* portOf("doh").pipe(Effect.provide(ctx)))
    return { stub, good, handler, dot, doh }
  })

const ADDRESS = "192.0.2.7"

/** `name` known to both stubs, answered with ADDRESS. */
const known = (s: Setup, name: string) => {
  for (const stub of [s.stub, s.good]) stub.set(name, "A", [a(name, ADDRESS, 300)])
}

type Outcome = "answer" | "servfail"

/**
 * Asks `name` from every client at once (two DoT queries with their own IDs, a DoH POST and a DoH GET:
 * one upstream question, coalesced), moves the clock to 1 ms before the deadline, and (`atDeadline`)
 * to the deadline; every client must then have `outcome`, with its own ID.
 */
const round = (s: Setup, name: string, outcome: Outcome, atDeadline: boolean) =>
  Effect.gen(function*() {
    const before = s.handler.stats().queries
    const answers = yield* Effect.forkDaemon(Effect.all([
      s.dot.ask(query(name, "A", { id: 0x1001 })),
      s.dot.ask(query(name, "A", { id: 0x1002 })),
      s.doh.post(query(name, "A", { id: 0 })).pipe(Effect.map((r) => ({ ...r, via: "post" }))),
      s.doh.get(query(name, "A", { id: 0 })).pipe(Effect.map((r) => ({ ...r, via: "get" })))
    ], { concurrency: "unbounded" }))
    // every query reached the handler, and its question reached an upstream (or was already answered):
    // the deadline timers are armed on the TestClock
    const asked = (stub: StubUpstream.StubUpstream) => stub.queries().some((q) => q.name === name)
    yield* eventually(
      () =>
        s.handler.stats().queries >= before + 4 &&
        (asked(s.stub) || asked(s.good) || answers.unsafePoll() !== null),
      `4 queries for ${name} received and forwarded`
    )
    yield* Effect.promise(() => new Promise((r) => setTimeout(r, 20)))
    yield* TestClock.adjust(Duration.millis(DEADLINE_MS - 1))
    if (atDeadline) yield* TestClock.adjust(Duration.millis(1))
    // a hang (no answer at all with the clock where it is) fails the test instead of stalling it
    yield* eventually(() => answers.unsafePoll() !== null, `every client answered for ${name}`)
    const [dot1, dot2, post, get] = yield* answers.await.pipe(Effect.flatten)
    expect([idOf(dot1), idOf(dot2)]).toEqual([0x1001, 0x1002])
    for (const http of [post, get]) expect(http.status, `DoH ${http.via}`).toBe(200)
    for (const msg of [dot1, dot2, post.body, get.body]) {
      expect(decode(msg).questions?.[0]?.name).toBe(name)
      if (outcome === "servfail") {
        expect(rcodeOf(msg)).toBe(2)
      } else {
        expect(rcodeOf(msg)).toBe(0)
        expect(decode(msg).answers?.map((r) => r.data)).toEqual([ADDRESS])
      }
    }
  })

/** Nothing left behind: no query in flight, no coalesced question pending, at most one stub connection. */
const expectNoLeak = (s: Setup) =>
  Effect.gen(function*() {
    yield* eventually(() => s.handler.inFlight() === 0, "no query in flight")
    expect(s.handler.pendingQuestions()).toBe(0)
    yield* eventually(() => s.stub.openConnections() <= 1, "at most one connection open to the stub")
  })

// ------------------------------------------------------------------------------------------- cases

interface Fault {
  readonly title: string
  readonly kinds: ReadonlyArray<Kind>
  readonly behaviour: StubUpstream.StubBehaviour
  /** what clients get with this upstream alone */
  readonly alone: Outcome
  /** with this upstream alone, whether the outcome can only come at the deadline */
  readonly atDeadline: (kind: Kind) => boolean
}

const FAULTS: ReadonlyArray<Fault> = [
  {
    title: "slow: answers after the deadline",
    kinds: KINDS,
    behaviour: { delayMs: 60_000 },
    alone: "servfail",
    atDeadline: () => true
  },
  {
    // real 30 ms of upstream delay, with the server's clock already 1 ms short of the deadline
    title: "slow: answers just before the deadline",
    kinds: KINDS,
    behaviour: { delayMs: 30 },
    alone: "answer",
    atDeadline: () => false
  },
  {
    title: "answers garbage bytes",
    kinds: KINDS,
    behaviour: { garbage: true },
    alone: "servfail",
    // DoH: a body that is not the answer fails at once; elsewhere garbage is no answer at all
    atDeadline: (k) => k !== "https"
  },
  {
    title: "answers with another message ID",
    kinds: KINDS,
    behaviour: { wrongId: true },
    alone: "servfail",
    atDeadline: (k) => k !== "https"
  },
  {
    title: "closes TCP after the length prefix",
    kinds: ["tcp", "tls"],
    behaviour: { cutTcp: "length" },
    alone: "servfail",
    atDeadline: () => false
  },
  {
    title: "closes TCP after half a message",
    kinds: ["tcp", "tls"],
    behaviour: { cutTcp: "half" },
    alone: "servfail",
    atDeadline: () => false
  },
  {
    title: "DoH answers 500",
    kinds: ["https"],
    behaviour: { httpStatus: 500 },
    alone: "servfail",
    atDeadline: () => false
  },
  {
    title: "DoH answers with another content type",
    kinds: ["https"],
    behaviour: { contentType: "text/html" },
    alone: "servfail",
    atDeadline: () => false
  }
]

const ROUNDS = 3

describe("upstream faults: every client gets SERVFAIL or the answer within the deadline, nothing leaks", () => {
  for (const fault of FAULTS) {
    for (const kind of fault.kinds) {
      it.scoped(`${kind}: ${fault.title} — alone: ${fault.alone}; the transport then recovers`, () =>
        Effect.gen(function*() {
          const s = yield* setup((stub) => [urlOf(stub, kind)])
          for (let i = 0; i < ROUNDS; i++) {
            const name = `fault${i}.test`
            known(s, name)
            s.stub.behave(name, fault.behaviour)
            yield* round(s, name, fault.alone, fault.atDeadline(kind))
          }
          // a healthy question on the same transport is answered (no connection left poisoned)
          known(s, "after.test")
          yield* round(s, "after.test", "answer", false)
          yield* expectNoLeak(s)
          if (fault.alone === "answer" && kind !== "udp") {
            // reused: one connection (or HTTP/2 session) for every query
            const c = s.stub.counts()
            expect(c.tcpConnections + c.tlsConnections + c.httpsSessions).toBe(1)
          }
        }))

      if (fault.alone === "servfail") {
        it.scoped(`${kind}: ${fault.title} — failover: a second upstream answers`, () =>
          Effect.gen(function*() {
            const s = yield* setup((stub, good) => [urlOf(stub, kind), good.udpUrl])
            for (let i = 0; i < ROUNDS; i++) {
              const name = `fault${i}.test`
              known(s, name)
              s.stub.behave(name, fault.behaviour)
              yield* round(s, name, "answer", false)
            }
            yield* expectNoLeak(s)
          }))
      }
    }
  }

  for (const kind of KINDS) {
    it.scoped(`${kind}: down (port closed) — SERVFAIL alone, the second upstream with failover`, () =>
      Effect.gen(function*() {
        const closed = yield* Effect.promise(freePort)
        const url = kind === "https" ? `https://127.0.0.1:${closed}/dns-query` : `${kind}://127.0.0.1:${closed}`
        const alone = yield* setup(() => [url])
        known(alone, "down.test")
        yield* round(alone, "down.test", "servfail", false)
        yield* expectNoLeak(alone)
        const withGood = yield* setup((_, good) => [url, good.udpUrl])
        known(withGood, "down.test")
        yield* round(withGood, "down.test", "answer", false)
        yield* expectNoLeak(withGood)
      }))
  }

  it.scoped("udp: a truncated answer (TC) is asked again over TCP and answered in full", () =>
    Effect.gen(function*() {
      const s = yield* setup((stub) => [stub.udpUrl])
      for (let i = 0; i < ROUNDS; i++) {
        known(s, `tc${i}.test`)
        s.stub.behave(`tc${i}.test`, { truncateUdp: true })
        yield* round(s, `tc${i}.test`, "answer", false)
      }
      const c = s.stub.counts()
      expect([c.udp, c.tcp, c.tcpConnections]).toEqual([ROUNDS, ROUNDS, 1])
      yield* expectNoLeak(s)
    }))

  /** An upstream TLS listener whose handshake fails: a certificate of an unknown CA, or a plain close. */
  const badTls = (how: "stranger" | "close") =>
    Effect.acquireRelease(
      Effect.async<net.Server>((resume) => {
        const server = how === "stranger"
          ? tls.createServer({ cert: strangerCerts.certPem, key: strangerCerts.keyPem, ALPNProtocols: ["dot", "h2"] })
          : net.createServer((socket) => socket.destroy())
        server.on("tlsClientError", () => {})
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) =>
        Effect.async<void>((resume) => {
          server.close(() => resume(Effect.void))
        })
    ).pipe(Effect.map((server) => (server.address() as net.AddressInfo).port))

  for (const how of ["stranger", "close"] as const) {
    for (const kind of ["tls", "https"] as const) {
      it.scoped(`${kind}: the TLS handshake fails (${how === "stranger" ? "unknown CA" : "closed at once"})`, () =>
        Effect.gen(function*() {
          const port = yield* badTls(how)
          const url = kind === "tls" ? `tls://127.0.0.1:${port}` : `https://127.0.0.1:${port}/dns-query`
          const alone = yield* setup(() => [url])
          for (let i = 0; i < ROUNDS; i++) {
            known(alone, `hs${i}.test`)
            yield* round(alone, `hs${i}.test`, "servfail", false)
          }
          yield* expectNoLeak(alone)
          const withGood = yield* setup((_, good) => [url, good.udpUrl])
          known(withGood, "hs.test")
          yield* round(withGood, "hs.test", "answer", false)
          yield* expectNoLeak(withGood)
        }))
    }
  }
})
