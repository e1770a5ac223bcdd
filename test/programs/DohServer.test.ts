import { describe, expect, it } from "@effect/vitest"
import {
  Clock,
  Deferred,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  Logger,
  LogLevel,
  Redacted,
  Schedule,
  Scope
} from "effect"
import * as http2 from "node:http2"
import * as https from "node:https"
import * as net from "node:net"
import * as tls from "node:tls"
import { DohServer, dohStats } from "../../src/programs/DohServer.js"
import { Admission } from "../../src/services/Admission.js"
import { Blocklists } from "../../src/services/Blocklists.js"
import { CertFetcher } from "../../src/services/CertFetcher.js"
import { CertStore } from "../../src/services/CertStore.js"
import { QueryHandler } from "../../src/services/QueryHandler.js"
import { ServerConfig, type ServerConfigShape } from "../../src/services/ServerConfig.js"
import { TlsServerRegistry } from "../../src/services/TlsServerRegistry.js"
import { TlsSessions } from "../../src/services/TlsSessions.js"
import { Upstream } from "../../src/services/Upstream.js"
import { mintCerts, type TestCerts } from "../fixtures/Certs.js"
import { a, answerTo, decode, idOf, query, soa } from "../fixtures/Dns.js"

let certs: TestCerts | undefined
const getCerts = Effect.promise(async () => (certs ??= await mintCerts()))

/** What the in-process upstream knows; `slow.example.test` takes 400 ms. */
const RECORDS: Record<string, ReadonlyArray<{ address: string; ttl: number }>> = {
  "example.test": [{ address: "192.0.2.1", ttl: 300 }],
  "multi.example.test": [{ address: "192.0.2.10", ttl: 300 }, { address: "192.0.2.11", ttl: 120 }],
  "slow.example.test": [{ address: "192.0.2.9", ttl: 60 }]
}
const recordsFor = (name: string) => (RECORDS[name] ?? []).map((r) => a(name, r.address, r.ttl))

/** The answer a client must see for `q` (the upstream's answer, with the client's ID and question). */
const expectedAnswer = (q: Uint8Array) => {
  const name = decode(q).questions![0]!.name.toLowerCase()
  return RECORDS[name] === undefined
    ? answerTo(q, [], { rcode: "NXDOMAIN", authorities: [soa("test", 60, 60)] })
    : answerTo(q, recordsFor(name))
}

const upstream = Layer.succeed(Upstream, {
  query: (q) =>
    Effect.suspend(() => {
      const name = decode(q).questions![0]!.name.toLowerCase()
      const answer = Effect.succeed(expectedAnswer(q))
      return name === "slow.example.test" ? Effect.delay(answer, Duration.millis(400)) : answer
    })
})

/** A fresh server stack: config (port 0 on 127.0.0.1), certificate, registry, query handler. */
const stack = (c: TestCerts, overrides: Partial<ServerConfigShape> = {}) => {
  const b64 = (s: string) => Buffer.from(s).toString("base64")
  const config = ServerConfig.layer({ dohPort: 0, listenHost: "127.0.0.1", ...overrides })
  const fetcher = CertFetcher.layer(
    { _tag: "Inline", certKey: Redacted.make(`KEY=${b64(c.keyPem)}\nCRT=${b64(c.certPem)}`) },
    "/nonexistent"
  )
  return Layer.mergeAll(
    TlsServerRegistry.Default.pipe(Layer.provide(CertStore.Default), Layer.provide(fetcher)),
    TlsSessions.Default,
    Admission.Default,
    QueryHandler.Default.pipe(Layer.provide(upstream)),
    Blocklists.Default
  ).pipe(Layer.provideMerge(config))
}

/** Runs `body` against a fresh DoH server; the server and its services close afterwards. */
const withServer = <A, E>(
  body: (
    env: { port: number; ca: string; doh: Effect.Effect.Success<typeof DohServer> }
  ) => Effect.Effect<A, E, Scope.Scope | QueryHandler | TlsServerRegistry>,
  overrides: Partial<ServerConfigShape> = {}
) =>
  Effect.gen(function*() {
    const c = yield* getCerts
    return yield* Effect.gen(function*() {
      const doh = yield* DohServer
      return yield* body({ port: doh.address.port, ca: c.caPem, doh })
    }).pipe(Effect.scoped, Effect.provide(stack(c, overrides)))
  })

