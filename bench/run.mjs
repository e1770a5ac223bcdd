// Benchmark: the built vigil-dns server against a reference dnsdist, side by side, same machine, same
// stub upstream, same cache-hit workload (~200 repeating names).
//
//   npm run bench                      (builds first; BENCH_SECONDS=5 per run by default)
//   BENCH_SECONDS=10 BENCH_NAMES=200 BENCH_ROUNDS=3 npm run bench
//   BENCH_ONLY=HTTP/1.1 BENCH_WORKERS=0 node bench/run.mjs    (one transport, after `npm run build`)
//
// DoT is driven by `dnsperf -m dot -c 10 -q 100`, DoH GET by `h2load -c 10 -m 10` over HTTP/2 and
// `h2load --h1 -c 10` over HTTP/1.1, DoH POST by `h2load -c 10 -m 10 -d <query>` over HTTP/2. Prints a
// table (q/s, mean and p99 latency, ratio ours/reference) and writes bench/out/results.json. Each transport
// first runs BENCH_WARMUP_SECONDS (default 2) unmeasured on each server, then BENCH_ROUNDS times (default 3)
// per server, alternating which server goes first; the table shows each
// figure's median over the rounds and the p99 of every round. With the reference, each transport runs again
// at one fixed rate (BENCH_EQUAL_LOAD, default 0.6, of the reference's median q/s; `h2load --rps`,
// `dnsperf -Q`) on both servers: rows "<transport> @<rate>k", latency at equal load. Then DoT again
// against our server with WORKERS=1 and WORKERS=2 (the runs above use one process). Without dnsdist only
// our server is measured. Only in-run ratios mean
// anything: absolute numbers drift between runs (PERFORMANCE.md).
//
// DoT and HTTP/1.1 also run against a bare Node TLS server (bench/lib/bare-node.mjs: answers at once,
// no code of ours): rows "bare Node", the floor that Node itself sets on this machine (BENCH_FLOOR=0
// skips it).
import * as dnsPacket from "@dnsquery/dns-packet"
import { existsSync } from "node:fs"
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { cpus, tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { register } from "tsx/esm/api"

// the fixtures are TypeScript: let tsx load them
register()
const { mintCerts, writeCerts } = await import("../test/fixtures/Certs.ts")
const { startMiniUpstream } = await import("../test/fixtures/MiniUpstream.ts")
const { DIST_MAIN, startServer } = await import("../test/fixtures/ServerProcess.ts")
const { run, Tools } = await import("../test/fixtures/Tools.ts")
const { startBareNode } = await import("./lib/bare-node.mjs")
const { startDnsdist } = await import("./lib/dnsdist.mjs")
const { startNodeOptions } = await import("./lib/start-flags.mjs")
const { medianOf, parseDnsperf, percentile } = await import("./lib/measure.mjs")

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const outDir = join(root, "bench", "out")
const SECONDS = Number(process.env["BENCH_SECONDS"] ?? "5")
const NAMES = Number(process.env["BENCH_NAMES"] ?? "200")
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? "3")
const WARMUP = Number(process.env["BENCH_WARMUP_SECONDS"] ?? "2")
const CLIENTS = 10
/** the fixed rate of the equal-load runs, as a share of the reference's median q/s (0: none) */
const EQUAL_LOAD = Number(process.env["BENCH_EQUAL_LOAD"] ?? "0.6")
if (!(SECONDS > 0) || !(NAMES > 0) || !Number.isInteger(ROUNDS) || ROUNDS < 1 || !(EQUAL_LOAD >= 0) || !(WARMUP >= 0)) {
  throw new Error(
    "BENCH_SECONDS and BENCH_NAMES must be positive numbers, BENCH_ROUNDS a positive integer, " +
      "BENCH_EQUAL_LOAD and BENCH_WARMUP_SECONDS ≥ 0"
  )
}

const log = (...args) => console.log(`[bench]`, ...args)
const sleep = (ms) => new Promise((res) => setTimeout(res, ms))

