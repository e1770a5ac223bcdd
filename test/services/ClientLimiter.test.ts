import { describe, expect, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, FastCheck as fc, Logger, TestClock } from "effect"
import * as net from "node:net"
import {
  clientKey,
  ClientLimiter,
  type ClientLimiterOptions,
  makeLimiter,
  type Verdict
} from "../../src/services/ClientLimiter.js"
import { ipBytes } from "../../src/services/ServerConfig.js"

/** The reference key, from ServerConfig's (slow, regex-based) address parser. */
const referenceKey = (address: string, v4Prefix: number, v6Prefix: number): string => {
  const bytes = ipBytes(address.split("%")[0]!)
  if (bytes === undefined) return address
  const mapped = bytes.length === 16 && bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff &&
    bytes[11] === 0xff
  const v4 = bytes.length === 4 ? bytes : mapped ? bytes.subarray(12) : undefined
  const masked = (b: Uint8Array, prefix: number) =>
    Array.from(b, (x, i) => {
      const bits = Math.max(0, Math.min(8, prefix - i * 8))
      return x & ((0xff << (8 - bits)) & 0xff)
    })
  if (v4 !== undefined) return `${masked(v4, v4Prefix).join(".")}/${v4Prefix}`
  const m = masked(bytes, v6Prefix)
  const groups = Array.from(
    { length: Math.ceil(v6Prefix / 16) },
    (_, g) => ((m[2 * g]! << 8) | m[2 * g + 1]!).toString(16)
  )
  return `${groups.join(":")}${groups.length === 8 ? "" : "::"}/${v6Prefix}`
}

