import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Logger, LogLevel, Option, type Scope } from "effect"
import * as http from "node:http"
import * as http2 from "node:http2"
import * as https from "node:https"
import * as net from "node:net"
import * as stream from "node:stream"
import * as tls from "node:tls"
import { dnsServerLayerWith, offloadServerLayerWith } from "../../src/layers/App.js"
import { LimitPeriod } from "../../src/programs/ConnectionLimit.js"
import { proxyAccepted, proxyRefused } from "../../src/programs/DotServer/ProxyListener.js"
import { HeartbeatInterval } from "../../src/programs/Heartbeat.js"
import { frame, makeFrameReader } from "../../src/services/QueryHandler/Framing.js"
import { parseCidr, ServerConfig, type ServerConfigShape } from "../../src/services/ServerConfig.js"
import { SystemLoadLive } from "../../src/services/SystemLoad.js"
import { TlsServerRegistry } from "../../src/services/TlsServerRegistry.js"
import { mintCerts, type TestCerts } from "../fixtures/Certs.js"
import { a, decode, idOf, query, rcodeOf } from "../fixtures/Dns.js"
import * as ProxyHeader from "../fixtures/ProxyHeader.js"
import { freePort, httpRequest } from "../fixtures/ServerProcess.js"
import * as StubUpstream from "../fixtures/StubUpstream.js"
import { inlineCert, portOf, udpUpstream } from "../fixtures/TestServer.js"

let certs: TestCerts | undefined
const getCerts = Effect.promise(async () => (certs ??= await mintCerts()))

/** The server in-process with `DOT_HAS_PROXY_PROTO` and debug logs captured in `lines`. */
const setup = (overrides: Partial<ServerConfigShape> = {}) =>
  Effect.gen(function*() {
    const c = yield* getCerts
    const stub = yield* StubUpstream.make()
    stub.set("one.test", "A", [a("one.test", "192.0.2.1", 300)])
    const lines: Array<string> = []
    const capture = Logger.make(({ message }) => {
      lines.push(Array.isArray(message) ? message.join(" ") : String(message))
    })
    const layer = dnsServerLayerWith(SystemLoadLive).pipe(
      Layer.provide(Layer.mergeAll(
        Layer.succeed(LimitPeriod, Duration.infinity),
        Layer.succeed(HeartbeatInterval, Duration.infinity)
      )),
      Layer.provide(Logger.minimumLogLevel(LogLevel.Debug)),
      Layer.provide(Logger.replace(Logger.defaultLogger, capture)),
      Layer.provide(ServerConfig.layer({
        listenHost: "127.0.0.1",
        dotPort: 0,
        dohPort: 0,
        healthPort: 0,
        tls: inlineCert(c),
        logLevel: LogLevel.Debug,
        dotHasProxyProto: true,
        dotProxyPort: 0,
        upstreams: [udpUpstream(stub.port)],
        ...overrides
      }))
    )
    const ctx = yield* Layer.buildWithScope(layer, yield* Effect.scope)
    const port = yield* portOf("dot-proxy").pipe(Effect.provide(ctx))
    const dohPort = yield* portOf("doh").pipe(Effect.provide(ctx))
    const registry = yield* TlsServerRegistry.pipe(Effect.provide(ctx))
    return { port, dohPort, lines, ca: c.caPem, registry }
  })

interface Proxied {
  readonly socket: tls.TLSSocket
  readonly raw: net.Socket
  readonly ask: (msg: Buffer) => Effect.Effect<Buffer, Error>
}

/**
 * A load balancer's connection: TCP to `port`, `header`, then TLS on the same socket. With `coalesce`,
 * the header and the ClientHello leave in one write (the server must push the hello back after the header).
 */
