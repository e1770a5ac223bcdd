// TLS handshake bench (issue 7, target 5): new and resumed TLS handshakes per second on DoT, our BUILT
// server (one process) beside dnsdist, same certificate, with `openssl s_time` as the client.
//
//   node bench/handshakes.mjs            (part of `npm run bench`, which builds first)
//   BENCH_HS_SECONDS=5 node bench/handshakes.mjs
//
// `s_time -new` makes a full handshake per connection, `-reuse` resumes one session over and over. TLS 1.2
// resumption is an abbreviated handshake (no key exchange, no signature); TLS 1.3 resumption still runs
// an ECDHE exchange, and s_time cannot resume TLS 1.3 at all (its tickets arrive after the handshake), so
// TLS 1.3 is reported for full handshakes only. The client is single-threaded and shares the two cores:
// compare the ratios of one run.
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { register } from "tsx/esm/api"

register()
const { mintCerts, writeCerts } = await import("../test/fixtures/Certs.ts")
const { startMiniUpstream } = await import("../test/fixtures/MiniUpstream.ts")
const { DIST_MAIN, startServer } = await import("../test/fixtures/ServerProcess.ts")
const { run, Tools } = await import("../test/fixtures/Tools.ts")
const { startDnsdist } = await import("./lib/dnsdist.mjs")

const SECONDS = Number(process.env["BENCH_HS_SECONDS"] ?? "5")
const log = (...args) => console.log("[handshakes]", ...args)

/** Handshakes per second of one `s_time` run against `port`. */
const sTime = async (port, args) => {
  const r = await run(Tools.openssl.path, [
    "s_time",
    "-connect",
    `127.0.0.1:${port}`,
    "-time",
    String(SECONDS),
    ...args
  ], {
    timeoutMs: (SECONDS + 30) * 1000
  })
  // "1234 connections in 5 real seconds, 0 bytes read per connection"
  const m = /(\d+) connections in (\d+(?:\.\d+)?) real seconds/.exec(r.stdout)
  return m === null ? NaN : Number(m[1]) / Number(m[2])
}

const measure = async (port) => ({
  tls12Full: await sTime(port, ["-tls1_2", "-new"]),
  tls12Resumed: await sTime(port, ["-tls1_2", "-reuse"]),
  tls13Full: await sTime(port, ["-tls1_3", "-new"])
})

const fmt = (v) => (Number.isNaN(v) ? "-" : Math.round(v).toLocaleString("en-US"))

const main = async () => {
  if (Tools.openssl.path === undefined) {
    log("openssl is missing (install Debian package openssl): skipped")
    return
  }
  const dir = await mkdtemp(join(tmpdir(), "vigil-hs-"))
  const files = await writeCerts(await mintCerts(), dir)
  const upstream = await startMiniUpstream({ records: { "a.bench.test": ["198.51.100.1"] } })
  const rows = []
  let ours
  let reference
  try {
    ours = await startServer({
      upstream: upstream.url,
      tls: { certPath: files.certPath, keyPath: files.keyPath },
      entry: process.env["VIGIL_SERVER_ENTRY"] ?? DIST_MAIN,
      env: { WORKERS: "1", MAXCONNS: "5000", MINCONNS: "5000", EFFECT_LOG_LEVEL: "warn" }
    })
    rows.push({ server: "vigil-dns", ...(await measure(ours.ports.dot)) })
    await ours.stop("SIGTERM")
    ours = undefined
    if (Tools.dnsdist.path !== undefined) {
      reference = await startDnsdist(dir, files, upstream.port)
      rows.push({ server: "dnsdist", ...(await measure(reference.ports.dot)) })
    } else {
      log("dnsdist is missing (install Debian package dnsdist): our server only")
    }
  } finally {
    await ours?.stop("SIGKILL")
    await reference?.stop()
    await upstream.close()
    await rm(dir, { recursive: true, force: true })
  }
  console.log(`\nDoT TLS handshakes per second (openssl s_time, ${SECONDS} s each)`)
  console.log("server      TLS 1.2 full   TLS 1.2 resumed   resumed/full   TLS 1.3 full")
  for (const r of rows) {
    console.log(
      `${r.server.padEnd(11)} ${fmt(r.tls12Full).padStart(12)}   ${fmt(r.tls12Resumed).padStart(15)}   ${
        (r.tls12Resumed / r.tls12Full).toFixed(2).padStart(11)
      }×   ${fmt(r.tls13Full).padStart(12)}`
    )
  }
  if (rows.length === 2) {
    const [o, d] = rows
    console.log(
      `ours/dnsdist: TLS 1.2 full ${(o.tls12Full / d.tls12Full).toFixed(2)}×, resumed ${
        (o.tls12Resumed / d.tls12Resumed).toFixed(2)
      }×, TLS 1.3 full ${(o.tls13Full / d.tls13Full).toFixed(2)}×`
    )
  }
}

await main()
process.exit(0)