describe("clientKey", () => {
  it("aggregates IPv4 to /24 and IPv6 to /56, IPv4-mapped IPv6 as IPv4", () => {
    expect(clientKey("192.0.2.77")).toBe("192.0.2.0/24")
    expect(clientKey("192.0.2.255")).toBe("192.0.2.0/24")
    expect(clientKey("192.0.3.1")).toBe("192.0.3.0/24")
    expect(clientKey("::ffff:192.0.2.77")).toBe("192.0.2.0/24")
    expect(clientKey("::FFFF:192.0.2.1")).toBe("192.0.2.0/24")
    expect(clientKey("::ffff:c000:024d")).toBe("192.0.2.0/24")
    expect(clientKey("0:0:0:0:0:ffff:192.0.2.9")).toBe("192.0.2.0/24")
    expect(clientKey("2001:db8:1:2345::1")).toBe("2001:db8:1:2300::/56")
    expect(clientKey("2001:0DB8:0001:23ff:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2300::/56")
    expect(clientKey("2001:db8:1:2400::1")).toBe("2001:db8:1:2400::/56")
    expect(clientKey("fe80::1%eth0")).toBe("fe80:0:0:0::/56")
    expect(clientKey("::1")).toBe("0:0:0:0::/56")
    expect(clientKey("::")).toBe("0:0:0:0::/56")
    // an IPv6 address that embeds IPv4 but is not IPv4-mapped stays IPv6
    expect(clientKey("64:ff9b::192.0.2.1")).toBe("64:ff9b:0:0::/56")
  })

  it("takes other prefix lengths", () => {
    expect(clientKey("192.0.2.77", 32)).toBe("192.0.2.77/32")
    expect(clientKey("192.0.2.77", 16)).toBe("192.0.0.0/16")
    expect(clientKey("192.0.2.77", 0)).toBe("0.0.0.0/0")
    expect(clientKey("255.255.255.255", 25)).toBe("255.255.255.128/25")
    expect(clientKey("::ffff:10.1.2.3", 8)).toBe("10.0.0.0/8")
    expect(clientKey("2001:db8:1:2345:6:7:8:9", 24, 48)).toBe("2001:db8:1::/48")
    expect(clientKey("2001:db8:1:2345:6:7:8:9", 24, 64)).toBe("2001:db8:1:2345::/64")
    expect(clientKey("2001:db8:1:2345:6:7:8:9", 24, 128)).toBe("2001:db8:1:2345:6:7:8:9/128")
    expect(clientKey("2001:db8:1:2345:6:7:8:9", 24, 0)).toBe("::/0")
    expect(clientKey("2001:db8:1:2345:6:7:8:9", 24, 60)).toBe("2001:db8:1:2340::/60")
  })

  it("keeps anything that is not an address as it is", () => {
    for (
      const s of ["", "x", "not-an-ip", "1.2.3", "1.2.3.4.5", "1.2.3.256", "01.2.3.4", "1..2.3", ":::1", "1::2::3"]
    ) {
      expect(clientKey(s)).toBe(s)
    }
    for (const s of ["1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "1:", ":1", "1:2:3:4:5:6:7::8", "%eth0"]) {
      expect(clientKey(s)).toBe(s)
    }
  })

  it("agrees with the reference parser on random addresses in every spelling", () => {
    const v6Bytes = fc.uint8Array({ minLength: 16, maxLength: 16 })
    // zero runs make "::" likely
    const sparse = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
      minLength: 8,
      maxLength: 8
    })
    const spell = (groups: ReadonlyArray<number>, style: number): string => {
      const hex = groups.map((g) => g.toString(16))
      if (style === 0) return hex.join(":")
      if (style === 1) return groups.map((g) => g.toString(16).padStart(4, "0").toUpperCase()).join(":")
      // URL gives the RFC 5952 compressed form
      return new URL(`http://[${hex.join(":")}]/`).hostname.slice(1, -1)
    }
    fc.assert(
      fc.property(
        fc.oneof(
          sparse,
          v6Bytes.map((b) => Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!)),
          fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff })).map((
            [a, b]
          ) => [0, 0, 0, 0, 0, 0xffff, a, b])
        ),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 128 }),
        (groups, style, p4, p6) => {
          const address = spell(groups, style)
          expect(clientKey(address, p4, p6)).toBe(referenceKey(address, p4, p6))
        }
      ),
      { numRuns: 3000 }
    )
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 32 }), (b, p4) => {
        const address = b.join(".")
        expect(clientKey(address, p4)).toBe(referenceKey(address, p4, 56))
        expect(clientKey(`::ffff:${address}`, p4)).toBe(referenceKey(address, p4, 56))
      }),
      { numRuns: 2000 }
    )
  })

  it("returns the input unchanged exactly when node:net does not see an address", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-fA-F:.]{0,24}$/), (s) => {
        expect(clientKey(s) === s).toBe(net.isIP(s) === 0)
      }),
      { numRuns: 5000 }
    )
  })
})

/** Runs `check` for `address` now (TestClock time) and returns the verdict. */
const checkAt = (address: string) => Effect.map(ClientLimiter, (l) => l.check(address))
const advance = (ms: number) => TestClock.adjust(Duration.millis(ms))
const withLimiter = (options: ClientLimiterOptions) => Effect.provide(ClientLimiter.layer(options))

