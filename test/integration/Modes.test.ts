import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import * as http from "node:http"
import * as net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { decode, query } from "../fixtures/Dns.js"
import { type MiniUpstream, startMiniUpstream } from "../fixtures/MiniUpstream.js"
import { freePorts, runToExit, type ServerProcess, startServer } from "../fixtures/ServerProcess.js"
import { describeRun, run, Tools } from "../fixtures/Tools.js"

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
const isOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port })
    s.on("connect", () => {
      s.destroy()
      resolve(true)
    })
    s.on("error", () => resolve(false))
  })

const firstLine = (output: string) => output.split("\n")[0] ?? ""

const Q = query("example.test", "A", { id: 0 })

describe.each(["1", "2"])("TLS offload with WORKERS=%s (built server, real clients)", (workers) => {
  let upstream: MiniUpstream | undefined
  let server: ServerProcess | undefined
  let dotClear = 0
  let dohClear = 0
  const srv = () => server!

  beforeAll(async () => {
    upstream = await startMiniUpstream()
    ;[dotClear, dohClear] = (await freePorts(2)) as [number, number]
    server = await startServer({
      upstream: upstream.url,
      env: {
        TLS_OFFLOAD: "true",
        DOT_CLEARTEXT_PORT: String(dotClear),
        DOH_CLEARTEXT_PORT: String(dohClear),
        WORKERS: workers
      },
      readyTimeoutMs: 40_000
    })
  }, 60_000)

  afterAll(async () => {
    await server?.stop("SIGKILL")
    await upstream?.close()
  })

  it("says offload mode in its first log line, opens no TLS port and writes no certificate", async () => {
    expect(firstLine(srv().stdout()), srv().output()).toMatch(/vigil-dns \S+ starting in offload mode/)
    expect(await isOpen(srv().ports.dot)).toBe(false)
    expect(await isOpen(srv().ports.doh)).toBe(false)
    expect(await isOpen(dotClear)).toBe(true)
    expect(await isOpen(dohClear)).toBe(true)
    expect(readdirSync(srv().dataDir)).toEqual([])
  })

  it("kdig +tcp on the cleartext DoT port", async (ctx) => {
    const r = await run(Tools.kdig.need(ctx), [
      "@127.0.0.1",
      "-p",
      String(dotClear),
      "+tcp",
      "+time=5",
      "+retry=0",
      "example.test",
      "A"
    ])
    expect(r.code, describeRun(r)).toBe(0)
    expect(r.stdout, describeRun(r)).toMatch(/status: NOERROR/)
    expect(r.stdout, describeRun(r)).toMatch(/example\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.1/)
  })

  for (const version of ["--http1.1", "--http2-prior-knowledge"] as const) {
    for (const method of ["GET", "POST"] as const) {
      it(`curl ${version} ${method} on the cleartext DoH port`, async (ctx) => {
        const base = `http://127.0.0.1:${dohClear}/dns-query`
        const args = method === "GET"
          ? [`${base}?dns=${Q.toString("base64url")}`]
          : ["-H", "content-type: application/dns-message", "--data-binary", "@-", base]
        const r = await run(
          Tools.curl.need(ctx),
          ["-s", "-S", version, "-o", "-", "-w", "\n%{http_code} %{http_version}", ...args],
          method === "POST" ? { input: Q } : {}
        )
        expect(r.code, describeRun(r)).toBe(0)
        const tail = r.stdoutBytes.subarray(r.stdoutBytes.lastIndexOf(0x0a) + 1).toString()
        const body = r.stdoutBytes.subarray(0, r.stdoutBytes.lastIndexOf(0x0a))
        expect(tail, describeRun(r)).toBe(version === "--http1.1" ? "200 1.1" : "200 2")
        expect((decode(body).answers ?? []).map((a) => a.data)).toEqual(["192.0.2.1"])
      })
    }
  }

  it("SIGTERM: exits 0 and frees the cleartext ports", async () => {
    expect(await srv().stop("SIGTERM", 20_000), srv().output()).toBe(0)
    expect(await isOpen(dotClear)).toBe(false)
    expect(await isOpen(dohClear)).toBe(false)
  }, 30_000)
})

