import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import { mkdtempSync, readdirSync } from "node:fs"
import * as http from "node:http"
import * as http2 from "node:http2"
import * as net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as tls from "node:tls"
import { H2_PREFACE, sniffHttpVersion } from "../../src/programs/Cleartext.js"
import { frame, makeFrameReader } from "../../src/services/QueryHandler/Framing.js"
import { TlsServerRegistry } from "../../src/services/TlsServerRegistry.js"
import { decode, idOf, query } from "../fixtures/Dns.js"
import { type MiniUpstream, startMiniUpstream } from "../fixtures/MiniUpstream.js"
import { offloadLayer, portOf, udpUpstream } from "../fixtures/TestServer.js"

const serverLayer = (upstream: MiniUpstream, dataDir: string) =>
  offloadLayer(dataDir, { upstreams: [udpUpstream(upstream.port)], shutdownTimeout: Duration.seconds(2) })

const withUpstream = Effect.acquireRelease(
  Effect.promise(() => startMiniUpstream()),
  (u) => Effect.promise(() => u.close())
)

/** One framed query over a plain TCP connection; resolves with the answer. */
const cleartextDot = (port: number, msg: Buffer) =>
  Effect.async<Buffer, Error>((resume) => {
    const socket = net.connect({ host: "127.0.0.1", port })
    const reader = makeFrameReader((m) => {
      socket.end()
      resume(Effect.succeed(Buffer.from(m)))
    }, () => socket.destroy())
    socket.on("data", reader.push)
    socket.on("error", (e) => resume(Effect.fail(e)))
    // split the frame across two writes: framing, not segment boundaries, delimits a message
    const framed = frame(msg)
    socket.write(framed.subarray(0, 3))
    setTimeout(() => socket.write(framed.subarray(3)), 20)
    return Effect.sync(() => socket.destroy())
  })

const h1Request = (port: number, method: "GET" | "POST", msg: Buffer) =>
  Effect.async<{ status: number; httpVersion: string; type: string | undefined; body: Buffer }, Error>((resume) => {
    const path = method === "GET" ? `/dns-query?dns=${msg.toString("base64url")}` : "/dns-query"
    const req = http.request({
      host: "127.0.0.1",
      port,
      path,
      method,
      agent: false,
      headers: method === "POST"
        ? { "content-type": "application/dns-message", accept: "application/dns-message" }
        : { accept: "application/dns-message" }
    }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () =>
        resume(Effect.succeed({
          status: res.statusCode ?? 0,
          httpVersion: res.httpVersion,
          type: res.headers["content-type"],
          body: Buffer.concat(chunks)
        })))
    })
    req.on("error", (e) => resume(Effect.fail(e)))
    req.end(method === "POST" ? msg : undefined)
  })

const h2cRequest = (port: number, method: "GET" | "POST", msg: Buffer) =>
  Effect.async<{ status: number; type: string | undefined; body: Buffer }, Error>((resume) => {
    const session = http2.connect(`http://127.0.0.1:${port}`)
    session.on("error", (e) => resume(Effect.fail(e)))
    const req = session.request({
      ":method": method,
      ":path": method === "GET" ? `/dns-query?dns=${msg.toString("base64url")}` : "/dns-query",
      ...(method === "POST" ? { "content-type": "application/dns-message" } : {})
    })
    let status = 0
    let type: string | undefined
    req.on("response", (h) => {
      status = Number(h[":status"])
      type = typeof h["content-type"] === "string" ? h["content-type"] : undefined
    })
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      session.close()
      resume(Effect.succeed({ status, type, body: Buffer.concat(chunks) }))
    })
    req.on("error", (e) => resume(Effect.fail(e)))
    req.end(method === "POST" ? msg : undefined)
    return Effect.sync(() => session.destroy())
  })

const addressesOf = (answer: Buffer) => (decode(answer).answers ?? []).map((a) => a.data)

describe("sniffHttpVersion", () => {
  it("is undecided on every strict prefix of the HTTP/2 preface and h2 on all of it", () => {
    for (let n = 0; n < H2_PREFACE.length; n++) expect(sniffHttpVersion(H2_PREFACE.subarray(0, n))).toBe("undecided")
    expect(sniffHttpVersion(H2_PREFACE)).toBe("h2")
    expect(sniffHttpVersion(Buffer.concat([H2_PREFACE, Buffer.from([0, 0, 0, 4])]))).toBe("h2")
  })

  it("is h1 as soon as a byte differs from the preface", () => {
    expect(sniffHttpVersion(Buffer.from("G"))).toBe("h1")
    expect(sniffHttpVersion(Buffer.from("POST /dns-query HTTP/1.1\r\n"))).toBe("h1")
    // "PRI * HTTP/1.1" shares the first 11 bytes
    expect(sniffHttpVersion(Buffer.from("PRI * HTTP/1.1\r\n"))).toBe("h1")
  })
})

