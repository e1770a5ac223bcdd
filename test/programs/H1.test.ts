/**
 * The purpose-built HTTP/1.1 transport (`programs/DohServer/H1.ts`) over real sockets, with requests
 * written by hand: against the cleartext DoH listener (TLS offload) of the whole server with a stub
 * upstream, and side by side with `makeH1` (node:http) on the same requests.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer } from "effect"
import { mkdtempSync } from "node:fs"
import * as net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { dohStats, makeH1, type Transport } from "../../src/programs/DohServer.js"
import { H1_MAX_HEAD, H1_MAX_HEADERS, H1_MAX_IN_FLIGHT, makeFastH1 } from "../../src/programs/DohServer/H1.js"
import { a, idOf, query } from "../fixtures/Dns.js"
import { type ParsedResponse, parseResponses, syncEnv } from "../fixtures/H1.js"
import * as StubUpstream from "../fixtures/StubUpstream.js"
import { offloadLayer, portOf, udpUpstream } from "../fixtures/TestServer.js"

const IDLE_MS = 600

/** The whole server in TLS-offload mode (cleartext DoH) on a stub upstream; the cleartext DoH port. */
const cleartextServer = Effect.gen(function*() {
  const stub = yield* StubUpstream.make()
  for (const name of ["fast.test", "fast2.test", "slow.test", "slower.test"]) {
    stub.set(name, "A", [a(name, "192.0.2.1", 300)])
  }
  stub.behave("slow.test", { delayMs: 300 })
  stub.behave("slower.test", { delayMs: 500 })
  stub.set("slowest.test", "A", [a("slowest.test", "192.0.2.1", 300)])
  stub.behave("slowest.test", { delayMs: IDLE_MS + 400 })
  const dataDir = mkdtempSync(join(tmpdir(), "vigil-h1-"))
  const layer = offloadLayer(dataDir, {
    upstreams: [udpUpstream(stub.port)],
    workerTimeout: Duration.millis(IDLE_MS),
    shutdownTimeout: Duration.seconds(2)
  })
  const ctx = yield* Layer.build(layer)
  const port = yield* portOf("doh-cleartext").pipe(Effect.provide(ctx))
  return { port, stub }
})

interface Exchange {
  readonly bytes: Buffer
  readonly responses: Array<ParsedResponse>
  /** the server closed the connection (else: `waitMs` passed) */
  readonly closed: boolean
  /** ms from the last write to the close */
  readonly closedAfter: number
}

/**
 * Connects, writes each piece (strings are latin1) `gapMs` apart, and collects what comes back until the
 * server closes or `waitMs` after the last write.
 */
const exchange = (
  port: number,
  pieces: ReadonlyArray<string | Buffer>,
  opts: { readonly gapMs?: number; readonly waitMs?: number; readonly heads?: (i: number) => boolean } = {}
) =>
  Effect.async<Exchange, Error>((resume) => {
    const socket = net.connect({ host: "127.0.0.1", port })
    const chunks: Array<Buffer> = []
    let lastWrite = performance.now()
    let timer: ReturnType<typeof setTimeout> | undefined
    const done = (closed: boolean) => {
      clearTimeout(timer)
      const bytes = Buffer.concat(chunks)
      resume(Effect.succeed({
        bytes,
        responses: parseResponses(bytes, opts.heads).responses,
        closed,
        closedAfter: performance.now() - lastWrite
      }))
      socket.destroy()
    }
    socket.on("data", (d: Buffer) => chunks.push(d))
    socket.on("error", () => {})
    socket.on("close", () => done(true))
    socket.on("connect", () => {
      let i = 0
      const next = () => {
        if (i < pieces.length) {
          const p = pieces[i++]!
          socket.write(typeof p === "string" ? Buffer.from(p, "latin1") : p)
          lastWrite = performance.now()
          setTimeout(next, opts.gapMs ?? 0)
        } else timer = setTimeout(() => done(false), opts.waitMs ?? 1500)
      }
      next()
    })
    return Effect.sync(() => socket.destroy())
  })

const b64u = (q: Uint8Array) => Buffer.from(q).toString("base64url")
const get = (name: string, id: number, extra = "") =>
  `GET /dns-query?dns=${b64u(query(name, "A", { id }))} HTTP/1.1\r\nhost: x\r\n${extra}\r\n`
