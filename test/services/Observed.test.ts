import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { Metrics } from "../../src/services/Metrics.js"
import { UpstreamError, type UpstreamShape } from "../../src/services/Upstream.js"
import { observed } from "../../src/services/Upstream/Observed.js"

/** A transport whose plain exchanges are settled by the test (`settle`), and which counts `prepare` runs. */
const fakeTransport = (plain: boolean) => {
  const waiting: Array<(result: Uint8Array | UpstreamError) => void> = []
  let cancelled = 0
  let prepared = 0
  const shape: UpstreamShape = {
    query: () => Effect.fail(new UpstreamError({ upstream: "fake", reason: "Connect" })),
    ...(plain
      ? {
        tryExchange: (_msg, done) => {
          waiting.push(done)
          return () => void cancelled++
        },
        prepare: Effect.sync(() => void prepared++)
      }
      : {})
  }
  return {
    shape,
    settle: (result: Uint8Array | UpstreamError) => waiting.shift()!(result),
    cancelled: () => cancelled,
    prepared: () => prepared
  }
}

describe("observed upstream", () => {
  it.effect("times the plain-code exchange on the Clock, counts its failures and its cancel as interrupted", () =>
    Effect.gen(function*() {
      const metrics = yield* Metrics
      const clock = yield* Effect.clock
      const fake = fakeTransport(true)
      const upstream = observed(fake.shape, metrics, clock)
      const results: Array<Uint8Array | UpstreamError> = []

      // answered after 250 ms of the (test) clock
      expect(upstream.tryExchange!(new Uint8Array(12), (r) => results.push(r))).toBeDefined()
      yield* TestClock.adjust("250 millis")
      fake.settle(new Uint8Array([1, 2]))
      expect(results).toEqual([new Uint8Array([1, 2])])
      expect(metrics.upstream()).toMatchObject({ answered: 1, latencySum: 0.25, errors: {} })

      // failed: counted by reason, the error handed on
      upstream.tryExchange!(new Uint8Array(12), (r) => results.push(r))
      const refused = new UpstreamError({ upstream: "fake", reason: "Connect", detail: "refused" })
      fake.settle(refused)
      expect(results[1]).toBe(refused)

      // cancelled (the deadline): the transport's cancel runs and it counts as interrupted
      const cancel = upstream.tryExchange!(new Uint8Array(12), (r) => results.push(r))
      cancel!()
      expect(fake.cancelled()).toBe(1)
      expect(results).toHaveLength(2)
      expect(metrics.upstream()).toMatchObject({ answered: 1, errors: { Connect: 1, Interrupted: 1 } })

      // prepare is the transport's
      yield* upstream.prepare!
      expect(fake.prepared()).toBe(1)
    }).pipe(Effect.provide(Metrics.Default)))

  it.effect("offers no plain-code exchange or prepare where the transport has none", () =>
    Effect.gen(function*() {
      const upstream = observed(fakeTransport(false).shape, yield* Metrics, yield* Effect.clock)
      expect(upstream.tryExchange).toBeUndefined()
      expect(upstream.prepare).toBeUndefined()
    }).pipe(Effect.provide(Metrics.Default)))
})
