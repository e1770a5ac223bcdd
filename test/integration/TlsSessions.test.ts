/**
 * TLS sessions with real clients (SPEC.md §5, issue 4): `openssl s_client` resumes sessions from
 * tickets (TLS 1.3 and 1.2) and session ids, ticket keys rotate at period boundaries and are shared by
 * every server holding the same secret (in-process and as separate processes), TLS-PSK serves a DoT
 * query on the first handshake, and a TCP proxy reads the server's TLS record sizes off the wire.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option, Redacted, Schedule } from "effect"
import { mkdtemp, rm } from "node:fs/promises"
import * as http2 from "node:http2"
import * as https from "node:https"
import * as net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as tls from "node:tls"
import { frame, makeFrameReader } from "../../src/services/QueryHandler/Framing.js"
import type { ServerConfigShape } from "../../src/services/ServerConfig.js"
import { nextBoundary } from "../../src/services/TicketKeys.js"
import { snapshotTlsSessionStats, type TlsSessionStats } from "../../src/services/TlsSessions.js"
import { type CertFiles, mintCerts, type TestCerts, writeCerts } from "../fixtures/Certs.js"
import { a, decode, query } from "../fixtures/Dns.js"
import { startServer } from "../fixtures/ServerProcess.js"
import * as StubUpstream from "../fixtures/StubUpstream.js"
import { portOf, serverLayer, udpUpstream } from "../fixtures/TestServer.js"
import { describeRun, run, type RunResult, type SkipContext, Tools } from "../fixtures/Tools.js"

let certs: TestCerts
let files: CertFiles
let sessDir: string
let sessN = 0

beforeAll(async () => {
  certs = await mintCerts()
  files = await writeCerts(certs)
  sessDir = await mkdtemp(join(tmpdir(), "vigil-sess-"))
})
afterAll(async () => {
  await files?.cleanup()
  if (sessDir !== undefined) await rm(sessDir, { recursive: true, force: true })
})

/** A new path for an `-sess_out` file. */
const sessFile = () => join(sessDir, `s${++sessN}.pem`)

const SECRET = Buffer.alloc(64, 0x42)
const PSK_SEED = Buffer.alloc(32, 0x0b)
// PROTOCOLS.md §3 test vector: the key of id 11×32 for TLS_PSK = 0b×32
const PSK_ID = "11".repeat(32)
const PSK_KEY = "5de380c71e95496f77755d9420a27cc452e2ef7b8e86f62d7cfab4fe706994b7" +
  "5a5cfb1eb26c2dc1998767793c364a4fba3ce2d3ef259d842494f60a36758eed"

/** The server in-process (stub upstream, 1 s idle timeout so that s_client ends soon); its ports. */
const startInProcess = (overrides: Partial<ServerConfigShape> = {}) =>
  Effect.gen(function*() {
    const stub = yield* StubUpstream.make()
    stub.set("one.test", "A", [a("one.test", "192.0.2.1", 300)])
    const ctx = yield* Layer.buildWithScope(
      serverLayer(certs, { upstreams: [udpUpstream(stub.port)], workerTimeout: Duration.seconds(1), ...overrides }),
      yield* Effect.scope
    )
    return {
      stub,
      dot: yield* portOf("dot").pipe(Effect.provide(ctx)),
      doh: yield* portOf("doh").pipe(Effect.provide(ctx))
    }
  })

interface Handshake {
  /** "New" or "Reused" as s_client printed it, undefined when no session was set up */
  readonly session: "New" | "Reused" | undefined
  readonly protocol: string | undefined
  readonly cipher: string | undefined
  readonly run: RunResult
}

const parseHandshake = (r: RunResult): Handshake => {
  const m = /^(New|Reused), (\S+), Cipher is (\S+)$/m.exec(r.stdout)
  return {
    session: m?.[1] as Handshake["session"],
    protocol: m === null || m[2] === "(NONE)" ? undefined : m[2],
    cipher: m === null || m[3] === "(NONE)" ? undefined : m[3],
    run: r
  }
}

