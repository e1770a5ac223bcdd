// Reliability bench (issue 7): BENCH_SLOW slow clients (default 1000: a third dribbling a ClientHello one
// byte a second, a third stopping after their ClientHello, a third idle after the TCP connect; each one
// reconnects when cut, so the pressure lasts) against the BUILT server, while a normal DoT client asks
// one cached question after another and measures its latency: p50/p99 before (baseline) and under attack
// (target: p99 under 2× the baseline), and how many slow clients the server cut.
//
//   node bench/slowclients.mjs      (part of `npm run bench`)
//   BENCH_SLOW=1000 BENCH_SLOW_SECONDS=10 node bench/slowclients.mjs
import { fork } from "node:child_process"
import * as net from "node:net"
import * as tls from "node:tls"
import { fileURLToPath } from "node:url"

const SLOW = Number(process.env["BENCH_SLOW"] ?? "1000")
const SECONDS = Number(process.env["BENCH_SLOW_SECONDS"] ?? "10")
const log = (...args) => console.log("[slowclients]", ...args)
const sleep = (ms) => new Promise((res) => setTimeout(res, ms))

/** A real ClientHello, captured from node:tls talking to a TCP server that never answers. */
const captureHello = () =>
  new Promise((resolve) => {
    const server = net.createServer((socket) => {
      socket.once("data", (d) => {
        resolve(d)
        socket.destroy()
        server.close()
      })
    })
    server.listen(0, "127.0.0.1", () => {
      tls.connect({ host: "127.0.0.1", port: server.address().port, servername: "localhost", ALPNProtocols: ["dot"] })
        .on("error", () => {})
    })
  })

// ------------------------------------------------------------------------------------------- attacker process

const attackerMain = async (port, count) => {
  const hello = await captureHello()
  let cut = 0
  let stopping = false
  const sockets = new Set()
  const start = (kind) => {
    if (stopping) return
    const s = net.connect(port, "127.0.0.1")
    sockets.add(s)
    let timer
    s.on("error", () => {})
    s.on("connect", () => {
      if (kind === 0) {
        let i = 0
        timer = setInterval(() => {
          if (i < hello.length) s.write(hello.subarray(i, ++i))
        }, 1000)
      } else if (kind === 1) s.write(hello)
    })
    s.on("close", () => {
      clearInterval(timer)
      sockets.delete(s)
      if (stopping) return
      cut++
      setTimeout(() => start(kind), 10)
    })
  }
  for (let i = 0; i < count; i++) {
    start(i % 3)
    if (i % 100 === 99) await sleep(20)
  }
  process.on("message", (m) => {
    if (m.cmd === "stop") {
      stopping = true
      for (const s of sockets) s.destroy()
      process.send({ cmd: "stopped", cut, open: sockets.size })
    } else if (m.cmd === "count") process.send({ cmd: "count", open: sockets.size, cut })
  })
  process.send({ cmd: "started" })
}

// ------------------------------------------------------------------------------------------- main process

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]

/** Sequential DoT queries for `seconds`; latencies in ms. */
const measure = async (socket, seconds) => {
  const q = Buffer.from([
    0,
    0,
    1,
    0,
    0,
    1,
    0,
    0,
    0,
    0,
    0,
    0,
    4,
    104,
    111,
    115,
    116,
    5,
    98,
    101,
    110,
    99,
    104,
    4,
    116,
    101,
    115,
    116,
    0,
    0,
    1,
    0,
    1
  ])
  const framed = Buffer.concat([Buffer.from([0, q.length]), q])
  const latencies = []
  let errors = 0
  const end = performance.now() + seconds * 1000
  while (performance.now() < end) {
    const t0 = performance.now()
    const ok = await new Promise((res) => {
      const timer = setTimeout(() => res(false), 5000)
      socket.once("data", () => {
        clearTimeout(timer)
        res(true)
      })
      socket.write(framed)
    })
    if (ok) latencies.push(performance.now() - t0)
    else errors++
  }
  latencies.sort((a, b) => a - b)
  return { n: latencies.length, errors, p50: percentile(latencies, 50), p99: percentile(latencies, 99) }
}