describe("ClientLimiter: token bucket (TestClock)", () => {
  it.effect("spends the burst, then refills qps tokens per second, up to the burst", () =>
    Effect.gen(function*() {
      const limiter = yield* ClientLimiter
      const burst = Array.from({ length: 6 }, () => limiter.check("192.0.2.1"))
      expect(burst).toEqual(["ok", "ok", "ok", "ok", "ok", "limited"])
      // the same /24 shares the bucket; another network has its own
      expect(limiter.check("192.0.2.200")).toBe("limited")
      expect(limiter.check("198.51.100.1")).toBe("ok")
      yield* advance(99)
      expect(limiter.check("192.0.2.1")).toBe("limited") // 0.99 token
      yield* advance(1)
      expect(limiter.check("192.0.2.1")).toBe("ok") // 1 token at 100 ms
      expect(limiter.check("192.0.2.1")).toBe("limited")
      yield* advance(250)
      expect([limiter.check("192.0.2.1"), limiter.check("192.0.2.1"), limiter.check("192.0.2.1")]).toEqual([
        "ok",
        "ok",
        "limited"
      ]) // 2.5 tokens: two queries, 0.5 left
      yield* advance(50)
      expect(limiter.check("192.0.2.1")).toBe("ok") // 0.5 + 0.5
      yield* advance(60_000)
      const afterIdle = Array.from({ length: 6 }, () => limiter.check("::ffff:192.0.2.3"))
      expect(afterIdle).toEqual(["ok", "ok", "ok", "ok", "ok", "limited"]) // capped at the burst
      expect(limiter.stats()).toEqual({ limited: 6, blocked: 0, blocksStarted: 0 })
      expect(limiter.currentlyBlocked()).toBe(0)
      expect(limiter.size()).toBe(2)
    }).pipe(withLimiter({ qps: 10, burst: 5, blockForS: 0 })))

  it.effect("a fractional rate and the default burst (= qps, at least 1)", () =>
    Effect.gen(function*() {
      expect(yield* checkAt("2001:db8::1")).toBe("ok")
      expect(yield* checkAt("2001:db8:0:ff::2")).toBe("limited") // same /56
      expect(yield* checkAt("2001:db8:0:100::1")).toBe("ok") // the next /56
      yield* advance(1999)
      expect(yield* checkAt("2001:db8::1")).toBe("limited")
      yield* advance(1)
      expect(yield* checkAt("2001:db8::1")).toBe("ok")
    }).pipe(withLimiter({ qps: 0.5, blockForS: 0 })))
})

