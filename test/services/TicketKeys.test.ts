import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Layer, Logger, LogLevel, Option, Redacted, Scope, TestClock } from "effect"
import * as tls from "node:tls"
import { ServerConfig, type ServerConfigShape } from "../../src/services/ServerConfig.js"
import { MAX_SLEEP, nextBoundary, ticketContext, TicketKeys, tkt48 } from "../../src/services/TicketKeys.js"
import {
  makePskKeys,
  PSK_IDENTITY_HINT,
  pskClientKey,
  pskIdentityBytes,
  pskSessionSecret
} from "../../src/services/TlsSessions/Psk.js"
import { tlsSessionStats } from "../../src/services/TlsSessions/Stats.js"
import { mintCerts } from "../fixtures/Certs.js"

const HOUR = 3_600_000
const DAY = 24 * HOUR
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex")

describe("tkt48 (PROTOCOLS.md §2)", () => {
  it("matches the test vector", () => {
    expect(hex(tkt48(Buffer.alloc(32, 7), "2025 10"))).toBe(
      "2301d1cea67a13d3cfcda5613329eef9d549dee36dc8d7ae09fde9f91f7770a198b672fa56232549edadd7b3067ec2b0"
    )
  })

  it("context is \"w\" + the period number + IMAGE_REF; boundaries are multiples of the period", () => {
    expect(ticketContext(7 * DAY - 1, 7 * DAY, "img")).toBe("w0img")
    expect(ticketContext(7 * DAY, 7 * DAY, "img")).toBe("w1img")
    expect(ticketContext(1_764_000_000_000, 7 * DAY, "")).toBe("w2916")
    expect(nextBoundary(10 * HOUR + 5, HOUR)).toBe(11 * HOUR)
    expect(nextBoundary(11 * HOUR, HOUR)).toBe(12 * HOUR)
  })
})

describe("TLS-PSK keys (PROTOCOLS.md §3)", () => {
  const seed = Buffer.alloc(32, 0x0b)
  const id1 = "790bb45383670663ce9a39480be2de5426179506c8a6b2be922af055896438dd" +
    "06dd320e68cd81348a32d679c026f73be64fdbbc46c43bfbc0f98160ffae2452"
  const key1 = "7673e03f5c747020c4e1e8b46858f72997448b1243151e93070d9cda048dfc9d" +
    "28e72765d533300a815d3ee2b756781c589c6c68c398f14a52287fd9b8bd6f48"
  const id2 = "11".repeat(32)
  const key2 = "5de380c71e95496f77755d9420a27cc452e2ef7b8e86f62d7cfab4fe706994b7" +
    "5a5cfb1eb26c2dc1998767793c364a4fba3ce2d3ef259d842494f60a36758eed"

  it("session secret and client keys match the test vectors", () => {
    const secret = pskSessionSecret(seed)
    expect(hex(secret)).toBe(
      "5e121308fff0b8cc854f14cb5d3048d8eb1158c0b151573f9e3c708bcc341463" +
        "c406c8454085f3231ea18eb7d007aa32a626507725657319155d2af2457aecdb"
    )
    expect(hex(pskClientKey(secret, Buffer.from(id1, "hex")))).toBe(key1)
    expect(hex(pskClientKey(secret, Buffer.from(id2, "hex")))).toBe(key2)
    expect(PSK_IDENTITY_HINT).toBe("888811119999")
  })

  it("derives a new identity's key at once, keyed by the lowercase identity; refuses non-hex and short ids", () => {
    const keys = makePskKeys(seed)
    expect(hex(keys.keyFor(id1)!)).toBe(key1)
    expect(hex(keys.keyFor(id1.toUpperCase())!)).toBe(key1)
    expect(hex(keys.keyFor(id2)!)).toBe(key2)
    expect(keys.size()).toBe(2)
    expect(keys.keyFor("11".repeat(31))).toBeUndefined()
    expect(keys.keyFor("zz".repeat(32))).toBeUndefined()
    expect(keys.keyFor(`${id2}1`)).toBeUndefined()
    expect(keys.keyFor("")).toBeUndefined()
    expect(pskIdentityBytes(id2)?.length).toBe(32)
    expect(keys.size()).toBe(2)
  })

  it("the LRU is bounded", () => {
    const keys = makePskKeys(seed, 3)
    for (let i = 0; i < 10; i++) keys.keyFor(i.toString(16).padStart(64, "0"))
    expect(keys.size()).toBe(3)
  })
})

