import type * as dnsPacket from "@dnsquery/dns-packet"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit, Fiber, HashMap, Layer, Logger, LogLevel, Option, Schedule, Scope } from "effect"
import * as dgram from "node:dgram"
import * as net from "node:net"
import { ServerConfig } from "../../src/services/ServerConfig.js"
import {
  makeFromSpecs,
  makeTransport,
  Upstream,
  UpstreamError,
  UpstreamLive,
  type UpstreamOptions,
  type UpstreamShape
} from "../../src/services/Upstream.js"
import { parseUpstream, type UpstreamSpec } from "../../src/services/Upstream/Spec.js"
import { mintCerts } from "../fixtures/Certs.js"
import { a, decode, query } from "../fixtures/Dns.js"
import { collected } from "../fixtures/Gc.js"
import * as Stub from "../fixtures/StubUpstream.js"

const certs = mintCerts()

const spec = (url: string | undefined): UpstreamSpec => Either.getOrThrow(parseUpstream(url ?? "missing"))

/** A stub with DoT and DoH, `example.test` A 192.0.2.1 (TTL 300) and `example.test` AAAA. */
const stubWith = (options: Omit<Stub.StubOptions, "tls"> = {}) =>
  Effect.gen(function*() {
    const c = yield* Effect.promise(() => certs)
    const stub = yield* Stub.make({ ...options, tls: { certPem: c.certPem, keyPem: c.keyPem } })
    stub.set("example.test", "A", [a("example.test", "192.0.2.1", 300)])
    stub.set("example.test", "AAAA", [{
      type: "AAAA",
      name: "example.test",
      ttl: 120,
      class: "IN",
      data: "2001:db8::1"
    }])
    return { stub, ca: c.caPem }
  })

const urlOf = (stub: Stub.StubUpstream, transport: Stub.StubTransport): string | undefined => {
  switch (transport) {
    case "udp":
      return stub.udpUrl
    case "tcp":
      return stub.tcpUrl
    case "tls":
      return stub.tlsUrl
    case "https":
      return stub.httpsUrl
  }
}

/** Waits (up to 10 s) until `check` holds. */
const eventually = (check: () => boolean) =>
  Effect.sync(check).pipe(
    Effect.repeat({ until: (ok) => ok, schedule: Schedule.spaced("10 millis") }),
    Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error("condition not met in 10 s") }),
    Effect.orDie
  )

/** `upstream.tryExchange` as an Effect: whether it started, and what its `done` got. */
const plainExchange = (upstream: UpstreamShape, msg: Uint8Array) =>
  Effect.async<{ readonly started: boolean; readonly result?: Uint8Array | UpstreamError }>((resume) => {
    const cancel = upstream.tryExchange!(msg, (result) => resume(Effect.succeed({ started: true, result })))
    if (cancel === undefined) resume(Effect.succeed({ started: false }))
  })

/** A 127.0.0.1 port where nothing listens (TCP and UDP both refused). */
const closedPort = Effect.async<number>((resume) => {
  const socket = dgram.createSocket("udp4")
  socket.bind(0, "127.0.0.1", () => {
    const port = socket.address().port
    socket.close(() => resume(Effect.succeed(port)))
  })
})

const closedTcpPort = Effect.async<number>((resume) => {
  const server = net.createServer()
  server.listen(0, "127.0.0.1", () => {
    const port = (server.address() as net.AddressInfo).port
    server.close(() => resume(Effect.succeed(port)))
  })
})

const addressesOf = (answer: Uint8Array) => (decode(answer).answers ?? []).map((r) => r.data)

const transports = ["udp", "tcp", "tls", "https"] as const