interface HttpResult {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | number | undefined>
  readonly body: Buffer
}

const h2Connect = (port: number, ca: string) =>
  Effect.acquireRelease(
    Effect.async<http2.ClientHttp2Session, Error>((resume) => {
      const session = http2.connect(`https://127.0.0.1:${port}`, { ca })
      session.on("error", (e) => resume(Effect.fail(e)))
      // resolved once the server's SETTINGS arrived
      session.once("remoteSettings", () => resume(Effect.succeed(session)))
    }),
    (session) => Effect.sync(() => session.destroy())
  )

/** One HTTP/2 request; `body` chunks are written one after another. */
const h2Request = (
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: ReadonlyArray<Buffer>
) =>
  Effect.async<HttpResult, Error>((resume) => {
    const req = session.request(headers, { endStream: body === undefined })
    const chunks: Array<Buffer> = []
    let response: http2.IncomingHttpHeaders | undefined
    const done = () =>
      response === undefined
        ? resume(Effect.fail(new Error(`stream closed without a response (code ${req.rstCode})`)))
        : resume(
          Effect.succeed({ status: Number(response[":status"]), headers: response, body: Buffer.concat(chunks) })
        )
    req.on("response", (h) => (response = h))
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("close", done)
    req.on("error", () => {})
    if (body !== undefined) {
      for (const chunk of body) req.write(chunk)
      req.end()
    }
  })

const h2Get = (session: http2.ClientHttp2Session, q: Uint8Array) =>
  h2Request(session, { ":method": "GET", ":path": `/dns-query?dns=${Buffer.from(q).toString("base64url")}` })

const h2Post = (session: http2.ClientHttp2Session, q: Uint8Array) =>
  h2Request(session, {
    ":method": "POST",
    ":path": "/dns-query",
    "content-type": "application/dns-message",
    "content-length": q.length
  }, [Buffer.from(q)])

interface H1Options {
  readonly method: string
  readonly path: string
  readonly headers?: Record<string, string | number>
  readonly body?: Buffer
  /** offer ALPN http/1.1 (default: no ALPN at all) */
  readonly alpn?: boolean
  readonly agent?: https.Agent
}

const h1Request = (port: number, ca: string, o: H1Options) =>
  Effect.async<HttpResult & { readonly alpn: string | false | null; readonly socket: tls.TLSSocket }, Error>(
    (resume) => {
      const req = https.request({
        host: "127.0.0.1",
        port,
        ca,
        method: o.method,
        path: o.path,
        headers: o.headers ?? {},
        agent: o.agent ?? false,
        ...(o.alpn === true ? { ALPNProtocols: ["http/1.1"] } : {})
      })
      req.on("response", (res) => {
        const chunks: Array<Buffer> = []
        const socket = res.socket as tls.TLSSocket
        const alpn = socket.alpnProtocol
        res.on("data", (c: Buffer) => chunks.push(c))
        res.on("end", () =>
          resume(Effect.succeed({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            alpn,
            socket
          })))
      })
      req.on("error", (e) => resume(Effect.fail(e)))
      req.end(o.body)
    }
  )

const b64u = (q: Uint8Array) => Buffer.from(q).toString("base64url")

const waitUntil = (cond: () => boolean) =>
  Effect.sync(cond).pipe(
    Effect.repeat({ schedule: Schedule.spaced("5 millis"), until: (ok) => ok }),
    Effect.timeoutFail({ duration: Duration.seconds(5), onTimeout: () => new Error("condition not reached") })
  )

/** Opens a raw connection (TLS or not), writes `bytes`, resolves with what came back once it is closed. */
const sendGarbage = (connect: () => net.Socket, bytes: Buffer, writeOn: "connect" | "secureConnect") =>
  Effect.async<Buffer>((resume) => {
    const socket = connect()
    const chunks: Array<Buffer> = []
    socket.on(writeOn, () => socket.write(bytes))
    socket.on("data", (c: Buffer) => chunks.push(c))
    socket.on("error", () => {})
    socket.on("close", () => resume(Effect.succeed(Buffer.concat(chunks))))
  }).pipe(Effect.timeoutFail({ duration: Duration.seconds(5), onTimeout: () => new Error("not closed") }))