const connectProxied = (port: number, ca: string, header: Buffer, coalesce = false) =>
  Effect.acquireRelease(
    Effect.async<Proxied, Error>((resume) => {
      const raw = net.connect({ host: "127.0.0.1", port })
      raw.once("error", (e) => resume(Effect.fail(e)))
      raw.once("connect", () => {
        let transport: stream.Duplex = raw
        if (coalesce) {
          // a JS duplex in front of the socket: the first TLS write goes out prefixed with the header
          let first = true
          const duplex: stream.Duplex = new stream.Duplex({
            write(chunk: Buffer, _enc, cb) {
              raw.write(first ? Buffer.concat([header, chunk]) : chunk, cb)
              first = false
            },
            read() {
              raw.resume()
            },
            final(cb) {
              raw.end(cb)
            }
          })
          raw.on("data", (b: Buffer) => {
            if (!duplex.push(b)) raw.pause()
          })
          raw.on("end", () => duplex.push(null))
          raw.on("close", () => duplex.destroy())
          transport = duplex
        }
        const startTls = () => {
          const socket = tls.connect({ socket: transport, ca, servername: "localhost", ALPNProtocols: ["dot"] })
          socket.once("error", (e) => resume(Effect.fail(e)))
          socket.once("secureConnect", () => {
            const got: Array<Buffer> = []
            const waiters: Array<() => void> = []
            const reader = makeFrameReader((m) => {
              got.push(Buffer.from(m))
              for (const w of waiters.splice(0)) w()
            }, () => socket.destroy())
            socket.on("data", reader.push)
            resume(Effect.succeed({
              socket,
              raw,
              ask: (msg) =>
                Effect.async<Buffer, Error>((k) => {
                  const n = got.length + 1
                  const check = () => (got.length >= n ? k(Effect.succeed(got[n - 1]!)) : waiters.push(check))
                  socket.write(frame(msg))
                  check()
                }).pipe(Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => new Error("no answer") }))
            }))
          })
        }
        // the header alone first (the server sees it in a segment of its own), or with the hello
        if (coalesce) startTls()
        else raw.write(header, () => setTimeout(startTls, 50))
      })
    }),
    (c) => Effect.sync(() => c.socket.destroy())
  )

/** Connects, writes `bytes`, and resolves when the server closes (or fails after 5 s). */
const closedAfter = (port: number, bytes: Buffer): Effect.Effect<"closed", Error, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => net.connect({ host: "127.0.0.1", port })),
    (s) => Effect.sync(() => s.destroy())
  ).pipe(
    Effect.flatMap((s) =>
      Effect.async<"closed", Error>((k) => {
        s.on("error", () => {})
        s.on("close", () => k(Effect.succeed("closed")))
        s.on("connect", () => {
          if (bytes.length > 0) s.write(bytes)
        })
      }).pipe(Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => new Error("still open") }))
    )
  )

const clientLine = (lines: ReadonlyArray<string>, client: string) =>
  lines.find((l) => l.startsWith("PROXY ") && l.endsWith(`: client ${client}`))