const main = async () => {
  const { register } = await import("tsx/esm/api")
  register()
  const { mkdtemp, rm } = await import("node:fs/promises")
  const { tmpdir } = await import("node:os")
  const { join } = await import("node:path")
  const { mintCerts, writeCerts } = await import("../test/fixtures/Certs.ts")
  const { startMiniUpstream } = await import("../test/fixtures/MiniUpstream.ts")
  const { httpRequest, startServer } = await import("../test/fixtures/ServerProcess.ts")

  const dir = await mkdtemp(join(tmpdir(), "vigil-slow-"))
  const certs = await mintCerts()
  const files = await writeCerts(certs, dir)
  const upstream = await startMiniUpstream({ records: { "host.bench.test": ["198.51.100.1"] } })
  let server
  let attacker
  try {
    server = await startServer({
      upstream: upstream.url,
      tls: { certPath: files.certPath, keyPath: files.keyPath },
      // handshake timeout max(W/2, 3000) = 3000 ms, idle timeout W
      env: { WORKER_TIMEOUT: "2000", MAXCONNS: String(SLOW + 1000), MINCONNS: String(SLOW + 1000) }
    })
    const timedOut = async () => {
      const text = (await httpRequest(server.ports.health, "/metrics")).body
      return [...text.matchAll(/^vigil_connections_timed_out_total\{[^}]*kind="dot"[^}]*\} (\d+)/gm)]
        .reduce((n, m) => n + Number(m[1]), 0)
    }
    // the normal client: one TLS connection, kept busy so that the idle timeout never cuts it
    const socket = await new Promise((res, rej) => {
      const s = tls.connect({
        host: "127.0.0.1",
        port: server.ports.dot,
        ca: certs.caPem,
        servername: "localhost",
        ALPNProtocols: ["dot"]
      })
      s.once("secureConnect", () => res(s))
      s.once("error", rej)
    })
    socket.setNoDelay(true)
    await measure(socket, 1) // warm: the answer is cached from now on
    log(`baseline: ${SECONDS} s of sequential DoT queries …`)
    const baseline = await measure(socket, SECONDS)

    attacker = fork(fileURLToPath(import.meta.url), ["--attacker", String(server.ports.dot), String(SLOW)], {
      stdio: ["ignore", "inherit", "inherit", "ipc"]
    })
    const reply = (cmd) => new Promise((res) => attacker.on("message", (m) => m.cmd === cmd && res(m)))
    await reply("started")
    const cutBefore = await timedOut()
    log(`${SLOW} slow clients connected; measuring ${SECONDS} s under attack …`)
    const attacked = await measure(socket, SECONDS)
    attacker.send({ cmd: "stop" })
    const stopped = await reply("stopped")
    const cutByServer = (await timedOut()) - cutBefore

    console.log("")
    console.log(`normal DoT client, sequential cached queries, ${SECONDS} s each; ${SLOW} slow clients`)
    console.log("phase          queries  errors  p50 ms  p99 ms")
    for (const [name, r] of [["baseline", baseline], ["under attack", attacked]]) {
      console.log(
        `${name.padEnd(13)} ${String(r.n).padStart(8)} ${String(r.errors).padStart(7)} ${
          r.p50.toFixed(3).padStart(7)
        } ${r.p99.toFixed(3).padStart(7)}`
      )
    }
    const ratio = attacked.p99 / baseline.p99
    console.log(`p99 under attack / baseline: ${ratio.toFixed(2)}× (target < 2×: ${ratio < 2 ? "met" : "NOT met"})`)
    console.log(
      `slow clients cut by the server: ${stopped.cut} seen by the attackers, ${cutByServer} counted in ` +
        `vigil_connections_timed_out_total{kind="dot"}`
    )
    console.log("")
    socket.destroy()
  } finally {
    attacker?.kill()
    await server?.stop("SIGTERM")
    await upstream.close()
    await rm(dir, { recursive: true, force: true })
  }
}

const at = process.argv.indexOf("--attacker")
if (at >= 0) attackerMain(Number(process.argv[at + 1]), Number(process.argv[at + 2]))
else {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(`[slowclients] failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`)
      process.exit(1)
    }
  )
}
