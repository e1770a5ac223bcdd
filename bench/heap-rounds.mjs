// Leak check of the JS heap: the BUILT server (one process), N DoT connections that each ask once and
// close, three rounds; a heap snapshot (--heapsnapshot-signal) after each round. A leak per connection
// shows as growth proportional to N; RSS alone cannot tell (it does not shrink back).
//
//   npm run build && N=2000 node bench/heap-rounds.mjs
import { spawn } from "node:child_process"
import { execSync } from "node:child_process"
import fs from "node:fs"
import tls from "node:tls"
const dir = fs.mkdtempSync("/tmp/leak-")
execSync(
  `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout ${dir}/k.pem -out ${dir}/c.pem -days 2 -nodes -subj /CN=localhost 2>/dev/null`
)
const port = 23853
const N = Number(process.env.N ?? 2000)
const srv = spawn(process.execPath, [
  "--heapsnapshot-signal=SIGUSR2",
  new URL("../dist/main.js", import.meta.url).pathname
], {
  cwd: dir,
  env: {
    ...process.env,
    WORKERS: "1",
    DOT_PORT: String(port),
    DOH_PORT: "23854",
    HEALTH_PORT: "23855",
    UPSTREAM: "udp://127.0.0.1:9",
    TLS_CERT_PATH: `${dir}/c.pem`,
    TLS_KEY_PATH: `${dir}/k.pem`,
    EFFECT_LOG_LEVEL: "warn",
    DATA_DIR: dir,
    MAXCONNS: "20000",
    MINCONNS: "20000",
    WORKER_TIMEOUT: "60000"
  },
  stdio: "inherit"
})
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
await sleep(2500)
const q = Buffer.from("002112340100000100000000000003777777076578616d706c6503636f6d0000010001", "hex")
const round = async (n) => {
  const socks = []
  let done = 0
  await new Promise((res) => {
    for (let i = 0; i < n; i++) {
      const s = tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false, ALPNProtocols: ["dot"] }, () => {
        s.write(q)
      })
      s.on("data", () => {
        if (++done === n) res()
      })
      s.on("error", () => {
        if (++done === n) res()
      })
      socks.push(s)
    }
  })
  for (const s of socks) s.destroy()
  await sleep(3000)
}
const snap = async (label) => {
  const before = new Set(fs.readdirSync(dir).filter((f) => f.endsWith(".heapsnapshot")))
  srv.kill("SIGUSR2")
  for (let i = 0; i < 100; i++) {
    await sleep(300)
    const now = fs.readdirSync(dir).filter((f) => f.endsWith(".heapsnapshot") && !before.has(f))
    if (now.length) {
      await sleep(4000)
      const st = fs.statSync(`${dir}/${now[0]}`)
      console.log(label, "heap snapshot bytes", st.size)
      return
    }
  }
}
await snap("start")
for (let r = 1; r <= 3; r++) {
  console.log("round", r)
  await round(N)
  console.log("round done", r)
  await snap(`after round ${r}`)
}
srv.kill("SIGTERM")
await sleep(2000)
fs.rmSync(dir, { recursive: true, force: true })
