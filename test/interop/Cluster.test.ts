/**
 * `WORKERS=2`: the BUILT server (`node dist/main.js`) as a primary and two worker processes sharing the
 * ports (node:cluster), seen by kdig, openssl and a Prometheus scrape: both workers answer, a TLS 1.3
 * ticket resumes on whichever worker takes the next connection, a certificate replaced on disk is served
 * by every worker and renewed once, a killed worker is restarted, SIGTERM stops everything with exit 0.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { X509Certificate } from "node:crypto"
import { mkdtempSync, renameSync, writeFileSync } from "node:fs"
import * as net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type CertFiles, mintCa, mintServerCert, type TestCa, type TestCerts, writeCerts } from "../fixtures/Certs.js"
import { query } from "../fixtures/Dns.js"
import { type MiniUpstream, startMiniUpstream } from "../fixtures/MiniUpstream.js"
import { httpRequest, type ServerProcess, startServer } from "../fixtures/ServerProcess.js"
import { describeRun, run, type SkipContext, Tools } from "../fixtures/Tools.js"

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
const serialOf = (c: TestCerts) => new X509Certificate(c.leafPem).serialNumber.toUpperCase()

let ca: TestCa | undefined
let first: TestCerts | undefined
let files: CertFiles | undefined
let upstream: MiniUpstream | undefined
let server: ServerProcess | undefined

const metrics = async () => (await httpRequest(server!.ports.health, "/metrics", "GET", 5000)).body
/** The value of one series of the exposition (labels as printed), or undefined. */
const sample = (text: string, series: string): number | undefined => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}
const workerPids = (text: string) =>
  [...text.matchAll(/^vigil_worker_up\{worker="(\d+)",pid="(\d+)"\} 1$/gm)].map((m) => ({
    worker: Number(m[1]),
    pid: Number(m[2])
  }))
const count = (haystack: string, needle: string) => haystack.split(needle).length - 1

const kdig = (ctx: SkipContext) =>
  run(Tools.kdig.need(ctx), [
    "@127.0.0.1",
    "-p",
    String(server!.ports.dot),
    "+tls",
    `+tls-ca=${files!.caPath}`,
    "+tls-hostname=localhost",
    "+time=3",
    "+retry=0",
    "example.test",
    "A"
  ])

/** One DoH HTTP/1.1 exchange over openssl s_client (the server closes after the answer). */
const sClient = (ctx: SkipContext, args: ReadonlyArray<string>) =>
  run(Tools.openssl.need(ctx), [
    "s_client",
    "-connect",
    `127.0.0.1:${server!.ports.doh}`,
    "-servername",
    "localhost",
    "-CAfile",
    files!.caPath,
    "-alpn",
    "http/1.1",
    "-ign_eof",
    ...args
  ], {
    input: `GET /dns-query?dns=${
      Buffer.from(query("example.test", "A", { id: 0 })).toString("base64url")
    } HTTP/1.1\r\nHost: localhost\r\nAccept: application/dns-message\r\nConnection: close\r\n\r\n`,
    timeoutMs: 10_000
  })

const served = async (ctx: SkipContext) => {
  const r = await sClient(ctx, [])
  const pem = r.stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0]
  return pem === undefined ? `none\n${describeRun(r)}` : new X509Certificate(pem).serialNumber.toUpperCase()
}