describe("Upstream transports", () => {
  for (const transport of transports) {
    it.scopedLive(`${transport}: answers through the stub, with the records and question as sent`, () =>
      Effect.gen(function*() {
        const { ca, stub } = yield* stubWith()
        const upstream = yield* makeTransport(spec(urlOf(stub, transport)), { ca })

        const answer = decode(yield* upstream.query(query("Example.TEST", "A", { id: 0x4242 })))
        expect(answer.type).toBe("response")
        expect(answer.rcode).toBe("NOERROR")
        expect(answer.questions).toEqual([{ name: "Example.TEST", type: "A", class: "IN" }])
        expect(answer.answers).toEqual([
          { name: "example.test", type: "A", class: "IN", ttl: 300, flush: false, data: "192.0.2.1" }
        ])

        const aaaa = decode(yield* upstream.query(query("example.test", "AAAA")))
        expect(aaaa.answers?.map((r) => [r.type, r.ttl, r.data])).toEqual([["AAAA", 120, "2001:db8::1"]])

        const nx = decode(yield* upstream.query(query("missing.test", "A")))
        expect(nx.rcode).toBe("NXDOMAIN")
        expect(nx.answers).toEqual([])
        expect(nx.authorities?.map((r) => [r.type, r.name])).toEqual([["SOA", "test"]])

        const counts = stub.counts()
        expect(counts[transport]).toBe(3)
        expect(transports.filter((t) => t !== transport).map((t) => counts[t])).toEqual([0, 0, 0])
        if (transport === "https") {
          // RFC 8484 §4.1: message ID 0 on the wire
          expect(stub.queries().map((q) => q.id)).toEqual([0, 0, 0])
        }
      }))
  }

  it.scopedLive("udp: a truncated answer is asked again over TCP to the same host and port", () =>
    Effect.gen(function*() {
      const { stub } = yield* stubWith({ truncateUdp: true })
      const upstream = yield* makeTransport(spec(stub.udpUrl))
      const answer = yield* upstream.query(query("example.test", "A"))
      expect(answer[2]! & 0x02).toBe(0)
      expect(addressesOf(answer)).toEqual(["192.0.2.1"])
      expect(stub.counts()).toMatchObject({ udp: 1, tcp: 1, tcpConnections: 1 })
    }))

  it.scopedLive("udp plain-code exchange: only once the socket is open; answers, TCP on truncation, and cancel", () =>
    Effect.gen(function*() {
      const { stub } = yield* stubWith()
      stub.set("tc.test", "A", [a("tc.test", "192.0.2.9", 60)])
      stub.behave("tc.test", { truncateUdp: true })
      stub.set("slow.test", "A", [a("slow.test", "192.0.2.7", 60)])
      stub.behave("slow.test", { delayMs: 200 })
      const upstream = yield* makeTransport(spec(stub.udpUrl))
      const exchange = (msg: Uint8Array) => plainExchange(upstream, msg)
      // no socket yet: the caller must use `query` (which opens it)
      expect(yield* exchange(query("example.test", "A"))).toEqual({ started: false })
      expect(addressesOf(yield* upstream.query(query("example.test", "A")))).toEqual(["192.0.2.1"])
      const plain = yield* exchange(query("example.test", "A", { id: 0x4242 }))
      expect(plain.started).toBe(true)
      expect(addressesOf(plain.result as Uint8Array)).toEqual(["192.0.2.1"])
      // a truncated answer is asked again over TCP
      const tc = yield* exchange(query("tc.test", "A"))
      expect((tc.result as Uint8Array)[2]! & 0x02).toBe(0)
      expect(addressesOf(tc.result as Uint8Array)).toEqual(["192.0.2.9"])
      expect(stub.counts()).toMatchObject({ tcp: 1 })
      // cancelled before the (slow) answer: `done` is never called, nothing is left waiting
      let called = false
      const cancel = upstream.tryExchange!(query("slow.test", "A"), () => (called = true))
      expect(cancel).toBeDefined()
      cancel!()
      yield* eventually(() => stub.queries().some((q) => q.name === "slow.test"))
      yield* Effect.sleep("400 millis")
      expect(called).toBe(false)
      // a message it cannot use goes to `query`
      expect(upstream.tryExchange!(new Uint8Array(5), () => {})).toBeUndefined()
    }))

  for (const transport of ["tcp", "tls", "https"] as const) {
    it.scopedLive(
      `${transport} plain-code exchange: only once connected; answers; retried once on a new connection when ` +
        "the connection closes under it; cancel",
      () =>
        Effect.gen(function*() {
          const { ca, stub } = yield* stubWith()
          stub.set("slow.test", "A", [a("slow.test", "192.0.2.7", 60)])
          stub.behave("slow.test", { delayMs: 300 })
          const upstream = yield* makeTransport(spec(urlOf(stub, transport)), { ca })
          const made = () =>
            stub.counts()[
              transport === "tcp"
                ? "tcpConnections"
                : transport === "tls"
                ? "tlsConnections"
                : "httpsSessions"
            ]
          // not connected yet: the caller must use `query` (which connects)
          expect(yield* plainExchange(upstream, query("example.test", "A"))).toEqual({ started: false })
          expect(addressesOf(yield* upstream.query(query("example.test", "A")))).toEqual(["192.0.2.1"])
          const plain = yield* plainExchange(upstream, query("example.test", "A", { id: 0x4242 }))
          expect(plain.started).toBe(true)
          expect(addressesOf(plain.result as Uint8Array)).toEqual(["192.0.2.1"])
          expect(made()).toBe(1)

          // the upstream closes the connection while the answer is pending: asked once more on a new one
          const slow = yield* Effect.fork(plainExchange(upstream, query("slow.test", "A")))
          yield* eventually(() => stub.queries().filter((q) => q.name === "slow.test").length === 1)
          stub.closeConnections({ abrupt: true })
          const retried = yield* Fiber.join(slow)
          expect(addressesOf(retried.result as Uint8Array)).toEqual(["192.0.2.7"])
          expect(stub.queries().filter((q) => q.name === "slow.test")).toHaveLength(2)
          expect(made()).toBe(2)

          // cancelled before the (slow) answer: `done` is never called
          let called = false
          const cancel = upstream.tryExchange!(query("slow.test", "A"), () => (called = true))
          expect(cancel).toBeDefined()
          cancel!()
          yield* Effect.sleep("500 millis")
          expect(called).toBe(false)
          // a message it cannot use goes to `query`
          expect(upstream.tryExchange!(new Uint8Array(5), () => {})).toBeUndefined()
        })
    )
  }

  it.scopedLive("makeFromSpecs opens a udp upstream's socket at once: the first query already takes the plain path", () =>
    Effect.gen(function*() {
      const { stub } = yield* stubWith()
      const upstream = yield* makeFromSpecs([spec(stub.udpUrl)])
      // nothing asked yet: the socket opens in the background, and then the plain exchange can start
      let answer: Uint8Array | UpstreamError | undefined
      yield* eventually(() => upstream.tryExchange!(query("example.test", "A"), (r) => (answer = r)) !== undefined)
      yield* eventually(() => answer !== undefined)
      expect(addressesOf(answer as Uint8Array)).toEqual(["192.0.2.1"])
      expect(stub.counts()).toMatchObject({ udp: 1, tcp: 0 })
    }))

  it.scopedLive("udp: an answer bigger than 512 / 1232 bytes is accepted as it is", () =>
    Effect.gen(function*() {
      const { stub } = yield* stubWith()
      const records = Array.from({ length: 300 }, (_, i) => a("big.test", `198.51.${i >> 8}.${i & 0xff}`, 60))
      stub.set("big.test", "A", records)
      const upstream = yield* makeTransport(spec(stub.udpUrl))
      const answer = yield* upstream.query(query("big.test", "A", { edns: true }))
      expect(answer.length).toBeGreaterThan(4000)
      expect(addressesOf(answer)).toEqual(records.map((r) => r.data))
      expect(stub.counts()).toMatchObject({ udp: 1, tcp: 0 })
    }))

  it.scopedLive("udp: 200 queries in flight at once carry 200 different message IDs", () =>
    Effect.gen(function*() {
      const { stub } = yield* stubWith()
      for (let i = 0; i < 200; i++) {
        stub.set(`n${i}.test`, "A", [a(`n${i}.test`, `192.0.2.${i}`, 60)])
        stub.behave(`n${i}.test`, { delayMs: 300 })
      }
      const upstream = yield* makeTransport(spec(stub.udpUrl))
      const answers = yield* Effect.forEach(
        Array.from({ length: 200 }, (_, i) => i),
        (i) => Effect.map(upstream.query(query(`n${i}.test`, "A", { id: 7 })), (ans) => [i, ans] as const),
        { concurrency: "unbounded" }
      )
      for (const [i, answer] of answers) expect(addressesOf(answer)).toEqual([`192.0.2.${i}`])
      expect(new Set(stub.queries().map((q) => q.id)).size).toBe(200)
    }))

  for (const transport of ["tcp", "tls"] as const) {
    for (const splitTcpWrites of [false, true]) {
      it.scopedLive(
        `${transport}: 200 concurrent queries pipelined over one connection, answers out of order` +
          (splitTcpWrites ? ", each answer split over several reads" : ", several answers per read"),
        () =>
          Effect.gen(function*() {
            const { ca, stub } = yield* stubWith({ splitTcpWrites })
            for (let i = 0; i < 200; i++) {
              stub.set(`n${i}.test`, "A", [a(`n${i}.test`, `192.0.2.${i}`, 60)])
              // every third answer comes late, so answers go back in another order than the queries
              if (i % 3 === 0) stub.behave(`n${i}.test`, { delayMs: 50 + (i % 7) * 10 })
            }
            const upstream = yield* makeTransport(spec(urlOf(stub, transport)), { ca })
            const answers = yield* Effect.forEach(
              Array.from({ length: 200 }, (_, i) => i),
              (i) => Effect.map(upstream.query(query(`n${i}.test`, "A")), (ans) => [i, ans] as const),
              { concurrency: "unbounded" }
            )
            for (const [i, answer] of answers) {
              expect(decode(answer).questions?.[0]?.name).toBe(`n${i}.test`)
              expect(addressesOf(answer)).toEqual([`192.0.2.${i}`])
            }
            const counts = stub.counts()
            expect(counts[transport]).toBe(200)
            expect(transport === "tcp" ? counts.tcpConnections : counts.tlsConnections).toBe(1)
            expect(new Set(stub.queries().map((q) => q.id)).size).toBe(200)
          })
      )
    }
  }

  it.scopedLive("https: one HTTP/2 session carries many concurrent and sequential queries", () =>
    Effect.gen(function*() {
      const { ca, stub } = yield* stubWith()
      const upstream = yield* makeTransport(spec(stub.httpsUrl), { ca })
      const concurrent = yield* Effect.forEach(
        Array.from({ length: 50 }, () => query("example.test", "A")),
        (q) => upstream.query(q),
        { concurrency: "unbounded" }
      )
      for (const answer of concurrent) expect(addressesOf(answer)).toEqual(["192.0.2.1"])
      for (let i = 0; i < 10; i++) {
        expect(addressesOf(yield* upstream.query(query("example.test", "A")))).toEqual(["192.0.2.1"])
      }
      expect(stub.counts()).toMatchObject({ https: 60, httpsSessions: 1 })
    }))

  for (const transport of ["tcp", "tls", "https"] as const) {
    it.scopedLive(`${transport}: a connection closed by the server is made again for the next query`, () =>
      Effect.gen(function*() {
        const { ca, stub } = yield* stubWith()
        const upstream = yield* makeTransport(spec(urlOf(stub, transport)), { ca })
        expect(addressesOf(yield* upstream.query(query("example.test", "A")))).toEqual(["192.0.2.1"])
        stub.closeConnections()
        expect(addressesOf(yield* upstream.query(query("example.test", "A")))).toEqual(["192.0.2.1"])
        const counts = stub.counts()
        const made = transport === "tcp"
          ? counts.tcpConnections
          : transport === "tls"
          ? counts.tlsConnections
          : counts.httpsSessions
        expect(made).toBe(2)
      }))
  }

  for (const transport of ["tcp", "tls", "https"] as const) {
    it.scopedLive(`${transport}: a connection torn down under a pending query: asked once more on a new one`, () =>
      Effect.gen(function*() {
        const { ca, stub } = yield* stubWith()
        stub.set("slow.test", "A", [a("slow.test", "192.0.2.7", 60)])
        stub.behave("slow.test", { delayMs: 300 })
        const upstream = yield* makeTransport(spec(urlOf(stub, transport)), { ca })
        const pending = yield* Effect.fork(upstream.query(query("slow.test", "A")))
        yield* eventually(() => stub.queries().filter((q) => q.name === "slow.test").length === 1)
        stub.closeConnections({ abrupt: true })
        expect(addressesOf(yield* Fiber.join(pending))).toEqual(["192.0.2.7"])
        expect(stub.queries().filter((q) => q.name === "slow.test")).toHaveLength(2)
      }))
  }

  it.scopedLive("tls and https verify the certificate: unknown CA or wrong name is a Connect failure", () =>
    Effect.gen(function*() {
      const { ca, stub } = yield* stubWith()
      const untrusted = yield* Effect.flip((yield* makeTransport(spec(stub.tlsUrl))).query(query("example.test")))
      expect(untrusted.reason).toBe("Connect")
      const untrustedDoh = yield* Effect.flip((yield* makeTransport(spec(stub.httpsUrl))).query(query("example.test")))
      expect(untrustedDoh.reason).toBe("Connect")
      const wrongName = yield* Effect.flip(
        (yield* makeTransport(spec(`${stub.tlsUrl}#dns.elsewhere.example`), { ca })).query(query("example.test"))
      )
      expect(wrongName).toMatchObject({ reason: "Connect", detail: "ERR_TLS_CERT_ALTNAME_INVALID" })
      // the SNI the certificate does carry
      const named = yield* makeTransport(spec(`${stub.tlsUrl}#localhost`), { ca })
      expect(addressesOf(yield* named.query(query("example.test")))).toEqual(["192.0.2.1"])
      expect(stub.counts().tls).toBe(1)
    }))

  it.scopedLive("answers with a wrong ID are ignored (no answer rather than a wrong one)", () =>
    Effect.gen(function*() {
      const { ca, stub } = yield* stubWith()
      stub.behave("example.test", { wrongId: true })
      for (const transport of ["udp", "tcp", "tls"] as const) {
        const upstream = yield* makeTransport(spec(urlOf(stub, transport)), { ca })
        const result = yield* upstream.query(query("example.test", "A")).pipe(Effect.timeoutOption("400 millis"))
        expect(result).toEqual(Option.none())
        expect(stub.counts()[transport]).toBe(1)
      }
      // over DoH the answer to a request is that request's: a wrong ID fails it at once
      const doh = yield* makeTransport(spec(stub.httpsUrl), { ca })
      expect(yield* Effect.flip(doh.query(query("example.test", "A")))).toMatchObject({ reason: "BadAnswer" })
    }))

  it.scopedLive("answers to another question: ignored over UDP, a BadAnswer over TCP", () =>
    Effect.gen(function*() {
      const { stub } = yield* stubWith()
      stub.behave("example.test", { wrongQuestion: true })
      const udp = yield* makeTransport(spec(stub.udpUrl))
      expect(yield* udp.query(query("example.test", "A")).pipe(Effect.timeoutOption("400 millis"))).toEqual(
        Option.none()
      )
      const tcp = yield* makeTransport(spec(stub.tcpUrl))
      expect(yield* Effect.flip(tcp.query(query("example.test", "A")))).toMatchObject({ reason: "BadAnswer" })
    }))

  it.scopedLive("https: a status other than 200 or another content type is an Http failure", () =>
    Effect.gen(function*() {
      const { ca, stub } = yield* stubWith()
      const upstream = yield* makeTransport(spec(stub.httpsUrl), { ca })
      stub.behave("example.test", { httpStatus: 502 })
      expect(yield* Effect.flip(upstream.query(query("example.test", "A")))).toMatchObject({
        reason: "Http",
        detail: "status 502"
      })
      stub.behave("example.test", { contentType: "text/html" })
      expect(yield* Effect.flip(upstream.query(query("example.test", "A")))).toMatchObject({
        reason: "Http",
        detail: "content-type text/html"
      })
      stub.behave("example.test", {})
      expect(addressesOf(yield* upstream.query(query("example.test", "A")))).toEqual(["192.0.2.1"])
      expect(stub.counts().httpsSessions).toBe(1)
    }))

  it.scopedLive("a refused connect fails at once with Connect (udp, tcp, tls, https)", () =>
    Effect.gen(function*() {
      const udpPort = yield* closedPort
      const tcpPort = yield* closedTcpPort
      for (
        const url of [
          `udp://127.0.0.1:${udpPort}`,
          `tcp://127.0.0.1:${tcpPort}`,
          `tls://127.0.0.1:${tcpPort}`,
          `https://127.0.0.1:${tcpPort}/dns-query`
        ]
      ) {
        const upstream = yield* makeTransport(spec(url))
        const error = yield* Effect.flip(upstream.query(query("example.test")).pipe(Effect.timeout("5 seconds")))
        expect(error).toBeInstanceOf(UpstreamError)
        expect(error).toMatchObject({ reason: "Connect", upstream: url, detail: "ECONNREFUSED" })
      }
    }))

  for (const transport of transports) {
    it.scopedLive(`${transport}: an interrupted query is abandoned cleanly and the transport goes on`, () =>
      Effect.gen(function*() {
        const { ca, stub } = yield* stubWith()
        stub.set("slow.test", "A", [a("slow.test", "192.0.2.9", 60)])
        stub.behave("slow.test", { delayMs: 300 })
        const upstream = yield* makeTransport(spec(urlOf(stub, transport)), { ca })
        const fiber = yield* Effect.fork(upstream.query(query("slow.test", "A")))
        yield* eventually(() => stub.counts()[transport] === 1)
        const exit = yield* Fiber.interrupt(fiber)
        expect(Exit.isInterrupted(exit)).toBe(true)
        if (transport === "https") yield* eventually(() => stub.counts().httpsCancelled === 1)
        // the late answer to the abandoned query (300 ms) is dropped; the next queries are answered
        const again = yield* Effect.forEach(
          ["slow.test", "example.test"],
          (name) => upstream.query(query(name, "A")),
          { concurrency: "unbounded" }
        )
        expect(again.map(addressesOf)).toEqual([["192.0.2.9"], ["192.0.2.1"]])
        expect(stub.counts()[transport]).toBe(3)
      }))
  }

  it.scopedLive("closing the scope closes the transport's connections and sessions", () =>
    Effect.gen(function*() {
      const { ca, stub } = yield* stubWith()
      const scope = yield* Scope.make()
      const options: UpstreamOptions = { ca }
      const all = yield* Effect.forEach(
        [stub.udpUrl, stub.tcpUrl, stub.tlsUrl, stub.httpsUrl],
        (url) => makeTransport(spec(url), options)
      ).pipe(Scope.extend(scope))
      for (const upstream of all) {
        expect(addressesOf(yield* upstream.query(query("example.test")))).toEqual(["192.0.2.1"])
      }
      expect(stub.openConnections()).toBe(3)
      // a query still waiting when the scope closes ends, it does not hang
      stub.behave("example.test", { drop: true })
      const waiting = yield* Effect.fork(all[1]!.query(query("example.test")))
      yield* eventually(() => stub.counts().tcp === 2)
      yield* Scope.close(scope, Exit.void)
      yield* eventually(() => stub.openConnections() === 0)
      const exit = yield* Fiber.await(waiting)
      expect(Exit.isFailure(exit)).toBe(true)
      const after = yield* Effect.flip(all[1]!.query(query("example.test")))
      expect(after).toMatchObject({ reason: "Closed" })
    }))
})