describe("DoT behind a PROXY protocol load balancer", () => {
  it.scopedLive("v1 header, then TLS on the same socket: answered, the header's client is logged", () =>
    Effect.gen(function*() {
      const { ca, lines, port, registry } = yield* setup()
      const before = proxyAccepted.proxy
      const c = yield* connectProxied(port, ca, ProxyHeader.v1("192.0.2.44", "127.0.0.1", 40404, port))
      expect(c.socket.alpnProtocol).toBe("dot")
      const answer = yield* c.ask(query("one.test", "A", { id: 0x1234 }))
      expect(idOf(answer)).toBe(0x1234)
      expect(rcodeOf(answer)).toBe(0)
      expect(decode(answer).answers?.map((r) => r.data)).toEqual(["192.0.2.1"])
      expect(clientLine(lines, "192.0.2.44:40404")).toBe(
        `PROXY v1 PROXY from 127.0.0.1:${c.raw.localPort}: client 192.0.2.44:40404`
      )
      expect(proxyAccepted.proxy).toBe(before + 1)
      // one connection, counted once although two listeners saw it
      expect((yield* registry.counters).opened).toBe(1)
    }))

  it.scopedLive("v2 header with TLVs in the same segment as the ClientHello: answered, client logged", () =>
    Effect.gen(function*() {
      const { ca, lines, port } = yield* setup()
      const header = ProxyHeader.v2({ address: "2001:db8::44", port: 5353 }, { address: "::1", port }, {
        tlvs: [[0x01, Buffer.from("dot")], [0x04, Buffer.alloc(8)]]
      })
      const c = yield* connectProxied(port, ca, header, true)
      const answers = yield* Effect.forEach([1, 2, 3], (id) => c.ask(query("one.test", "A", { id })))
      expect(answers.map(idOf)).toEqual([1, 2, 3])
      expect(clientLine(lines, "2001:db8::44:5353")).toBeDefined()
    }))

  it.scopedLive("v2 LOCAL: answered, the peer's own address is the client", () =>
    Effect.gen(function*() {
      const { ca, lines, port } = yield* setup()
      const c = yield* connectProxied(port, ca, ProxyHeader.v2(undefined, undefined, { command: "LOCAL" }))
      expect(rcodeOf(yield* c.ask(query("one.test", "A", { id: 9 })))).toBe(0)
      const peer = `127.0.0.1:${c.raw.localPort}`
      expect(lines).toContain(`PROXY v2 LOCAL from ${peer}: client ${peer}`)
    }))

  it.scopedLive("ALLOW_CLIENTS is checked on the header's client: an allowed one is served, another closed before TLS", () =>
    Effect.gen(function*() {
      // the balancer (127.0.0.1) is not in the list: only the header's address counts
      const { ca, port } = yield* setup({ allowClients: Option.some([parseCidr("192.0.2.0/24")!]) })
      const allowed = yield* connectProxied(port, ca, ProxyHeader.v1("192.0.2.44", "127.0.0.1", 40404, port))
      expect(rcodeOf(yield* allowed.ask(query("one.test", "A", { id: 5 })))).toBe(0)
      const before = proxyRefused.NotAllowed
      expect(yield* closedAfter(port, ProxyHeader.v1("198.51.100.7", "127.0.0.1", 40404, port))).toBe("closed")
      expect(proxyRefused.NotAllowed).toBe(before + 1)
    }))

  it.scopedLive("an untrusted peer is refused before it can send anything", () =>
    Effect.gen(function*() {
      const { port } = yield* setup({ proxyTrusted: [parseCidr("10.0.0.0/8")!] })
      const before = proxyRefused.Untrusted
      expect(yield* closedAfter(port, ProxyHeader.v1("192.0.2.44", "127.0.0.1", 1, 2))).toBe("closed")
      expect(proxyRefused.Untrusted).toBe(before + 1)
    }))

  it.scopedLive("garbage, a bare ClientHello and an oversized header close only that connection", () =>
    Effect.gen(function*() {
      const healthPort = yield* Effect.promise(freePort)
      const { ca, port } = yield* setup({ healthPort })
      const good = yield* connectProxied(port, ca, ProxyHeader.v1("192.0.2.1", "127.0.0.1", 1, 2))
      const before = { ...proxyRefused }
      expect(yield* closedAfter(port, Buffer.from("GET / HTTP/1.1\r\n\r\n"))).toBe("closed")
      expect(yield* closedAfter(port, Buffer.from([0x16, 0x03, 0x01, 0x00, 0x10]))).toBe("closed")
      expect(yield* closedAfter(port, Buffer.from(`PROXY UNKNOWN ${"x".repeat(200)}`))).toBe("closed")
      expect(yield* closedAfter(port, ProxyHeader.v2(undefined, undefined, { length: 2000 }))).toBe("closed")
      expect(yield* closedAfter(port, Buffer.from("PROXY TCP4 1.2.3 4.5.6.7 1 2\r\n"))).toBe("closed")
      expect(proxyRefused.NoHeader).toBe(before.NoHeader + 2)
      expect(proxyRefused.Oversized).toBe(before.Oversized + 2)
      expect(proxyRefused.Malformed).toBe(before.Malformed + 1)
      // the connection that came before is still served
      expect(rcodeOf(yield* good.ask(query("one.test", "A", { id: 7 })))).toBe(0)
      // and /metrics counts by reason
      const metrics = (yield* Effect.promise(() => httpRequest(healthPort, "/metrics"))).body
      for (const [result, n] of [["noheader", proxyRefused.NoHeader], ["oversized", proxyRefused.Oversized]] as const) {
        expect(metrics).toContain(`vigil_dot_proxy_connections_total{result="${result}"} ${n}\n`)
      }
      expect(metrics).toContain(`vigil_dot_proxy_connections_total{result="proxy"} ${proxyAccepted.proxy}\n`)
    }))

  it.scopedLive("a silent peer is closed after the handshake timeout", () =>
    Effect.gen(function*() {
      const { port } = yield* setup({ workerTimeout: Duration.millis(100) })
      const before = proxyRefused.Timeout
      // max(WORKER_TIMEOUT / 2, 3000) ms
      expect(yield* closedAfter(port, Buffer.from("PROXY "))).toBe("closed")
      expect(proxyRefused.Timeout).toBe(before + 1)
    }), 10_000)
})

/** A DoH POST with a wrong content type (415, logged at debug with the client address) and `X-Forwarded-For`. */
const rejectedH1 = (port: number, ca: string, xff: string) =>
  Effect.async<number, Error>((k) => {
    const req = https.request({
      host: "127.0.0.1",
      port,
      ca,
      servername: "localhost",
      method: "POST",
      path: "/dns-query",
      headers: { "content-type": "text/plain", "x-forwarded-for": xff, connection: "close" }
    }, (res) => {
      res.resume()
      res.on("end", () => k(Effect.succeed(res.statusCode ?? 0)))
    })
    req.on("error", (e) => k(Effect.fail(e)))
    req.end("x")
  })