/** `openssl s_client` to a listener on 127.0.0.1, trusting the test CA; waits for the server to close. */
const sClient = (ctx: SkipContext, port: number, args: ReadonlyArray<string>, input: string | Uint8Array = "") =>
  Effect.promise(() =>
    run(Tools.openssl.need(ctx), [
      "s_client",
      "-connect",
      `127.0.0.1:${port}`,
      "-servername",
      "localhost",
      "-CAfile",
      files.caPath,
      "-ign_eof",
      ...args
    ], { input, timeoutMs: 10_000 })
  ).pipe(Effect.map(parseHandshake))

const b64url = (b: Uint8Array) => Buffer.from(b).toString("base64url")
/** An HTTP/1.1 DoH GET that closes the connection after the answer. */
const dohGet = (name: string) =>
  `GET /dns-query?dns=${b64url(query(name, "A", { id: 0 }))} HTTP/1.1\r\nHost: localhost\r\n` +
  "Accept: application/dns-message\r\nConnection: close\r\n\r\n"

/** A DoH (HTTP/1.1) exchange: handshake, one query, answer, close. */
const doh = (ctx: SkipContext, port: number, args: ReadonlyArray<string>) =>
  sClient(ctx, port, ["-alpn", "http/1.1", ...args], dohGet("one.test")).pipe(
    Effect.tap((h) => expect(h.run.stdout, describeRun(h.run)).toMatch(/^HTTP\/1\.1 200 OK/m))
  )
/** A DoT exchange: handshake, one framed query; ends when the server closes the idle connection. */
const dot = (ctx: SkipContext, port: number, args: ReadonlyArray<string>) =>
  sClient(ctx, port, ["-alpn", "dot", ...args], frame(query("one.test", "A", { id: 7 })))

const TLS13 = ["-tls1_3"]
const TLS12 = ["-tls1_2"]

/** How each counter moved since `before`. */
const delta = (before: TlsSessionStats) => {
  const now = snapshotTlsSessionStats()
  return {
    full: now.fullHandshakes - before.fullHandshakes,
    ticket: now.resumed.ticket - before.resumed.ticket,
    sessionId: now.resumed.sessionId - before.resumed.sessionId,
    psk: now.resumed.psk - before.resumed.psk,
    rotations: now.ticketRotations - before.ticketRotations,
    hits: now.sessionCacheHits - before.sessionCacheHits,
    stored: now.sessionCacheStored - before.sessionCacheStored,
    pskRefused: now.pskRefused - before.pskRefused
  }
}

/** Gets a session from `first`, then offers it to `second`; what the second handshake looked like. */
const resumeAcross = (
  first: (sess: ReadonlyArray<string>) => Effect.Effect<Handshake>,
  second: (sess: ReadonlyArray<string>) => Effect.Effect<Handshake>
) =>
  Effect.gen(function*() {
    const file = sessFile()
    const one = yield* first(["-sess_out", file])
    expect(one.session, describeRun(one.run)).toBe("New")
    const two = yield* second(["-sess_in", file])
    expect(two.protocol, describeRun(two.run)).toBe(one.protocol)
    return two
  })

describe("TLS options (SPEC.md §5)", () => {
  it.scopedLive("AES-128 first, TLS 1.2 minimum, 7-day session lifetime, no PSK suites without TLS_PSK", (ctx) =>
    Effect.gen(function*() {
      const server = yield* startInProcess()
      const t13 = yield* doh(ctx, server.doh, TLS13)
      expect(t13.cipher, describeRun(t13.run)).toBe("TLS_AES_128_GCM_SHA256")
      const t12 = yield* doh(ctx, server.doh, TLS12)
      expect(t12.cipher, describeRun(t12.run)).toBe("ECDHE-ECDSA-AES128-GCM-SHA256")
      expect(t12.run.stdout, describeRun(t12.run)).toMatch(/TLS session ticket lifetime hint: 604800 \(seconds\)/)
      const t11 = yield* sClient(ctx, server.dot, ["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"])
      expect(t11.protocol, describeRun(t11.run)).toBeUndefined()
      expect(t11.run.stderr, describeRun(t11.run)).toMatch(/protocol version|unsupported protocol/)
      const psk = yield* sClient(ctx, server.dot, [
        ...TLS12,
        "-psk_identity",
        PSK_ID,
        "-psk",
        PSK_KEY,
        "-cipher",
        "PSK"
      ])
      expect(psk.cipher, describeRun(psk.run)).toBeUndefined()
      expect(psk.run.stderr, describeRun(psk.run)).toMatch(/handshake failure|no shared cipher/)
    }))
})