describe("download mode (built server)", () => {
  let web: http.Server | undefined
  let webPort = 0
  const LIST = "# a comment\n0.0.0.0 ads.example\n\n! adblock comment\n||tracker.example^\nplain.example\n"

  beforeAll(async () => {
    web = http.createServer((req, res) => {
      if (req.url === "/list.txt") res.end(LIST)
      else res.writeHead(404).end()
    })
    await new Promise<void>((resolve) => web!.listen(0, "127.0.0.1", () => resolve()))
    webPort = (web.address() as net.AddressInfo).port
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => web?.close(() => resolve()))
  })

  it("stores every list, reports sizes and entries, exits 0 without opening a port", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "vigil-dl-"))
    const local = join(dataDir, "local-source.txt")
    writeFileSync(local, "a.example\nb.example\n# c\n")
    const [dot, doh, health, dotClear, dohClear] = await freePorts(5)
    const r = await runToExit({
      BLOCKLIST_DOWNLOAD_ONLY: "true",
      BLOCKLISTS: `web=http://127.0.0.1:${webPort}/list.txt,mine=${local}`,
      DATA_DIR: dataDir,
      DOT_PORT: String(dot),
      DOH_PORT: String(doh),
      HEALTH_PORT: String(health),
      DOT_CLEARTEXT_PORT: String(dotClear),
      DOH_CLEARTEXT_PORT: String(dohClear)
    })
    expect(r.code, r.output).toBe(0)
    expect(firstLine(r.output)).toMatch(/starting in download mode/)
    expect(readFileSync(join(dataDir, "blocklists", "web.txt"), "utf8")).toBe(LIST)
    expect(readFileSync(join(dataDir, "blocklists", "mine.txt"), "utf8")).toBe("a.example\nb.example\n# c\n")
    // no temporary file left behind
    expect(readdirSync(join(dataDir, "blocklists")).sort()).toEqual(["mine.txt", "web.txt"])
    expect(r.output).toMatch(new RegExp(`web\\s+${Buffer.byteLength(LIST)} bytes\\s+3 entries`))
    expect(r.output).toMatch(/mine\s+24 bytes\s+2 entries/)
    expect(r.output).not.toMatch(/listening/)
    for (const port of [dot!, doh!, health!, dotClear!, dohClear!]) expect(await isOpen(port)).toBe(false)
  })

  it("exits non-zero naming the list that could not be fetched", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "vigil-dl-"))
    const [closed] = await freePorts(1)
    const r = await runToExit({
      BLOCKLIST_DOWNLOAD_ONLY: "true",
      BLOCKLISTS: `good=http://127.0.0.1:${webPort}/list.txt,unreachable=http://127.0.0.1:${closed}/list.txt`,
      DATA_DIR: dataDir
    })
    expect(r.code, r.output).not.toBe(0)
    expect(r.output).toMatch(/blocklist "unreachable" \(http:\/\/127\.0\.0\.1:\d+\/list\.txt\) could not be downloaded/)
    expect(existsSync(join(dataDir, "blocklists", "unreachable.txt"))).toBe(false)
  })
})

describe("profiler mode (built server)", () => {
  it("serves with the cache off, stops itself after PROFILE_DURATION_MS, logs percentiles, exits 0", async () => {
    const upstream = await startMiniUpstream()
    try {
      const [dot, doh, health] = await freePorts(3)
      const r = await runToExit({
        PROFILE_DNS_RESOLVES: "true",
        PROFILE_DURATION_MS: "1500",
        UPSTREAM: upstream.url,
        DATA_DIR: mkdtempSync(join(tmpdir(), "vigil-prof-")),
        DOT_PORT: String(dot),
        DOH_PORT: String(doh),
        HEALTH_PORT: String(health)
      })
      expect(r.code, r.output).toBe(0)
      expect(firstLine(r.output)).toMatch(/starting in profiler mode/)
      expect(r.output).toMatch(/resolve latency over \d+ resolves: p50 .+, p90 .+, p99 .+, max .+/)
      expect(r.output).toMatch(/stopped after \d+ ms/)
    } finally {
      await upstream.close()
    }
  })
})
