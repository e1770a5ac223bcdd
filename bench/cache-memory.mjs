// What a full answer cache costs in resident memory. The BUILT server (one process, CACHE_SIZE names),
// a stub upstream over UDP answering CACHE_NAMES names (default 30000, the default CACHE_SIZE), and
// `dnsperf -m dot` asking each name once (every answer stored), then once more a second later (every answer
// served from the cache, its TTLs patched for its age). RSS and the JS heap after a full collection (the
// server runs with --expose-gc and a preload that collects on SIGUSR2): before, after the first pass, after
// the second; the growth per cached answer.
//
//   npm run build && node bench/cache-memory.mjs
//   CACHE_NAMES=30000 node bench/cache-memory.mjs
//   CACHE_NAMES=150000 CACHE_ENTRIES=30000 node bench/cache-memory.mjs   (more names than the cache keeps: a
//     full cache evicting, the heap should stay at the full cache's size)
//   VIGIL_SERVER_ENTRY=<other build>/main.js node bench/cache-memory.mjs   (compare a build)
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { register } from "tsx/esm/api"

register()
const { mintCerts, writeCerts } = await import("../test/fixtures/Certs.ts")
const { startMiniUpstream } = await import("../test/fixtures/MiniUpstream.ts")
const { DIST_MAIN, startServer } = await import("../test/fixtures/ServerProcess.ts")
const { run, Tools } = await import("../test/fixtures/Tools.ts")
const { collected, gcOnSignalNodeOptions, rssOf } = await import("./lib/memory.mjs")

const NAMES = Number(process.env["CACHE_NAMES"] ?? "30000")
const ENTRIES = Number(process.env["CACHE_ENTRIES"] ?? NAMES)
if (!Number.isInteger(NAMES) || NAMES < 1 || !Number.isInteger(ENTRIES) || ENTRIES < 1) {
  throw new Error("CACHE_NAMES and CACHE_ENTRIES must be positive integers")
}
if (Tools.dnsperf.path === undefined) {
  console.log("[cache-memory] dnsperf is missing (install Debian package dnsperf): skipped")
  process.exit(0)
}
const log = (...args) => console.log("[cache-memory]", ...args)
const sleep = (ms) => new Promise((res) => setTimeout(res, ms))
const mib = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`

const names = Array.from({ length: NAMES }, (_, i) => `name${i}.cache.test`)
const records = Object.fromEntries(names.map((n, i) => [n, [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`]]))
const dir = await mkdtemp(join(tmpdir(), "vigil-cache-"))
const files = await writeCerts(await mintCerts(), dir)
const queryFile = join(dir, "queries.txt")
await writeFile(queryFile, names.map((n) => `${n} A\n`).join(""))
const upstream = await startMiniUpstream({ records })
const server = await startServer({
  upstream: upstream.url,
  tls: { certPath: files.certPath, keyPath: files.keyPath },
  entry: process.env["VIGIL_SERVER_ENTRY"] ?? DIST_MAIN,
  env: { CACHE_SIZE: String(ENTRIES), NODE_OPTIONS: gcOnSignalNodeOptions() }
})

const pass = async () => {
  const r = await run(Tools.dnsperf.path, [
    "-m",
    "dot",
    "-s",
    "127.0.0.1",
    "-p",
    String(server.ports.dot),
    "-d",
    queryFile,
    "-n",
    "1",
    "-c",
    "10",
    "-q",
    "100"
  ], { timeoutMs: 300_000 })
  const completed = /Queries completed:\s+(\d+)/.exec(r.stdout)?.[1]
  const noerror = /NOERROR (\d+)/.exec(r.stdout)?.[1]
  return { completed: Number(completed), noerror: Number(noerror) }
}

try {
  const before = await collected(server)
  log(
    `server up (${process.env["VIGIL_SERVER_ENTRY"] ?? DIST_MAIN}): after a full collection RSS ${
      mib(before.rss)
    }, JS heap ${mib(before.heapUsed)}`
  )
  const first = await pass()
  const stored = await collected(server)
  log(`pass 1 (${first.completed} queries, ${first.noerror} NOERROR, each name once: stored) RSS ${mib(stored.rss)}`)
  await sleep(1500)
  const second = await pass()
  const served = await collected(server)
  log(
    `pass 2 (${second.completed} queries, from the cache, TTLs patched) RSS ${mib(served.rss)}, now ${
      mib(rssOf(server.pid))
    }`
  )
  console.log("")
  console.log(`${NAMES} names asked, CACHE_SIZE=${ENTRIES}; memory of our server after a full collection`)
  console.log("                       RSS          JS heap      external")
  for (
    const [label, m] of [["started", before], ["after pass 1 (stored)", stored], ["after pass 2 (served)", served]]
  ) {
    console.log(
      `${label.padEnd(22)} ${mib(m.rss).padStart(11)}  ${mib(m.heapUsed).padStart(11)}  ${mib(m.external).padStart(11)}`
    )
  }
  console.log(
    `per cached answer: ${((served.rss - before.rss) / Math.min(NAMES, ENTRIES)).toFixed(0)} B resident, ` +
      `${((served.heapUsed - before.heapUsed) / Math.min(NAMES, ENTRIES)).toFixed(0)} B of JS heap`
  )
  console.log("")
} finally {
  await server.stop("SIGTERM")
  await upstream.close()
  await rm(dir, { recursive: true, force: true })
}
