// Reliability bench (issue 7, target 6): many concurrent DoT connections against the BUILT server and
// against dnsdist (same certificate, same stub upstream).
//
//   node bench/connections.mjs            (part of `npm run bench`, which builds first)
//   BENCH_CONNS=10000 BENCH_CONN_SECONDS=60 BENCH_CONN_INTERVAL=5 BENCH_CONN_PROCS=4 node bench/connections.mjs
//
// Per server: RSS before connecting, after BENCH_CONNS idle TLS connections are open (→ bytes per idle
// connection), then every connection sends a query every BENCH_CONN_INTERVAL s for BENCH_CONN_SECONDS
// (every query must be answered), then all close. Our server gets the load twice and its RSS after each
// run (connections closed) is compared: growth between the runs would be a leak. The connections are
// held by BENCH_CONN_PROCS client processes (forks of this script) whose fd limit is raised when allowed.
import { fork } from "node:child_process"
import { readFileSync } from "node:fs"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as tls from "node:tls"
import { fileURLToPath } from "node:url"

const CONNS = Number(process.env["BENCH_CONNS"] ?? "10000")
const SECONDS = Number(process.env["BENCH_CONN_SECONDS"] ?? "60")
const INTERVAL = Number(process.env["BENCH_CONN_INTERVAL"] ?? "5")
const PROCS = Number(process.env["BENCH_CONN_PROCS"] ?? "4")
const log = (...args) => console.log("[connections]", ...args)
const sleep = (ms) => new Promise((res) => setTimeout(res, ms))

// ------------------------------------------------------------------------------------------- client process

/** A query for `host<i>.bench.test` A with message ID `id`, framed. */
const framedQuery = (i, id) => {
  const labels = [`host${i}`, "bench", "test"]
  const parts = [Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0])]
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, "latin1"))
  parts.push(Buffer.from([0, 0, 1, 0, 1]))
  const msg = Buffer.concat(parts)
  return Buffer.concat([Buffer.from([msg.length >> 8, msg.length & 255]), msg])
}

const clientMain = () => {
  const sockets = []
  let sent = 0
  let answered = 0
  let failed = 0
  let closedEarly = 0
  let timer
  process.on("message", async (m) => {
    if (m.cmd === "connect") {
      const { port, ca, count, batch } = m
      sent =
        answered =
        failed =
        closedEarly =
          0
      let session
      const one = () =>
        new Promise((res) => {
          const s = tls.connect({
            host: "127.0.0.1",
            port,
            ca,
            servername: "localhost",
            ALPNProtocols: ["dot"],
            ...(session ? { session } : {})
          })
          s.once("session", (x) => (session ??= x))
          s.setNoDelay(true)
          let buf = Buffer.alloc(0)
          s.on("data", (d) => {
            buf = buf.length === 0 ? d : Buffer.concat([buf, d])
            while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
              answered++
              buf = buf.subarray(2 + buf.readUInt16BE(0))
            }
          })
          s.on("error", () => {})
          s.once("secureConnect", () => {
            sockets.push(s)
            s.once("close", () => {
              if (!s.closingOnPurpose) closedEarly++
            })
            res()
          })
          s.once("close", () => res())
        })
      for (let i = 0; i < count; i += batch) {
        await Promise.all(Array.from({ length: Math.min(batch, count - i) }, one))
      }
      process.send({ cmd: "connected", open: sockets.length })
    } else if (m.cmd === "query") {
      const { intervalMs, names } = m
      let id = 0
      // each connection asks once per interval, spread evenly over it
      const perTick = Math.max(1, Math.ceil(sockets.length / (intervalMs / 50)))
      let next = 0
      timer = setInterval(() => {
        for (let k = 0; k < perTick && sockets.length > 0; k++) {
          const s = sockets[next]
          next = (next + 1) % sockets.length
          if (s.destroyed) {
            failed++
            continue
          }
          id = (id + 1) & 0xffff
          s.write(framedQuery(id % names, id))
          sent++
        }
      }, 50)
    } else if (m.cmd === "stop") {
      clearInterval(timer)
      const deadline = Date.now() + 10_000
      while (answered < sent && Date.now() < deadline) await sleep(50)
      process.send({ cmd: "stopped", sent, answered, failed, closedEarly })
    } else if (m.cmd === "close") {
      for (const s of sockets) {
        s.closingOnPurpose = true
        s.destroy()
      }
      sockets.length = 0
      process.send({ cmd: "closed" })
    }
  })
  process.send({ cmd: "ready" })
}

