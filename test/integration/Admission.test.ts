/**
 * Who may use the resolver (issue 8) over real sockets: ALLOW_CLIENTS (a client bound to 127.0.0.9 is
 * refused on DoT before TLS and answered 403 on DoH), access tokens (DoT SNI first label, DoH path
 * segment, TLS-PSK as credential; kdig and the built server, whose logs never show a token), per-client
 * rate limits (dnsperf burst over DoT: REFUSED and no upstream work; 429 on DoH; another /24 unaffected),
 * the counters, and `node dist/main.js token new`.
 */
import type * as dnsPacket from "@dnsquery/dns-packet"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, Layer, Option, Redacted } from "effect"
import { writeFile } from "node:fs/promises"
import * as https from "node:https"
import * as os from "node:os"
import * as path from "node:path"
import * as tls from "node:tls"
import { hashToken, newToken, parseAccessKeys, verify } from "../../src/services/AccessKeys.js"
import { Admission } from "../../src/services/Admission.js"
import { frame, makeFrameReader } from "../../src/services/QueryHandler/Framing.js"
import type { ServerConfigShape } from "../../src/services/ServerConfig.js"
import { parseCidr } from "../../src/services/ServerConfig.js"
import { mintCerts, type TestCerts, writeCerts } from "../fixtures/Certs.js"
import { a, decode, query, rcodeOf } from "../fixtures/Dns.js"
import { startServer } from "../fixtures/ServerProcess.js"
import * as StubUpstream from "../fixtures/StubUpstream.js"
import { portOf, serverLayer, udpUpstream } from "../fixtures/TestServer.js"
import { describeRun, run, Tools } from "../fixtures/Tools.js"

const certs: TestCerts = await mintCerts({ dnsNames: ["localhost", "dns.localhost", "*.dns.localhost"] })

// PROTOCOLS.md §3 test vector: the key of id 11×32 for TLS_PSK = 0b×32
const PSK_SEED = Buffer.alloc(32, 0x0b)
const PSK_ID = "11".repeat(32)
const PSK_KEY = "5de380c71e95496f77755d9420a27cc452e2ef7b8e86f62d7cfab4fe706994b7" +
  "5a5cfb1eb26c2dc1998767793c364a4fba3ce2d3ef259d842494f60a36758eed"

const start = (overrides: Partial<ServerConfigShape>) =>
  Effect.gen(function*() {
    const stub = yield* StubUpstream.make()
    stub.set("one.test", "A", [a("one.test", "192.0.2.1", 300)])
    const ctx = yield* Layer.buildWithScope(
      serverLayer(certs, { upstreams: [udpUpstream(stub.port)], workerTimeout: Duration.seconds(2), ...overrides }),
      yield* Effect.scope
    )
    return {
      stub,
      dot: yield* portOf("dot").pipe(Effect.provide(ctx)),
      doh: yield* portOf("doh").pipe(Effect.provide(ctx)),
      admission: yield* Admission.pipe(Effect.provide(ctx))
    }
  })

interface DotOutcome {
  /** the TLS handshake completed */
  readonly secured: boolean
  readonly answers: ReadonlyArray<Buffer>
}

/** One DoT connection from `localAddress` with `servername`: sends `queries`, collects answers until close or `n`. */
const dotExchange = (
  port: number,
  opts: {
    readonly localAddress?: string
    readonly servername?: string
    readonly queries: ReadonlyArray<Uint8Array>
    readonly psk?: boolean
  }
) =>
  Effect.async<DotOutcome>((resume) => {
    let secured = false
    const answers: Array<Buffer> = []
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      ...(opts.localAddress === undefined ? {} : { localAddress: opts.localAddress }),
      ...(opts.psk === true
        ? {
          ciphers: "PSK-AES128-GCM-SHA256",
          maxVersion: "TLSv1.2" as const,
          pskCallback: () => ({ psk: Buffer.from(PSK_KEY, "hex"), identity: PSK_ID }),
          checkServerIdentity: () => undefined
        }
        : { ca: certs.caPem, servername: opts.servername ?? "dns.localhost" }),
      ALPNProtocols: ["dot"]
    })
    const done = () => {
      socket.destroy()
      resume(Effect.succeed({ secured, answers }))
    }
    const reader = makeFrameReader((m) => {
      answers.push(Buffer.from(m))
      if (answers.length === opts.queries.length) done()
    }, done)
    socket.on("secureConnect", () => {
      secured = true
      for (const q of opts.queries) socket.write(frame(q))
    })
    socket.on("data", reader.push)
    socket.on("error", done)
    socket.on("close", done)
    return Effect.sync(() => socket.destroy())
  })

/** A DoH GET over HTTP/1.1 from `localAddress`. */
const dohGet = (port: number, pathname: string, q: Uint8Array, localAddress?: string) =>
  Effect.async<{ status: number; body: Buffer }, Error>((resume) => {
    const req = https.get({
      host: "127.0.0.1",
      port,
      ca: certs.caPem,
      servername: "dns.localhost",
      path: `${pathname}?dns=${Buffer.from(q).toString("base64url")}`,
      agent: false,
      ...(localAddress === undefined ? {} : { localAddress })
    }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) })))
    })
    req.on("error", (e) => resume(Effect.fail(e)))
  })

