import { describe, expect, it } from "@effect/vitest"
import { Redacted } from "effect"
import type { CertKeyPair } from "../../src/services/CertFetcher.js"
import { describeRejection, judge } from "../../src/services/CertStore/Accept.js"

const NOW = Date.parse("2026-06-01T00:00:00Z")
const DAY = 86_400_000
let n = 0
const cert = (names: ReadonlyArray<string>, notAfter: number, notBefore = NOW - DAY): CertKeyPair => ({
  certPem: "",
  keyPem: Redacted.make(""),
  notBefore: new Date(notBefore),
  notAfter: new Date(notAfter),
  subject: "CN=x",
  dnsNames: names,
  ipAddresses: [],
  fingerprint: `f${++n}`,
  source: "test"
})

describe("certificate acceptance (SPEC.md §4)", () => {
  const current = cert(["dns.example.com", "dot.example.com"], NOW + 10 * DAY)

  it("accepts a later certificate covering every name, directly or by one wildcard label", () => {
    expect(judge(current, cert(["dns.example.com", "dot.example.com", "new.example.com"], NOW + 90 * DAY), NOW, false))
      .toEqual({ _tag: "Accept" })
    expect(judge(current, cert(["*.example.com"], NOW + 90 * DAY), NOW, false)).toEqual({ _tag: "Accept" })
  })

  it("rejects a certificate missing a name; a wildcard covers one label only", () => {
    const v = judge(current, cert(["dns.example.com"], NOW + 90 * DAY), NOW, false)
    expect(v).toEqual({ _tag: "Reject", rejection: { check: "names", missing: ["dot.example.com"] } })
    const deep = cert(["a.b.example.com"], NOW + 10 * DAY)
    expect(judge(deep, cert(["*.example.com"], NOW + 90 * DAY), NOW, false)._tag).toBe("Reject")
    expect(judge(cert(["example.com"], NOW + DAY), cert(["*.example.com"], NOW + 90 * DAY), NOW, false)._tag).toBe(
      "Reject"
    )
  })

  it("does not ask a replacement of the self-signed default to cover localhost", () => {
    const selfSigned = cert(["localhost"], NOW + 10 * DAY)
    expect(judge(selfSigned, cert(["dns.example.com"], NOW + 90 * DAY), NOW, true)).toEqual({ _tag: "Accept" })
  })

  it("rejects a certificate not valid now: expired, or not yet valid", () => {
    const expired = judge(current, cert(["*.example.com"], NOW - 1, NOW - 90 * DAY), NOW, false)
    expect(expired._tag === "Reject" && expired.rejection.check).toBe("validNow")
    const future = judge(current, cert(["*.example.com"], NOW + 90 * DAY, NOW + DAY), NOW, false)
    expect(future._tag === "Reject" && future.rejection.check).toBe("validNow")
  })

  it("rejects a certificate expiring no later than the current one", () => {
    const v = judge(current, cert(["*.example.com"], NOW + 10 * DAY), NOW, false)
    expect(v._tag === "Reject" && v.rejection.check).toBe("expiresLater")
    if (v._tag === "Reject") expect(describeRejection(v.rejection)).toContain("not later than the current")
  })

  it("calls the same certificate 'Same', not a rejection", () => {
    expect(judge(current, current, NOW, false)).toEqual({ _tag: "Same" })
  })
})