describe("session resumption with openssl s_client -sess_out / -sess_in", () => {
  it.scopedLive("DoT and DoH resume TLS 1.3 and TLS 1.2 sessions from tickets, counted as ticket resumptions", (ctx) =>
    Effect.gen(function*() {
      const server = yield* startInProcess()
      const before = snapshotTlsSessionStats()
      for (const version of [TLS13, TLS12]) {
        const viaDot = yield* resumeAcross(
          (s) => dot(ctx, server.dot, [...version, ...s]),
          (s) => dot(ctx, server.dot, [...version, ...s])
        )
        expect(viaDot.session, describeRun(viaDot.run)).toBe("Reused")
        const viaDoh = yield* resumeAcross(
          (s) => doh(ctx, server.doh, [...version, ...s]),
          (s) => doh(ctx, server.doh, [...version, ...s])
        )
        expect(viaDoh.session, describeRun(viaDoh.run)).toBe("Reused")
      }
      expect(delta(before)).toMatchObject({ full: 4, ticket: 4, sessionId: 0, psk: 0 })
    }))

  it.scopedLive("-tls1_2 -no_ticket resumes by session id from the cache DoT and DoH share", (ctx) =>
    Effect.gen(function*() {
      const server = yield* startInProcess()
      const before = snapshotTlsSessionStats()
      const noTicket = [...TLS12, "-no_ticket"]
      const viaDot = yield* resumeAcross(
        (s) => dot(ctx, server.dot, [...noTicket, ...s]),
        (s) => dot(ctx, server.dot, [...noTicket, ...s])
      )
      expect(viaDot.session, describeRun(viaDot.run)).toBe("Reused")
      const viaDoh = yield* resumeAcross(
        (s) => doh(ctx, server.doh, [...noTicket, ...s]),
        (s) => doh(ctx, server.doh, [...noTicket, ...s])
      )
      expect(viaDoh.session, describeRun(viaDoh.run)).toBe("Reused")
      // a session set up on DoT is found by DoH: one cache
      const across = yield* resumeAcross(
        (s) => dot(ctx, server.dot, [...noTicket, ...s]),
        (s) => doh(ctx, server.doh, [...noTicket, ...s])
      )
      expect(across.session, describeRun(across.run)).toBe("Reused")
      expect(delta(before)).toMatchObject({ full: 3, ticket: 0, sessionId: 3, hits: 3, stored: 3 })
    }))

  it.scopedLive("after a rotation an old ticket is not resumed (TLS 1.3 and 1.2), and the counters say so", (ctx) =>
    Effect.gen(function*() {
      const period = 3000
      const server = yield* startInProcess({
        ticketSecret: Option.some(Redacted.make(SECRET)),
        ticketRotation: Duration.millis(period)
      })
      // start right after a boundary, so both sessions are set up and resumed within one period
      yield* Effect.sleep(Duration.millis(nextBoundary(Date.now(), period) - Date.now() + 100))
      const files13 = sessFile()
      const files12 = sessFile()
      const before = snapshotTlsSessionStats()
      expect((yield* doh(ctx, server.doh, [...TLS13, "-sess_out", files13])).session).toBe("New")
      expect((yield* doh(ctx, server.doh, [...TLS12, "-sess_out", files12])).session).toBe("New")
      expect((yield* doh(ctx, server.doh, [...TLS13, "-sess_in", files13])).session).toBe("Reused")
      expect((yield* doh(ctx, server.doh, [...TLS12, "-sess_in", files12])).session).toBe("Reused")
      expect(delta(before)).toMatchObject({ full: 2, ticket: 2, rotations: 0 })

      yield* Effect.sleep(Duration.millis(nextBoundary(Date.now(), period) - Date.now() + 300))
      const afterRotation = snapshotTlsSessionStats()
      expect(delta(before).rotations).toBe(2) // the DoT and the DoH server
      const old13 = yield* doh(ctx, server.doh, [...TLS13, "-sess_in", files13])
      const old12 = yield* doh(ctx, server.doh, [...TLS12, "-sess_in", files12])
      expect(old13.session, describeRun(old13.run)).toBe("New")
      expect(old12.session, describeRun(old12.run)).toBe("New")
      expect(delta(afterRotation)).toMatchObject({ full: 2, ticket: 0, sessionId: 0 })
    }))

  it.scopedLive("two servers with the same secret resume each other's tickets; without a secret they do not", (ctx) =>
    Effect.gen(function*() {
      const secret = { ticketSecret: Option.some(Redacted.make(SECRET)) }
      const one = yield* startInProcess(secret)
      const two = yield* startInProcess(secret)
      for (const version of [TLS13, TLS12]) {
        const viaDoh = yield* resumeAcross(
          (s) => doh(ctx, one.doh, [...version, ...s]),
          (s) => doh(ctx, two.doh, [...version, ...s])
        )
        expect(viaDoh.session, describeRun(viaDoh.run)).toBe("Reused")
        const viaDot = yield* resumeAcross(
          (s) => dot(ctx, two.dot, [...version, ...s]),
          (s) => dot(ctx, one.dot, [...version, ...s])
        )
        expect(viaDot.session, describeRun(viaDot.run)).toBe("Reused")
      }
      const lone = yield* startInProcess()
      const other = yield* startInProcess()
      const notShared = yield* resumeAcross(
        (s) => doh(ctx, lone.doh, [...TLS13, ...s]),
        (s) => doh(ctx, other.doh, [...TLS13, ...s])
      )
      expect(notShared.session, describeRun(notShared.run)).toBe("New")
    }))

  it.scopedLive(
    "two server processes (node dist/main.js) with the same TOP_SECRET_512_B64 resume each other's tickets",
    (ctx) =>
      Effect.gen(function*() {
        Tools.openssl.need(ctx)
        const stub = yield* StubUpstream.make()
        stub.set("one.test", "A", [a("one.test", "192.0.2.1", 300)])
        const start = Effect.acquireRelease(
          Effect.promise(() =>
            startServer({
              upstream: stub.udpUrl,
              tls: { certPath: files.certPath, keyPath: files.keyPath },
              env: {
                TOP_SECRET_512_B64: SECRET.toString("base64"),
                WORKER_TIMEOUT: "1000",
                EFFECT_LOG_LEVEL: "warn"
              }
            })
          ),
          (p) => Effect.promise(() => p.stop("SIGTERM"))
        )
        const one = yield* start
        const two = yield* start
        for (const version of [TLS13, TLS12]) {
          const resumed = yield* resumeAcross(
            (s) => doh(ctx, one.ports.doh, [...version, ...s]),
            (s) => doh(ctx, two.ports.doh, [...version, ...s])
          )
          expect(resumed.session, `${describeRun(resumed.run)}\n${two.output()}`).toBe("Reused")
        }
      }),
    60_000
  )
})