const postHead = (extra: string) =>
  `POST /dns-query HTTP/1.1\r\nhost: x\r\ncontent-type: application/dns-message\r\n${extra}\r\n`

const expectAnswer = (r: ParsedResponse | undefined, id: number) => {
  expect(r?.status).toBe(200)
  expect(r!.headers["content-type"]).toBe("application/dns-message")
  expect(r!.headers["cache-control"]).toMatch(/^max-age=\d+$/)
  expect(r!.headers["access-control-allow-origin"]).toBe("*")
  expect(Number(r!.headers["content-length"])).toBe(r!.body.length)
  expect(idOf(r!.body)).toBe(id)
}

describe("HTTP/1.1 transport: keep-alive, pipelining, bodies", () => {
  it.scopedLive("pipelined GETs are answered in request order while the upstream answers out of order", () =>
    Effect.gen(function*() {
      const { port } = yield* cleartextServer
      const x = yield* exchange(port, [
        get("slower.test", 1) + get("fast.test", 2) + get("slow.test", 3) + get("fast2.test", 4)
      ], { waitMs: 1000 })
      expect(x.closed).toBe(false)
      expect(x.responses.map((r) => idOf(r.body))).toEqual([1, 2, 3, 4])
      x.responses.forEach((r, i) => expectAnswer(r, i + 1))
      expect(x.responses[0]!.headers["connection"]).toBe("keep-alive")
    }))

  it.scopedLive("many pipelined requests (more than the in-flight bound) in one write are all answered in order", () =>
    Effect.gen(function*() {
      const { port } = yield* cleartextServer
      const n = H1_MAX_IN_FLIGHT * 2 + 5
      const names = ["fast.test", "slow.test", "fast2.test"]
      const x = yield* exchange(port, [Array.from({ length: n }, (_, i) => get(names[i % 3]!, i + 1)).join("")], {
        waitMs: 2000
      })
      expect(x.responses.map((r) => idOf(r.body))).toEqual(Array.from({ length: n }, (_, i) => i + 1))
    }))

  it.scopedLive("POST with content-length, chunked (extensions, trailers, split anywhere), Expect: 100-continue", () =>
    Effect.gen(function*() {
      const { port } = yield* cleartextServer
      const q1 = query("fast.test", "A", { id: 11 })
      const q2 = query("fast2.test", "A", { id: 12 })
      const chunkedBody = `5;ext=1\r\n${q2.subarray(0, 5).toString("latin1")}\r\n` +
        `${(q2.length - 5).toString(16).toUpperCase()}\r\n${
          q2.subarray(5).toString("latin1")
        }\r\n0\r\nx-trailer: 1\r\n\r\n`
      const all = postHead(`content-length: ${q1.length}\r\n`) + q1.toString("latin1") +
        postHead("transfer-encoding: chunked\r\n") + chunkedBody
      // byte by byte in places: the parser must not care where reads end
      const pieces = [all.slice(0, 7), all.slice(7, 60), ...all.slice(60, 120).split(""), all.slice(120)]
      const x = yield* exchange(port, pieces, { gapMs: 1, waitMs: 500 })
      expect(x.responses.map((r) => r.status)).toEqual([200, 200])
      expectAnswer(x.responses[0], 11)
      expectAnswer(x.responses[1], 12)

      // Expect: 100-continue: the interim response comes before the body is sent
      const q3 = query("fast.test", "A", { id: 13 })
      const cont = yield* Effect.async<{ interim: string; final: Array<ParsedResponse> }>((resume) => {
        const socket = net.connect({ host: "127.0.0.1", port })
        let text = Buffer.alloc(0)
        let sent = false
        socket.on("data", (d: Buffer) => {
          text = Buffer.concat([text, d])
          if (!sent && text.includes("\r\n\r\n")) {
            sent = true
            socket.write(q3)
          }
          const parsed = parseResponses(text).responses
          if (parsed.some((r) => r.status === 200)) {
            socket.destroy()
            resume(Effect.succeed({ interim: text.toString("latin1", 0, 25), final: parsed }))
          }
        })
        socket.on("connect", () => socket.write(postHead(`content-length: ${q3.length}\r\nexpect: 100-continue\r\n`)))
      })
      expect(cont.interim).toBe("HTTP/1.1 100 Continue\r\n\r\n")
      expect(cont.final.map((r) => r.status)).toEqual([100, 200])
      expectAnswer(cont.final[1], 13)
    }))

  it.scopedLive("Connection: close and HTTP/1.0 close after their response; HTTP/1.0 keep-alive stays open", () =>
    Effect.gen(function*() {
      const { port } = yield* cleartextServer
      const closing = yield* exchange(port, [get("fast.test", 1, "connection: close\r\n") + get("fast.test", 2)])
      expect(closing.closed).toBe(true)
      expect(closing.responses).toHaveLength(1)
      expect(closing.responses[0]!.headers["connection"]).toBe("close")
      expectAnswer(closing.responses[0], 1)

      const v10 = `GET /dns-query?dns=${b64u(query("fast.test", "A", { id: 3 }))} HTTP/1.0\r\n\r\n`
      const old = yield* exchange(port, [v10])
      expect(old.closed).toBe(true)
      expect(old.responses[0]!.headers["connection"]).toBe("close")
      expectAnswer(old.responses[0], 3)

      const keep = v10.replace("\r\n\r\n", "\r\nConnection: Keep-Alive\r\n\r\n")
      const kept = yield* exchange(port, [keep, keep], { gapMs: 50, waitMs: 300 })
      expect(kept.closed).toBe(false)
      expect(kept.responses.map((r) => r.headers["connection"])).toEqual(["keep-alive", "keep-alive"])
    }))

  it.scopedLive("HEAD, OPTIONS and rejections: static responses; a rejected POST closes, a GET with a body is skipped", () =>
    Effect.gen(function*() {
      const { port } = yield* cleartextServer
      const x = yield* exchange(port, [
        "HEAD /dns-query HTTP/1.1\r\nhost: x\r\n\r\n" +
        "OPTIONS /dns-query HTTP/1.1\r\nhost: x\r\n\r\n" +
        "GET /nope HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\nabc" +
        get("fast.test", 4) +
        "POST /dns-query HTTP/1.1\r\nhost: x\r\ncontent-type: text/plain\r\ncontent-length: 3\r\n\r\nabc" +
        get("fast.test", 5)
      ], { heads: (i) => i === 0 })
      expect(x.responses.map((r) => r.status)).toEqual([200, 204, 404, 200, 415])
      expect(x.responses[0]!.body.length).toBe(0)
      expect(x.responses[0]!.headers["content-type"]).toBe("application/dns-message")
      expect(x.responses[1]!.headers["access-control-allow-methods"]).toBe("GET, POST, HEAD, OPTIONS")
      expect(x.responses[2]!.body.toString()).toMatch(/^404 not found/)
      expectAnswer(x.responses[3], 4)
      expect(x.responses[4]!.headers["connection"]).toBe("close")
      expect(x.closed).toBe(true)
    }))
})

