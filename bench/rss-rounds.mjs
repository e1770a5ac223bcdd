// Does resident memory come back, or keep growing, after connections close? The BUILT server (one
// process), RSS_ROUNDS rounds (default 7) of RSS_CONNS DoT connections (default 5000) that each ask one
// query and stay open until all are open, then all close. After each round: RSS with the connections
// open, 3 s after they closed, and after a full collection (the server runs with --expose-gc and a
// preload that collects on SIGUSR2), with the JS heap then. A leak grows every round by about the same
// amount; glibc's allocator keeping freed memory grows less each round and levels off.
//
//   npm run build && node bench/rss-rounds.mjs
//   RSS_CONNS=5000 RSS_ROUNDS=7 node bench/rss-rounds.mjs
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import tls from "node:tls"
import { register } from "tsx/esm/api"

register()
const { mintCerts, writeCerts } = await import("../test/fixtures/Certs.ts")
const { startMiniUpstream } = await import("../test/fixtures/MiniUpstream.ts")
const { DIST_MAIN, startServer } = await import("../test/fixtures/ServerProcess.ts")
const { manyConnectionsEnv } = await import("./lib/start-flags.mjs")
const { collected, gcOnSignalNodeOptions, rssOf } = await import("./lib/memory.mjs")

const CONNS = Number(process.env["RSS_CONNS"] ?? "5000")
const ROUNDS = Number(process.env["RSS_ROUNDS"] ?? "7")
if (!Number.isInteger(CONNS) || CONNS < 1 || !Number.isInteger(ROUNDS) || ROUNDS < 2) {
  throw new Error("RSS_CONNS must be a positive integer, RSS_ROUNDS an integer ≥ 2")
}
const log = (...args) => console.log("[rss-rounds]", ...args)
const sleep = (ms) => new Promise((res) => setTimeout(res, ms))
const mib = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`

const dir = await mkdtemp(join(tmpdir(), "vigil-rss-"))
const files = await writeCerts(await mintCerts(), dir)
const upstream = await startMiniUpstream({ records: { "host0.bench.test": ["198.51.100.1"] } })
const server = await startServer({
  upstream: upstream.url,
  tls: { certPath: files.certPath, keyPath: files.keyPath },
  entry: process.env["VIGIL_SERVER_ENTRY"] ?? DIST_MAIN,
  env: { ...manyConnectionsEnv(CONNS), NODE_OPTIONS: gcOnSignalNodeOptions() }
})

// host0.bench.test A, ID 1, framed
const QUERY = Buffer.from(
  "00220001010000010000000000000568 6f73743005 62656e636804 7465737400 00010001".replace(/ /g, ""),
  "hex"
)
const connect = () =>
  new Promise((resolve, reject) => {
    const s = tls.connect({
      port: server.ports.dot,
      host: "127.0.0.1",
      rejectUnauthorized: false,
      ALPNProtocols: ["dot"]
    })
    s.once("secureConnect", () => s.write(QUERY))
    s.once("data", () => resolve(s))
    s.once("error", reject)
  })

const rows = []
try {
  const start = await collected(server)
  log(
    `server up: RSS ${mib(rssOf(server.pid))}, after a full collection ${mib(start.rss)}, JS heap ${
      mib(start.heapUsed)
    }`
  )
  for (let round = 1; round <= ROUNDS; round++) {
    const sockets = []
    // 50 handshakes at a time
    for (let i = 0; i < CONNS; i += 50) {
      sockets.push(...await Promise.all(Array.from({ length: Math.min(50, CONNS - i) }, connect)))
    }
    const open = rssOf(server.pid)
    for (const s of sockets) s.destroy()
    await sleep(3000)
    const closed = rssOf(server.pid)
    const after = await collected(server)
    rows.push({ round, open, closed, afterGc: after.rss, heap: after.heapUsed })
    log(`round ${round}: ${CONNS} connections open ${mib(open)}, closed ${mib(closed)}, after GC ${mib(after.rss)}`)
  }
} finally {
  await server.stop("SIGTERM")
  await upstream.close()
  await rm(dir, { recursive: true, force: true })
}

console.log("")
console.log(`${CONNS} DoT connections per round (each asks once), then closed; RSS of our server`)
console.log("round  conns open   closed 3 s   after full GC   growth after GC   JS heap after GC")
let previous
for (const r of rows) {
  const growth = previous === undefined ? "" : `${r.afterGc >= previous ? "+" : ""}${mib(r.afterGc - previous)}`
  console.log(
    `${String(r.round).padStart(5)}  ${mib(r.open).padStart(10)}  ${mib(r.closed).padStart(11)}  ` +
      `${mib(r.afterGc).padStart(14)}  ${growth.padStart(16)}  ${mib(r.heap).padStart(17)}`
  )
  previous = r.afterGc
}
const last = rows.slice(-2)
console.log(
  `last round grew ${mib(last[1].afterGc - last[0].afterGc)} (first: ${mib(rows[1].afterGc - rows[0].afterGc)}); ` +
    `JS heap ${mib(rows[0].heap)} → ${mib(rows[rows.length - 1].heap)}`
)
console.log("")