describe("TLS-PSK (PROTOCOLS.md §3)", () => {
  const psk = { tlsPsk: Option.some(Redacted.make(PSK_SEED)) }
  const pskArgs = (id: string, key: string) => [
    ...TLS12,
    "-alpn",
    "dot",
    "-psk_identity",
    id,
    "-psk",
    key,
    "-cipher",
    "PSK-AES128-GCM-SHA256"
  ]

  it.scopedLive("a new identity completes a DoT query on its first handshake", (ctx) =>
    Effect.gen(function*() {
      const server = yield* startInProcess(psk)
      const before = snapshotTlsSessionStats()
      // -quiet: stdout is exactly what the server sent back, the framed answer
      const q = yield* sClient(ctx, server.dot, ["-quiet", ...pskArgs(PSK_ID, PSK_KEY)], frame(query("one.test")))
      const out = q.run.stdoutBytes
      expect(out.length, describeRun(q.run)).toBeGreaterThan(2)
      const answer = decode(out.subarray(2, 2 + out.readUInt16BE(0)))
      expect(answer.answers?.map((r) => [r.name, r.type, r.data])).toEqual([["one.test", "A", "192.0.2.1"]])
      expect(delta(before)).toMatchObject({ psk: 1, full: 0, pskRefused: 0 })

      // the same again, showing the suite and the identity hint
      const shown = yield* sClient(ctx, server.dot, pskArgs(PSK_ID.toUpperCase(), PSK_KEY), frame(query("one.test")))
      expect(shown.cipher, describeRun(shown.run)).toBe("PSK-AES128-GCM-SHA256")
      expect(shown.run.stdout, describeRun(shown.run)).toMatch(/PSK identity hint: 888811119999/)
      expect(delta(before)).toMatchObject({ psk: 2, pskRefused: 0 })
    }))

  it.scopedLive("a wrong key and a short or non-hex identity are refused and counted", (ctx) =>
    Effect.gen(function*() {
      const server = yield* startInProcess(psk)
      const before = snapshotTlsSessionStats()
      const wrongKey = yield* sClient(ctx, server.dot, pskArgs(PSK_ID, "ab".repeat(64)), frame(query("one.test")))
      expect(wrongKey.run.stdoutBytes.includes(Buffer.from([192, 0, 2, 1])), describeRun(wrongKey.run)).toBe(false)
      expect(wrongKey.run.stderr, describeRun(wrongKey.run)).toMatch(/alert|error/)
      yield* pollUntil(() => delta(before).pskRefused === 1)
      const short = yield* sClient(ctx, server.dot, pskArgs("11".repeat(31), PSK_KEY))
      expect(short.run.stderr, describeRun(short.run)).toMatch(/unknown psk identity/)
      const notHex = yield* sClient(ctx, server.dot, pskArgs("zz".repeat(32), PSK_KEY))
      expect(notHex.run.stderr, describeRun(notHex.run)).toMatch(/unknown psk identity/)
      yield* pollUntil(() => delta(before).pskRefused === 3)
      expect(delta(before)).toMatchObject({ psk: 0, pskRefused: 3 })
    }))

  it.scopedLive("with PSK on, certificate clients still get ECDHE suites (TLS 1.3 and 1.2)", (ctx) =>
    Effect.gen(function*() {
      const server = yield* startInProcess(psk)
      expect((yield* doh(ctx, server.doh, TLS13)).cipher).toBe("TLS_AES_128_GCM_SHA256")
      expect((yield* doh(ctx, server.doh, TLS12)).cipher).toBe("ECDHE-ECDSA-AES128-GCM-SHA256")
    }))
})

