import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { timingSafeEqual } from "node:crypto"
import {
  type AccessKey,
  hashToken,
  makeVerifier,
  newToken,
  parseAccessKeys,
  redactDohPath,
  redactSni,
  tokenFromPath,
  tokenFromSni,
  verify
} from "../../src/services/AccessKeys.js"

const keysOf = (...hashes: ReadonlyArray<string>): ReadonlyArray<AccessKey> =>
  Either.getOrThrow(parseAccessKeys(hashes.join(",")))

describe("AccessKeys: tokens and hashes", () => {
  it("a token is 160 random bits, a DNS label of lowercase letters and digits", () => {
    const tokens = Array.from({ length: 200 }, newToken)
    for (const t of tokens) expect(t).toMatch(/^[a-z2-7]{32}$/) // 32 × 5 bits = 160 bits
    expect(new Set(tokens).size).toBe(200)
    // every symbol shows up: the encoding uses the whole alphabet
    expect(new Set(tokens.join("")).size).toBe(32)
  })

  it("round-trips: the stored form verifies its token and nothing else", () => {
    const token = newToken()
    const stored = hashToken(token)
    expect(stored).toMatch(/^s1:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]{43}$/)
    expect(stored).not.toContain(token)
    const keys = keysOf(stored)
    expect(verify(keys, token)).toBe(true)
    expect(verify(keys, token.toUpperCase())).toBe(false)
    expect(verify(keys, newToken())).toBe(false)
    expect(verify(keys, token.slice(0, -1))).toBe(false)
    expect(verify(keys, `${token}a`)).toBe(false)
    expect(verify(keys, "")).toBe(false)
    expect(verify(keys, undefined)).toBe(false)
    expect(verify([], token)).toBe(false)
  })

  it("salted: the same token hashes differently each time, and a fixed salt gives a fixed hash", () => {
    const token = newToken()
    expect(hashToken(token)).not.toBe(hashToken(token))
    const salt = Buffer.alloc(16, 7)
    expect(hashToken("abc", salt)).toBe(hashToken("abc", salt))
    // HMAC-SHA256(key = salt, message = token), as `openssl dgst -sha256 -mac HMAC -macopt hexkey:07…07` computes
    expect(hashToken("abc", salt)).toBe(
      "s1:BwcHBwcHBwcHBwcHBwcHBw:" +
        Buffer.from("d063de1630fd831cc10f47f5c6cd413a204a2de694389df5c171ae7f107333ac", "hex").toString("base64url")
    )
  })

  it("several keys: any of them lets in, in any position", () => {
    const tokens = [newToken(), newToken(), newToken()]
    const keys = keysOf(...tokens.map((t) => hashToken(t)))
    for (const t of tokens) expect(verify(keys, t)).toBe(true)
    expect(verify(keys, newToken())).toBe(false)
  })

  it("the caching verifier agrees with verify, and does not cache refusals", () => {
    const [a, b] = [newToken(), newToken()]
    const check = makeVerifier(keysOf(hashToken(a), hashToken(b)), 1)
    for (let i = 0; i < 3; i++) {
      expect(check(a)).toBe(true)
      expect(check(b)).toBe(true) // evicts a from a cache of 1: verified again next time
      expect(check(newToken())).toBe(false)
      expect(check(a.slice(0, 20))).toBe(false)
      expect(check(undefined)).toBe(false)
      expect(check("x".repeat(64))).toBe(false)
    }
  })
})

describe("AccessKeys: constant-time comparison (structure, not timing)", () => {
  /** verify with a comparator that records what it is given and compares like timingSafeEqual. */
  const recorded = (keys: ReadonlyArray<AccessKey>, candidate: string | undefined) => {
    const calls: Array<{ a: Buffer; b: Buffer }> = []
    const result = verify(keys, candidate, (a, b) => {
      calls.push({ a: Buffer.from(a), b: Buffer.from(b) })
      return timingSafeEqual(a, b)
    })
    return { result, calls }
  }

  it("every candidate costs one hash and one 32-byte comparison per key, wherever and however much it matches", () => {
    const tokens = [newToken(), newToken(), newToken()]
    const keys = keysOf(...tokens.map((t) => hashToken(t)))
    const target = tokens[0]!
    const flip = (c: string) => (c === "a" ? "b" : "a")
    const candidates = [
      target, // full match on the first key
      tokens[2]!, // full match on the last key
      target.slice(0, -1) + flip(target.slice(-1)), // 31 leading characters match
      flip(target[0]!) + target.slice(1), // only the first character differs
      target.slice(0, 16), // a prefix
      `${target}a`, // longer
      newToken(), // nothing in common
      "",
      undefined,
      "z".repeat(10_000) // far too long
    ]
    const runs = candidates.map((c) => recorded(keys, c))
    expect(runs.map((r) => r.result)).toEqual([true, true, false, false, false, false, false, false, false, false])
    for (const { calls } of runs) {
      // no early exit: all three keys, in order, even after a match
      expect(calls).toHaveLength(3)
      calls.forEach(({ a, b }, i) => {
        expect(a.length).toBe(32)
        expect(b.length).toBe(32)
        expect(b.equals(keys[i]!.digest)).toBe(true)
      })
    }
    // the comparator never sees the candidate's characters, only a digest of them: a candidate sharing 31
    // characters with the token yields a digest sharing no more with the stored one than a random one does
    const near = runs[2]!.calls[0]!
    const far = runs[6]!.calls[0]!
    const leading = (x: Buffer, y: Buffer) => {
      let n = 0
      while (n < x.length && x[n] === y[n]) n++
      return n
    }
    expect(near.a.includes(Buffer.from(target.slice(0, 8)))).toBe(false)
    expect(leading(near.a, near.b)).toBeLessThan(4)
    expect(leading(far.a, far.b)).toBeLessThan(4)
  })
})

