/**
 * Interop: the BUILT server (`node dist/main.js`) queried by real clients — kdig, dig, curl, openssl,
 * nghttp, h2load, dnsperf — over DoT and DoH, with a CA and a server certificate minted for the run and a
 * stub upstream on 127.0.0.1. Each test needs its tool: missing, it is skipped with the Debian package to
 * install, or fails under VIGIL_REQUIRE_TOOLS=1 (as in CI).
 */
import * as dnsPacket from "@dnsquery/dns-packet"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { X509Certificate } from "node:crypto"
import { readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { type CertFiles, mintCerts, writeCerts } from "../fixtures/Certs.js"
import { DEFAULT_RECORDS, type MiniUpstream, startMiniUpstream } from "../fixtures/MiniUpstream.js"
import { httpRequest, type ServerProcess, startServer } from "../fixtures/ServerProcess.js"
import { describeRun, run, type RunResult, type SkipContext, Tools } from "../fixtures/Tools.js"

const START_TIMEOUT = 45_000

/** A wire-format query with RD set. */
const buildQuery = (name: string, type: dnsPacket.RecordType = "A", id = 0) =>
  Buffer.from(dnsPacket.encode({ type: "query", id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }] }))

const aRecords = (msg: dnsPacket.Packet) =>
  (msg.answers ?? []).flatMap((a) => (a.type === "A" ? [{ name: a.name, ttl: a.ttl ?? -1, address: a.data }] : []))

/** What kdig and dig print: the status of the header line and the A records of the answer section. */
const parseDigOutput = (stdout: string) => {
  const statuses = [...stdout.matchAll(/status: ([A-Z]+)/g)].map((m) => m[1]!)
  const answers = [...stdout.matchAll(/^(\S+)\s+(\d+)\s+IN\s+A\s+(\S+)\s*$/gm)].map((m) => ({
    name: m[1]!,
    ttl: Number(m[2]),
    address: m[3]!
  }))
  return { status: statuses[0], statuses, answers }
}

const expectRun = (r: RunResult, ok: boolean, what: string) => {
  if (!ok) expect.fail(`${what}\n${describeRun(r)}`)
}

let upstream: MiniUpstream | undefined
let server: ServerProcess | undefined
let files: CertFiles | undefined

const srv = () => {
  if (server === undefined) throw new Error("the server did not start (see the beforeAll error)")
  return server
}
const certs = () => files!

