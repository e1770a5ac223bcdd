// Cache misses: every query a name neither server has seen, so each one goes to the (same) stub upstream.
// Our built server and dnsdist side by side, `dnsperf -m dot -c 10 -q 100 -n 1` over MISS_NAMES fresh
// names per round (the stub answers NXDOMAIN), MISS_ROUNDS rounds per server, alternating who goes
// first; prints q/s, p50 and p99 (medians over the rounds, and each round's p99).
//
//   node bench/misses.mjs          (after `npm run build`; `npm run bench` runs it)
//   MISS_NAMES=2000 MISS_ROUNDS=3 node bench/misses.mjs
//   MISS_UPSTREAM=tcp node bench/misses.mjs   (both servers ask the stub over TCP; default udp)
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { register } from "tsx/esm/api"

register()
const { mintCerts, writeCerts } = await import("../test/fixtures/Certs.ts")
const { startMiniUpstream } = await import("../test/fixtures/MiniUpstream.ts")
const { startServer } = await import("../test/fixtures/ServerProcess.ts")
const { run, Tools } = await import("../test/fixtures/Tools.ts")
const { startDnsdist } = await import("./lib/dnsdist.mjs")
const { startNodeOptions } = await import("./lib/start-flags.mjs")
const { medianOf, parseDnsperf } = await import("./lib/measure.mjs")

const NAMES = Number(process.env["MISS_NAMES"] ?? "2000")
const ROUNDS = Number(process.env["MISS_ROUNDS"] ?? "3")
const VIA = process.env["MISS_UPSTREAM"] ?? "udp"
if (!(NAMES > 0) || !Number.isInteger(ROUNDS) || ROUNDS < 1) {
  throw new Error("MISS_NAMES must be a positive number, MISS_ROUNDS a positive integer")
}
if (VIA !== "udp" && VIA !== "tcp") throw new Error(`MISS_UPSTREAM must be udp or tcp, not ${VIA}`)
const log = (...args) => console.log("[misses]", ...args)

if (Tools.dnsperf.path === undefined) {
  log(`dnsperf is missing (install Debian package ${Tools.dnsperf.debianPackage}): skipped`)
  process.exit(0)
}
const dir = await mkdtemp(join(tmpdir(), "vigil-misses-"))
const files = await writeCerts(await mintCerts(), dir)
const upstream = await startMiniUpstream({})
const ours = await startServer({
  upstream: `${VIA}://127.0.0.1:${upstream.port}`,
  tls: { certPath: files.certPath, keyPath: files.keyPath },
  env: { NODE_OPTIONS: startNodeOptions() }
})
const servers = [{ name: "vigil-dns", port: ours.ports.dot }]
let reference
if (Tools.dnsdist.path !== undefined) {
  reference = await startDnsdist(dir, files, upstream.port, [], { tcpOnly: VIA === "tcp" })
  servers.push({ name: "dnsdist", port: reference.ports.dot })
} else log(`dnsdist is missing (install Debian package ${Tools.dnsdist.debianPackage}): our server only`)

try {
  const runs = new Map(servers.map((s) => [s.name, []]))
  // an unmeasured first pass on each server (its first connections, its first upstream socket)
  for (
    const [round, order] of [
      [-1, servers],
      ...Array.from({ length: ROUNDS }, (_, r) => [r, r % 2 ? [...servers].reverse() : servers])
    ]
  ) {
    for (const s of order) {
      const file = join(dir, "names.txt")
      const tag = `${round < 0 ? "warm" : `r${round}`}-${s.name}`
      await writeFile(file, Array.from({ length: NAMES }, (_, i) => `${tag}-${i}.miss.test A\n`).join(""))
      const r = await run(Tools.dnsperf.path, [
        "-m",
        "dot",
        "-s",
        "127.0.0.1",
        "-p",
        String(s.port),
        "-c",
        "10",
        "-q",
        "100",
        "-n",
        "1",
        "-d",
        file,
        "-v"
      ], { timeoutMs: 120_000 })
      const parsed = parseDnsperf(r.stdout)
      if (round >= 0) {
        runs.get(s.name).push(parsed)
        log(
          `${s.name} round ${round + 1}/${ROUNDS}: ${Math.round(parsed.qps ?? 0)} q/s, p99 ${
            parsed.p99Ms?.toFixed(2)
          } ms`
        )
      }
    }
  }
  console.log("")
  console.log(
    `DoT cache misses: ${NAMES} new names per round, upstream over ${VIA}, dnsperf -c 10 -q 100; medians of ${ROUNDS} rounds`
  )
  console.log("server      q/s      p50 ms  p99 ms  answered  p99 per round")
  for (const s of servers) {
    const m = medianOf(runs.get(s.name))
    const answered = runs.get(s.name).reduce((n, r) => n + (r.completed ?? 0), 0)
    console.log(
      `${s.name.padEnd(10)}  ${String(Math.round(m.qps ?? 0)).padStart(6)}  ${m.p50Ms?.toFixed(2).padStart(6)}  ${
        m.p99Ms?.toFixed(2).padStart(6)
      }  ${String(answered).padStart(8)}  ${m.rounds.map((x) => x.p99Ms?.toFixed(2)).join(" ")}`
    )
  }
} finally {
  await ours.stop("SIGTERM", 20_000)
  await reference?.stop()
  await upstream.close()
  await rm(dir, { recursive: true, force: true })
}
process.exit(0)