/**
 * An HTTP/1.1 keep-alive connection (raw TLS, ALPN http/1.1) that has had one answer and now idles;
 * `closedAt` resolves with the time the server closed it.
 */
const h1Idle = (port: number, ca: string) =>
  Effect.gen(function*() {
    const closed = yield* Deferred.make<number>()
    const response = yield* Effect.async<string>((resume) => {
      const socket = tls.connect({ host: "127.0.0.1", port, ca, servername: "localhost", ALPNProtocols: ["http/1.1"] })
      let text = ""
      socket.on("secureConnect", () =>
        socket.write(`GET /dns-query?dns=${b64u(query("example.test"))} HTTP/1.1\r\nhost: localhost\r\n\r\n`))
      socket.on("data", (d: Buffer) => {
        text += d.toString("latin1")
        if (text.includes("\r\n\r\n")) {
          resume(Effect.succeed(text))
        }
      })
      socket.on("error", () => {})
      socket.on("close", () =>
        Deferred.unsafeDone(closed, Exit.succeed(performance.now())))
    })
    return { response, closedAt: Deferred.await(closed) }
  })

const expectAnswer = (res: HttpResult, q: Uint8Array, ttl: number) => {
  expect(res.status).toBe(200)
  expect(res.headers["content-type"]).toBe("application/dns-message")
  expect(Number(res.headers["content-length"])).toBe(res.body.length)
  expect(res.headers["cache-control"]).toBe(`max-age=${ttl}`)
  expect(res.headers["access-control-allow-origin"]).toBe("*")
  expect(res.body.toString("hex")).toBe(expectedAnswer(q).toString("hex"))
}

describe("DoH server: answers", () => {
  it.live("HTTP/2 GET and POST answer byte for byte, max-age = the answer's lowest TTL", () =>
    withServer(({ ca, port }) =>
      Effect.gen(function*() {
        const session = yield* h2Connect(port, ca)
        expect(session.alpnProtocol).toBe("h2")
        expect(session.remoteSettings.maxConcurrentStreams).toBe(256)
        const get = query("multi.example.test", "A", { id: 0x1111 })
        expectAnswer(yield* h2Get(session, get), get, 120)
        const post = query("example.test", "A", { id: 0x2222 })
        expectAnswer(yield* h2Post(session, post), post, 300)
        const nx = query("nope.test", "A", { id: 0x3333 })
        expectAnswer(yield* h2Get(session, nx), nx, 60)
        // selector paths answer the same (lists come later)
        const sel = query("example.test", "A", { id: 0x4444 })
        const viaSelector = yield* h2Request(session, {
          ":method": "GET",
          ":path": `/dns-query/ads+malware?dns=${b64u(sel)}&ct=application/dns-message`
        })
        expect(viaSelector.status).toBe(200)
        expect(idOf(viaSelector.body)).toBe(0x4444)
      })
    ))

  it.live("HTTP/1.1 GET and POST, with ALPN http/1.1 and without ALPN", () =>
    withServer(({ ca, port }) =>
      Effect.gen(function*() {
        const get = query("multi.example.test", "A", { id: 0x0101 })
        const viaAlpn = yield* h1Request(port, ca, { method: "GET", path: `/dns-query?dns=${b64u(get)}`, alpn: true })
        expect(viaAlpn.alpn).toBe("http/1.1")
        expectAnswer(viaAlpn, get, 120)
        const post = query("example.test", "A", { id: 0x0202 })
        const noAlpn = yield* h1Request(port, ca, {
          method: "POST",
          path: "/dns-query",
          headers: { "content-type": "application/dns-message", "content-length": post.length },
          body: post
        })
        expect(noAlpn.alpn).toBe(false)
        expectAnswer(noAlpn, post, 300)
        // chunked POST body (no content-length)
        const chunked = query("nope.test", "A", { id: 0x0303 })
        const res = yield* h1Request(port, ca, {
          method: "POST",
          path: "/dns-query",
          headers: { "content-type": "application/dns-message", "transfer-encoding": "chunked" },
          body: chunked,
          alpn: true
        })
        expectAnswer(res, chunked, 60)
      })
    ))

  it.live("a cached answer keeps the client's ID and its max-age follows the remaining TTL", () =>
    withServer(({ ca, port }) =>
      Effect.gen(function*() {
        const session = yield* h2Connect(port, ca)
        yield* h2Get(session, query("multi.example.test", "A", { id: 1 }))
        const again = yield* h2Post(session, query("MULTI.example.test", "A", { id: 2 }))
        expect(again.status).toBe(200)
        expect(idOf(again.body)).toBe(2)
        const ttls = (decode(again.body).answers ?? []).map((r) => r.ttl!)
        expect(again.headers["cache-control"]).toBe(`max-age=${Math.min(...ttls)}`)
        expect(Math.min(...ttls)).toBeGreaterThanOrEqual(119)
      })
    ))

  it.live("many concurrent streams on one HTTP/2 session all get their own answer", () =>
    withServer(({ ca, port }) =>
      Effect.gen(function*() {
        const session = yield* h2Connect(port, ca)
        const names = ["example.test", "multi.example.test", "nope.test", "other.test"]
        const queries = Array.from({ length: 400 }, (_, i) => query(names[i % names.length]!, "A", { id: i + 1 }))
        const results = yield* Effect.forEach(
          queries,
          (q, i) => (i % 2 === 0 ? h2Get(session, q) : h2Post(session, q)),
          { concurrency: "unbounded" }
        )
        results.forEach((res, i) => {
          expect(res.status).toBe(200)
          expect(idOf(res.body)).toBe(i + 1)
          const expected = decode(expectedAnswer(queries[i]!))
          const got = decode(res.body)
          expect(got.questions).toEqual(expected.questions)
          expect(got.answers?.map((r) => r.data)).toEqual(expected.answers?.map((r) => r.data))
        })
      })
    ))
})