describe("interop with real clients (built server, minted CA)", () => {
  beforeAll(async () => {
    files = await writeCerts(await mintCerts())
    upstream = await startMiniUpstream()
    server = await startServer({
      upstream: upstream.url,
      tls: { certPath: files.certPath, keyPath: files.keyPath },
      env: { WORKER_TIMEOUT: "5000", EFFECT_LOG_LEVEL: "info" }
    })
  }, START_TIMEOUT)

  afterAll(async () => {
    await server?.stop("SIGKILL")
    await upstream?.close()
    await files?.cleanup()
  })

  // ---------------------------------------------------------------- health

  it("GET /check and GET /ready answer 200", async () => {
    const check = await httpRequest(srv().ports.health, "/check")
    const ready = await httpRequest(srv().ports.health, "/ready")
    expect(check.status, `/check: ${check.body}\n${srv().output()}`).toBe(200)
    expect(ready.status, `/ready: ${ready.body}\n${srv().output()}`).toBe(200)
  })

  // ---------------------------------------------------------------- DoT

  const kdigTls = (ctx: SkipContext, ...args: Array<string>) =>
    run(Tools.kdig.need(ctx), [
      "@127.0.0.1",
      "-p",
      String(srv().ports.dot),
      `+tls-ca=${certs().caPath}`,
      "+tls-hostname=localhost",
      "+time=5",
      "+retry=0",
      ...args
    ])

  it("kdig +tls: A answer with the upstream's address, certificate verified against the CA", async (ctx) => {
    const r = await kdigTls(ctx, "example.test", "A")
    expectRun(r, r.code === 0, "kdig exited non-zero")
    const out = parseDigOutput(r.stdout)
    expect(r.stdout, describeRun(r)).toMatch(/TLS session \(TLS1\.[23]\)/)
    expect(out.status, describeRun(r)).toBe("NOERROR")
    expect(out.answers.map((a) => a.address), describeRun(r)).toEqual(["192.0.2.1"])
    expect(out.answers[0]!.ttl).toBeGreaterThan(0)
    expect(out.answers[0]!.ttl).toBeLessThanOrEqual(300)
  })

  it("kdig +tls: NXDOMAIN for an unknown name", async (ctx) => {
    const r = await kdigTls(ctx, "nope.example.test", "A")
    expectRun(r, r.code === 0, "kdig exited non-zero")
    const out = parseDigOutput(r.stdout)
    expect(out.status, describeRun(r)).toBe("NXDOMAIN")
    expect(out.answers).toEqual([])
    expect(r.stdout, describeRun(r)).toMatch(/AUTHORITY SECTION:[\s\S]*SOA/)
  })

  it("kdig +tls +keepopen: several queries on one connection", async (ctx) => {
    const r = await kdigTls(ctx, "+keepopen", "example.test", "A", "www.example.test", "A", "nope.example.test", "A")
    expectRun(r, r.code === 0, "kdig exited non-zero")
    const out = parseDigOutput(r.stdout)
    expect(out.statuses, describeRun(r)).toEqual(["NOERROR", "NOERROR", "NXDOMAIN"])
    expect(out.answers.map((a) => a.address), describeRun(r)).toEqual(["192.0.2.1", "192.0.2.2"])
  })

  it("dig +tls: A answer, certificate verified against the CA", async (ctx) => {
    const dig = Tools.dig.need(ctx)
    const r = await run(dig, [
      "@127.0.0.1",
      "-p",
      String(srv().ports.dot),
      "+tls",
      `+tls-ca=${certs().caPath}`,
      "+tls-hostname=localhost",
      "+time=5",
      "+tries=1",
      "www.example.test",
      "A"
    ])
    // dig exits 0 on many failures: the output is what counts
    const out = parseDigOutput(r.stdout)
    expect(out.status, describeRun(r)).toBe("NOERROR")
    expect(out.answers.map((a) => a.address), describeRun(r)).toEqual(["192.0.2.2"])
    expect(r.stdout, describeRun(r)).toMatch(/\(TLS\)/)
  })

  it("openssl s_client -alpn dot: ALPN dot negotiated, chain verifies, subject CN=localhost", async (ctx) => {
    const openssl = Tools.openssl.need(ctx)
    const r = await run(openssl, [
      "s_client",
      "-connect",
      `127.0.0.1:${srv().ports.dot}`,
      "-servername",
      "localhost",
      "-alpn",
      "dot",
      "-CAfile",
      certs().caPath,
      "-verify_return_error",
      "-verify_hostname",
      "localhost"
    ])
    expect(r.stdout, describeRun(r)).toMatch(/^ALPN protocol: dot$/m)
    expect(r.stdout, describeRun(r)).toMatch(/^subject=CN ?= ?localhost$/m)
    expect(r.stdout, describeRun(r)).toMatch(/Verify return code: 0 \(ok\)/)
  })

  it("openssl s_client: TLS 1.3 prefers the server's AES-128 suite (SPEC §5 cipher order)", async (ctx) => {
    const openssl = Tools.openssl.need(ctx)
    const r = await run(openssl, [
      "s_client",
      "-connect",
      `127.0.0.1:${srv().ports.dot}`,
      "-servername",
      "localhost",
      "-alpn",
      "dot",
      "-CAfile",
      certs().caPath,
      "-brief"
    ])
    // OpenSSL offers TLS_AES_256_GCM_SHA384 first; honorCipherOrder with AES-128 first picks AES-128-GCM
    expect(r.stdout + r.stderr, describeRun(r)).toMatch(/Ciphersuite: TLS_AES_128_GCM_SHA256/)
  })

  it("dnsperf -m dot: every query answered NOERROR", async (ctx) => {
    const dnsperf = Tools.dnsperf.need(ctx)
    const queryFile = join(certs().dir, "dnsperf-queries.txt")
    await writeFile(queryFile, Object.keys(DEFAULT_RECORDS).map((n) => `${n} A\n`).join(""))
    const r = await run(dnsperf, [
      "-m",
      "dot",
      "-s",
      "127.0.0.1",
      "-p",
      String(srv().ports.dot),
      "-d",
      queryFile,
      "-n",
      "20",
      "-c",
      "2",
      "-t",
      "5"
    ], { timeoutMs: 25_000 })
    const sent = Number(/Queries sent:\s+(\d+)/.exec(r.stdout)?.[1])
    const completed = Number(/Queries completed:\s+(\d+)/.exec(r.stdout)?.[1])
    expect(sent, describeRun(r)).toBe(20 * Object.keys(DEFAULT_RECORDS).length)
    expect(completed, describeRun(r)).toBe(sent)
    expect(r.stdout, describeRun(r)).toMatch(/Response codes:\s+NOERROR \d+ \(100\.00%\)/)
  })

  // ---------------------------------------------------------------- DoH with DNS clients

  const kdigHttps = (ctx: SkipContext, ...args: Array<string>) =>
    run(Tools.kdig.need(ctx), [
      "@127.0.0.1",
      "-p",
      String(srv().ports.doh),
      "+https=/dns-query",
      `+tls-ca=${certs().caPath}`,
      "+tls-hostname=localhost",
      "+time=5",
      "+retry=0",
      ...args
    ])

  it("kdig +https (POST over HTTP/2): A answer", async (ctx) => {
    const r = await kdigHttps(ctx, "example.test", "A")
    expectRun(r, r.code === 0, "kdig exited non-zero")
    const out = parseDigOutput(r.stdout)
    expect(r.stdout, describeRun(r)).toMatch(/HTTP session \(HTTP\/2-POST\).*status: 200/)
    expect(out.status, describeRun(r)).toBe("NOERROR")
    expect(out.answers.map((a) => a.address), describeRun(r)).toEqual(["192.0.2.1"])
  })

  it("kdig +https +https-get (GET over HTTP/2): NXDOMAIN for an unknown name", async (ctx) => {
    const r = await kdigHttps(ctx, "+https-get", "nope.example.test", "A")
    expectRun(r, r.code === 0, "kdig exited non-zero")
    const out = parseDigOutput(r.stdout)
    expect(r.stdout, describeRun(r)).toMatch(/HTTP session \(HTTP\/2-GET\).*status: 200/)
    expect(out.status, describeRun(r)).toBe("NXDOMAIN")
  })

  const digHttps = (ctx: SkipContext, mode: "+https" | "+https-get", name: string) =>
    run(Tools.dig.need(ctx), [
      "@127.0.0.1",
      "-p",
      String(srv().ports.doh),
      `${mode}=/dns-query`,
      `+tls-ca=${certs().caPath}`,
      "+tls-hostname=localhost",
      "+time=5",
      "+tries=1",
      name,
      "A"
    ])

  it("dig +https (POST): A answer (dig needs content-length on the answer)", async (ctx) => {
    const r = await digHttps(ctx, "+https", "multi.example.test")
    const out = parseDigOutput(r.stdout)
    expect(out.status, describeRun(r)).toBe("NOERROR")
    expect(out.answers.map((a) => a.address).sort(), describeRun(r)).toEqual(["192.0.2.10", "192.0.2.11"])
    expect(r.stdout, describeRun(r)).toMatch(/\(HTTPS\)/)
  })

  it("dig +https-get (GET): NXDOMAIN for an unknown name", async (ctx) => {
    const r = await digHttps(ctx, "+https-get", "nope.example.test")
    const out = parseDigOutput(r.stdout)
    expect(out.status, describeRun(r)).toBe("NXDOMAIN")
    expect(r.stdout, describeRun(r)).toMatch(/\(HTTPS-GET\)/)
  })

  // ---------------------------------------------------------------- DoH with curl

  let seq = 0
  interface CurlAnswer {
    readonly status: number
    readonly httpVersion: string
    readonly headers: Readonly<Record<string, string>>
    readonly body: Buffer
    readonly run: RunResult
  }
  const curl = async (
    ctx: SkipContext,
    http: "1.1" | "2",
    opts: {
      readonly method?: string
      readonly path: string
      readonly body?: Uint8Array
      readonly contentType?: string
      readonly headers?: ReadonlyArray<string>
    }
  ): Promise<CurlAnswer> => {
    const bin = Tools.curl.need(ctx)
    const n = ++seq
    const dir = certs().dir
    const bodyOut = join(dir, `curl-${n}.out`)
    const headersOut = join(dir, `curl-${n}.headers`)
    const port = srv().ports.doh
    const args = [
      "-sS",
      "--max-time",
      "10",
      http === "2" ? "--http2" : "--http1.1",
      "--cacert",
      certs().caPath,
      "--resolve",
      `localhost:${port}:127.0.0.1`,
      "-o",
      bodyOut,
      "-D",
      headersOut,
      "-w",
      "%{http_code} %{http_version}"
    ]
    if (opts.method === "HEAD") args.push("-I")
    else if (opts.method !== undefined) args.push("-X", opts.method)
    if (opts.body !== undefined) {
      const bodyIn = join(dir, `curl-${n}.in`)
      await writeFile(bodyIn, opts.body)
      args.push("--data-binary", `@${bodyIn}`)
    }
    if (opts.contentType !== undefined) args.push("-H", `content-type: ${opts.contentType}`)
    for (const h of opts.headers ?? []) args.push("-H", h)
    args.push(`https://localhost:${port}${opts.path}`)
    const r = await run(bin, args)
    expectRun(r, r.code === 0, "curl failed")
    const [code, version] = r.stdout.trim().split(" ")
    const headers: Record<string, string> = {}
    for (const line of (await readFile(headersOut, "utf8")).split(/\r?\n/)) {
      const i = line.indexOf(":")
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim()
    }
    const body = await readFile(bodyOut).catch(() => Buffer.alloc(0))
    return { status: Number(code), httpVersion: version ?? "", headers, body, run: r }
  }

  const explain = (a: CurlAnswer) =>
    `${describeRun(a.run)}\n--- headers ${JSON.stringify(a.headers)}\n--- body ${a.body.toString("hex").slice(0, 200)}`

  const decodeAnswer = (a: CurlAnswer) => {
    expect(a.status, explain(a)).toBe(200)
    expect(a.headers["content-type"], explain(a)).toMatch(/^application\/dns-message/)
    try {
      return dnsPacket.decode(a.body)
    } catch (e) {
      return expect.fail(`answer does not decode (${String(e)})\n${explain(a)}`)
    }
  }

  const maxAge = (a: CurlAnswer) => Number(/max-age=(\d+)/.exec(a.headers["cache-control"] ?? "")?.[1])

  describe.each(["1.1", "2"] as const)("curl over HTTP/%s", (http) => {
    it("GET ?dns= (base64url, no padding): A answer, same message ID, cache-control max-age", async (ctx) => {
      const q = buildQuery("www.example.test", "A", 0x1234)
      const a = await curl(ctx, http, { path: `/dns-query?dns=${q.toString("base64url")}` })
      expect(a.httpVersion, explain(a)).toBe(http)
      const msg = decodeAnswer(a)
      expect(msg.id).toBe(0x1234)
      expect(msg.rcode).toBe("NOERROR")
      expect(aRecords(msg).map((r) => r.address)).toEqual(["192.0.2.2"])
      expect(maxAge(a), explain(a)).toBeGreaterThan(0)
      expect(maxAge(a), explain(a)).toBeLessThanOrEqual(300)
    })

    it("GET ?dns= with ID 0 (RFC 8484's recommendation): answered with ID 0", async (ctx) => {
      const q = buildQuery("example.test", "A", 0)
      const a = await curl(ctx, http, { path: `/dns-query?dns=${q.toString("base64url")}` })
      const msg = decodeAnswer(a)
      expect(msg.id).toBe(0)
      expect(aRecords(msg).map((r) => r.address)).toEqual(["192.0.2.1"])
    })

    it("POST application/dns-message: A answer with the client's ID", async (ctx) => {
      const a = await curl(ctx, http, {
        method: "POST",
        path: "/dns-query",
        body: buildQuery("example.test", "A", 0xbeef),
        contentType: "application/dns-message"
      })
      expect(a.httpVersion, explain(a)).toBe(http)
      const msg = decodeAnswer(a)
      expect(msg.id).toBe(0xbeef)
      expect(msg.rcode).toBe("NOERROR")
      expect(aRecords(msg).map((r) => r.address)).toEqual(["192.0.2.1"])
    })

    it("POST for an unknown name: 200 with a NXDOMAIN message carrying the SOA", async (ctx) => {
      const a = await curl(ctx, http, {
        method: "POST",
        path: "/dns-query",
        body: buildQuery("nope.example.test", "A", 7),
        contentType: "application/dns-message"
      })
      const msg = decodeAnswer(a)
      expect(msg.id).toBe(7)
      expect(msg.rcode).toBe("NXDOMAIN")
      expect((msg.authorities ?? []).map((r) => r.type)).toContain("SOA")
    })

    it("HEAD /dns-query: answered with CORS, not an error", async (ctx) => {
      const a = await curl(ctx, http, { method: "HEAD", path: "/dns-query" })
      expect(a.status, explain(a)).toBeGreaterThanOrEqual(200)
      expect(a.status, explain(a)).toBeLessThan(300)
      expect(a.headers["access-control-allow-origin"], explain(a)).toBeDefined()
    })

    it("OPTIONS /dns-query (CORS preflight): allows GET and POST", async (ctx) => {
      const a = await curl(ctx, http, {
        method: "OPTIONS",
        path: "/dns-query",
        headers: [
          "origin: https://example.org",
          "access-control-request-method: POST",
          "access-control-request-headers: content-type"
        ]
      })
      expect(a.status, explain(a)).toBeGreaterThanOrEqual(200)
      expect(a.status, explain(a)).toBeLessThan(300)
      expect(a.headers["access-control-allow-origin"], explain(a)).toBeDefined()
      expect(a.headers["access-control-allow-methods"] ?? "", explain(a)).toMatch(/POST/)
    })

    it("PUT and DELETE /dns-query: 405", async (ctx) => {
      const put = await curl(ctx, http, {
        method: "PUT",
        path: "/dns-query",
        body: buildQuery("example.test"),
        contentType: "application/dns-message"
      })
      expect(put.status, explain(put)).toBe(405)
      const del = await curl(ctx, http, { method: "DELETE", path: "/dns-query" })
      expect(del.status, explain(del)).toBe(405)
    })

    it("GET on another path: 404", async (ctx) => {
      const q = buildQuery("example.test").toString("base64url")
      const a = await curl(ctx, http, { path: `/nope?dns=${q}` })
      expect(a.status, explain(a)).toBe(404)
      const b = await curl(ctx, http, { path: `/dns-queryx?dns=${q}` })
      expect(b.status, explain(b)).toBe(404)
    })

    it("POST with a wrong content type: 415", async (ctx) => {
      const a = await curl(ctx, http, {
        method: "POST",
        path: "/dns-query",
        body: buildQuery("example.test"),
        contentType: "text/plain"
      })
      expect(a.status, explain(a)).toBe(415)
    })

    it("undecodable messages: 400 (bad base64url, missing dns=, short POST body)", async (ctx) => {
      const badB64 = await curl(ctx, http, { path: "/dns-query?dns=***not-base64***" })
      expect(badB64.status, explain(badB64)).toBe(400)
      const missing = await curl(ctx, http, { path: "/dns-query" })
      expect(missing.status, explain(missing)).toBe(400)
      const short = await curl(ctx, http, {
        method: "POST",
        path: "/dns-query",
        body: Buffer.from([1, 2, 3, 4, 5]),
        contentType: "application/dns-message"
      })
      expect(short.status, explain(short)).toBe(400)
    })

    it("POST body over 65535 bytes: 413", async (ctx) => {
      const a = await curl(ctx, http, {
        method: "POST",
        path: "/dns-query",
        body: Buffer.alloc(70_000, 0x41),
        contentType: "application/dns-message"
      })
      expect(a.status, explain(a)).toBe(413)
    })
  })

  // ---------------------------------------------------------------- DoH with nghttp2 clients

  it("openssl s_client on the DoH port: ALPN h2 and http/1.1 both negotiated", async (ctx) => {
    const openssl = Tools.openssl.need(ctx)
    for (const alpn of ["h2", "http/1.1"]) {
      const r = await run(openssl, [
        "s_client",
        "-connect",
        `127.0.0.1:${srv().ports.doh}`,
        "-servername",
        "localhost",
        "-alpn",
        alpn,
        "-CAfile",
        certs().caPath,
        "-verify_return_error"
      ])
      expect(r.stdout, describeRun(r)).toContain(`ALPN protocol: ${alpn}`)
    }
  })

  it("nghttp GET: the body is the DNS answer", async (ctx) => {
    const nghttp = Tools.nghttp.need(ctx)
    const q = buildQuery("example.test", "A", 0x4242).toString("base64url")
    const r = await run(nghttp, [`https://127.0.0.1:${srv().ports.doh}/dns-query?dns=${q}`])
    expectRun(r, r.code === 0, "nghttp failed")
    const msg = dnsPacket.decode(r.stdoutBytes)
    expect(msg.id).toBe(0x4242)
    expect(aRecords(msg).map((a) => a.address)).toEqual(["192.0.2.1"])
  })

  it.for([["h2", []], ["http/1.1", ["--h1"]]] as const)(
    "h2load (%s): 200 concurrent GETs all succeed",
    async ([alpn, extra], ctx) => {
      const h2load = Tools.h2load.need(ctx)
      const q = buildQuery("www.example.test").toString("base64url")
      const r = await run(h2load, [
        ...extra,
        "-n",
        "200",
        "-c",
        "4",
        "-m",
        alpn === "h2" ? "10" : "1",
        `https://127.0.0.1:${srv().ports.doh}/dns-query?dns=${q}`
      ], { timeoutMs: 25_000 })
      expect(r.stdout, describeRun(r)).toContain(`Application protocol: ${alpn}`)
      expect(r.stdout, describeRun(r)).toMatch(/requests: 200 total, 200 started, 200 done, 200 succeeded, 0 failed/)
      expect(r.stdout, describeRun(r)).toMatch(/status codes: 200 2xx/)
    }
  )

  // ---------------------------------------------------------------- shutdown (keep last)

  it("SIGTERM: graceful exit with code 0", async () => {
    const s = srv()
    const code = await s.stop("SIGTERM", 20_000)
    expect(code, `exit ${JSON.stringify(s.exit())}\n${s.output()}`).toBe(0)
  }, 30_000)
})