// ------------------------------------------------------------------------------------------- main process

const rssOf = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
  return m === null ? NaN : Number(m[1]) * 1024
}

const fmtBytes = (b) => (Number.isNaN(b) ? "-" : `${(b / 1024 / 1024).toFixed(1)} MiB`)

const main = async () => {
  const { register } = await import("tsx/esm/api")
  register()
  const { mintCerts, writeCerts } = await import("../test/fixtures/Certs.ts")
  const { startMiniUpstream } = await import("../test/fixtures/MiniUpstream.ts")
  const { DIST_MAIN, startServer } = await import("../test/fixtures/ServerProcess.ts")
  const { Tools } = await import("../test/fixtures/Tools.ts")
  const { startDnsdist } = await import("./lib/dnsdist.mjs")
  const { manyConnectionsEnv } = await import("./lib/start-flags.mjs")

  const names = 200
  const soft = Number((await import("node:child_process")).execSync("ulimit -n", { shell: "/bin/bash" }).toString())
  const hard = Number((await import("node:child_process")).execSync("ulimit -Hn", { shell: "/bin/bash" }).toString())
  log(`fd limit: soft ${soft}, hard ${hard}; ${CONNS} connections over ${PROCS} client processes`)
  if (CONNS + 100 > hard) {
    log(`WARNING: the hard fd limit ${hard} is below ${CONNS} connections: the server cannot hold them all`)
  }

  const dir = await mkdtemp(join(tmpdir(), "vigil-conns-"))
  const certs = await mintCerts()
  const files = await writeCerts(certs, dir)
  const records = Object.fromEntries(Array.from({ length: names }, (_, i) => [`host${i}.bench.test`, ["198.51.100.1"]]))
  const upstream = await startMiniUpstream({ records })

  // client processes, with the soft fd limit raised to the hard one (the child's own limit)
  const self = fileURLToPath(import.meta.url)
  const clients = []
  for (let i = 0; i < PROCS; i++) {
    const child = fork(self, ["--client"], {
      execPath: "/bin/bash",
      execArgv: ["-c", `ulimit -n ${hard} 2>/dev/null; exec "${process.execPath}" "$0" "$@"`],
      stdio: ["ignore", "inherit", "inherit", "ipc"]
    })
    const waiters = new Map()
    child.on("message", (m) => {
      const w = waiters.get(m.cmd)
      waiters.delete(m.cmd)
      w?.(m)
    })
    const ask = (msg, reply) =>
      new Promise((res) => {
        waiters.set(reply, res)
        if (msg !== undefined) child.send(msg)
      })
    clients.push({ child, ask })
    await ask(undefined, "ready")
  }

  const load = async (pid, port, label) => {
    const perProc = Math.ceil(CONNS / PROCS)
    const before = rssOf(pid)
    const t0 = Date.now()
    const connected = await Promise.all(
      clients.map((c, i) =>
        c.ask(
          { cmd: "connect", port, ca: certs.caPem, count: Math.min(perProc, CONNS - i * perProc), batch: 50 },
          "connected"
        )
      )
    )
    const open = connected.reduce((n, m) => n + m.open, 0)
    await sleep(2000)
    const idle = rssOf(pid)
    log(
      `${label}: ${open} connections open in ${((Date.now() - t0) / 1000).toFixed(1)} s; RSS ${fmtBytes(before)} → ${
        fmtBytes(idle)
      }`
    )
    for (const c of clients) c.child.send({ cmd: "query", intervalMs: INTERVAL * 1000, names })
    await sleep(SECONDS * 1000)
    const stopped = await Promise.all(clients.map((c) => c.ask({ cmd: "stop" }, "stopped")))
    const busy = rssOf(pid)
    await Promise.all(clients.map((c) => c.ask({ cmd: "close" }, "closed")))
    await sleep(3000)
    const after = rssOf(pid)
    const sum = (k) => stopped.reduce((n, m) => n + m[k], 0)
    return {
      label,
      open,
      before,
      idle,
      busy,
      after,
      perConn: open > 0 ? (idle - before) / open : NaN,
      sent: sum("sent"),
      answered: sum("answered"),
      failed: sum("failed"),
      closedEarly: sum("closedEarly")
    }
  }

  const results = []
  let ours
  let reference
  try {
    ours = await startServer({
      upstream: upstream.url,
      tls: { certPath: files.certPath, keyPath: files.keyPath },
      entry: process.env["VIGIL_SERVER_ENTRY"] ?? DIST_MAIN,
      // connections idle between queries for up to BENCH_CONN_INTERVAL, and while the others connect
      env: manyConnectionsEnv(CONNS, INTERVAL * 4000)
    })
    results.push(await load(ours.pid, ours.ports.dot, "vigil-dns run 1"))
    results.push(await load(ours.pid, ours.ports.dot, "vigil-dns run 2"))
    await ours.stop("SIGTERM")
    ours = undefined
    if (Tools.dnsdist.path !== undefined) {
      reference = await startDnsdist(dir, files, upstream.port, [
        "setTCPRecvTimeout(120)",
        "setTCPSendTimeout(120)",
        `setMaxTCPQueuedConnections(${CONNS + 1000})`
      ])
      results.push(await load(reference.pid, reference.ports.dot, "dnsdist"))
    } else {
      log("dnsdist is missing (install Debian package dnsdist): our server only")
    }
  } finally {
    await ours?.stop("SIGKILL")
    await reference?.stop()
    for (const c of clients) c.child.kill()
    await upstream.close()
    await rm(dir, { recursive: true, force: true })
  }

  const rows = [[
    "run",
    "conns open",
    "RSS before",
    "RSS idle conns",
    "per idle conn",
    "RSS under load",
    "RSS after close",
    "queries sent",
    "answered",
    "cut early"
  ]]
  for (const r of results) {
    rows.push([
      r.label,
      String(r.open),
      fmtBytes(r.before),
      fmtBytes(r.idle),
      `${(r.perConn / 1024).toFixed(1)} KiB`,
      fmtBytes(r.busy),
      fmtBytes(r.after),
      String(r.sent),
      String(r.answered),
      String(r.closedEarly)
    ])
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)))
  console.log("")
  console.log(`${CONNS} DoT connections, a query every ${INTERVAL} s each for ${SECONDS} s`)
  for (const [i, row] of rows.entries()) {
    console.log(row.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  "))
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "))
  }
  const [r1, r2] = results
  if (r1 !== undefined && r2 !== undefined) {
    const growth = r2.after - r1.after
    console.log(
      `leak check (vigil-dns RSS after close, run 2 − run 1): ${growth >= 0 ? "+" : ""}${fmtBytes(growth)}` +
        ` (${(growth / Math.max(1, r2.open)).toFixed(0)} B per connection of run 2)`
    )
    console.log(
      `target: ≤ 20 KiB per idle TLS connection — vigil-dns ${(r1.perConn / 1024).toFixed(1)} KiB` +
        (results[2] ? `, dnsdist ${(results[2].perConn / 1024).toFixed(1)} KiB` : "")
    )
  }
  for (const r of results) {
    if (r.answered < r.sent) log(`${r.label}: ${r.sent - r.answered} queries NOT answered`)
  }
  console.log("")
}

if (process.argv.includes("--client")) clientMain()
else {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(`[connections] failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`)
      process.exit(1)
    }
  )
}