describe("HTTP/1.1 transport: bad requests close the connection", () => {
  const q = b64u(query("fast.test", "A", { id: 1 }))
  const cases: ReadonlyArray<{ name: string; bytes: string; status: number }> = [
    { name: "bad request line", bytes: "\x00\x01 not a request line\r\n\r\n", status: 400 },
    { name: "no target", bytes: "GET  HTTP/1.1\r\nhost: x\r\n\r\n", status: 400 },
    { name: "space in the target", bytes: "GET /dns query HTTP/1.1\r\nhost: x\r\n\r\n", status: 400 },
    { name: "HTTP/2.0", bytes: `GET /dns-query?dns=${q} HTTP/2.0\r\nhost: x\r\n\r\n`, status: 505 },
    { name: "HTTP/1.1x", bytes: `GET /dns-query?dns=${q} HTTP/1.1x\r\nhost: x\r\n\r\n`, status: 400 },
    { name: "no Host in HTTP/1.1", bytes: `GET /dns-query?dns=${q} HTTP/1.1\r\n\r\n`, status: 400 },
    { name: "two Hosts", bytes: `GET /dns-query?dns=${q} HTTP/1.1\r\nhost: x\r\nHost: y\r\n\r\n`, status: 400 },
    { name: "obs-fold", bytes: `GET /dns-query?dns=${q} HTTP/1.1\r\nhost: x\r\nx-a: 1\r\n  2\r\n\r\n`, status: 400 },
    { name: "bare CR in a value", bytes: `GET /dns-query?dns=${q} HTTP/1.1\r\nhost: x\rx\r\n\r\n`, status: 400 },
    { name: "bare LF", bytes: `GET /dns-query?dns=${q} HTTP/1.1\nhost: x\r\n\r\n`, status: 400 },
    { name: "space before the colon", bytes: `GET /dns-query?dns=${q} HTTP/1.1\r\nhost : x\r\n\r\n`, status: 400 },
    { name: "NUL in a value", bytes: `GET /dns-query?dns=${q} HTTP/1.1\r\nhost: x\x00\r\n\r\n`, status: 400 },
    {
      name: "content-length and transfer-encoding",
      bytes: postHead("content-length: 5\r\ntransfer-encoding: chunked\r\n") + "0\r\n\r\n",
      status: 400
    },
    {
      name: "conflicting content-length",
      bytes: postHead("content-length: 5\r\ncontent-length: 6\r\n") + "abcdef",
      status: 400
    },
    { name: "content-length list", bytes: postHead("content-length: 5, 5\r\n") + "abcde", status: 400 },
    { name: "negative content-length", bytes: postHead("content-length: -1\r\n"), status: 400 },
    { name: "gzip, chunked", bytes: postHead("transfer-encoding: gzip, chunked\r\n") + "0\r\n\r\n", status: 501 },
    {
      name: "transfer-encoding twice",
      bytes: postHead("transfer-encoding: chunked\r\ntransfer-encoding: chunked\r\n") + "0\r\n\r\n",
      status: 501
    },
    {
      name: "transfer-encoding in HTTP/1.0",
      bytes: postHead("transfer-encoding: chunked\r\n").replace("HTTP/1.1", "HTTP/1.0") + "0\r\n\r\n",
      status: 400
    },
    { name: "bad chunk size", bytes: postHead("transfer-encoding: chunked\r\n") + "zz\r\n", status: 400 },
    { name: "chunk without CRLF", bytes: postHead("transfer-encoding: chunked\r\n") + "2\r\nabX", status: 400 },
    { name: "chunk over 65535", bytes: postHead("transfer-encoding: chunked\r\n") + "10000\r\n", status: 413 },
    { name: "unknown expectation", bytes: postHead("content-length: 5\r\nexpect: magic\r\n"), status: 417 },
    {
      name: "head over 16 KiB",
      bytes: `GET /dns-query?dns=${q} HTTP/1.1\r\nhost: x\r\nx-big: ${"a".repeat(H1_MAX_HEAD)}\r\n\r\n`,
      status: 431
    },
    {
      name: `${H1_MAX_HEADERS + 1} header fields`,
      bytes: `GET /dns-query?dns=${q} HTTP/1.1\r\nhost: x\r\n${"x-a: 1\r\n".repeat(H1_MAX_HEADERS)}\r\n`,
      status: 431
    }
  ]

  it.scopedLive("each gets its status, then the close; the next pipelined request is not read", () =>
    Effect.gen(function*() {
      const { port } = yield* cleartextServer
      const before = dohStats.clientErrors
      for (const c of cases) {
        const x = yield* exchange(port, [c.bytes + get("fast.test", 9)], { waitMs: 1000 })
        expect(x.closed, c.name).toBe(true)
        expect(x.responses.map((r) => r.status), c.name).toEqual([c.status])
        expect(x.responses[0]!.headers["connection"], c.name).toBe("close")
      }
      expect(dohStats.clientErrors - before).toBeGreaterThanOrEqual(cases.length - 2)
      // at the limit is fine: 64 fields, and a head of exactly 16 KiB
      const fields = `GET /dns-query?dns=${q} HTTP/1.1\r\nhost: x\r\n${"x-a: 1\r\n".repeat(H1_MAX_HEADERS - 1)}\r\n`
      const ok = yield* exchange(port, [fields], { waitMs: 300 })
      expectAnswer(ok.responses[0], 1)
      const line = `GET /dns-query?dns=${q} HTTP/1.1\r\nhost: x\r\nx-big: `
      const exact = line + "a".repeat(H1_MAX_HEAD - line.length - 4) + "\r\n\r\n"
      expect(exact.length).toBe(H1_MAX_HEAD)
      const big = yield* exchange(port, [exact], { waitMs: 300 })
      expectAnswer(big.responses[0], 1)
    }))
})

