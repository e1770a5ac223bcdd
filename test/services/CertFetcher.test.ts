import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Redacted, TestClock } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { concernsPair, fromFiles, fromInline, SELF_SIGNED_DAYS, selfSigned } from "../../src/services/CertFetcher.js"
import { mintCerts } from "../fixtures/Certs.js"

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "vigil-cert-"))
const NOW = Date.parse("2026-11-26T12:00:00Z")

describe("CertFetcher", () => {
  it.effect("self-signed: mints a localhost certificate into DATA_DIR and reuses it on the next start", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const dir = path.join(tmp(), "state")
      const first = yield* selfSigned(dir).fetch
      expect(first.dnsNames).toEqual(["localhost"])
      expect(first.ipAddresses).toEqual(["127.0.0.1", "::1"])
      expect(first.notAfter.getTime()).toBe(NOW + SELF_SIGNED_DAYS * 86_400_000)
      expect(fs.statSync(path.join(dir, "selfsigned.key")).mode & 0o777).toBe(0o600)
      const again = yield* selfSigned(dir).fetch
      expect(again.fingerprint).toBe(first.fingerprint)
      // less than a day left: a new one is minted
      yield* TestClock.adjust(Duration.days(SELF_SIGNED_DAYS - 0.5))
      const renewed = yield* selfSigned(dir).fetch
      expect(renewed.fingerprint).not.toBe(first.fingerprint)
      expect(renewed.notAfter.getTime()).toBeGreaterThan(first.notAfter.getTime())
    }))

  it.live("files: reads the chain and key, and reports a mismatched key without its contents", () =>
    Effect.gen(function*() {
      const one = yield* Effect.promise(() => mintCerts())
      const two = yield* Effect.promise(() => mintCerts())
      const dir = tmp()
      fs.writeFileSync(path.join(dir, "c.pem"), one.certPem)
      fs.writeFileSync(path.join(dir, "k.pem"), one.keyPem)
      fs.writeFileSync(path.join(dir, "k2.pem"), two.keyPem)
      const ok = yield* fromFiles(path.join(dir, "c.pem"), path.join(dir, "k.pem")).fetch
      expect(ok.subject).toBe("CN=localhost")
      expect(ok.notAfter.getTime()).toBe(Math.floor(one.notAfter.getTime() / 1000) * 1000)
      const bad = yield* Effect.flip(fromFiles(path.join(dir, "c.pem"), path.join(dir, "k2.pem")).fetch)
      expect(bad.reason).toBe("KeyMismatch")
      expect(bad.message).not.toContain("PRIVATE KEY")
      const missing = yield* Effect.flip(fromFiles(path.join(dir, "nope.pem"), path.join(dir, "k.pem")).fetch)
      expect(missing.reason).toBe("Read")
      expect(missing.message).toContain("ENOENT")
    }))

  it.live("TLS_CERTKEY: KEY=/CRT= lines in either order, literal \\n accepted", () =>
    Effect.gen(function*() {
      const c = yield* Effect.promise(() => mintCerts())
      const b64 = (s: string) => Buffer.from(s).toString("base64")
      const a = yield* fromInline(Redacted.make(`CRT=${b64(c.certPem)}\\nKEY=${b64(c.keyPem)}`)).fetch
      const b = yield* fromInline(Redacted.make(`KEY=${b64(c.keyPem)}\nCRT=${b64(c.certPem)}\n`)).fetch
      expect(a.fingerprint).toBe(b.fingerprint)
      const none = yield* Effect.flip(fromInline(Redacted.make(`KEY=${b64(c.keyPem)}`)).fetch)
      expect(none.message).toContain("no CRT= line")
      expect(none.message).not.toContain(b64(c.keyPem))
    }))

  it("file events concern the pair only for its names, a Kubernetes ..data swap, or an unnamed event", () => {
    const names = new Set(["tls.crt", "tls.key"])
    expect(["tls.crt", "tls.key", "..data", "..data_tmp", "..2026_11_26_b", null].map((f) => concernsPair(names, f)))
      .toEqual([true, true, true, true, true, true])
    expect(["access.log", "tls.crt.bak", "h2load.log", ".tls.crt.swp"].map((f) => concernsPair(names, f)))
      .toEqual([false, false, false, false])
  })
})
