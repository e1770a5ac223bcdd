import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Fiber, Layer, Redacted, Stream, TestClock } from "effect"
import { CertRenewal, retryDelay, untilWindow } from "../../src/programs/CertRenewal.js"
import { CertError, CertFetcher, type CertKeyPair } from "../../src/services/CertFetcher.js"
import { CertStore } from "../../src/services/CertStore.js"
import { ServerConfig } from "../../src/services/ServerConfig.js"

const T0 = Date.parse("2026-01-01T00:00:00Z")
const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR

let serial = 0
/** A certificate description (the store and the schedule look only at these fields). */
const cert = (notAfter: number, names: ReadonlyArray<string> = ["dns.example"], notBefore = T0 - DAY): CertKeyPair => ({
  certPem: "",
  keyPem: Redacted.make(""),
  notBefore: new Date(notBefore),
  notAfter: new Date(notAfter),
  subject: "CN=dns.example",
  dnsNames: names,
  ipAddresses: [],
  fingerprint: `fp${++serial}`,
  source: "test"
})

/**
 * A certificate source for tests: the first certificate is served at start; each fetch is answered by
 * `answer(n)` (n = 1, 2, …) and its time recorded (relative to T0).
 */
const testSource = (initial: CertKeyPair, answer: (n: number, current: CertKeyPair) => CertKeyPair | "fail") => {
  const fetches: Array<number> = []
  let last = initial
  const fetch = Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    fetches.push(now - T0)
    const a = answer(fetches.length, last)
    if (a === "fail") {
      return yield* Effect.fail(new CertError({ source: "test", reason: "Read", detail: "unavailable" }))
    }
    last = a
    return a
  })
  const layer = Layer.succeed(CertFetcher, {
    describe: "test",
    initial: Effect.succeed(initial),
    fetch,
    changes: Stream.never
  })
  return { fetches, layer }
}

/** Starts the renewal program at T0 and runs the clock forward by `ms`. */
const run = (
  source: ReturnType<typeof testSource>,
  ms: number,
  config: { renewBefore?: Duration.Duration; maxAttempts?: number } = {}
) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(T0)
    const layer = CertStore.Default.pipe(
      Layer.provideMerge(source.layer),
      Layer.provideMerge(ServerConfig.layer({
        certRenewBefore: config.renewBefore ?? Duration.days(1),
        certMaxAttempts: config.maxAttempts ?? 20
      }))
    )
    return yield* Effect.gen(function*() {
      const fiber = yield* Effect.forkScoped(CertRenewal)
      yield* TestClock.adjust(Duration.millis(ms))
      const store = yield* CertStore
      const current = yield* store.current
      yield* Fiber.interrupt(fiber)
      return { current, stats: store.stats() }
    }).pipe(Effect.provide(layer))
  })

describe("renewal delays (pure)", () => {
  it("waits until renewBefore before expiry, then 0", () => {
    expect(untilWindow(T0 + 30 * DAY, T0, DAY)).toBe(29 * DAY)
    expect(untilWindow(T0 + 2 * HOUR, T0, DAY)).toBe(0)
    expect(untilWindow(T0 - 1, T0, DAY)).toBe(0)
  })

  it("backs off 6 min × tries left, 1 min near expiry, never at or past expiry", () => {
    expect(retryDelay(T0 + DAY, T0, 1, 20)).toBe(6 * MIN * 19)
    expect(retryDelay(T0 + DAY, T0, 19, 20)).toBe(6 * MIN)
    expect(retryDelay(T0 + 30 * MIN, T0, 1, 20)).toBe(29 * MIN)
    expect(retryDelay(T0 + 90_000, T0, 1, 20)).toBe(MIN)
    expect(retryDelay(T0 + MIN, T0, 1, 20)).toBe(MIN)
    expect(retryDelay(T0 - HOUR, T0, 5, 20)).toBe(MIN)
  })
})