describe("HTTP/1.1 transport: timeouts and vanishing clients", () => {
  it.scopedLive("slowloris headers and a POST body that never completes are cut with 408 at the timeout", () =>
    Effect.gen(function*() {
      const { port } = yield* cleartextServer
      // one byte every 100 ms, forever (well past the timeout)
      const slow = yield* exchange(port, ["GET /dns-query?dns=", ...Array.from({ length: 30 }, () => "A")], {
        gapMs: 100
      })
      expect(slow.closed).toBe(true)
      expect(slow.responses.map((r) => r.status)).toEqual([408])
      const started = performance.now()
      const body = yield* exchange(port, [postHead("content-length: 40\r\n") + "abc"], { waitMs: 3000 })
      const took = performance.now() - started
      expect(body.closed).toBe(true)
      expect(body.responses.map((r) => r.status)).toEqual([408])
      expect(took).toBeGreaterThanOrEqual(IDLE_MS - 50)
      expect(took).toBeLessThan(IDLE_MS + 1500)
    }))

  it.scopedLive("an idle keep-alive connection is closed silently after the timeout; a busy one is not", () =>
    Effect.gen(function*() {
      const { port } = yield* cleartextServer
      const idle = yield* exchange(port, [get("fast.test", 1)], { waitMs: 3000 })
      expect(idle.closed).toBe(true)
      expect(idle.responses).toHaveLength(1)
      expect(idle.bytes.length).toBe(
        idle.responses[0]!.body.length + idle.bytes.indexOf("\r\n\r\n") + 4
      )
      expect(idle.closedAfter).toBeGreaterThanOrEqual(IDLE_MS - 50)
      expect(idle.closedAfter).toBeLessThan(IDLE_MS + 1500)
      // waiting for an answer longer than the timeout is not idling
      const busy = yield* exchange(port, [get("slowest.test", 2)], { waitMs: IDLE_MS + 800 })
      expectAnswer(busy.responses[0], 2)
    }))

  it.scopedLive("a client closing mid-response: its answers are abandoned, other clients are served", () =>
    Effect.gen(function*() {
      const { port } = yield* cleartextServer
      const before = dohStats.abandoned
      yield* Effect.async<void>((resume) => {
        const socket = net.connect({ host: "127.0.0.1", port })
        socket.on("error", () => {})
        socket.on("connect", () => {
          socket.write(get("slow.test", 1) + get("slower.test", 2))
          setTimeout(() => {
            // a reset, not a FIN: a FIN would be a half-close, after which the answers are still written
            socket.resetAndDestroy()
            resume(Effect.void)
          }, 50)
        })
      })
      yield* Effect.sleep(Duration.millis(600))
      expect(dohStats.abandoned - before).toBe(2)
      const x = yield* exchange(port, [get("slow.test", 3)], { waitMs: 200 })
      expectAnswer(x.responses[0], 3)
    }))
})