const rejectedH2 = (port: number, ca: string, xff: string) =>
  Effect.async<number, Error>((k) => {
    const session = http2.connect(`https://localhost:${port}`, { ca, host: "127.0.0.1" })
    session.on("error", (e) => k(Effect.fail(e)))
    const req = session.request({
      ":method": "POST",
      ":path": "/dns-query",
      "content-type": "text/plain",
      "x-forwarded-for": xff
    })
    let status = 0
    req.on("response", (h) => (status = Number(h[":status"])))
    req.on("error", (e) => k(Effect.fail(e)))
    req.resume()
    req.on("end", () => {
      session.close()
      k(Effect.succeed(status))
    })
    req.end("x")
  })

describe("DoH behind an HTTP proxy: X-Forwarded-For", () => {
  it.scopedLive("a trusted peer's right-most untrusted X-Forwarded-For entry is the client (HTTP/1.1, HTTP/2)", () =>
    Effect.gen(function*() {
      const { ca, dohPort, lines } = yield* setup()
      expect(yield* rejectedH1(dohPort, ca, "6.6.6.6, 198.51.100.7, 127.0.0.9")).toBe(415)
      expect(yield* rejectedH2(dohPort, ca, "6.6.6.6, 198.51.100.8")).toBe(415)
      const rejections = lines.filter((l) => l.startsWith("415 to "))
      expect(rejections.map((l) => l.split(":")[0])).toEqual(["415 to 198.51.100.7", "415 to 198.51.100.8"])
    }))

  it.scopedLive("an untrusted peer's X-Forwarded-For is ignored", () =>
    Effect.gen(function*() {
      const { ca, dohPort, lines } = yield* setup({ proxyTrusted: [parseCidr("10.0.0.0/8")!] })
      expect(yield* rejectedH1(dohPort, ca, "198.51.100.7")).toBe(415)
      expect(yield* rejectedH2(dohPort, ca, "198.51.100.8")).toBe(415)
      expect(lines.filter((l) => l.startsWith("415 to ")).map((l) => l.split(":")[0])).toEqual([
        "415 to 127.0.0.1",
        "415 to 127.0.0.1"
      ])
    }))
})

/** Cleartext DoH (TLS offload) with debug logs captured in `lines`; yields the cleartext DoH port. */
const setupOffload = (overrides: Partial<ServerConfigShape> = {}) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const capture = Logger.make(({ message }) => {
      lines.push(Array.isArray(message) ? message.join(" ") : String(message))
    })
    const layer = offloadServerLayerWith(SystemLoadLive).pipe(
      Layer.provide(Layer.mergeAll(
        Layer.succeed(LimitPeriod, Duration.infinity),
        Layer.succeed(HeartbeatInterval, Duration.infinity)
      )),
      Layer.provide(Logger.minimumLogLevel(LogLevel.Debug)),
      Layer.provide(Logger.replace(Logger.defaultLogger, capture)),
      Layer.provide(ServerConfig.layer({
        listenHost: "127.0.0.1",
        healthPort: 0,
        dotCleartextPort: 0,
        dohCleartextPort: 0,
        tlsOffload: true,
        logLevel: LogLevel.Debug,
        upstreams: [udpUpstream(9)],
        ...overrides
      }))
    )
    const ctx = yield* Layer.buildWithScope(layer, yield* Effect.scope)
    return { port: yield* portOf("doh-cleartext").pipe(Effect.provide(ctx)), lines }
  })

const rejectedCleartext = (port: number, xff: string) =>
  Effect.async<number, Error>((k) => {
    const req = http.request({
      host: "127.0.0.1",
      port,
      method: "POST",
      path: "/dns-query",
      headers: { "content-type": "text/plain", "x-forwarded-for": xff, connection: "close" }
    }, (res) => {
      res.resume()
      res.on("end", () => k(Effect.succeed(res.statusCode ?? 0)))
    })
    req.on("error", (e) => k(Effect.fail(e)))
    req.end("x")
  })

describe("cleartext DoH (TLS offload) behind an HTTP proxy: X-Forwarded-For", () => {
  it.scopedLive("the right-most untrusted entry from a trusted peer; ignored from an untrusted one", () =>
    Effect.gen(function*() {
      const trusted = yield* setupOffload()
      expect(yield* rejectedCleartext(trusted.port, "6.6.6.6, 198.51.100.7, 127.0.0.2")).toBe(415)
      const untrusted = yield* setupOffload({ proxyTrusted: [parseCidr("10.0.0.0/8")!] })
      expect(yield* rejectedCleartext(untrusted.port, "198.51.100.7")).toBe(415)
      const first = (lines: ReadonlyArray<string>) => lines.find((l) => l.startsWith("415 to "))?.split(":")[0]
      expect(first(trusted.lines)).toBe("415 to 198.51.100.7")
      expect(first(untrusted.lines)).toBe("415 to 127.0.0.1")
    }))
})
