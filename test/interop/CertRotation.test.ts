/**
 * Certificate hot swap seen by clients nobody here wrote: the built server watches its certificate
 * files; kdig pins the public key it must be shown (`+tls-pin`), openssl prints the serial.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { createHash, X509Certificate } from "node:crypto"
import { renameSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { type CertFiles, mintCa, mintServerCert, type TestCa, type TestCerts, writeCerts } from "../fixtures/Certs.js"
import { type MiniUpstream, startMiniUpstream } from "../fixtures/MiniUpstream.js"
import { type ServerProcess, startServer } from "../fixtures/ServerProcess.js"
import { describeRun, run, type SkipContext, Tools } from "../fixtures/Tools.js"

/** kdig's pin: base64 of SHA-256 of the certificate's SubjectPublicKeyInfo. */
const pinOf = (c: TestCerts) =>
  createHash("sha256").update(new X509Certificate(c.leafPem).publicKey.export({ type: "spki", format: "der" }))
    .digest("base64")

const serialOf = (c: TestCerts) => new X509Certificate(c.leafPem).serialNumber.toUpperCase()
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

let ca: TestCa | undefined
let first: TestCerts | undefined
let files: CertFiles | undefined
let upstream: MiniUpstream | undefined
let server: ServerProcess | undefined

describe("certificate rotation seen by kdig and openssl (built server)", () => {
  beforeAll(async () => {
    ca = await mintCa()
    first = await mintServerCert(ca)
    files = await writeCerts(first)
    upstream = await startMiniUpstream()
    server = await startServer({
      upstream: upstream.url,
      tls: { certPath: files.certPath, keyPath: files.keyPath }
    })
  }, 30_000)

  afterAll(async () => {
    await server?.stop("SIGKILL")
    await upstream?.close()
    await files?.cleanup()
  })

  const kdigPinned = (ctx: SkipContext, pin: string, port: number, https: boolean) =>
    run(Tools.kdig.need(ctx), [
      `@127.0.0.1`,
      "-p",
      String(port),
      https ? "+https" : "+tls",
      `+tls-pin=${pin}`,
      "+time=3",
      "+retry=0",
      "example.test",
      "A"
    ])

  const opensslSerial = async (ctx: SkipContext, port: number) => {
    const r = await run(Tools.openssl.need(ctx), [
      "s_client",
      "-connect",
      `127.0.0.1:${port}`,
      "-servername",
      "localhost",
      "-alpn",
      "dot"
    ])
    const pem = r.stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0]
    return pem === undefined ? `none\n${describeRun(r)}` : new X509Certificate(pem).serialNumber.toUpperCase()
  }

  it("after new files are moved in, kdig (DoT and DoH) and openssl are shown the new certificate", async (ctx) => {
    const s = server!
    const oldPin = pinOf(first!)
    const before = await kdigPinned(ctx, oldPin, s.ports.dot, false)
    expect(before.code, describeRun(before)).toBe(0)
    expect(await opensslSerial(ctx, s.ports.dot)).toBe(serialOf(first!))

    const second = await mintServerCert(ca!, { notAfter: new Date(first!.notAfter.getTime() + 10 * 86_400_000) })
    // as certbot/lego do: write elsewhere, then rename into place
    writeFileSync(join(files!.dir, "new-key.pem"), second.keyPem)
    writeFileSync(join(files!.dir, "new-cert.pem"), second.certPem)
    renameSync(join(files!.dir, "new-key.pem"), files!.keyPath)
    renameSync(join(files!.dir, "new-cert.pem"), files!.certPath)

    let serial = ""
    for (let i = 0; i < 40 && serial !== serialOf(second); i++) {
      await sleep(250)
      serial = await opensslSerial(ctx, s.ports.dot)
    }
    expect(serial, s.output()).toBe(serialOf(second))
    const dotNew = await kdigPinned(ctx, pinOf(second), s.ports.dot, false)
    expect(dotNew.code, describeRun(dotNew)).toBe(0)
    expect(dotNew.stdout).toContain("192.0.2.1")
    const dohNew = await kdigPinned(ctx, pinOf(second), s.ports.doh, true)
    expect(dohNew.code, describeRun(dohNew)).toBe(0)
    expect(dohNew.stdout).toContain("192.0.2.1")
    // the old key is no longer shown: the pin check fails
    const dotOld = await kdigPinned(ctx, oldPin, s.ports.dot, false)
    expect(dotOld.stdout + dotOld.stderr).not.toContain("192.0.2.1")
  }, 30_000)
})