// ------------------------------------------------------------------------------------------- workload

const names = Array.from({ length: NAMES }, (_, i) => `host${i}.bench.test`)
const records = Object.fromEntries(names.map((n, i) => [n, [`198.51.${100 + (i >> 8)}.${i & 255}`]]))

/** DoH GET URIs: one per name, message ID 0 as RFC 8484 recommends */
const dohPaths = names.map((name) => {
  const q = dnsPacket.encode({
    type: "query",
    id: 0,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: "A", name }]
  })
  return `/dns-query?dns=${Buffer.from(q).toString("base64url")}`
})

/** DoH POST body: the first name's query, ID 0 */
const postBody = dnsPacket.encode({
  type: "query",
  id: 0,
  flags: dnsPacket.RECURSION_DESIRED,
  questions: [{ type: "A", name: names[0] }]
})

// ------------------------------------------------------------------------------------------- parsing

const toMs = (value, unit) => Number(value) * ({ us: 0.001, ms: 1, s: 1000 }[unit] ?? NaN)

/** h2load summary, plus its --log-file (start µs, status, elapsed µs per request) for percentiles */
const parseH2load = (stdout, logText) => {
  const finished = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(stdout)
  const requests = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/
    .exec(stdout)
  const status = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(stdout)
  const t = /time for request:\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)/.exec(stdout)
  const elapsed = []
  for (const line of logText.split("\n")) {
    const cols = line.split("\t")
    if (cols.length >= 3) elapsed.push(Number(cols[2]) / 1000)
  }
  elapsed.sort((a, b) => a - b)
  return {
    qps: finished === null ? undefined : Number(finished[1]),
    done: requests === null ? undefined : Number(requests[3]),
    succeeded: requests === null ? undefined : Number(requests[4]),
    failed: requests === null ? undefined : Number(requests[5]) + Number(requests[6]),
    status2xx: status === null ? undefined : Number(status[1]),
    statusOther: status === null ? undefined : Number(status[2]) + Number(status[3]) + Number(status[4]),
    meanMs: t === null ? undefined : toMs(t[5], t[6]),
    p50Ms: percentile(elapsed, 50),
    p99Ms: percentile(elapsed, 99),
    application: /Application protocol: (\S+)/.exec(stdout)?.[1]
  }
}

// ------------------------------------------------------------------------------------------- drivers

/** `outFile`: dnsperf's per-query lines go there, not through this process's pipe while it measures */
const dnsperfDot = async (port, queryFile, seconds, outFile, rate) => {
  const args = ["-m", "dot", "-s", "127.0.0.1", "-p", String(port), "-c", String(CLIENTS), "-q", "100"]
  if (rate !== undefined) args.push("-Q", String(rate))
  args.push("-l", String(seconds), "-d", queryFile, "-v", "-O", "suppress=timeout,congestion,sendfailed,sockready")
  const r = await run(Tools.dnsperf.path, args, { timeoutMs: (seconds + 30) * 1000, stdoutFile: outFile })
  await rm(outFile, { force: true })
  return { command: r.command, exit: r.code, ...parseDnsperf(r.stdout), stderr: r.stderr.slice(-2000) }
}

const h2loadDoh = async (port, uriFile, logFile, seconds, h1, postFile, rate) => {
  const args = h1 ? ["--h1", "-c", String(CLIENTS), "-m", "1"] : ["-c", String(CLIENTS), "-m", "10"]
  if (postFile !== undefined) args.push("-d", postFile, "-H", "content-type: application/dns-message")
  // --rps is per client (connection)
  if (rate !== undefined) args.push(`--rps=${Math.max(1, Math.round(rate / CLIENTS))}`)
  args.push("-D", String(seconds), "-i", uriFile, "--log-file", logFile)
  const r = await run(Tools.h2load.path, args, { timeoutMs: (seconds + 30) * 1000 })
  const logText = await readFile(logFile, "utf8").catch(() => "")
  await rm(logFile, { force: true })
  return { command: r.command, exit: r.code, ...parseH2load(r.stdout, logText), stderr: r.stderr.slice(-2000) }
}