describe("DoH server: statuses", () => {
  const tooBig = Buffer.alloc(70_000, 1)
  const short = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00])
  const response = answerTo(query("example.test"), [a("example.test", "192.0.2.1", 300)])
  const cases: ReadonlyArray<{
    readonly name: string
    readonly method: string
    readonly path: string
    readonly headers?: Record<string, string | number>
    readonly body?: Buffer
    readonly status: number
    readonly check?: (res: HttpResult) => void
  }> = [
    { name: "padded base64", method: "GET", path: `/dns-query?dns=${b64u(query("ab.test"))}==`, status: 400 },
    { name: "standard base64", method: "GET", path: `/dns-query?dns=ab+/cd`, status: 400 },
    { name: "short message", method: "GET", path: `/dns-query?dns=${b64u(short)}`, status: 400 },
    { name: "a response, not a query", method: "GET", path: `/dns-query?dns=${b64u(response)}`, status: 400 },
    { name: "missing dns", method: "GET", path: "/dns-query", status: 400 },
    {
      name: "short POST",
      method: "POST",
      path: "/dns-query",
      headers: { "content-type": "application/dns-message", "content-length": short.length },
      body: short,
      status: 400
    },
    { name: "other path", method: "GET", path: "/resolve?name=example.test", status: 404 },
    {
      name: "other method",
      method: "PUT",
      path: "/dns-query",
      status: 405,
      check: (res) => expect(res.headers["allow"]).toBe("GET, POST, HEAD, OPTIONS")
    },
    {
      name: "body over 65535 bytes",
      method: "POST",
      path: "/dns-query",
      headers: { "content-type": "application/dns-message", "content-length": tooBig.length },
      body: tooBig,
      status: 413
    },
    {
      name: "wrong content type",
      method: "POST",
      path: "/dns-query",
      headers: { "content-type": "application/octet-stream", "content-length": 5 },
      body: short,
      status: 415
    },
    {
      name: "HEAD",
      method: "HEAD",
      path: "/dns-query",
      status: 200,
      check: (res) => {
        expect(res.body.length).toBe(0)
        expect(res.headers["access-control-allow-origin"]).toBe("*")
        expect(res.headers["content-type"]).toBe("application/dns-message")
      }
    },
    {
      name: "OPTIONS",
      method: "OPTIONS",
      path: "/dns-query",
      status: 204,
      check: (res) => {
        expect(res.body.length).toBe(0)
        expect(res.headers["access-control-allow-origin"]).toBe("*")
        expect(res.headers["access-control-allow-methods"]).toBe("GET, POST, HEAD, OPTIONS")
        expect(res.headers["access-control-allow-headers"]).toBe("content-type")
        expect(res.headers["access-control-max-age"]).toBe("86400")
      }
    }
  ]

  it.live("every status over HTTP/2 and HTTP/1.1, each rejection counted", () =>
    withServer(({ ca, port }) =>
      Effect.gen(function*() {
        const session = yield* h2Connect(port, ca)
        const before = { ...dohStats.status }
        for (const c of cases) {
          const h2res = yield* h2Request(
            session,
            { ":method": c.method, ":path": c.path, ...(c.headers ?? {}) },
            c.body === undefined ? undefined : [c.body]
          )
          expect(h2res.status, `h2 ${c.name}`).toBe(c.status)
          c.check?.(h2res)
          const h1res = yield* h1Request(port, ca, {
            method: c.method,
            path: c.path,
            alpn: true,
            ...(c.headers === undefined ? {} : { headers: c.headers }),
            ...(c.body === undefined ? {} : { body: c.body })
          }).pipe(
            // the server may close while a 413 body is still being uploaded
            Effect.catchAll(() => Effect.succeed({ status: -1, headers: {}, body: Buffer.alloc(0) }))
          )
          if (c.status !== 413 || h1res.status !== -1) {
            expect(h1res.status, `h1 ${c.name}`).toBe(c.status)
            c.check?.(h1res)
          }
        }
        for (const status of [400, 404, 405, 413, 415]) {
          expect(dohStats.status[status]! - (before[status] ?? 0), `status ${status}`).toBeGreaterThanOrEqual(2)
        }
        // the session survived every rejection
        const q = query("example.test", "A", { id: 9 })
        expectAnswer(yield* h2Get(session, q), q, 300)
      })
    ))

  it.live("a streamed POST body is refused as soon as it passes 65535 bytes", () =>
    withServer(({ ca, port }) =>
      Effect.gen(function*() {
        const session = yield* h2Connect(port, ca)
        const before = dohStats.rejected.TooLarge
        // no content-length: the server counts the DATA frames
        const res = yield* h2Request(
          session,
          { ":method": "POST", ":path": "/dns-query", "content-type": "application/dns-message" },
          Array.from({ length: 20 }, () => Buffer.alloc(8192, 7))
        )
        expect(res.status).toBe(413)
        expect(dohStats.rejected.TooLarge - before).toBe(1)
        // HTTP/1.1 chunked
        const h1 = yield* h1Request(port, ca, {
          method: "POST",
          path: "/dns-query",
          headers: { "content-type": "application/dns-message", "transfer-encoding": "chunked" },
          body: Buffer.alloc(70_000, 7)
        }).pipe(Effect.either)
        if (h1._tag === "Right") {
          expect(h1.right.status).toBe(413)
          expect(h1.right.headers["connection"]).toBe("close")
        }
        const q = query("example.test", "A", { id: 5 })
        expectAnswer(yield* h2Get(session, q), q, 300)
      })
    ))

  it.live("rejections are logged at debug with their reason when debug is on, and not otherwise", () =>
    Effect.gen(function*() {
      const logged: Array<{ level: string; message: string }> = []
      const capture = Logger.replace(
        Logger.defaultLogger,
        Logger.make(({ logLevel, message }) =>
          logged.push({ level: logLevel.label, message: Array.isArray(message) ? message.join(" ") : String(message) })
        )
      )
      const probe = ({ ca, port }: { ca: string; port: number }) =>
        Effect.gen(function*() {
          yield* h1Request(port, ca, { method: "GET", path: "/nope" })
          yield* h1Request(port, ca, { method: "GET", path: "/dns-query?dns=AAAA=" })
          yield* sendGarbage(() => net.connect(port, "127.0.0.1"), Buffer.from("garbage\r\n"), "connect")
        })
      yield* withServer(probe, { logLevel: LogLevel.Debug }).pipe(
        Effect.provide(Layer.merge(capture, Logger.minimumLogLevel(LogLevel.Debug)))
      )
      const debug = logged.filter((l) => l.level === "DEBUG").map((l) => l.message)
      expect(debug.some((m) => /^404 to 127\.0\.0\.1: not found/.test(m))).toBe(true)
      expect(debug.some((m) => /^400 to 127\.0\.0\.1: .*base64url/.test(m))).toBe(true)
      expect(debug.some((m) => /^TLS handshake from 127\.0\.0\.1 failed/.test(m))).toBe(true)

      logged.length = 0
      yield* withServer(probe).pipe(Effect.provide(Layer.merge(capture, Logger.minimumLogLevel(LogLevel.Debug))))
      expect(logged.filter((l) => l.level === "DEBUG" && /^(404|400|TLS)/.test(l.message))).toEqual([])
    }))
})