describe("self-signed default (no TLS_CERT_PATH)", () => {
  let up: MiniUpstream | undefined
  let self: ServerProcess | undefined

  beforeAll(async () => {
    up = await startMiniUpstream()
    self = await startServer({ upstream: up.url })
  }, START_TIMEOUT)

  afterAll(async () => {
    await self?.stop("SIGKILL")
    await up?.close()
  })

  it("serves DoT with an ECDSA P-256 certificate for localhost, 127.0.0.1 and ::1", async (ctx) => {
    const openssl = Tools.openssl.need(ctx)
    const s = self!
    const r = await run(openssl, [
      "s_client",
      "-connect",
      `127.0.0.1:${s.ports.dot}`,
      "-servername",
      "localhost",
      "-alpn",
      "dot"
    ])
    const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(r.stdout)?.[0]
    expect(pem, describeRun(r)).toBeDefined()
    const cert = new X509Certificate(pem!)
    expect(cert.subjectAltName ?? "").toMatch(/DNS:localhost/)
    expect(cert.subjectAltName ?? "").toMatch(/IP Address:127\.0\.0\.1/)
    expect(cert.subjectAltName ?? "").toMatch(/IP Address:(0:0:0:0:0:0:0:1|::1)/)
    expect(cert.publicKey.asymmetricKeyType).toBe("ec")
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1")
  })

  it("kdig +tls (opportunistic) gets answers", async (ctx) => {
    const kdig = Tools.kdig.need(ctx)
    const r = await run(kdig, ["@127.0.0.1", "-p", String(self!.ports.dot), "+tls", "+time=5", "example.test", "A"])
    const out = parseDigOutput(r.stdout)
    expect(out.status, describeRun(r)).toBe("NOERROR")
    expect(out.answers.map((a) => a.address), describeRun(r)).toEqual(["192.0.2.1"])
  })

  it("the start-up log says the certificate is self-signed and prints kdig and curl commands", () => {
    const log = self!.output()
    expect(log).toMatch(/self-signed/i)
    expect(log).toMatch(/kdig/)
    expect(log).toMatch(/curl/)
  })
})
