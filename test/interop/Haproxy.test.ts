/**
 * Interop: a real HAProxy (Debian package `haproxy`) in TCP mode in front of the BUILT server's DoT
 * PROXY port (`DOT_HAS_PROXY_PROTO=true`): one frontend sends a PROXY v2 header (`send-proxy-v2`), the
 * other a v1 header (`send-proxy`); `kdig +tls` asks through each. kdig binds 127.0.0.3 (`-b`) while
 * HAProxy reaches the server from 127.0.0.1, so a debug line naming 127.0.0.3 as the client can only come
 * from the header.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import * as net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type CertFiles, mintCerts, writeCerts } from "../fixtures/Certs.js"
import { type MiniUpstream, startMiniUpstream } from "../fixtures/MiniUpstream.js"
import { freePorts, type ServerProcess, startServer } from "../fixtures/ServerProcess.js"
import { describeRun, run, type SkipContext, Tools } from "../fixtures/Tools.js"

const CLIENT = "127.0.0.3"

let upstream: MiniUpstream | undefined
let server: ServerProcess | undefined
let files: CertFiles | undefined
let haproxy: ChildProcess | undefined
let haproxyOutput = ""
let dir: string | undefined
let ports: { v2: number; v1: number; proxy: number } | undefined

const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms))

const accepts = (port: number) =>
  new Promise<boolean>((res) => {
    const s = net.connect({ host: "127.0.0.1", port })
    s.once("connect", () => {
      s.destroy()
      res(true)
    })
    s.once("error", () => res(false))
  })

const config = (v2: number, v1: number, proxy: number) =>
  [
    "global",
    "  log stderr format raw local0",
    "defaults",
    "  mode tcp",
    "  log global",
    "  timeout connect 5s",
    "  timeout client 10s",
    "  timeout server 10s",
    "frontend dot_v2",
    `  bind 127.0.0.1:${v2}`,
    "  default_backend vigil_v2",
    "frontend dot_v1",
    `  bind 127.0.0.1:${v1}`,
    "  default_backend vigil_v1",
    "backend vigil_v2",
    `  server vigil 127.0.0.1:${proxy} send-proxy-v2`,
    "backend vigil_v1",
    `  server vigil 127.0.0.1:${proxy} send-proxy`,
    ""
  ].join("\n")

describe("HAProxy send-proxy / send-proxy-v2 in front of DoT", () => {
  beforeAll(async () => {
    if (Tools.haproxy.path === undefined) return
    const [v2, v1, proxy] = await freePorts(3)
    ports = { v2: v2!, v1: v1!, proxy: proxy! }
    files = await writeCerts(await mintCerts())
    upstream = await startMiniUpstream()
    server = await startServer({
      upstream: upstream.url,
      tls: { certPath: files.certPath, keyPath: files.keyPath },
      env: { DOT_HAS_PROXY_PROTO: "true", DOT_PROXY_PORT: String(proxy), EFFECT_LOG_LEVEL: "debug" }
    })
    dir = await mkdtemp(join(tmpdir(), "vigil-haproxy-"))
    const cfg = join(dir, "haproxy.cfg")
    await writeFile(cfg, config(ports.v2, ports.v1, ports.proxy))
    haproxy = spawn(Tools.haproxy.path, ["-f", cfg, "-db"], { stdio: ["ignore", "pipe", "pipe"] })
    haproxy.stdout?.on("data", (b: Buffer) => (haproxyOutput += b.toString()))
    haproxy.stderr?.on("data", (b: Buffer) => (haproxyOutput += b.toString()))
    for (let i = 0; i < 100 && !(await accepts(ports.v2) && await accepts(ports.v1)); i++) {
      if (haproxy.exitCode !== null) throw new Error(`haproxy exited ${haproxy.exitCode}\n${haproxyOutput}`)
      await sleep(50)
    }
  }, 45_000)

  afterAll(async () => {
    haproxy?.kill("SIGKILL")
    await server?.stop("SIGKILL")
    await upstream?.close()
    await files?.cleanup()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  const kdigThrough = (ctx: SkipContext, port: number) =>
    run(Tools.kdig.need(ctx), [
      "@127.0.0.1",
      "-p",
      String(port),
      "-b",
      CLIENT,
      "+tls",
      `+tls-ca=${files!.caPath}`,
      "+tls-hostname=localhost",
      "+time=5",
      "+retry=0",
      "example.test",
      "A"
    ])

  const through = (version: "v1" | "v2") => async (ctx: SkipContext) => {
    Tools.haproxy.need(ctx)
    const r = await kdigThrough(ctx, ports![version])
    const context = `${describeRun(r)}\n${server!.output()}\n--- haproxy\n${haproxyOutput}`
    expect(r.code, context).toBe(0)
    expect(r.stdout, context).toMatch(/TLS session \(TLS1\.[23]\)/)
    expect(r.stdout, context).toMatch(/status: NOERROR/)
    expect(r.stdout, context).toMatch(/^example\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.1\s*$/m)
    // the server saw HAProxy (127.0.0.1) and took the client from the header
    const line = new RegExp(`PROXY ${version} PROXY from 127\\.0\\.0\\.1:\\d+: client 127\\.0\\.0\\.3:(\\d+)`)
    let m: RegExpMatchArray | null = null
    for (let i = 0; i < 40 && m === null; i++) {
      m = server!.output().match(line)
      if (m === null) await sleep(50)
    }
    expect(m, context).not.toBeNull()
    expect(Number(m![1])).toBeGreaterThan(0)
  }

  it("kdig +tls through send-proxy-v2: answered, the client address comes from the v2 header", through("v2"))
  it("kdig +tls through send-proxy (v1): answered, the client address comes from the v1 header", through("v1"))
})