describe("DoH server: bad clients and shutdown", () => {
  it.live("clients sending garbage are closed while another client is still served", () =>
    withServer(({ ca, port }) =>
      Effect.gen(function*() {
        const session = yield* h2Connect(port, ca)
        const first = query("example.test", "A", { id: 1 })
        expectAnswer(yield* h2Get(session, first), first, 300)
        const before = { ...dohStats }
        const garbage = Buffer.from("\x16\x03\x01\x00\x05hello, this is not TLS at all\r\n\r\n")
        // not TLS at all
        yield* sendGarbage(() => net.connect(port, "127.0.0.1"), garbage, "connect")
        // TLS with ALPN h2, then no HTTP/2 connection preface
        const tlsOpts = { host: "127.0.0.1", port, ca, servername: "localhost" }
        yield* sendGarbage(
          () => tls.connect({ ...tlsOpts, ALPNProtocols: ["h2"] }),
          Buffer.from("GET / HTTP/1.1\r\n\r\n".repeat(4)),
          "secureConnect"
        )
        // TLS with HTTP/1.1, then no HTTP request
        const h1reply = yield* sendGarbage(
          () => tls.connect({ ...tlsOpts, ALPNProtocols: ["http/1.1"] }),
          Buffer.from("\x00\x01\x02 not a request line\r\n\r\n"),
          "secureConnect"
        )
        expect(h1reply.toString("latin1")).toMatch(/^HTTP\/1\.1 400 /)
        expect(dohStats.tlsErrors).toBeGreaterThan(before.tlsErrors)
        expect(dohStats.sessionErrors).toBeGreaterThan(before.sessionErrors)
        expect(dohStats.clientErrors).toBeGreaterThan(before.clientErrors)
        // the well-behaved client is still served on its session
        const second = query("multi.example.test", "A", { id: 2 })
        expectAnswer(yield* h2Get(session, second), second, 120)
      })
    ))

  it.live("idle HTTP/2 sessions and HTTP/1.1 connections are closed after WORKER_TIMEOUT", () =>
    withServer(({ ca, port }) =>
      Effect.gen(function*() {
        const session = yield* h2Connect(port, ca)
        const goaway = yield* Deferred.make<number>()
        session.on("goaway", (code) => Deferred.unsafeDone(goaway, Exit.succeed(code)))
        yield* h2Get(session, query("example.test"))
        const h2Start = yield* Clock.currentTimeMillis
        expect(yield* Deferred.await(goaway)).toBe(http2.constants.NGHTTP2_NO_ERROR)
        yield* waitUntil(() => session.closed || session.destroyed)
        const h2Idle = (yield* Clock.currentTimeMillis) - h2Start

        // HTTP/1.1: one keep-alive request, then silence; Node closes after keepAliveTimeout + its 1 s buffer
        const h1 = yield* h1Idle(port, ca)
        const answeredAt = performance.now()
        expect(h1.response).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
        expect(h1.response).toMatch(/\r\nConnection: keep-alive\r\n/i)
        const h1Idled = (yield* h1.closedAt) - answeredAt
        expect(h2Idle).toBeGreaterThanOrEqual(250)
        expect(h2Idle).toBeLessThan(2000)
        expect(h1Idled).toBeGreaterThanOrEqual(250)
        expect(h1Idled).toBeLessThan(3000)
      }), { workerTimeout: Duration.millis(300) }))

  it.live("closing the scope: GOAWAY, the stream in flight completes, new connections are refused", () =>
    Effect.gen(function*() {
      const c = yield* getCerts
      yield* Effect.gen(function*() {
        const handler = yield* QueryHandler
        const inner = yield* Scope.make()
        const { address } = yield* Scope.extend(DohServer, inner)
        const port = address.port
        const session = yield* h2Connect(port, c.caPem)
        const goaway = yield* Deferred.make<number>()
        session.on("goaway", (code) => Deferred.unsafeDone(goaway, Exit.succeed(code)))
        // an HTTP/1.1 keep-alive connection, idle, and one with a query in flight
        const idle = yield* h1Idle(port, c.caPem)
        const busyAgent = new https.Agent({ keepAlive: true, maxSockets: 1 })

        const slow = query("slow.example.test", "A", { id: 0x5151 })
        const slowH2 = yield* Effect.fork(h2Get(session, slow))
        const slowH1 = yield* Effect.fork(
          h1Request(port, c.caPem, { method: "GET", path: `/dns-query?dns=${b64u(slow)}`, agent: busyAgent })
        )
        yield* waitUntil(() => handler.inFlight() === 2)
        const closing = yield* Effect.fork(Scope.close(inner, Exit.void))

        expect(yield* Deferred.await(goaway)).toBe(http2.constants.NGHTTP2_NO_ERROR)
        // closed by the drain, long before its keep-alive timeout (10 s)
        yield* idle.closedAt.pipe(
          Effect.timeoutFail({ duration: Duration.seconds(2), onTimeout: () => new Error("idle h1 open") })
        )
        const refused = yield* h2Connect(port, c.caPem).pipe(Effect.flip)
        expect((refused as NodeJS.ErrnoException).code).toBe("ECONNREFUSED")

        const h2res = yield* Fiber.join(slowH2)
        expectAnswer(h2res, slow, 60)
        const h1res = yield* Fiber.join(slowH1)
        expectAnswer(h1res, slow, 60)
        expect(h1res.headers["connection"]).toBe("close")
        yield* Fiber.join(closing)
        expect(handler.inFlight()).toBe(0)
        yield* waitUntil(() => session.closed || session.destroyed)
        busyAgent.destroy()
      }).pipe(Effect.scoped, Effect.provide(stack(c)))
    }))

  it.live("a shutdown program's drain: stopAccepting + drain, the answer produced meanwhile is written", () =>
    withServer(({ ca, doh, port }) =>
      Effect.gen(function*() {
        const handler = yield* QueryHandler
        const registry = yield* TlsServerRegistry
        const session = yield* h2Connect(port, ca)
        const goaway = yield* Deferred.make<number>()
        session.on("goaway", (code) => Deferred.unsafeDone(goaway, Exit.succeed(code)))
        const slow = query("slow.example.test", "A", { id: 0x6161 })
        const pending = yield* Effect.fork(h2Get(session, slow))
        yield* waitUntil(() => handler.inFlight() === 1)
        // what a top-level program does: stop accepting, GOAWAY, wait until nothing is in flight
        yield* registry.stopAccepting
        yield* doh.drain
        expect(yield* Deferred.await(goaway)).toBe(http2.constants.NGHTTP2_NO_ERROR)
        yield* waitUntil(() => handler.inFlight() === 0)
        expectAnswer(yield* Fiber.join(pending), slow, 60)
        // the session closes by itself once its last stream is done
        yield* waitUntil(() => session.closed || session.destroyed)
        yield* doh.openConnections.pipe(
          Effect.repeat({ schedule: Schedule.spaced("5 millis"), until: (n) => n === 0 }),
          Effect.timeoutFail({ duration: Duration.seconds(2), onTimeout: () => new Error("connections left") })
        )
      })
    ))
})
