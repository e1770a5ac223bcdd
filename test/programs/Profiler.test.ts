import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Logger, TestClock } from "effect"
import {
  formatSummary,
  percentile,
  profiledUpstream,
  ResolveProfile,
  runProfiler,
  summarize
} from "../../src/programs/Profiler.js"
import { ServerConfig } from "../../src/services/ServerConfig.js"
import { Upstream } from "../../src/services/Upstream.js"

describe("percentile (nearest rank)", () => {
  it("picks the smallest value with at least p% at or below it", () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1)
    expect(percentile(xs, 50)).toBe(50)
    expect(percentile(xs, 90)).toBe(90)
    expect(percentile(xs, 99)).toBe(99)
    expect(percentile(xs, 100)).toBe(100)
    expect(percentile([7], 50)).toBe(7)
    expect(percentile([1, 2, 3], 50)).toBe(2)
    expect(percentile([1, 2, 3, 4], 50)).toBe(2)
    expect(percentile([1, 2, 3, 4], 99)).toBe(4)
    expect(percentile([], 50)).toBeNaN()
  })

  it("summarize sorts first and reports count and max", () => {
    expect(summarize([30, 10, 20])).toEqual({ count: 3, p50: 20, p90: 30, p99: 30, max: 30 })
    expect(summarize([]).count).toBe(0)
    expect(formatSummary(summarize([]))).toContain("0 resolves")
  })
})

describe("profiler mode", () => {
  it.effect("times resolves with the Clock, stops itself after the duration, logs percentiles, then shuts down", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const logger = Logger.make(({ message }) => {
        lines.push(Array.isArray(message) ? message.join(" ") : String(message))
      })
      // an upstream that takes 10, 20, … ms of Effect's Clock per query
      let n = 0
      const slowUpstream = Layer.succeed(Upstream, {
        query: (msg) => Effect.sleep(Duration.millis(++n * 10)).pipe(Effect.as(msg))
      })
      // stands in for the listeners: resolves ten queries through the profiled upstream, logs on close
      const serving = Layer.scopedDiscard(Effect.gen(function*() {
        const upstream = yield* Upstream
        yield* Effect.addFinalizer(() => Effect.logInfo("drained"))
        yield* Effect.forkScoped(Effect.forEach(Array.from({ length: 10 }), () => upstream.query(new Uint8Array(12))))
      })).pipe(Layer.provide(profiledUpstream.pipe(Layer.provide(slowUpstream))))

      const fiber = yield* runProfiler(serving).pipe(
        Effect.provide(ResolveProfile.Default),
        Effect.provide(ServerConfig.layer({ profileDuration: Duration.seconds(60) })),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
        Effect.fork
      )
      yield* TestClock.adjust(Duration.seconds(59))
      expect(fiber.unsafePoll()).toBeNull()
      expect(lines.some((l) => l.includes("p50"))).toBe(false)
      yield* TestClock.adjust(Duration.seconds(1))
      yield* Fiber.join(fiber)
      const summary = lines.find((l) => l.startsWith("resolve latency"))
      expect(summary).toBe("resolve latency over 10 resolves: p50 50 ms, p90 90 ms, p99 100 ms, max 100 ms")
      // the summary comes before the graceful shutdown of the serving layer
      expect(lines.indexOf("drained")).toBeGreaterThan(lines.indexOf(summary!))
    }))
})