describe("ClientLimiter: dynamic blocks (TestClock)", () => {
  /** 10 queries a second from `address` for `ms`, returning the verdicts by time. */
  const flood = (address: string, from: number, ms: number) =>
    Effect.gen(function*() {
      const out: Array<[number, Verdict]> = []
      for (let t = 0; t < ms; t += 100) {
        out.push([from + t, yield* checkAt(address)])
        yield* advance(100)
      }
      return out
    })

  it.effect("a client over its limit for BLOCK_AFTER_S is blocked for BLOCK_FOR_S, then served again", () =>
    Effect.gen(function*() {
      const limiter = yield* ClientLimiter
      // qps 2, burst 2, 10 qps offered: ok at 0, 100, then every 500 ms; limited in between from 200 ms
      const first = yield* flood("192.0.2.10", 0, 3200)
      expect(first.filter(([, v]) => v === "ok").map(([t]) => t)).toEqual([
        0,
        100,
        500,
        1000,
        1500,
        2000,
        2500,
        3000
      ])
      expect(first.every(([, v]) => v !== "blocked")).toBe(true)
      expect(limiter.stats()).toEqual({ limited: 24, blocked: 0, blocksStarted: 0 })
      // 3200 ms: limited, and 3 s since the first limited query (200 ms): the block starts
      expect(yield* checkAt("192.0.2.10")).toBe("blocked")
      expect(limiter.stats()).toEqual({ limited: 24, blocked: 1, blocksStarted: 1 })
      expect(limiter.currentlyBlocked()).toBe(1)
      // the whole /24 is blocked; other clients are not
      expect(yield* checkAt("192.0.2.99")).toBe("blocked")
      expect(yield* checkAt("198.51.100.7")).toBe("ok")
      yield* advance(100)
      const during = yield* flood("192.0.2.10", 3300, 9900)
      expect(during.every(([, v]) => v === "blocked")).toBe(true)
      // 13,200 ms: the block has ended; the bucket refilled meanwhile (nothing was consumed)
      expect(limiter.currentlyBlocked()).toBe(0)
      const after = yield* flood("192.0.2.10", 13_200, 3200)
      expect(after.slice(0, 3).map(([, v]) => v)).toEqual(["ok", "ok", "limited"])
      expect(after.every(([, v]) => v !== "blocked")).toBe(true)
      // still flooding: over the limit again from 13,400 ms, blocked again 3 s later, at 16,400 ms
      expect(yield* checkAt("192.0.2.10")).toBe("blocked")
      expect(limiter.stats()).toEqual({ limited: 24 + 24, blocked: 1 + 1 + 99 + 1, blocksStarted: 2 })
    }).pipe(withLimiter({ qps: 2, burst: 2, blockAfterS: 3, blockForS: 10 })))

  it.effect("over the limit means limited at least once a second: longer gaps never block", () =>
    Effect.gen(function*() {
      const limiter = yield* ClientLimiter
      // two queries every 1001 ms: the second is limited each time, 1001 ms after the previous limited one
      for (let i = 0; i < 30; i++) {
        expect(yield* checkAt("203.0.113.5")).toBe("ok")
        expect(yield* checkAt("203.0.113.5")).toBe("limited")
        yield* advance(1001)
      }
      expect(limiter.stats()).toEqual({ limited: 30, blocked: 0, blocksStarted: 0 })
      // every 1000 ms: one stretch from the first limited query; blocked at the first limited one 2 s later
      const verdicts: Array<Verdict> = []
      for (let i = 0; i < 4; i++) {
        verdicts.push(yield* checkAt("203.0.113.6"), yield* checkAt("203.0.113.6"))
        yield* advance(1000)
      }
      expect(verdicts).toEqual(["ok", "limited", "ok", "limited", "ok", "blocked", "blocked", "blocked"])
    }).pipe(withLimiter({ qps: 1, burst: 1, blockAfterS: 2, blockForS: 60 })))

  it.effect("BLOCK_AFTER_S 0 blocks at the first limited query; BLOCK_FOR_S 0 never blocks", () =>
    Effect.gen(function*() {
      const instant = yield* ClientLimiter.make({ qps: 1, burst: 1, blockAfterS: 0, blockForS: 5 })
      expect([instant.check("192.0.2.1"), instant.check("192.0.2.1"), instant.check("192.0.2.1")]).toEqual([
        "ok",
        "blocked",
        "blocked"
      ])
      yield* advance(4999)
      expect(instant.check("192.0.2.1")).toBe("blocked")
      yield* advance(1)
      expect(instant.check("192.0.2.1")).toBe("ok")
      const never = yield* ClientLimiter.make({ qps: 1, burst: 1, blockAfterS: 0, blockForS: 0 })
      for (let i = 0; i < 100; i++) {
        never.check("192.0.2.1")
        yield* advance(100)
      }
      expect(never.stats()).toEqual({ limited: 90, blocked: 0, blocksStarted: 0 })
    }))

  it.effect("a block start is logged with the client's network", () => {
    const lines: Array<string> = []
    const logger = Logger.make(({ message }) => {
      lines.push(String(Array.isArray(message) ? message.join(" ") : message))
    })
    return Effect.gen(function*() {
      const limiter = yield* ClientLimiter.make({ qps: 1, burst: 1, blockAfterS: 0, blockForS: 30 })
      limiter.check("2001:db8:aa:bb::1")
      limiter.check("2001:db8:aa:bb::1")
      expect(lines).toEqual(["client 2001:db8:aa:0::/56 blocked for 30 s: over its rate limit"])
    }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
  })
})

describe("ClientLimiter: off, settings", () => {
  it.effect("qps 0 or unset: everything is ok and nothing is held", () =>
    Effect.gen(function*() {
      for (const options of [{}, { qps: 0, burst: 1 }, { qps: undefined }]) {
        const limiter = yield* ClientLimiter.make(options)
        expect(limiter.enabled).toBe(false)
        for (let i = 0; i < 1000; i++) expect(limiter.check("192.0.2.1")).toBe("ok")
        expect(limiter.stats()).toEqual({ limited: 0, blocked: 0, blocksStarted: 0 })
        expect(limiter.size()).toBe(0)
      }
      const off = yield* ClientLimiter.pipe(Effect.provide(ClientLimiter.disabled))
      expect(off.check("192.0.2.1")).toBe("ok")
    }))

  it.effect("settings out of range are a defect", () =>
    Effect.gen(function*() {
      for (
        const options of [
          { qps: -1 },
          { qps: 5, burst: 0.5 },
          { qps: 5, v4Prefix: 33 },
          { qps: 5, v6Prefix: 56.5 },
          { qps: 5, maxClients: 0 },
          { qps: 5, blockForS: -1 }
        ]
      ) {
        const exit = yield* Effect.exit(ClientLimiter.make(options))
        expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
        if (Exit.isFailure(exit)) expect(Cause.pretty(exit.cause)).toContain("RangeError: ClientLimiter:")
      }
    }))
})

describe("ClientLimiter: memory bounds", () => {
  const distinct = (i: number) => `${10 + (i >>> 16)}.${(i >>> 8) & 0xff}.${i & 0xff}.1` // one /24 each

  it("100,000 distinct clients: at most maxClients buckets, and a blocked client stays blocked", () => {
    const limiter = makeLimiter({ qps: 5, burst: 5, blockAfterS: 0, blockForS: 60, maxClients: 10_000 })
    for (let i = 0; i < 6; i++) limiter.check("192.0.2.1", 0)
    expect(limiter.check("192.0.2.1", 0)).toBe("blocked")
    for (let i = 0; i < 100_000; i++) expect(limiter.check(distinct(i), 1000)).toBe("ok")
    expect(limiter.size()).toBe(10_000)
    expect(limiter.blockedSize()).toBe(1)
    expect(limiter.check("192.0.2.1", 59_999)).toBe("blocked")
    expect(limiter.currentlyBlocked(59_999)).toBe(1)
    expect(limiter.check("192.0.2.1", 60_000)).toBe("ok")
    expect(limiter.currentlyBlocked(60_000)).toBe(0)
    expect(limiter.blockedSize()).toBe(0)
    // a recent client kept its bucket (4 tokens left); an evicted one comes back with a fresh one
    for (let i = 0; i < 4; i++) expect(limiter.check(distinct(99_999), 1000)).toBe("ok")
    expect(limiter.check(distinct(99_999), 1000)).toBe("blocked")
    for (let i = 0; i < 5; i++) expect(limiter.check(distinct(0), 1000)).toBe("ok")
  })

  it("the default bound (100,000) holds for 150,000 distinct IPv6 /56s", () => {
    const limiter = makeLimiter({ qps: 5 })
    for (let i = 0; i < 150_000; i++) limiter.check(`2001:db8:${(i >>> 8).toString(16)}:${(i & 0xff) << 8}::1`, i)
    expect(limiter.size()).toBe(100_000)
  })

  it("blocks are bounded too: the block ending soonest makes room; ended blocks are dropped first", () => {
    const limiter = makeLimiter({ qps: 1, burst: 1, blockAfterS: 0, blockForS: 10, maxBlocked: 3 })
    const blockAt = (address: string, now: number) => {
      limiter.check(address, now)
      expect(limiter.check(address, now)).toBe("blocked")
    }
    blockAt("192.0.2.1", 0)
    blockAt("192.0.3.1", 1000)
    blockAt("192.0.4.1", 2000)
    blockAt("192.0.5.1", 3000) // full: 192.0.2.0/24 (ends at 10,000) goes
    expect(limiter.blockedSize()).toBe(3)
    expect(limiter.check("192.0.2.1", 3000)).toBe("ok")
    expect(limiter.check("192.0.3.1", 3000)).toBe("blocked")
    expect(limiter.currentlyBlocked(11_000)).toBe(2) // 192.0.3.0/24 ended at 11,000
    blockAt("192.0.6.1", 12_500) // 192.0.4.0/24 ended: dropped, no running block evicted
    expect(limiter.check("192.0.5.1", 12_500)).toBe("blocked")
    expect(limiter.currentlyBlocked(12_500)).toBe(2)
    expect(limiter.stats().blocksStarted).toBe(5)
  })
})
