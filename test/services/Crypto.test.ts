import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import {
  aadDate,
  certServiceAad,
  certServiceAuthz,
  openResponse,
  requestUrl
} from "../../src/services/CertFetcher/Remote.js"
import {
  aesGcmOpen,
  aesGcmSeal,
  certServiceKeys,
  constantTimeEqual,
  Crypto,
  fromHex,
  hkdf,
  hmacSha256,
  hmacSha256Verify,
  sha512,
  toHex
} from "../../src/services/Crypto.js"

// PROTOCOLS.md §1
const KDF_SVC = "0a".repeat(32)
const AES_KEY = "b23efbdbc942f3727553a87732954413c470bf1fc480e9c067845c4b103a697a"
const MAC_KEY = "d53c803f690be4bc866d109dfec7d7180d3857935165c043627ab340b90af188" +
  "9005be82eee996e2e29e97dea98a69fd996a7987e5a20f100ec1799f4ff67447"
const NOW = 1754049600000 // 2025-08-01T12:00:00Z, a Friday
const BASE = "https://redir.nile.workers.dev/x/crt/"
const AUTHZ = "76c13e5e68a028bd0b76d33764ace6b64cc5924545b51d73cb68270e5eeebb2a"
const AAD = "localhost/5/7/2025/redir.nile.workers.dev//x/crt/1754049600000/GET"
const BODY = "000102030405060708090a0b7b1e572b7050122586b15c5d3baca3a1b50cd1c9e90798f159f08907ade81b3e6c"

const hex = (s: string) => fromHex(s) ?? new Uint8Array(0)
const keys = () => Either.getOrThrow(certServiceKeys(KDF_SVC))

describe("Crypto primitives", () => {
  it("HKDF-SHA256: RFC 5869 test case 1", () => {
    const okm = hkdf(new Uint8Array(22).fill(0x0b), hex("000102030405060708090a0b0c"), hex("f0f1f2f3f4f5f6f7f8f9"), 42)
    expect(toHex(okm)).toBe(
      "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )
  })

  it("SHA-512 of a UTF-8 string (FIPS 180-2 \"abc\")", () => {
    expect(toHex(sha512("abc"))).toBe(
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" +
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
    )
  })

  it("HMAC-SHA256: RFC 4231 test case 2, verified in constant time", () => {
    const key = new TextEncoder().encode("Jefe")
    const mac = hmacSha256(key, "what do ya want for nothing?")
    expect(toHex(mac)).toBe("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    expect(hmacSha256Verify(key, "what do ya want for nothing?", mac)).toBe(true)
    expect(hmacSha256Verify(key, "what do ya want for nothing!", mac)).toBe(false)
    expect(hmacSha256Verify(key, "what do ya want for nothing?", mac.subarray(0, 16))).toBe(false)
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3]))).toBe(false)
  })

  it("AES-GCM: seal/open round trip; a changed AAD, byte or tag fails; short tags are refused", () => {
    const key = new Uint8Array(32).fill(7)
    const iv = new Uint8Array(12).fill(1)
    const { ciphertext, tag } = aesGcmSeal(key, iv, "hello", "aad")
    expect(new TextDecoder().decode(Either.getOrThrow(aesGcmOpen(key, iv, ciphertext, tag, "aad")))).toBe("hello")
    expect(aesGcmOpen(key, iv, ciphertext, tag, "aaD")).toEqual(Either.left("authentication failed"))
    const flipped = Uint8Array.from(ciphertext)
    flipped[0] = flipped[0]! ^ 1
    expect(Either.isLeft(aesGcmOpen(key, iv, flipped, tag, "aad"))).toBe(true)
    expect(Either.isLeft(aesGcmOpen(key, iv, ciphertext, tag.subarray(0, 12), "aad"))).toBe(true)
    expect(Either.isLeft(aesGcmOpen(key.subarray(0, 20), iv, ciphertext, tag, "aad"))).toBe(true)
  })
})