/** Serves `transport` on a plain TCP listener; the port. */
const serve = (transport: Transport) =>
  Effect.acquireRelease(
    Effect.async<net.Server>((resume) => {
      const server = net.createServer((s) => transport.accept(s))
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.sync(() => {
        transport.destroy()
        server.close()
      })
  ).pipe(Effect.map((s) => (s.address() as net.AddressInfo).port))

describe("HTTP/1.1 transport: drain", () => {
  it.scopedLive("idle connections close at once; a busy one answers everything due, the last with connection: close", () =>
    Effect.gen(function*() {
      const { env } = syncEnv()
      // answers take 200 ms, 600 ms for ID 3
      const slowEnv = {
        ...env,
        handle: (...args: Parameters<typeof env.handle>) =>
          void setTimeout(() => env.handle(...args), idOf(args[0]) === 3 ? 600 : 200)
      }
      const transport = makeFastH1(slowEnv)
      const port = yield* serve(transport)
      const idle = yield* Effect.fork(exchange(port, [get("fast.test", 1)], { waitMs: 5000 }))
      const busy = yield* Effect.fork(exchange(port, [get("fast.test", 2) + get("fast.test", 3)], { waitMs: 5000 }))
      yield* Effect.sleep(Duration.millis(100))
      expect(transport.open()).toBe(2)
      yield* Effect.sleep(Duration.millis(200))
      // the first answered and now idle; the second still waiting for its second answer
      transport.drain()
      const i = yield* Fiber.join(idle)
      expect(i.closed).toBe(true)
      expect(i.responses.map((r) => r.headers["connection"])).toEqual(["keep-alive"])
      const b = yield* Fiber.join(busy)
      expect(b.closed).toBe(true)
      expect(b.responses.map((r) => idOf(r.body))).toEqual([2, 3])
      expect(b.responses.map((r) => r.headers["connection"])).toEqual(["keep-alive", "close"])
      expect(transport.open()).toBe(0)
    }))
})

describe("HTTP/1.1 transport: the same responses as node:http (makeH1)", () => {
  const withoutConnectionFields = (r: ParsedResponse) => {
    const { connection: _c, date: _d, "keep-alive": _k, ...headers } = r.headers
    return { status: r.status, headers, body: r.body.toString("latin1") }
  }

  it.scopedLive("status, headers and body of every kind of response", () =>
    Effect.gen(function*() {
      const fast = yield* serve(makeFastH1(syncEnv().env))
      const node = yield* serve(makeH1(syncEnv().env))
      const q = query("fast.test", "A", { id: 77 })
      const requests: ReadonlyArray<{ bytes: string; head?: boolean }> = [
        { bytes: get("fast.test", 77) },
        { bytes: `GET /dns-query/ads+malware?dns=${b64u(q)}&ct=x HTTP/1.1\r\nhost: x\r\n\r\n` },
        { bytes: postHead(`content-length: ${q.length}\r\n`) + q.toString("latin1") },
        {
          bytes: postHead("transfer-encoding: chunked\r\n") +
            `${q.length.toString(16)}\r\n${q.toString("latin1")}\r\n0\r\n\r\n`
        },
        { bytes: "HEAD /dns-query HTTP/1.1\r\nhost: x\r\n\r\n", head: true },
        { bytes: "HEAD /elsewhere HTTP/1.1\r\nhost: x\r\n\r\n", head: true },
        { bytes: "OPTIONS /dns-query HTTP/1.1\r\nhost: x\r\n\r\n" },
        { bytes: "GET /elsewhere HTTP/1.1\r\nhost: x\r\n\r\n" },
        { bytes: "GET /dns-query HTTP/1.1\r\nhost: x\r\n\r\n" },
        { bytes: "GET /dns-query?dns=AAAA=&dns=B HTTP/1.1\r\nhost: x\r\n\r\n" },
        { bytes: "GET /dns-query?dns=AAAA= HTTP/1.1\r\nhost: x\r\n\r\n" },
        { bytes: "GET /dns-query?dns=AAAA HTTP/1.1\r\nhost: x\r\n\r\n" },
        { bytes: "PUT /dns-query HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n" },
        { bytes: postHead("content-length: 0\r\n") },
        { bytes: postHead("content-length: 70000\r\n") },
        { bytes: postHead("content-length: 4\r\n") + "abcd" },
        { bytes: "POST /dns-query HTTP/1.1\r\nhost: x\r\ncontent-type: text/plain\r\ncontent-length: 1\r\n\r\na" },
        { bytes: "\x00garbage\r\n\r\n" },
        { bytes: `GET /dns-query?dns=${b64u(q)} HTTP/1.1\r\nhost: x\r\nx-big: ${"a".repeat(H1_MAX_HEAD)}\r\n\r\n` }
      ]
      for (const r of requests) {
        const heads = () => r.head === true
        const a = yield* exchange(fast, [r.bytes], { waitMs: 150, heads })
        const b = yield* exchange(node, [r.bytes], { waitMs: 150, heads })
        expect(a.responses.length, r.bytes.slice(0, 60)).toBe(1)
        expect(a.responses.map(withoutConnectionFields), r.bytes.slice(0, 60)).toEqual(
          b.responses.map(withoutConnectionFields)
        )
        expect(a.closed, r.bytes.slice(0, 60)).toBe(b.closed)
      }
    }))
})