/** Polls a condition every 20 ms for up to 2 s (counters a server updates after the client has gone). */
const pollUntil = (check: () => boolean) =>
  Effect.suspend(() => (check() ? Effect.void : Effect.fail("not yet"))).pipe(
    Effect.retry({ times: 100, schedule: Schedule.spaced(Duration.millis(20)) }),
    Effect.orDie
  )

interface TlsRecord {
  readonly type: number
  readonly length: number
}

interface RecordingProxy {
  readonly server: net.Server
  readonly port: number
  readonly records: Array<TlsRecord>
  /** from now on, what the client sends is held back */
  readonly hold: () => void
  /** whole TLS records held so far */
  readonly heldRecords: () => number
  /** sends everything held to the server in one write (the server reads it at once) */
  readonly release: () => void
}

/**
 * A TCP proxy to `target` that records the header of every TLS record the server sends; the client's
 * bytes can be held back and released at once.
 */
const recordingProxy = (target: number) =>
  Effect.acquireRelease(
    Effect.async<RecordingProxy>(
      (resume) => {
        const records: Array<TlsRecord> = []
        let holding = false
        let held: Array<Buffer> = []
        let heldFor: net.Socket | undefined
        const server = net.createServer((client) => {
          const upstream = net.connect(target, "127.0.0.1")
          let pending = Buffer.alloc(0)
          upstream.on("data", (chunk: Buffer) => {
            pending = Buffer.concat([pending, chunk])
            while (pending.length >= 5 && pending.length >= 5 + pending.readUInt16BE(3)) {
              const length = pending.readUInt16BE(3)
              records.push({ type: pending[0]!, length })
              pending = pending.subarray(5 + length)
            }
            client.write(chunk)
          })
          client.on("data", (chunk: Buffer) => {
            if (!holding) return void upstream.write(chunk)
            held.push(chunk)
            heldFor = upstream
          })
          client.on("close", () => upstream.destroy())
          upstream.on("close", () => client.destroy())
          client.on("error", () => upstream.destroy())
          upstream.on("error", () => client.destroy())
        })
        const hold = () => {
          holding = true
        }
        const release = () => {
          holding = false
          if (heldFor !== undefined && held.length > 0) heldFor.write(Buffer.concat(held))
          held = []
        }
        const heldRecords = () => {
          const all = Buffer.concat(held)
          let n = 0
          for (let at = 0; at + 5 <= all.length && at + 5 + all.readUInt16BE(at + 3) <= all.length; n++) {
            at += 5 + all.readUInt16BE(at + 3)
          }
          return n
        }
        server.listen(0, "127.0.0.1", () =>
          resume(
            Effect.succeed({
              server,
              port: (server.address() as net.AddressInfo).port,
              records,
              hold,
              heldRecords,
              release
            })
          ))
      }
    ),
    ({ server }) => Effect.sync(() => server.close())
  )

