/**
 * Interop with a browser's own DoH resolver: Debian's Chromium, headless, in "secure" DNS mode with our
 * built server as its only resolver (the `dns_over_https` preferences of a fresh profile's `Local
 * State`), loads a page from a name that only our stub upstream knows. Chromium asks with GET when the
 * template carries `{?dns}` and with POST when it does not (RFC 8484 §4.1); both are run. Our minted
 * certificate is trusted by its key (`--ignore-certificate-errors-spki-list`); it asks over HTTP/2. With another key listed
 * instead, secure mode must fail to resolve: the answer really came over our TLS. Skipped without
 * `chromium` (Debian package chromium), a failure under VIGIL_REQUIRE_TOOLS=1.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { createHash, randomBytes, X509Certificate } from "node:crypto"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type CertFiles, mintCerts, type TestCerts, writeCerts } from "../fixtures/Certs.js"
import { type MiniUpstream, startMiniUpstream } from "../fixtures/MiniUpstream.js"
import { httpRequest, type ServerProcess, startServer } from "../fixtures/ServerProcess.js"
import { describeRun, run, type SkipContext, Tools } from "../fixtures/Tools.js"

const START_TIMEOUT = 45_000
const BROWSER_TIMEOUT = 90_000

/** base64 of the SHA-256 of a certificate's SubjectPublicKeyInfo, as Chromium's SPKI list wants it */
const spkiHash = (pem: string): string =>
  createHash("sha256").update(new X509Certificate(pem).publicKey.export({ type: "spki", format: "der" })).digest(
    "base64"
  )

/** one fresh name per page load, so that no cache (ours or the browser's) answers it */
const names: Array<string> = Array.from({ length: 3 }, () => `page-${randomBytes(5).toString("hex")}.browser.test`)

let certs: TestCerts | undefined
let files: CertFiles | undefined
let upstream: MiniUpstream | undefined
let server: ServerProcess | undefined
let page: http.Server | undefined
let pagePort = 0

const srv = () => {
  if (server === undefined) throw new Error("the server did not start (see the beforeAll error)")
  return server
}

/** the sum of a Prometheus counter's series in `/metrics` */
const counterSum = async (name: string, labelFilter = ""): Promise<number> => {
  const m = await httpRequest(srv().ports.health, "/metrics")
  let sum = 0
  for (const line of m.body.split("\n")) {
    if (line.startsWith(name) && line.includes(labelFilter) && !line.startsWith(`${name}_`)) {
      sum += Number(line.slice(line.lastIndexOf(" ") + 1))
    }
  }
  return sum
}

/** Chromium, headless, resolving only through `template`; prints the DOM of `url` */
const browse = async (ctx: SkipContext, template: string, trustedSpki: string, url: string) => {
  const chromium = Tools.chromium.need(ctx)
  const profile = await mkdtemp(join(tmpdir(), "vigil-chromium-"))
  try {
    await writeFile(
      join(profile, "Local State"),
      JSON.stringify({ dns_over_https: { mode: "secure", templates: template } })
    )
    return await run(chromium, [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
      `--ignore-certificate-errors-spki-list=${trustedSpki}`,
      "--dump-dom",
      url
    ], { timeoutMs: 60_000, env: { HOME: profile } })
  } finally {
    await rm(profile, { recursive: true, force: true })
  }
}

describe("interop: Chromium's DoH resolver in secure mode (built server)", () => {
  beforeAll(async () => {
    certs = await mintCerts()
    files = await writeCerts(certs)
    upstream = await startMiniUpstream({ records: Object.fromEntries(names.map((n) => [n, ["127.0.0.1"]])) })
    page = http.createServer((req, res) => {
      res.setHeader("content-type", "text/html")
      res.end(`<html><body><p id="marker">served to ${req.headers.host}</p></body></html>`)
    })
    await new Promise<void>((res) => page!.listen(0, "127.0.0.1", res))
    pagePort = (page.address() as AddressInfo).port
    server = await startServer({
      upstream: upstream.url,
      tls: { certPath: files.certPath, keyPath: files.keyPath },
      env: { EFFECT_LOG_LEVEL: "info" }
    })
  }, START_TIMEOUT)

  afterAll(async () => {
    await server?.stop("SIGKILL")
    await upstream?.close()
    await new Promise((res) => page === undefined ? res(undefined) : page.close(res))
    await files?.cleanup()
  })

  const loads = (method: "GET" | "POST", name: string) => async (ctx: SkipContext) => {
    const template = `https://127.0.0.1:${srv().ports.doh}/dns-query${method === "GET" ? "{?dns}" : ""}`
    const requestsBefore = await counterSum("vigil_doh_requests_total")
    const url = `http://${name}:${pagePort}/`
    const r = await browse(ctx, template, spkiHash(certs!.leafPem), url)
    const context = `${describeRun(r)}\nupstream asked: ${upstream!.received.join(", ")}\n${srv().output()}`
    expect(r.stdout, context).toContain(`served to ${name}:${pagePort}`)
    // the name went browser → our DoH → our upstream, and nowhere else could have answered it
    expect(upstream!.received, context).toContain(`${name}/A`)
    expect(await counterSum("vigil_doh_requests_total"), context).toBeGreaterThan(requestsBefore)
    expect(await counterSum("vigil_answers_total", `transport="doh"`), context).toBeGreaterThan(0)
  }

  it(
    "loads a page whose name only our upstream knows, asking with GET ({?dns} template)",
    loads("GET", names[0]!),
    BROWSER_TIMEOUT
  )

  it(
    "loads a page whose name only our upstream knows, asking with POST (template without {?dns})",
    loads("POST", names[1]!),
    BROWSER_TIMEOUT
  )

  it(
    "does not resolve when our certificate's key is not the trusted one (secure mode has no fallback)",
    async (ctx) => {
      const other = await mintCerts()
      const name = names[2]!
      const template = `https://127.0.0.1:${srv().ports.doh}/dns-query{?dns}`
      const r = await browse(ctx, template, spkiHash(other.leafPem), `http://${name}:${pagePort}/`)
      const context = `${describeRun(r)}\nupstream asked: ${upstream!.received.join(", ")}`
      expect(r.stdout, context).not.toContain(`served to ${name}`)
      expect(upstream!.received, context).not.toContain(`${name}/A`)
    },
    BROWSER_TIMEOUT
  )
})