describe("CertRenewal schedule under TestClock", () => {
  it.scoped("30 days left: fetches exactly 29 days on, then from the new certificate's expiry", () => {
    const source = testSource(cert(T0 + 30 * DAY), (n) => cert(T0 + (30 + 30 * n) * DAY))
    return Effect.gen(function*() {
      const { current, stats } = yield* run(source, 100 * DAY)
      expect(source.fetches).toEqual([29 * DAY, 59 * DAY, 89 * DAY])
      expect(current.notAfter.getTime()).toBe(T0 + 120 * DAY)
      expect(stats.renewals).toBe(3)
    })
  })

  it.scoped("2 hours left: fetches at once", () => {
    const source = testSource(cert(T0 + 2 * HOUR), () => cert(T0 + 90 * DAY))
    return Effect.gen(function*() {
      const { current } = yield* run(source, 10 * MIN)
      expect(source.fetches).toEqual([0])
      expect(current.notAfter.getTime()).toBe(T0 + 90 * DAY)
    })
  })

  it.scoped("30 seconds left and the source failing: tries at once, then every minute", () => {
    const source = testSource(cert(T0 + 30_000), () => "fail")
    return Effect.gen(function*() {
      yield* run(source, 5 * MIN)
      expect(source.fetches).toEqual([0, MIN, 2 * MIN, 3 * MIN, 4 * MIN, 5 * MIN])
    })
  })

  it.scoped("already expired: tries at once and every minute until a certificate comes", () => {
    const source = testSource(
      cert(T0 - HOUR, ["dns.example"], T0 - 2 * DAY),
      (n) => n < 3 ? "fail" : cert(T0 + 90 * DAY)
    )
    return Effect.gen(function*() {
      const { current, stats } = yield* run(source, 30 * MIN)
      expect(source.fetches).toEqual([0, MIN, 2 * MIN])
      expect(current.notAfter.getTime()).toBe(T0 + 90 * DAY)
      expect(stats).toEqual({ renewals: 1, renewalFailures: 2, rejected: 0 })
    })
  })

  it.scoped("N failures back off 6 min × tries left from the window's opening", () => {
    const source = testSource(cert(T0 + 30 * DAY), () => "fail")
    return Effect.gen(function*() {
      yield* run(source, 29 * DAY + 6 * MIN * (19 + 18 + 17) + 1)
      const w = 29 * DAY
      expect(source.fetches).toEqual([w, w + 114 * MIN, w + 222 * MIN, w + 324 * MIN])
    })
  })

  it.scoped("clamps a retry that would land past expiry to a minute before it", () => {
    // window opens 2 h before expiry; after the first failure 114 min of 120 are waited, then 6 min
    // are left: 6 min × 18 would pass expiry, so max(1 min, 6 − 1 min) = 5 min, then every minute
    const source = testSource(cert(T0 + 30 * DAY), () => "fail")
    return Effect.gen(function*() {
      const w = 30 * DAY - 2 * HOUR
      yield* run(source, w + 125 * MIN, { renewBefore: Duration.hours(2) })
      expect(source.fetches).toEqual([
        w,
        w + 114 * MIN,
        w + 119 * MIN,
        w + 120 * MIN,
        w + 121 * MIN,
        w + 122 * MIN,
        w + 123 * MIN,
        w + 124 * MIN,
        w + 125 * MIN
      ])
    })
  })

  it.scoped("after CERT_MAX_ATTEMPTS failures, reports and falls back to hourly tries", () => {
    const source = testSource(cert(T0 + 30 * DAY), (n) => n < 6 ? "fail" : cert(T0 + 90 * DAY))
    return Effect.gen(function*() {
      const w = 29 * DAY
      const { current, stats } = yield* run(source, w + 4 * HOUR, { maxAttempts: 3 })
      // 3 tries: at the window, + 6 × 2 min, + 6 × 1 min; then hourly until the 6th fetch succeeds
      expect(source.fetches).toEqual([
        w,
        w + 12 * MIN,
        w + 18 * MIN,
        w + 18 * MIN + HOUR,
        w + 18 * MIN + 2 * HOUR,
        w + 18 * MIN + 3 * HOUR
      ])
      expect(current.notAfter.getTime()).toBe(T0 + 90 * DAY)
      expect(stats.renewalFailures).toBe(5)
    })
  })

  it.scoped("the same certificate back is 'not renewed yet': it backs off, no hot loop", () => {
    const source = testSource(cert(T0 + 30 * DAY), (_, current) => current)
    return Effect.gen(function*() {
      const w = 29 * DAY
      yield* run(source, w + 3 * HOUR)
      expect(source.fetches).toEqual([w, w + 114 * MIN])
    })
  })

  it.scoped("a rejected candidate (other names) keeps the current certificate and is retried later", () => {
    const initial = cert(T0 + 2 * HOUR, ["dns.example", "dot.example"])
    const source = testSource(
      initial,
      (n) => n === 1 ? cert(T0 + 90 * DAY, ["other.example"]) : cert(T0 + 90 * DAY, ["*.example"])
    )
    return Effect.gen(function*() {
      const { current, stats } = yield* run(source, 2 * HOUR - 1)
      expect(source.fetches).toEqual([0, 114 * MIN])
      expect(current.dnsNames).toEqual(["*.example"])
      expect(stats.rejected).toBe(1)
    })
  })
})