describe("certificate service (PROTOCOLS.md §1 vectors)", () => {
  it("aeskey and mackey from KDF_SVC = 0a × 32", () => {
    const k = keys()
    expect(toHex(k.aesKey)).toBe(AES_KEY)
    expect(toHex(k.macKey)).toBe(MAC_KEY)
  })

  it("only the first 32 bytes of KDF_SVC count; upper-case hex and surrounding spaces are accepted", () => {
    const longer = Either.getOrThrow(certServiceKeys(` ${KDF_SVC.toUpperCase()}${"ff".repeat(16)}\n`))
    expect(toHex(longer.aesKey)).toBe(AES_KEY)
    expect(toHex(longer.macKey)).toBe(MAC_KEY)
  })

  it("missing, empty, non-hex, odd-length and short KDF_SVC: a reason that never repeats the value", () => {
    const cases: ReadonlyArray<readonly [string | undefined, string]> = [
      [undefined, "KDF_SVC is not set"],
      ["  ", "KDF_SVC is not set"],
      ["zz" + "0a".repeat(40), "KDF_SVC is not hex"],
      ["0a".repeat(32) + "a", "KDF_SVC is not hex"],
      ["0a".repeat(31), "KDF_SVC must be at least 32 bytes (64 hex digits), got 31"]
    ]
    for (const [value, reason] of cases) {
      const result = certServiceKeys(value)
      expect(result).toEqual(Either.left(reason))
      if (value !== undefined && value.trim() !== "") expect(reason).not.toContain(value.trim())
    }
  })

  it("URL = base + now; authz = hex(HMAC-SHA256(mackey, pathname))", () => {
    const url = requestUrl(new URL(BASE), NOW)
    expect(url.href).toBe("https://redir.nile.workers.dev/x/crt/1754049600000")
    expect(certServiceAuthz(keys().macKey, url.pathname)).toBe(AUTHZ)
  })

  it("AAD = who/D/M/Y/hostname/pathname/GET, D/M/Y in UTC (day of week, 0-based month)", () => {
    const url = requestUrl(new URL(BASE), NOW)
    expect(certServiceAad("localhost", url, NOW)).toBe(AAD)
    expect(aadDate(NOW)).toBe("5/7/2025")
    // UTC, not local: 2025-08-01T23:59:59.999Z is still Friday; a millisecond later it is Saturday
    expect(aadDate(Date.parse("2025-08-01T23:59:59.999Z"))).toBe("5/7/2025")
    expect(aadDate(Date.parse("2025-08-02T00:00:00.000Z"))).toBe("6/7/2025")
    expect(aadDate(Date.parse("2025-12-31T23:59:59.999Z"))).toBe("3/11/2025")
    expect(aadDate(Date.parse("2026-01-01T00:00:00.000Z"))).toBe("4/0/2026")
  })

  it("the given body decrypts to KEY=a2V5\\nCRT=Y3J0; with another AAD it does not", () => {
    const plaintext = Either.getOrThrow(openResponse(BODY, keys().aesKey, AAD))
    expect(new TextDecoder().decode(plaintext)).toBe("KEY=a2V5\nCRT=Y3J0")
    const nextDay = certServiceAad("localhost", requestUrl(new URL(BASE), NOW), NOW + 86_400_000)
    expect(openResponse(BODY, keys().aesKey, nextDay)).toEqual(
      Either.left({ reason: "Decrypt", detail: "authentication failed" })
    )
    expect(openResponse("xyz", keys().aesKey, AAD)).toEqual(
      Either.left({ reason: "Parse", detail: "response body is not hex" })
    )
    expect(openResponse("00".repeat(27), keys().aesKey, AAD)).toEqual(
      Either.left({ reason: "Parse", detail: "response body too short (27 bytes)" })
    )
  })

  it.effect("the Crypto service gives the same functions", () =>
    Effect.gen(function*() {
      const c = yield* Crypto
      const k = Either.getOrThrow(c.certServiceKeys(KDF_SVC))
      expect(toHex(k.aesKey)).toBe(AES_KEY)
      expect(toHex(c.hmacSha256(k.macKey, "/x/crt/1754049600000"))).toBe(AUTHZ)
    }).pipe(Effect.provide(Crypto.Default)))
})