const SEED = Buffer.alloc(48, 0x5a)

const ticketKeysWith = (overrides: Partial<ServerConfigShape>) =>
  TicketKeys.Default.pipe(Layer.provide(ServerConfig.layer(overrides)))

/** Collects the messages logged at `level`. */
const captureLogs = (level: LogLevel.LogLevel) => {
  const messages: Array<string> = []
  const logger = Logger.make(({ logLevel, message }) => {
    if (logLevel._tag === level._tag) messages.push(Array.isArray(message) ? message.join(" ") : String(message))
  })
  return { messages, layer: Logger.replace(Logger.defaultLogger, logger) }
}

describe("ticket-key rotation under TestClock", () => {
  it.effect("keys change exactly at each period boundary, and never after the server's scope closes", () =>
    Effect.gen(function*() {
      const keys = yield* TicketKeys
      const server = tls.createServer()
      const ctxKey = (n: number) => hex(tkt48(SEED, `w${n}fleet-1`))
      const T0 = 10 * HOUR + 1234
      yield* TestClock.setTime(T0)
      const rotations = tlsSessionStats.ticketRotations

      const scope = yield* Scope.make()
      yield* keys.manage(server, "test").pipe(Scope.extend(scope))
      expect(hex(server.getTicketKeys())).toBe(ctxKey(10))

      yield* TestClock.adjust(Duration.millis(11 * HOUR - 1 - T0))
      expect(hex(server.getTicketKeys())).toBe(ctxKey(10))
      yield* TestClock.adjust(Duration.millis(1))
      expect(hex(server.getTicketKeys())).toBe(ctxKey(11))
      expect(tlsSessionStats.ticketRotations - rotations).toBe(1)

      yield* TestClock.adjust(Duration.millis(HOUR - 1))
      expect(hex(server.getTicketKeys())).toBe(ctxKey(11))
      yield* TestClock.adjust(Duration.millis(1))
      expect(hex(server.getTicketKeys())).toBe(ctxKey(12))
      expect(tlsSessionStats.ticketRotations - rotations).toBe(2)

      yield* Scope.close(scope, Exit.void)
      yield* TestClock.adjust(Duration.millis(5 * HOUR))
      expect(hex(server.getTicketKeys())).toBe(ctxKey(12))
      expect(tlsSessionStats.ticketRotations - rotations).toBe(2)
    }).pipe(
      Effect.provide(ticketKeysWith({
        ticketSecret: Option.some(Redacted.make(SEED)),
        ticketRotation: Duration.hours(1),
        imageRef: "fleet-1"
      }))
    ))

  it.effect("a period longer than the longest timer (30 days) still rotates exactly at its boundary", () =>
    Effect.gen(function*() {
      const keys = yield* TicketKeys
      const server = tls.createServer()
      const period = 30 * DAY
      expect(period).toBeGreaterThan(2 ** 31 - 1)
      const T0 = 40 * period + 1
      yield* TestClock.setTime(T0)
      const scope = yield* Scope.make()
      yield* keys.manage(server, "test").pipe(Scope.extend(scope))
      expect(hex(server.getTicketKeys())).toBe(hex(tkt48(SEED, "w40")))
      yield* TestClock.adjust(Duration.millis(41 * period - 1 - T0))
      expect(hex(server.getTicketKeys())).toBe(hex(tkt48(SEED, "w40")))
      yield* TestClock.adjust(Duration.millis(1))
      expect(hex(server.getTicketKeys())).toBe(hex(tkt48(SEED, "w41")))
      expect(Duration.toMillis(MAX_SLEEP)).toBeLessThan(2 ** 31 - 1)
      yield* Scope.close(scope, Exit.void)
    }).pipe(
      Effect.provide(
        ticketKeysWith({ ticketSecret: Option.some(Redacted.make(SEED)), ticketRotation: Duration.days(30) })
      )
    ))

  it.effect("one rotation fiber per server: two servers change key at the same boundary", () =>
    Effect.gen(function*() {
      const keys = yield* TicketKeys
      const a = tls.createServer()
      const b = tls.createServer()
      yield* TestClock.setTime(3 * HOUR + 17)
      const rotations = tlsSessionStats.ticketRotations
      const scope = yield* Scope.make()
      yield* keys.manage(a, "dot").pipe(Scope.extend(scope))
      yield* keys.manage(b, "doh").pipe(Scope.extend(scope))
      yield* TestClock.adjust(Duration.millis(HOUR - 17))
      expect(hex(a.getTicketKeys())).toBe(hex(tkt48(SEED, "w4")))
      expect(hex(b.getTicketKeys())).toBe(hex(tkt48(SEED, "w4")))
      expect(tlsSessionStats.ticketRotations - rotations).toBe(2)
      yield* Scope.close(scope, Exit.void)
    }).pipe(
      Effect.provide(
        ticketKeysWith({ ticketSecret: Option.some(Redacted.make(SEED)), ticketRotation: Duration.hours(1) })
      )
    ))
})