describe("Upstream failover", () => {
  const records: ReadonlyArray<dnsPacket.Answer> = [a("example.test", "192.0.2.1", 300)]

  it.scopedLive("a refused first upstream: the second answers", () =>
    Effect.gen(function*() {
      const { stub } = yield* stubWith()
      const refused = `udp://127.0.0.1:${yield* closedPort}`
      const upstream = yield* makeFromSpecs([spec(refused), spec(stub.udpUrl)])
      const logs: Array<{ level: string; message: unknown; service: unknown; upstream: unknown }> = []
      const collect = Logger.replace(
        Logger.defaultLogger,
        Logger.make(({ annotations, logLevel, message }) => {
          logs.push({
            level: logLevel.label,
            message,
            service: Option.getOrUndefined(HashMap.get(annotations, "service")),
            upstream: Option.getOrUndefined(HashMap.get(annotations, "upstream"))
          })
        })
      )
      const answer = yield* upstream.query(query("example.test")).pipe(
        Effect.provide(collect),
        Logger.withMinimumLogLevel(LogLevel.Debug)
      )
      expect(addressesOf(answer)).toEqual(["192.0.2.1"])
      expect(stub.counts().udp).toBe(1)
      expect(logs).toEqual([{
        level: "DEBUG",
        message: ["upstream failed; trying the next"],
        service: "Upstream",
        upstream: refused
      }])
    }))

  it.scopedLive("a silent first upstream: the second answers, and is asked first from then on", () =>
    Effect.gen(function*() {
      const first = (yield* stubWith()).stub
      const second = (yield* stubWith()).stub
      first.behave("example.test", { drop: true })
      second.set("example.test", "A", records)
      // per attempt: max(1000, 2000 / 2) = 1000 ms for the first; the last one is the caller's to bound
      const upstream = yield* makeFromSpecs([spec(first.udpUrl), spec(second.tcpUrl)], { queryDeadlineMs: 2000 })
      expect(addressesOf(yield* upstream.query(query("example.test")))).toEqual(["192.0.2.1"])
      expect(addressesOf(yield* upstream.query(query("example.test")))).toEqual(["192.0.2.1"])
      expect(first.counts().udp).toBe(1)
      expect(second.counts().tcp).toBe(2)
    }))

  it.scopedLive("every upstream failing: the last error", () =>
    Effect.gen(function*() {
      const one = `tcp://127.0.0.1:${yield* closedTcpPort}`
      const two = `udp://127.0.0.1:${yield* closedPort}`
      const upstream = yield* makeFromSpecs([spec(one), spec(two)])
      const error = yield* Effect.flip(upstream.query(query("example.test")))
      expect(error).toBeInstanceOf(UpstreamError)
      expect(error).toMatchObject({ upstream: two, reason: "Connect" })
    }))

  it.scopedLive("the last upstream's attempt is not cut short by the per-attempt bound", () =>
    Effect.gen(function*() {
      const { stub } = yield* stubWith()
      stub.behave("example.test", { delayMs: 1500 })
      const refused = `tcp://127.0.0.1:${yield* closedTcpPort}`
      // per attempt 1000 ms, but the answer of the last upstream after 1500 ms is still taken
      const upstream = yield* makeFromSpecs([spec(refused), spec(stub.udpUrl)], { queryDeadlineMs: 1000 })
      expect(addressesOf(yield* upstream.query(query("example.test")))).toEqual(["192.0.2.1"])
    }))

  /** `plainExchange` once the transports' sockets are open (they open in the background) */
  const plainOnceOpen = (upstream: UpstreamShape, msg: Uint8Array) =>
    Effect.gen(function*() {
      for (let i = 0; i < 1000; i++) {
        const r = yield* plainExchange(upstream, msg)
        if (r.started) return r
        yield* Effect.sleep("10 millis")
      }
      return yield* Effect.dieMessage("the plain-code exchange never started")
    })

  it.scopedLive("plain-code failover: a silent first upstream is cut at the per-attempt bound, the second answers and is asked first from then on", () =>
    Effect.gen(function*() {
      const first = (yield* stubWith()).stub
      const second = (yield* stubWith()).stub
      first.behave("example.test", { drop: true })
      second.set("example.test", "A", records)
      const upstream = yield* makeFromSpecs([spec(first.udpUrl), spec(second.udpUrl)], { queryDeadlineMs: 2000 })
      const one = yield* plainOnceOpen(upstream, query("example.test"))
      expect(addressesOf(one.result as Uint8Array)).toEqual(["192.0.2.1"])
      const two = yield* plainOnceOpen(upstream, query("example.test"))
      expect(addressesOf(two.result as Uint8Array)).toEqual(["192.0.2.1"])
      expect(first.counts().udp).toBe(1)
      expect(second.counts().udp).toBe(2)
    }))

  it.scopedLive("plain-code failover: the next upstream not connected yet is asked with its query (which connects)", () =>
    Effect.gen(function*() {
      const { stub } = yield* stubWith()
      const refused = `udp://127.0.0.1:${yield* closedPort}`
      const upstream = yield* makeFromSpecs([spec(refused), spec(stub.tcpUrl)], { queryDeadlineMs: 2000 })
      const answer = yield* plainOnceOpen(upstream, query("example.test"))
      expect(addressesOf(answer.result as Uint8Array)).toEqual(["192.0.2.1"])
      expect(stub.counts()).toMatchObject({ tcp: 1, tcpConnections: 1 })
      // every upstream failing: the last one's error
      const { stub: other } = yield* stubWith()
      other.behave("example.test", { drop: true })
      const failing = yield* makeFromSpecs([spec(other.udpUrl), spec(`tcp://127.0.0.1:${yield* closedTcpPort}`)], {
        queryDeadlineMs: 2000
      })
      const failed = yield* plainOnceOpen(failing, query("example.test"))
      expect(failed.result).toBeInstanceOf(UpstreamError)
      expect(failed.result).toMatchObject({ reason: "Connect" })
    }))

  it.scopedLive("plain-code failover: an exchange that is over lets go of its query at once, not at the attempt bound", () =>
    Effect.gen(function*() {
      const first = (yield* stubWith()).stub
      const second = (yield* stubWith()).stub
      first.set("example.test", "A", records)
      const upstream = yield* makeFromSpecs([spec(first.udpUrl), spec(second.udpUrl)], { queryDeadlineMs: 2000 })
      // the sockets open first (a query before that runs as an Effect)
      yield* plainOnceOpen(upstream, query("example.test"))
      // the first upstream answers: its attempt had a 1000 ms bound, which must not keep the query
      // nothing here keeps the query: only the WeakRef
      const { answer, weak } = yield* Effect.suspend(() => {
        const q = query("example.test", "A", { id: 0x5151 })
        const weak = new WeakRef(q)
        return Effect.map(plainExchange(upstream, q), (answer) => ({ answer, weak }))
      })
      expect(answer.started).toBe(true)
      expect(addressesOf(answer.result as Uint8Array)).toEqual(["192.0.2.1"])
      expect(yield* collected(weak)).toBe(true)
    }))

  it.scopedLive("plain-code failover: cancelled, nothing more is called and no attempt moves on", () =>
    Effect.gen(function*() {
      const first = (yield* stubWith()).stub
      const second = (yield* stubWith()).stub
      first.behave("example.test", { drop: true })
      first.set("other.test", "A", [a("other.test", "192.0.2.5", 60)])
      const upstream = yield* makeFromSpecs([spec(first.udpUrl), spec(second.udpUrl)], { queryDeadlineMs: 2000 })
      // the sockets open, and the first upstream answers: it stays the preferred one
      expect(addressesOf((yield* plainOnceOpen(upstream, query("other.test"))).result as Uint8Array)).toEqual([
        "192.0.2.5"
      ])
      let called = false
      const cancel = upstream.tryExchange!(query("example.test"), () => (called = true))
      expect(cancel).toBeDefined()
      yield* eventually(() => first.counts().udp === 2)
      cancel!()
      // past the 1000 ms attempt bound: the second upstream is never asked for it
      yield* Effect.sleep("1300 millis")
      expect(called).toBe(false)
      expect(second.queries()).toHaveLength(0)
    }))

  it.scopedLive("UpstreamLive reads ServerConfig.upstreams", () =>
    Effect.gen(function*() {
      const { ca: _ca, stub } = yield* stubWith()
      const layer = UpstreamLive.pipe(
        Layer.provide(ServerConfig.layer({ upstreams: [spec(stub.tcpUrl), spec(stub.udpUrl)] }))
      )
      const answer = yield* Effect.flatMap(Upstream, (u) => u.query(query("example.test"))).pipe(Effect.provide(layer))
      expect(addressesOf(answer)).toEqual(["192.0.2.1"])
      expect(stub.counts()).toMatchObject({ tcp: 1, udp: 0 })
    }))

  it.scopedLive("Upstream.fromSpecs with no spec fails every query", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Effect.flatMap(Upstream, (u) => u.query(query("example.test"))).pipe(Effect.provide(Upstream.fromSpecs([])))
      )
      expect(error.reason).toBe("Connect")
    }))
})