// ------------------------------------------------------------------------------------------- main

const fmt = (v, digits = 0) =>
  v === undefined || Number.isNaN(v) ? "-" : v.toLocaleString("en-US", { maximumFractionDigits: digits })

const main = async () => {
  const entry = process.env["VIGIL_SERVER_ENTRY"] ?? DIST_MAIN
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` (npm run bench does)`)
  const missing = [Tools.dnsperf, Tools.h2load].filter((t) => t.path === undefined)
  for (const t of missing) log(`${t.name} is missing (install Debian package ${t.debianPackage}): its runs are skipped`)
  const withReference = Tools.dnsdist.path !== undefined
  if (!withReference) log("dnsdist is missing (install Debian package dnsdist): benchmarking our server only")

  const dir = await mkdtemp(join(tmpdir(), "vigil-bench-"))
  const files = await writeCerts(await mintCerts(), dir)
  const upstream = await startMiniUpstream({ records })
  log(`stub upstream on 127.0.0.1:${upstream.port} answering ${names.length} names`)
  let ours
  let reference
  let bare
  const results = []
  try {
    ours = await startServer({
      upstream: upstream.url,
      tls: { certPath: files.certPath, keyPath: files.keyPath },
      entry,
      env: {
        CACHE_SIZE: "30000",
        ...(process.env["BENCH_LOG_LEVEL"] ? { EFFECT_LOG_LEVEL: process.env["BENCH_LOG_LEVEL"] } : {}),
        // node flags as `npm start` gives them (BENCH_NODE_OPTIONS replaces them, to compare)
        NODE_OPTIONS: startNodeOptions()
      }
    })
    log(`vigil-dns (node ${entry}): DoT ${ours.ports.dot}, DoH ${ours.ports.doh}`)
    if (withReference) {
      reference = await startDnsdist(dir, files, upstream.port)
      log(`dnsdist: DoT ${reference.ports.dot}, DoH ${reference.ports.doh}`)
    }
    if (process.env["BENCH_FLOOR"] !== "0") {
      bare = await startBareNode(files)
      log(`bare Node: DoT ${bare.ports.dot}, DoH (HTTP/1.1) ${bare.ports.doh}`)
    }
    const servers = [{ name: "vigil-dns", ports: ours.ports }]
    if (reference !== undefined) servers.push({ name: "dnsdist", ports: reference.ports })
    // the floor: only for the transports it serves (DoT, HTTP/1.1)
    if (bare !== undefined) servers.push({ name: "bare Node", ports: bare.ports, floor: true })

    const queryFile = join(dir, "queries.txt")
    await writeFile(queryFile, names.map((n) => `${n} A\n`).join(""))
    const uriFiles = {}
    const postUriFiles = {}
    for (const s of servers) {
      uriFiles[s.name] = join(dir, `uris-${s.name}.txt`)
      await writeFile(uriFiles[s.name], dohPaths.map((p) => `https://127.0.0.1:${s.ports.doh}${p}\n`).join(""))
      postUriFiles[s.name] = join(dir, `post-uris-${s.name}.txt`)
      await writeFile(postUriFiles[s.name], `https://127.0.0.1:${s.ports.doh}/dns-query\n`)
    }
    // DoH POST: h2load sends the same body with every request (one name, ID 0)
    const postFile = join(dir, "post.bin")
    await writeFile(postFile, postBody)

    // warm both caches (and the stub's answers) before measuring
    if (Tools.dnsperf.path !== undefined) {
      for (const s of servers) {
        await run(Tools.dnsperf.path, [
          "-m",
          "dot",
          "-s",
          "127.0.0.1",
          "-p",
          String(s.ports.dot),
          "-d",
          queryFile,
          "-n",
          "2"
        ], {
          timeoutMs: 30_000
        })
      }
    }

    // h2load's per-request log must not live beside the certificate files: our server watches their
    // directory (certificate hot-swap), and every write there would cost it a file-change event
    const logDir = join(dir, "logs")
    await mkdir(logDir, { recursive: true })
    const plan = []
    if (Tools.dnsperf.path !== undefined) {
      plan.push({ transport: "DoT", client: `dnsperf -m dot -c ${CLIENTS} -q 100`, floor: true })
    }
    if (Tools.h2load.path !== undefined) {
      plan.push({ transport: "DoH GET HTTP/2", client: `h2load -c ${CLIENTS} -m 10`, h1: false })
      plan.push({
        transport: "DoH POST HTTP/2",
        client: `h2load -c ${CLIENTS} -m 10 -d <query>`,
        h1: false,
        post: true
      })
      plan.push({ transport: "DoH GET HTTP/1.1", client: `h2load --h1 -c ${CLIENTS}`, h1: true, floor: true })
    }
    // BENCH_ONLY=<text>: only the runs whose transport contains it (e.g. BENCH_ONLY=HTTP/1.1)
    const only = process.env["BENCH_ONLY"]
    const measure = (step, s, seconds, rate) =>
      step.transport === "DoT"
        ? dnsperfDot(s.ports.dot, queryFile, seconds, join(logDir, "dnsperf.out"), rate)
        : h2loadDoh(
          s.ports.doh,
          (step.post ? postUriFiles : uriFiles)[s.name],
          join(logDir, "h2load.log"),
          seconds,
          step.h1,
          step.post ? postFile : undefined,
          rate
        )
    /** ROUNDS runs per server, alternating who goes first (neither always runs on a machine the other warmed) */
    const serversOf = (step) => servers.filter((s) => s.floor !== true || step.floor === true)
    const rounds = async (step, rate) => {
      const runs = new Map(serversOf(step).map((s) => [s.name, []]))
      for (let round = 0; round < ROUNDS; round++) {
        for (const s of round % 2 === 0 ? serversOf(step) : [...serversOf(step)].reverse()) {
          const at = rate === undefined ? "" : ` at ${rate} q/s`
          log(`${step.transport} → ${s.name}${at} (round ${round + 1}/${ROUNDS}, ${SECONDS} s) …`)
          runs.get(s.name).push(await measure(step, s, SECONDS, rate))
          await sleep(500)
        }
      }
      return serversOf(step).map((s) => ({ server: s.name, ...medianOf(runs.get(s.name)) }))
    }
    for (const step of plan.filter((p) => only === undefined || p.transport.includes(only))) {
      // a first, unmeasured run per server: the first seconds of load on a fresh process (JIT tiers, its first
      // collections) are not what it serves at afterwards
      if (WARMUP > 0) {
        for (const s of serversOf(step)) {
          log(`${step.transport} → ${s.name} (warm-up, ${WARMUP} s) …`)
          await measure(step, s, WARMUP, undefined)
        }
      }
      const saturated = await rounds(step, undefined)
      for (const r of saturated) results.push({ transport: step.transport, client: step.client, ...r })
      // the same transport at one fixed rate both servers sustain (EQUAL_LOAD of the reference's median q/s):
      // latency compared at equal load, where a closed-loop client at saturation measures its own queue too
      const refQps = saturated.find((r) => r.server === "dnsdist")?.qps
      if (refQps !== undefined && EQUAL_LOAD > 0) {
        const rate = Math.round((refQps * EQUAL_LOAD) / 1000) * 1000
        for (const r of await rounds(step, rate)) {
          results.push({
            transport: `${step.transport} @${rate / 1000}k`,
            client: `${step.client} at ${rate} q/s`,
            rate,
            ...r
          })
        }
      }
    }

    // multi-core (issue 7 item 7): DoT q/s of our server with WORKERS=1 and WORKERS=2 (BENCH_WORKERS=0 skips)
    if (Tools.dnsperf.path !== undefined && process.env["BENCH_WORKERS"] !== "0") {
      for (const workers of [1, 2]) {
        const w = await startServer({
          upstream: upstream.url,
          tls: { certPath: files.certPath, keyPath: files.keyPath },
          env: { CACHE_SIZE: "30000", WORKERS: String(workers), NODE_OPTIONS: startNodeOptions() },
          readyTimeoutMs: 40_000
        })
        try {
          // warm every worker's cache: several connections, round-robin over the workers
          await run(Tools.dnsperf.path, [
            "-m",
            "dot",
            "-s",
            "127.0.0.1",
            "-p",
            String(w.ports.dot),
            "-c",
            String(CLIENTS),
            "-d",
            queryFile,
            "-n",
            "4"
          ], { timeoutMs: 30_000 })
          log(`DoT → vigil-dns WORKERS=${workers} (${SECONDS} s) …`)
          const r = await dnsperfDot(w.ports.dot, queryFile, SECONDS, join(dir, "logs", "dnsperf.out"))
          results.push({
            transport: `DoT WORKERS=${workers}`,
            client: `dnsperf -m dot -c ${CLIENTS} -q 100`,
            server: "vigil-dns",
            workers,
            ...r
          })
        } finally {
          const code = await w.stop("SIGTERM", 30_000)
          log(`vigil-dns WORKERS=${workers} exited with ${code} after SIGTERM`)
        }
        await sleep(500)
      }
    }
  } finally {
    const code = ours === undefined ? undefined : await ours.stop("SIGTERM", 20_000)
    if (ours !== undefined) log(`vigil-dns exited with ${code} after SIGTERM`)
    await reference?.stop()
    await bare?.stop()
    await upstream.close()
    await rm(dir, { recursive: true, force: true })
  }

  // table
  const rows = [[
    "transport",
    "server",
    "q/s",
    "mean ms",
    "p50 ms",
    "p99 ms",
    "ratio q/s ours/ref",
    "errors",
    "p99 per round"
  ]]
  for (const r of results) {
    const ref = results.find((x) => x.transport === r.transport && x.server === "dnsdist")
    const ratio = r.server === "vigil-dns" && r.rate === undefined && ref !== undefined && ref.qps > 0
      ? r.qps / ref.qps
      : undefined
    r.ratioToReference = ratio
    const errors = r.transport.startsWith("DoT") ? r.lost ?? "-" : (r.failed ?? 0) + (r.statusOther ?? 0)
    rows.push([
      r.transport,
      r.server,
      fmt(r.qps),
      fmt(r.meanMs, 3),
      fmt(r.p50Ms, 3),
      fmt(r.p99Ms, 3),
      ratio === undefined ? "" : `${ratio.toFixed(2)}×`,
      String(errors),
      (r.rounds ?? []).map((x) => fmt(x.p99Ms, 3)).join(" ")
    ])
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)))
  console.log("")
  console.log(`q/s, mean and p99: medians of ${ROUNDS} round(s) of ${SECONDS} s per server, alternating`)
  for (const [i, row] of rows.entries()) {
    console.log(row.map((c, j) => (j >= 2 ? c.padStart(widths[j]) : c.padEnd(widths[j]))).join("  "))
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "))
  }
  console.log("")

  await mkdir(outDir, { recursive: true })
  const versions = {}
  for (
    const [key, t, args] of [
      ["dnsperf", Tools.dnsperf, ["-h"]],
      ["h2load", Tools.h2load, ["--version"]],
      ["dnsdist", Tools.dnsdist, ["--version"]]
    ]
  ) {
    if (t.path === undefined) continue
    const v = await run(t.path, args)
    versions[key] = ((v.stdout + v.stderr).match(/(?:^Version |nghttp2\/|dnsdist )([\d.]+)/m) ?? [])[1] ?? "?"
  }
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    secondsPerRun: SECONDS,
    rounds: ROUNDS,
    names: NAMES,
    clients: CLIENTS,
    versions,
    reference: withReference ? "dnsdist" : null,
    results
  }
  const outFile = join(outDir, "results.json")
  await writeFile(outFile, JSON.stringify(report, null, 2) + "\n")
  log(`results written to ${outFile}`)
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`[bench] failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`)
    process.exit(1)
  }
)