const addressesOf = (b: Buffer) =>
  (decode(b).answers ?? []).flatMap((r: dnsPacket.Answer) => (r.type === "A" ? [r.data] : []))

describe("ALLOW_CLIENTS", () => {
  it.scopedLive("a client from 127.0.0.9 is closed before TLS on DoT and gets 403 on DoH; 127.0.0.1 is served", () =>
    Effect.gen(function*() {
      const { admission, doh, dot } = yield* start({
        allowClients: Option.some([parseCidr("127.0.0.1/32")!, parseCidr("::1")!])
      })
      const refused = yield* dotExchange(dot, { localAddress: "127.0.0.9", queries: [query("one.test")] })
      expect(refused).toEqual({ secured: false, answers: [] })
      const served = yield* dotExchange(dot, { localAddress: "127.0.0.1", queries: [query("one.test")] })
      expect(served.answers.map(addressesOf)).toEqual([["192.0.2.1"]])

      const forbidden = yield* dohGet(doh, "/dns-query", query("one.test"), "127.0.0.9")
      expect(forbidden.status).toBe(403)
      const ok = yield* dohGet(doh, "/dns-query", query("one.test"), "127.0.0.1")
      expect(ok.status).toBe(200)
      expect(addressesOf(ok.body)).toEqual(["192.0.2.1"])
      expect(admission.read().refused).toMatchObject({ dot: { acl: 1 }, doh: { acl: 1 } })
    }))
})

describe("access tokens (ACCESS_KEYS)", () => {
  const token = newToken()
  const other = newToken()
  const keys = Option.some(keysOf(`${hashToken(token)},${hashToken(other)}`))

  it.scopedLive("DoT: the SNI's first label carries the token (also <token>-<lists>); missing or wrong: closed after the handshake", () =>
    Effect.gen(function*() {
      const { admission, dot } = yield* start({ accessKeys: keys })
      const ok = yield* dotExchange(dot, { servername: `${token}.dns.localhost`, queries: [query("one.test")] })
      expect(ok.answers.map(addressesOf)).toEqual([["192.0.2.1"]])
      const second = yield* dotExchange(dot, { servername: `${other}.dns.localhost`, queries: [query("one.test")] })
      expect(second.answers).toHaveLength(1)
      const withLists = yield* dotExchange(dot, {
        servername: `${token}-ads.dns.localhost`,
        queries: [query("one.test")]
      })
      expect(withLists.answers).toHaveLength(1)
      const missing = yield* dotExchange(dot, { servername: "dns.localhost", queries: [query("one.test")] })
      expect(missing).toEqual({ secured: true, answers: [] })
      const wrong = yield* dotExchange(dot, {
        servername: `${token.slice(0, -1)}${token.endsWith("a") ? "b" : "a"}.dns.localhost`, // one character off
        queries: [query("one.test")]
      })
      expect(wrong).toEqual({ secured: true, answers: [] })
      expect(admission.read().refused.dot).toMatchObject({ token_missing: 1, token_wrong: 1 })
    }))

  it.scopedLive("DoH: /dns-query/<token> and /dns-query/<token>/<lists> answered; missing or wrong token: 401", () =>
    Effect.gen(function*() {
      const { admission, doh } = yield* start({ accessKeys: keys })
      const ok = yield* dohGet(doh, `/dns-query/${token}`, query("one.test"))
      expect(ok.status).toBe(200)
      expect(addressesOf(ok.body)).toEqual(["192.0.2.1"])
      expect((yield* dohGet(doh, `/dns-query/${token}/ads`, query("one.test"))).status).toBe(200)
      expect((yield* dohGet(doh, "/dns-query", query("one.test"))).status).toBe(401)
      expect((yield* dohGet(doh, `/dns-query/${other.slice(1)}`, query("one.test"))).status).toBe(401)
      expect(admission.read().refused.doh).toMatchObject({ token_missing: 1, token_wrong: 1 })
    }))

  it.scopedLive("TLS-PSK is a credential: a PSK DoT connection needs no token", () =>
    Effect.gen(function*() {
      const { dot } = yield* start({ accessKeys: keys, tlsPsk: Option.some(Redacted.make(PSK_SEED)) })
      const ok = yield* dotExchange(dot, { psk: true, queries: [query("one.test")] })
      expect(ok.answers.map(addressesOf)).toEqual([["192.0.2.1"]])
    }))

  it(
    "kdig with the token in the SNI and the path is answered; the built server's debug logs never show a token",
    async (ctx) => {
      const kdig = Tools.kdig.need(ctx)
      const files = await writeCerts(certs)
      const server = await startServer({
        upstream: "udp://127.0.0.1:9",
        tls: { certPath: files.certPath, keyPath: files.keyPath },
        env: {
          ACCESS_KEYS: `${hashToken(token)}`,
          EFFECT_LOG_LEVEL: "debug",
          WORKER_TIMEOUT: "4000",
          WORKERS: "1"
        }
      })
      try {
        const q = ["+retry=0", "+timeout=3", "one.test", "A"]
        const viaDot = await run(kdig, [
          "@127.0.0.1",
          "-p",
          String(server.ports.dot),
          "+tls",
          `+tls-sni=${token}.dns.localhost`,
          ...q
        ])
        // the upstream is a closed port: SERVFAIL proves the query got through admission
        expect(viaDot.stdout, describeRun(viaDot)).toMatch(/status: SERVFAIL/)
        const viaDoh = await run(kdig, [
          "@127.0.0.1",
          "-p",
          String(server.ports.doh),
          `+https=/dns-query/${token}`,
          ...q
        ])
        expect(viaDoh.stdout, describeRun(viaDoh)).toMatch(/status: SERVFAIL/)
        const wrongDot = await run(kdig, [
          "@127.0.0.1",
          "-p",
          String(server.ports.dot),
          "+tls",
          `+tls-sni=${other}.dns.localhost`,
          ...q
        ])
        expect(wrongDot.stdout, describeRun(wrongDot)).not.toMatch(/status:/)
        const wrongDoh = await run(kdig, [
          "@127.0.0.1",
          "-p",
          String(server.ports.doh),
          `+https=/dns-query/${other}`,
          ...q
        ])
        expect(wrongDoh.stdout + wrongDoh.stderr, describeRun(wrongDoh)).toMatch(/401/)
        await new Promise((r) => setTimeout(r, 300))
        const logs = server.output()
        expect(logs).toMatch(/token (missing|wrong)/)
        expect(logs).not.toContain(token)
        expect(logs).not.toContain(other)
      } finally {
        await server.stop("SIGTERM")
        await files.cleanup()
      }
    },
    60_000
  )

  it("node dist/main.js token new prints a token and an ACCESS_KEYS line that admits it", async () => {
    const r = await run(process.execPath, [path.resolve("dist/main.js"), "token", "new"])
    expect(r.code, describeRun(r)).toBe(0)
    const [printed, line] = r.stdout.trim().split("\n")
    expect(printed).toMatch(/^[a-z2-7]{32}$/)
    expect(line).toMatch(/^ACCESS_KEYS=s1:/)
    const parsed = keysOf(line!.slice("ACCESS_KEYS=".length))
    expect(verify(parsed, printed)).toBe(true)
    expect(verify(parsed, newToken())).toBe(false)
  })
})

