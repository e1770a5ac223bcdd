// The floor under bench/connections.mjs: resident memory per idle TLS connection of a bare Node TLS server
// (no code of ours), N connections held by a forked client.
//
//   N=5000 node --expose-gc bench/bare-tls.mjs
import { execSync, fork } from "node:child_process"
import fs from "node:fs"
import tls from "node:tls"
const N = Number(process.env.N ?? 5000)
if (process.argv[2] === "client") {
  const port = Number(process.argv[3])
  let open = 0
  const socks = []
  const go = (i) => {
    if (i >= N) return
    const s = tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false, ALPNProtocols: ["dot"] }, () => {
      open++
      if (open === N) process.send("open")
    })
    s.on("error", () => {})
    socks.push(s)
    setImmediate(() => go(i + 1))
  }
  go(0)
} else {
  execSync(
    `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout ${
      process.env.TMPDIR ?? "/tmp"
    }/vigil-bare-k.pem -out ${
      process.env.TMPDIR ?? "/tmp"
    }/vigil-bare-c.pem -days 2 -nodes -subj /CN=localhost 2>/dev/null`
  )
  const srv = tls.createServer({
    key: fs.readFileSync(`${process.env.TMPDIR ?? "/tmp"}/vigil-bare-k.pem`),
    cert: fs.readFileSync(`${process.env.TMPDIR ?? "/tmp"}/vigil-bare-c.pem`),
    ALPNProtocols: ["dot"]
  }, (s) => {
    s.on("data", () => {})
    s.on("error", () => {})
  })
  srv.listen(0, "127.0.0.1", () => {
    global.gc?.()
    const before = process.memoryUsage()
    const c = fork(new URL(import.meta.url).pathname, ["client", String(srv.address().port)])
    c.on("message", () =>
      setTimeout(() => {
        global.gc?.()
        const after = process.memoryUsage()
        const per = (k) => ((after[k] - before[k]) / N / 1024).toFixed(1)
        console.log(
          `bare Node TLS server, ${N} idle connections: RSS ${per("rss")} KiB, heap ${per("heapUsed")} KiB, external ${
            per("external")
          } KiB each`
        )
        c.kill()
        process.exit(0)
      }, 2000))
  })
}