/** Payload bytes of the application-data records from index `from` on (TLS 1.2 AES-GCM or TLS 1.3). */
const payloads = (records: ReadonlyArray<TlsRecord>, from: number, protocol: string) =>
  records.slice(from).filter((r) => r.type === 23).map((r) => r.length - (protocol === "TLSv1.3" ? 17 : 24))

/** A TXT answer of about 50 KB. */
const bigTxt = (name: string) =>
  Array.from({ length: 200 }, (_, i) => ({
    type: "TXT" as const,
    name,
    ttl: 300,
    class: "IN" as const,
    data: [Buffer.from(`${i}`.padEnd(250, "x"))]
  }))

/** A DoT client over TLS `version` (AES-128-GCM, the minted CA trusted) to `port`, counting its answers. */
const countingDotClient = (port: number, version: "TLSv1.2" | "TLSv1.3") =>
  Effect.gen(function*() {
    const socket = yield* Effect.acquireRelease(
      Effect.async<tls.TLSSocket, Error>((resume) => {
        const s = tls.connect({
          host: "127.0.0.1",
          port,
          ca: certs.caPem,
          servername: "localhost",
          ALPNProtocols: ["dot"],
          minVersion: version,
          maxVersion: version,
          ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256"
        })
        s.once("error", (e) => resume(Effect.fail(e)))
        s.once("secureConnect", () => resume(Effect.succeed(s)))
      }),
      (s) => Effect.sync(() => s.destroy())
    )
    let answered = 0
    const reader = makeFrameReader(() => answered++, () => socket.destroy())
    socket.on("data", reader.push)
    return { socket, answered: () => answered }
  })