describe("WORKERS=2 (built server, node:cluster)", () => {
  beforeAll(async () => {
    ca = await mintCa()
    first = await mintServerCert(ca)
    files = await writeCerts(first)
    upstream = await startMiniUpstream()
    server = await startServer({
      upstream: upstream.url,
      tls: { certPath: files.certPath, keyPath: files.keyPath },
      env: { WORKERS: "2", SHUTDOWN_TIMEOUT_MS: "3000" },
      readyTimeoutMs: 40_000
    })
  }, 60_000)

  afterAll(async () => {
    await server?.stop("SIGKILL")
    await upstream?.close()
    await files?.cleanup()
  })

  it(
    "both workers answer; the primary's /metrics has one view, per-worker series, and passes promtool",
    async (ctx) => {
      for (let i = 0; i < 6; i++) {
        const r = await kdig(ctx)
        expect(r.code, describeRun(r)).toBe(0)
        expect(r.stdout).toContain("192.0.2.1")
      }
      const text = await metrics()
      const pids = workerPids(text)
      expect(pids.map((p) => p.worker).sort()).toEqual([1, 2])
      expect(new Set(pids.map((p) => p.pid)).size).toBe(2)
      expect(pids.map((p) => p.pid)).not.toContain(server!.pid)
      const q1 = sample(text, `vigil_worker_queries_total{worker="1"}`) ?? 0
      const q2 = sample(text, `vigil_worker_queries_total{worker="2"}`) ?? 0
      expect(q1, text).toBeGreaterThan(0)
      expect(q2, text).toBeGreaterThan(0)
      expect(sample(text, "vigil_queries_total")).toBe(q1 + q2)
      expect(sample(text, `vigil_workers{state="listening"}`)).toBe(2)
      // each worker logs its listeners with its pid
      for (const p of pids) expect(server!.stdout()).toContain(`(worker ${p.worker}, pid ${p.pid})`)
      const promtool = Tools.promtool.need(ctx)
      const check = await run(promtool, ["check", "metrics"], { input: text })
      expect(check.code, describeRun(check)).toBe(0)
    },
    60_000
  )

  it(
    "a TLS 1.3 ticket from one connection resumes on every later connection, whichever worker takes it",
    async (ctx) => {
      const file = join(mkdtempSync(join(tmpdir(), "vigil-sess-")), "s.pem")
      const before = sample(await metrics(), `vigil_tls_handshakes_total{type="ticket"}`) ?? 0
      const one = await sClient(ctx, ["-tls1_3", "-sess_out", file])
      expect(one.stdout, describeRun(one)).toMatch(/^New, TLSv1\.3/m)
      for (let i = 0; i < 5; i++) {
        const again = await sClient(ctx, ["-tls1_3", "-sess_in", file])
        expect(again.stdout, describeRun(again)).toMatch(/^Reused, TLSv1\.3/m)
      }
      // round-robin: 5 connections land on both workers
      expect(sample(await metrics(), `vigil_tls_handshakes_total{type="ticket"}`)! - before).toBeGreaterThanOrEqual(5)
    },
    60_000
  )

  it("a certificate replaced on disk is served by every worker and renewed once (one log line)", async (ctx) => {
    const s = server!
    expect(await served(ctx)).toBe(serialOf(first!))
    const second = await mintServerCert(ca!, { notAfter: new Date(first!.notAfter.getTime() + 10 * 86_400_000) })
    writeFileSync(join(files!.dir, "new-key.pem"), second.keyPem)
    writeFileSync(join(files!.dir, "new-cert.pem"), second.certPem)
    renameSync(join(files!.dir, "new-key.pem"), files!.keyPath)
    renameSync(join(files!.dir, "new-cert.pem"), files!.certPath)

    for (let i = 0; i < 60 && !s.stdout().includes("sent to 2 workers"); i++) await sleep(250)
    // several new connections, round-robin over both workers: all see the new certificate
    for (let i = 0; i < 6; i++) expect(await served(ctx), s.output()).toBe(serialOf(second))
    expect(count(s.stdout(), "new certificate from files"), s.output()).toBe(1)
    expect(count(s.stdout(), "sent to 2 workers"), s.output()).toBe(1)
    expect(count(s.stdout(), "now serving certificate"), s.output()).toBe(0)
  }, 60_000)

  it("a killed worker is restarted (logged) and serves again", async (ctx) => {
    const s = server!
    const [victim] = workerPids(await metrics())
    process.kill(victim!.pid, "SIGKILL")
    for (let i = 0; i < 120 && !s.stdout().includes(`worker ${victim!.worker} (pid`); i++) await sleep(250)
    for (let i = 0; i < 120 && !s.stdout().includes("listening again"); i++) await sleep(250)
    expect(s.stdout(), s.output()).toMatch(
      new RegExp(`worker ${victim!.worker} \\(pid ${victim!.pid}\\) exited unexpectedly \\(signal SIGKILL\\)`)
    )
    expect(s.stdout()).toContain(`worker ${victim!.worker} (pid`)
    expect(s.hasExited()).toBe(false)
    const text = await metrics()
    expect(sample(text, `vigil_worker_restarts_total{worker="${victim!.worker}"}`)).toBe(1)
    const pids = workerPids(text)
    expect(pids).toHaveLength(2)
    expect(pids.map((p) => p.pid)).not.toContain(victim!.pid)
    expect((await httpRequest(s.ports.health, "/ready")).status).toBe(200)
    for (let i = 0; i < 4; i++) {
      const r = await kdig(ctx)
      expect(r.code, describeRun(r)).toBe(0)
    }
  }, 60_000)

  it("SIGTERM: every worker drains, all exit, the primary exits 0 and the ports are free", async () => {
    const s = server!
    const pids = workerPids(await metrics()).map((p) => p.pid)
    expect(pids).toHaveLength(2)
    const code = await s.stop("SIGTERM", 30_000)
    expect(code, s.output()).toBe(0)
    expect(s.stdout().match(/: stopped after \d+ ms/g)?.length, s.output()).toBe(2)
    expect(s.stdout()).toContain("all workers stopped")
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow()
    for (const port of [s.ports.dot, s.ports.doh, s.ports.health]) {
      await new Promise<void>((res, rej) => {
        const probe = net.createServer()
        probe.once("error", rej)
        probe.listen(port, "127.0.0.1", () => probe.close(() => res()))
      })
    }
  }, 60_000)
})