describe("AccessKeys: ACCESS_KEYS", () => {
  it("parses comma-separated hashes, blanks ignored", () => {
    const [a, b] = [hashToken(newToken()), hashToken(newToken())]
    const parsed = parseAccessKeys(` ${a} ,, ${b},`)
    expect(Either.isRight(parsed)).toBe(true)
    expect(Either.getOrThrow(parsed).map((k) => [k.salt.length, k.digest.length])).toEqual([[16, 32], [16, 32]])
  })

  it("refuses a plain-text token without repeating it", () => {
    const token = newToken()
    const parsed = parseAccessKeys(`${hashToken(newToken())},${token}`)
    expect(Either.isLeft(parsed)).toBe(true)
    const message = Either.getLeft(parsed).pipe((o) => (o._tag === "Some" ? o.value : ""))
    expect(message).toContain("entry 2 of 2")
    expect(message).toContain("plain-text token")
    expect(message).not.toContain(token)
    expect(message).not.toContain(token.slice(0, 8))
  })

  it("refuses malformed entries and an empty list, naming positions only", () => {
    const secretish = "s1:notbase64!!:whatever-secret-text"
    for (const text of [secretish, `s1:${"A".repeat(22)}:${"B".repeat(42)}`, "s2:x:y", "tok en"]) {
      const parsed = parseAccessKeys(text)
      expect(Either.isLeft(parsed)).toBe(true)
      const message = Either.getLeft(parsed).pipe((o) => (o._tag === "Some" ? o.value : ""))
      expect(message).toContain("entry 1 of 1 is not a stored hash")
      expect(message).not.toContain("whatever")
      expect(message).not.toContain(text)
    }
    expect(Either.isLeft(parseAccessKeys(""))).toBe(true)
    expect(Either.isLeft(parseAccessKeys(" , "))).toBe(true)
  })
})

describe("AccessKeys: where a token is carried, and redaction", () => {
  it("tokenFromSni takes the first label, lowercased", () => {
    expect(tokenFromSni("AbC234.dns.example.com")).toBe("abc234")
    expect(tokenFromSni("tok.localhost")).toBe("tok")
    expect(tokenFromSni("localhost")).toBeUndefined()
    expect(tokenFromSni(".example.com")).toBeUndefined()
    expect(tokenFromSni("")).toBeUndefined()
    expect(tokenFromSni(undefined)).toBeUndefined()
    expect(tokenFromSni(false)).toBeUndefined()
  })

  it("tokenFromPath takes the first segment after /dns-query and leaves the rest", () => {
    expect(tokenFromPath(["Tok234"])).toEqual({ token: "tok234", rest: [] })
    expect(tokenFromPath(["tok", "ads+malware"])).toEqual({ token: "tok", rest: ["ads+malware"] })
    expect(tokenFromPath([])).toEqual({ token: undefined, rest: [] })
    expect(tokenFromPath(["", "ads"])).toEqual({ token: undefined, rest: ["ads"] })
  })

  it("a token is replaced in names and paths meant for logs", () => {
    const token = newToken()
    expect(redactSni(`${token}.dns.example.com`)).toBe("<token>.dns.example.com")
    expect(redactSni("localhost")).toBe("localhost")
    expect(redactDohPath(`/dns-query/${token}/ads?dns=AAAB`)).toBe("/dns-query/<token>/ads?dns=AAAB")
    expect(redactDohPath(`/dns-query/${token}?dns=AAAB`)).toBe("/dns-query/<token>?dns=AAAB")
    expect(redactDohPath(`/dns-query/${token}`)).toBe("/dns-query/<token>")
    expect(redactDohPath("/dns-query?dns=AAAB")).toBe("/dns-query?dns=AAAB")
    expect(redactDohPath("/other")).toBe("/other")
  })
})