describe("TLS record size (SPEC.md §5)", () => {
  const bigServer = Effect.gen(function*() {
    const stub = yield* StubUpstream.make()
    stub.set("big.test", "TXT", bigTxt("big.test"))
    const ctx = yield* Layer.buildWithScope(
      serverLayer(certs, { upstreams: [{ _tag: "tcp", host: "127.0.0.1", port: stub.port, text: stub.tcpUrl }] }),
      yield* Effect.scope
    )
    return { dot: yield* portOf("dot").pipe(Effect.provide(ctx)), doh: yield* portOf("doh").pipe(Effect.provide(ctx)) }
  })

  for (const version of ["TLSv1.2", "TLSv1.3"] as const) {
    it.scopedLive(`DoT over ${version}: 1149-byte records at first, 16 KiB in a burst of 2.5 MB, 1149 again after 1 s idle`, () =>
      Effect.gen(function*() {
        const server = yield* bigServer
        const proxy = yield* recordingProxy(server.dot)
        const { socket, answered } = yield* countingDotClient(proxy.port, version)
        const ask = (n: number) =>
          Effect.gen(function*() {
            const want = answered() + n
            for (let i = 0; i < n; i++) socket.write(frame(query("big.test", "TXT", { id: answered() + i })))
            while (answered() < want) yield* Effect.sleep(Duration.millis(5))
          })
        const start = proxy.records.length
        yield* ask(1)
        const first = payloads(proxy.records, start, version)
        expect(first.length).toBeGreaterThan(40) // ~50 KB in small records
        expect(first[0]).toBeLessThanOrEqual(1149)
        expect(Math.max(...first)).toBe(1149)
        const burst = proxy.records.length
        yield* ask(50)
        const large = payloads(proxy.records, burst, version)
        expect(Math.max(...large)).toBe(16_384)
        expect(large.length).toBeLessThan(2_500_000 / 1149)
        yield* Effect.sleep(Duration.millis(1_200))
        const again = proxy.records.length
        yield* ask(1)
        const calm = payloads(proxy.records, again, version)
        expect(calm.length).toBeGreaterThan(40)
        expect(Math.max(...calm)).toBe(1149)
        expect(calm.reduce((x, y) => x + y, 0)).toBeGreaterThan(50_000)
      }))
  }

  it.scopedLive("DoT: pipelined queries that arrive in one read, one TLS record each, are answered in one record", () =>
    Effect.gen(function*() {
      const stub = yield* StubUpstream.make()
      stub.set("small.test", "A", [a("small.test", "192.0.2.7", 300)])
      const ctx = yield* Layer.buildWithScope(
        serverLayer(certs, { upstreams: [{ _tag: "udp", host: "127.0.0.1", port: stub.port, text: stub.udpUrl }] }),
        yield* Effect.scope
      )
      const proxy = yield* recordingProxy(yield* portOf("dot").pipe(Effect.provide(ctx)))
      const { socket, answered } = yield* countingDotClient(proxy.port, "TLSv1.2")
      const waitFor = (n: number) =>
        Effect.gen(function*() {
          while (answered() < n) yield* Effect.sleep(Duration.millis(5))
        })
      // the first one fills the cache
      socket.write(frame(query("small.test", "A", { id: 1 })))
      yield* waitFor(1)
      const start = proxy.records.length
      proxy.hold()
      // 20 queries, each written once the one before was taken: one TLS record each, as dnsperf sends them
      for (let i = 0; i < 20; i++) {
        yield* Effect.async<void>((resume) => {
          socket.write(frame(query("small.test", "A", { id: 100 + i })), () => resume(Effect.void))
        })
      }
      // (the client's TLS layer calls back before the bytes leave it: wait until all 20 are at the proxy)
      while (proxy.heldRecords() < 20) yield* Effect.sleep(Duration.millis(2))
      expect(proxy.heldRecords()).toBe(20)
      proxy.release()
      yield* waitFor(21)
      const answers = payloads(proxy.records, start, "TLSv1.2")
      expect(answers).toHaveLength(1)
      expect(answers[0]).toBeGreaterThan(20 * 40)
      expect(stub.queries()).toHaveLength(1)
    }))

  it.scopedLive("kdig (+tls +keepopen) sees 1149-byte records for its first answer and 16 KiB ones in a burst", (ctx) =>
    Effect.gen(function*() {
      const kdig = Tools.kdig.need(ctx)
      const server = yield* bigServer
      const proxy = yield* recordingProxy(server.dot)
      // 40 answers of ~50 KB on one connection: 2 MB within a second
      const questions = Array.from({ length: 40 }, () => ["big.test", "TXT"]).flat()
      const r = yield* Effect.promise(() =>
        run(kdig, ["@127.0.0.1", "-p", String(proxy.port), "+tls", "+keepopen", "+tls-sni=localhost", ...questions])
      )
      expect(r.code, describeRun(r)).toBe(0)
      expect([...r.stdout.matchAll(/status: NOERROR/g)].length, describeRun(r)).toBe(40)
      const version = /TLS1\.3/.test(r.stdout) ? "TLSv1.3" : "TLSv1.2"
      const sizes = payloads(proxy.records, 0, version).filter((n) => n > 1)
      // the first answer (~50 KB) goes out in small records
      expect(Math.max(...sizes.slice(0, 40)), describeRun(r)).toBe(1149)
      expect(Math.max(...sizes), describeRun(r)).toBe(16_384)
    }))

  for (const alpn of ["h2", "http/1.1"] as const) {
    it.scopedLive(`DoH over ${alpn}: 1149-byte records at first, 16 KiB in a burst of 1.5 MB`, () =>
      Effect.gen(function*() {
        const server = yield* bigServer
        const proxy = yield* recordingProxy(server.doh)
        const path = `/dns-query?dns=${b64url(query("big.test", "TXT", { id: 0 }))}`
        const connect = () =>
          tls.connect({
            host: "127.0.0.1",
            port: proxy.port,
            ca: certs.caPem,
            servername: "localhost",
            ALPNProtocols: [alpn],
            maxVersion: "TLSv1.2"
          })
        let get: Effect.Effect<number, Error>
        if (alpn === "h2") {
          const session = yield* Effect.acquireRelease(
            Effect.sync(() => http2.connect("https://localhost", { createConnection: connect })),
            (s) => Effect.sync(() => s.destroy())
          )
          get = Effect.async<number, Error>((resume) => {
            const req = session.request({ ":path": path })
            let bytes = 0
            req.on("data", (b: Buffer) => (bytes += b.length))
            req.on("end", () => resume(Effect.succeed(bytes)))
            req.on("error", (e) => resume(Effect.fail(e)))
          })
        } else {
          // one keep-alive connection, requests one after another (and pipelined below)
          const agent = new https.Agent({ keepAlive: true, maxSockets: 1 })
          yield* Effect.addFinalizer(() => Effect.sync(() => agent.destroy()))
          get = Effect.async<number, Error>((resume) => {
            const req = https.get({
              host: "127.0.0.1",
              port: proxy.port,
              ca: certs.caPem,
              servername: "localhost",
              maxVersion: "TLSv1.2",
              path,
              agent
            }, (res) => {
              let bytes = 0
              res.on("data", (b: Buffer) => (bytes += b.length))
              res.on("end", () => resume(Effect.succeed(bytes)))
            })
            req.on("error", (e) => resume(Effect.fail(e)))
          })
        }
        expect(yield* get).toBeGreaterThan(50_000)
        const first = payloads(proxy.records, 0, "TLSv1.2").filter((n) => n > 0)
        expect(first.length).toBeGreaterThan(40)
        expect(Math.max(...first)).toBe(1149)
        // 30 answers of ~50 KB at once: more than 1.1 MB within a second
        const burst = proxy.records.length
        expect(yield* Effect.all(Array.from({ length: 30 }, () => get), { concurrency: "unbounded" })).toHaveLength(30)
        expect(Math.max(...payloads(proxy.records, burst, "TLSv1.2"))).toBe(16_384)
      }))
  }

  it.scopedLive("Node cannot raise a connection's record size once lowered (why records do not grow in a burst)", () =>
    Effect.gen(function*() {
      const raised: Array<boolean> = []
      const server = yield* Effect.acquireRelease(
        Effect.async<tls.Server>((resume) => {
          const s = tls.createServer({ key: certs.keyPem, cert: certs.certPem, maxVersion: "TLSv1.2" }, (socket) => {
            socket.setMaxSendFragment(1149)
            socket.write(Buffer.alloc(20_000, 1), () => {
              raised.push(socket.setMaxSendFragment(16384))
              socket.end(Buffer.alloc(40_000, 2))
            })
          })
          s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
        }),
        (s) => Effect.sync(() => s.close())
      )
      const proxy = yield* recordingProxy((server.address() as net.AddressInfo).port)
      yield* Effect.async<void, Error>((resume) => {
        const c = tls.connect({ host: "127.0.0.1", port: proxy.port, ca: certs.caPem, servername: "localhost" })
        c.resume()
        c.once("end", () => resume(Effect.void))
        c.once("error", (e) => resume(Effect.fail(e)))
      })
      expect(raised).toEqual([true])
      const sizes = payloads(proxy.records, 0, "TLSv1.2")
      expect(sizes.reduce((x, y) => x + y, 0)).toBe(60_000)
      expect(Math.max(...sizes)).toBe(1149)
    }))
})