describe("ticket-key seed", () => {
  it.effect("TOP_SECRET_512_B64 first, then TLS_PSK; the same secret gives every instance the same key", () =>
    Effect.gen(function*() {
      const psk = Buffer.alloc(32, 0x0b)
      yield* TestClock.setTime(5 * DAY)
      const fromSecret = yield* TicketKeys.pipe(
        Effect.provide(ticketKeysWith({
          ticketSecret: Option.some(Redacted.make(SEED)),
          tlsPsk: Option.some(Redacted.make(psk))
        }))
      )
      const fromSecretAgain = yield* TicketKeys.pipe(
        Effect.provide(ticketKeysWith({ ticketSecret: Option.some(Redacted.make(Buffer.from(SEED))) }))
      )
      const fromPsk = yield* TicketKeys.pipe(
        Effect.provide(ticketKeysWith({ tlsPsk: Option.some(Redacted.make(psk)) }))
      )
      expect(fromSecret.source).toBe("TOP_SECRET_512_B64")
      expect(fromPsk.source).toBe("TLS_PSK")
      expect(hex(yield* fromSecret.current)).toBe(hex(tkt48(SEED, "w0")))
      expect(hex(yield* fromSecretAgain.current)).toBe(hex(tkt48(SEED, "w0")))
      expect(hex(yield* fromPsk.current)).toBe(hex(tkt48(psk, "w0")))
    }))

  it.effect("without a secret: random keys per instance and one warning that resumption will not survive restarts", () =>
    Effect.gen(function*() {
      const logs = captureLogs(LogLevel.Warning)
      const [one, two] = yield* Effect.all([TicketKeys, TicketKeys.pipe(Effect.provide(ticketKeysWith({})))]).pipe(
        Effect.provide(ticketKeysWith({})),
        Effect.provide(logs.layer)
      )
      expect(one.source).toBe("random")
      expect(hex(yield* one.current)).not.toBe(hex(yield* two.current))
      expect(logs.messages).toHaveLength(2) // one per instance
      expect(logs.messages[0]).toMatch(/resumption will not survive restarts/)
    }))

  it.scoped("setSecureContext replaces the ticket keys; reapply puts the period's key back", () =>
    Effect.gen(function*() {
      const certs = yield* Effect.promise(() => mintCerts())
      const keys = yield* TicketKeys
      const server = tls.createServer({ key: certs.keyPem, cert: certs.certPem })
      yield* keys.manage(server, "test")
      const key = hex(server.getTicketKeys())
      expect(key).toBe(hex(yield* keys.current))
      server.setSecureContext({ key: certs.keyPem, cert: certs.certPem })
      expect(hex(server.getTicketKeys())).not.toBe(key)
      keys.reapply(server)
      expect(hex(server.getTicketKeys())).toBe(key)
    }).pipe(Effect.provide(ticketKeysWith({ ticketSecret: Option.some(Redacted.make(SEED)) }))))
})
