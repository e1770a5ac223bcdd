// The floor under our server: a bare Node TLS server with no code of ours beyond the least a DNS answer
// needs, run by `bench/run.mjs` beside ours and dnsdist for DoT and DoH over HTTP/1.1.
//
//   DoT: every framed query is answered at once with the query turned into an answer (QR set, one A
//        record pointing at its question), the answers of one read in one write.
//   DoH over HTTP/1.1: every request (up to its blank line; GET, no body) is answered with one fixed
//        200 response carrying a DNS answer, the responses of one read in one write.
//
// Not a DNS server: no cache, no parsing beyond the framing, no limits. Run as a child process:
//   node bench/lib/bare-node.mjs <cert.pem> <key.pem>     (prints {"dot":port,"doh":port} when listening)
import * as dnsPacket from "@dnsquery/dns-packet"
import { spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import tls from "node:tls"
import { fileURLToPath } from "node:url"

/** Starts the bare server as a child process with the certificate `files`; resolves to its ports and a stop. */
export const startBareNode = (files) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), files.certPath, files.keyPath], {
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    child.stdout.on("data", (b) => {
      out += b
      const line = out.split("\n")[0]
      if (out.includes("\n")) {
        const ports = JSON.parse(line)
        resolve({
          pid: child.pid,
          ports,
          stop: () =>
            new Promise((res) => {
              child.once("close", () => res())
              child.kill("SIGTERM")
            })
        })
      }
    })
    child.stderr.on("data", (b) => (out += b))
    child.once("error", reject)
    child.once("close", (code) => reject(new Error(`bare Node server exited (${code}) before listening: ${out}`)))
  })

// the A record appended to each DoT answer: name = pointer to the question, A IN, TTL 300, 192.0.2.1
const RECORD = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4, 192, 0, 2, 1])

/** the query in `frame` (2-byte length first) turned into its answer: header and question, one A record */
const answerDot = (chunks, frame) => {
  let end = 14 // past the length and the header: the question's name
  while (end < frame.length && frame[end] !== 0) end += frame[end] + 1
  end += 5 // the root label, type and class
  if (end > frame.length) return
  const out = Buffer.allocUnsafe(end + RECORD.length)
  frame.copy(out, 0, 0, end)
  out.writeUInt16BE(end - 2 + RECORD.length, 0)
  out[4] |= 0x80 // QR
  out.writeUInt32BE(0x00010000, 8) // ANCOUNT 1, NSCOUNT 0
  out.writeUInt16BE(0, 12) // ARCOUNT 0 (a query's OPT record is not echoed)
  RECORD.copy(out, end)
  chunks.push(out)
}

const serveDot = (socket) => {
  let acc = Buffer.alloc(0)
  socket.on("data", (d) => {
    acc = acc.length === 0 ? d : Buffer.concat([acc, d])
    const answers = []
    while (acc.length >= 2) {
      const n = acc.readUInt16BE(0)
      if (acc.length < n + 2) break
      if (n >= 12) answerDot(answers, acc.subarray(0, n + 2))
      acc = acc.subarray(n + 2)
    }
    if (answers.length > 0) socket.write(answers.length === 1 ? answers[0] : Buffer.concat(answers))
  })
}

// the answer to the benchmark's first name, as our server and dnsdist would give it
const DNS_BODY = Buffer.from(dnsPacket.encode({
  type: "response",
  id: 0,
  flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
  questions: [{ type: "A", name: "host0.bench.test" }],
  answers: [{ type: "A", name: "host0.bench.test", ttl: 300, data: "198.51.100.0" }]
}))
const RESPONSE = Buffer.concat([
  Buffer.from(
    "HTTP/1.1 200 OK\r\ncontent-type: application/dns-message\r\n" +
      `content-length: ${DNS_BODY.length}\r\ncache-control: max-age=300\r\n` +
      "date: Thu, 26 Nov 2026 12:00:00 GMT\r\nconnection: keep-alive\r\n\r\n"
  ),
  DNS_BODY
])

const serveH1 = (socket) => {
  let acc = ""
  socket.on("data", (d) => {
    acc += d.toString("latin1")
    let n = 0
    let at
    while ((at = acc.indexOf("\r\n\r\n")) >= 0) {
      acc = acc.slice(at + 4)
      n++
    }
    if (n === 1) socket.write(RESPONSE)
    else if (n > 1) socket.write(Buffer.concat(Array(n).fill(RESPONSE)))
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [certPath, keyPath] = process.argv.slice(2)
  const options = { cert: readFileSync(certPath), key: readFileSync(keyPath) }
  const listen = (alpn, serve) =>
    new Promise((resolve) => {
      const server = tls.createServer({ ...options, ALPNProtocols: alpn }, (socket) => {
        socket.on("error", () => {})
        socket.setNoDelay(true)
        serve(socket)
      })
      server.listen(0, "127.0.0.1", () => resolve(server.address().port))
    })
  const dot = await listen(["dot"], serveDot)
  const doh = await listen(["http/1.1"], serveH1)
  process.on("SIGTERM", () => process.exit(0))
  console.log(JSON.stringify({ dot, doh }))
}