describe("rate limits", () => {
  it.scopedLive("over DoH: 429 once the burst is spent; another /24 is unaffected", () =>
    Effect.gen(function*() {
      const { admission, doh } = yield* start({ rateLimitQps: 1, rateLimitBurst: 5 })
      const statuses: Array<number> = []
      for (let i = 0; i < 8; i++) {
        statuses.push((yield* dohGet(doh, "/dns-query", query("one.test"), "127.0.0.1")).status)
      }
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200])
      expect(statuses.slice(5)).toContain(429)
      expect((yield* dohGet(doh, "/dns-query", query("one.test"), "127.0.1.1")).status).toBe(200)
      expect(admission.read().refused.doh.rate_limited).toBeGreaterThan(0)
    }))

  it.scopedLive("a dnsperf burst over DoT: over-limit queries are REFUSED and never reach the upstream; others unaffected", (ctx) =>
    Effect.gen(function*() {
      const dnsperf = Tools.dnsperf.need(ctx)
      const { admission, dot, stub } = yield* start({ rateLimitQps: 20, rateLimitBurst: 20, cacheSize: 0 })
      const data = path.join(os.tmpdir(), `vigil-dnsperf-${process.pid}.txt`)
      // distinct names: nothing is coalesced, every admitted query goes upstream (NXDOMAIN from the stub)
      yield* Effect.promise(() => writeFile(data, Array.from({ length: 300 }, (_, i) => `n${i}.test A\n`).join("")))
      const r = yield* Effect.promise(() =>
        run(dnsperf, [
          "-m",
          "dot",
          "-s",
          "127.0.0.1",
          "-p",
          String(dot),
          "-d",
          data,
          "-n",
          "1",
          "-c",
          "1",
          "-q",
          "50"
        ])
      )
      const codes = Object.fromEntries(
        [...r.stdout.matchAll(/(NOERROR|NXDOMAIN|REFUSED|SERVFAIL) (\d+)/g)].map((m) => [m[1], Number(m[2])])
      )
      expect(codes["REFUSED"], describeRun(r)).toBeGreaterThan(100)
      const answered = (codes["NOERROR"] ?? 0) + (codes["NXDOMAIN"] ?? 0)
      expect(answered, describeRun(r)).toBeGreaterThanOrEqual(20)
      // the cache is off: every query that was not refused went upstream, and only those
      expect(stub.counts().udp).toBe(answered)
      expect(admission.read().refused.dot.rate_limited).toBe(codes["REFUSED"])
      // another /24 still gets answers
      const other = yield* dotExchange(dot, { localAddress: "127.0.1.1", queries: [query("one.test")] })
      expect(other.answers.map(rcodeOf)).toEqual([0])
    }))
})

const keysOf = (text: string) => Either.getOrThrowWith(parseAccessKeys(text), (m) => new Error(m))