describe("TLS offload (in-process, real sockets)", () => {
  it.scopedLive("serves cleartext DoT, HTTP/1.1 and h2c DoH, with no TLS listener and no certificate", () =>
    Effect.gen(function*() {
      const upstream = yield* withUpstream
      const dataDir = mkdtempSync(join(tmpdir(), "vigil-offload-"))
      yield* Effect.gen(function*() {
        const registry = yield* TlsServerRegistry
        const servers = yield* registry.servers
        expect(servers.map((s) => s.kind).sort()).toEqual(["doh-cleartext", "dot-cleartext"])
        expect(servers.some((s) => s.server instanceof tls.Server)).toBe(false)
        expect(yield* registry.accepting).toBe(true)
        // the TLS options need a certificate, which this mode never loads
        expect(yield* Effect.exit(registry.tlsOptions(["dot"]))).toMatchObject({ _tag: "Failure" })

        const dotPort = yield* portOf("dot-cleartext")
        const dohPort = yield* portOf("doh-cleartext")

        const dot = yield* cleartextDot(dotPort, query("example.test", "A", { id: 0x4242 }))
        expect(idOf(dot)).toBe(0x4242)
        expect(addressesOf(dot)).toEqual(["192.0.2.1"])

        for (const method of ["GET", "POST"] as const) {
          const h1 = yield* h1Request(dohPort, method, query("www.example.test", "A", { id: 0 }))
          expect(h1.status).toBe(200)
          expect(h1.httpVersion).toBe("1.1")
          expect(h1.type).toBe("application/dns-message")
          expect(addressesOf(h1.body)).toEqual(["192.0.2.2"])

          const h2 = yield* h2cRequest(dohPort, method, query("multi.example.test", "A", { id: 0 }))
          expect(h2.status).toBe(200)
          expect(h2.type).toBe("application/dns-message")
          expect(addressesOf(h2.body).sort()).toEqual(["192.0.2.10", "192.0.2.11"])
        }
        // an empty ?dns= is a 400, not a hang
        expect(
          yield* h1Request(dohPort, "GET", Buffer.alloc(0)).pipe(
            Effect.map((r) => r.status)
          )
        ).toBe(400)
      }).pipe(Effect.provide(serverLayer(upstream, dataDir)), Effect.scoped)
      // no certificate (self-signed or other) was written, nothing at all
      expect(readdirSync(dataDir)).toEqual([])
    }))

  it.scopedLive("cleartext DoT: 30 pipelined queries then a half-close get 30 answers, then the server closes", () =>
    Effect.gen(function*() {
      const upstream = yield* withUpstream
      const dataDir = mkdtempSync(join(tmpdir(), "vigil-offload-"))
      yield* Effect.gen(function*() {
        const port = yield* portOf("dot-cleartext")
        // answers are corked within an event-loop turn and go out together; the FIN must wait for them
        const ids = yield* Effect.async<Array<number>, Error>((resume) => {
          const got: Array<number> = []
          const socket = net.connect({ host: "127.0.0.1", port })
          const reader = makeFrameReader((m) => got.push(idOf(Buffer.from(m))), () => socket.destroy())
          socket.on("data", reader.push)
          socket.on("end", () => resume(Effect.succeed(got)))
          socket.on("error", (e) => resume(Effect.fail(e)))
          const names = ["example.test", "www.example.test", "multi.example.test"]
          socket.end(
            Buffer.concat(Array.from({ length: 30 }, (_, i) => frame(query(names[i % 3]!, "A", { id: 1000 + i }))))
          )
          return Effect.sync(() => socket.destroy())
        })
        expect(ids.sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => 1000 + i))
      }).pipe(Effect.provide(serverLayer(upstream, dataDir)), Effect.scoped)
    }))

  it.scopedLive("closes its listeners when the layer ends (graceful shutdown)", () =>
    Effect.gen(function*() {
      const upstream = yield* withUpstream
      const dataDir = mkdtempSync(join(tmpdir(), "vigil-offload-"))
      const ports = yield* Effect.gen(function*() {
        return [yield* portOf("dot-cleartext"), yield* portOf("doh-cleartext")] as const
      }).pipe(Effect.provide(serverLayer(upstream, dataDir)), Effect.scoped)
      for (const port of ports) {
        const refused = yield* Effect.async<boolean>((resume) => {
          const s = net.connect({ host: "127.0.0.1", port })
          s.on("connect", () => {
            s.destroy()
            resume(Effect.succeed(false))
          })
          s.on("error", () => resume(Effect.succeed(true)))
        })
        expect(refused).toBe(true)
      }
    }))
})
