// Sustained cache misses: does memory level off? The BUILT server (one process, default CACHE_SIZE), a
// stub upstream over UDP that answers NXDOMAIN (with an SOA: the cache fills and evicts), and
// `dnsperf -m dot -l SOAK_SECONDS` (default 40) over 1,500,000 distinct names, none asked twice: every
// query is a lookup upstream. Every 5 s: RSS,
// and the JS heap after a full collection (the server runs with --expose-gc and a preload that collects
// on SIGUSR2). Lookups that are over must not stay reachable: the heap after collection stays flat.
//
//   npm run build && node bench/miss-soak.mjs
//   SOAK_SECONDS=120 node bench/miss-soak.mjs
//   VIGIL_SERVER_ENTRY=<other build>/main.js node bench/miss-soak.mjs   (compare a build)
import { spawn } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { register } from "tsx/esm/api"

register()
const { mintCerts, writeCerts } = await import("../test/fixtures/Certs.ts")
const { startMiniUpstream } = await import("../test/fixtures/MiniUpstream.ts")
const { DIST_MAIN, startServer } = await import("../test/fixtures/ServerProcess.ts")
const { Tools } = await import("../test/fixtures/Tools.ts")
const { collected, gcOnSignalNodeOptions, rssOf } = await import("./lib/memory.mjs")

const SECONDS = Number(process.env["SOAK_SECONDS"] ?? "40")
if (!Number.isInteger(SECONDS) || SECONDS < 5) throw new Error("SOAK_SECONDS must be an integer ≥ 5")
if (Tools.dnsperf.path === undefined) {
  console.log("[miss-soak] dnsperf is missing (install Debian package dnsperf): skipped")
  process.exit(0)
}
const log = (...args) => console.log("[miss-soak]", ...args)
const sleep = (ms) => new Promise((res) => setTimeout(res, ms))
const mib = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`
const NAMES = 1_500_000

const dir = await mkdtemp(join(tmpdir(), "vigil-soak-"))
const files = await writeCerts(await mintCerts(), dir)
const queryFile = join(dir, "queries.txt")
await writeFile(queryFile, Array.from({ length: NAMES }, (_, i) => `n${i}.soak.test A\n`).join(""))
// knows one name: every other gets NXDOMAIN (with an SOA, cached for its negative TTL)
const upstream = await startMiniUpstream({ records: { "known.soak.test": ["192.0.2.1"] } })
const server = await startServer({
  upstream: upstream.url,
  tls: { certPath: files.certPath, keyPath: files.keyPath },
  entry: process.env["VIGIL_SERVER_ENTRY"] ?? DIST_MAIN,
  env: { NODE_OPTIONS: gcOnSignalNodeOptions() }
})

const rows = []
try {
  const start = await collected(server)
  log(
    `server up (${process.env["VIGIL_SERVER_ENTRY"] ?? DIST_MAIN}): RSS ${mib(start.rss)}, JS heap ${
      mib(start.heapUsed)
    }`
  )
  const perf = spawn(Tools.dnsperf.path, [
    "-m",
    "dot",
    "-s",
    "127.0.0.1",
    "-p",
    String(server.ports.dot),
    "-d",
    queryFile,
    "-l",
    String(SECONDS),
    "-c",
    "10",
    "-q",
    "100"
  ], { stdio: ["ignore", "pipe", "ignore"] })
  let out = ""
  perf.stdout.on("data", (d) => out += d)
  const exited = new Promise((resolve) => perf.on("exit", resolve))
  for (let t = 5; t <= SECONDS; t += 5) {
    await sleep(5000)
    const rss = rssOf(server.pid)
    const m = await collected(server)
    rows.push({ t, rss, heap: m.heapUsed })
    log(`${t} s: RSS ${mib(rss)}, JS heap after a full collection ${mib(m.heapUsed)}`)
  }
  await exited
  const qps = /Queries per second:\s+([\d.]+)/.exec(out)?.[1]
  const completed = /Queries completed:\s+(\d+)/.exec(out)?.[1]
  const lost = /Queries lost:\s+(\d+)/.exec(out)?.[1]
  console.log("")
  console.log(
    `${SECONDS} s of cache misses (every query a lookup upstream): ${completed} answered, ${lost} lost, ${
      Number(qps).toFixed(0)
    } q/s`
  )
  console.log("   t   RSS          JS heap after a full collection")
  for (const r of rows) {
    console.log(`${String(r.t).padStart(4)}  ${mib(r.rss).padStart(11)}  ${mib(r.heap).padStart(11)}`)
  }
  const later = rows.slice(Math.floor(rows.length / 2))
  console.log(
    `JS heap over the second half: ${mib(Math.min(...later.map((r) => r.heap)))} – ${
      mib(Math.max(...later.map((r) => r.heap)))
    } ` +
      `(started at ${mib(start.heapUsed)})`
  )
  console.log("")
} finally {
  await server.stop("SIGTERM")
  await upstream.close()
  await rm(dir, { recursive: true, force: true })
}
