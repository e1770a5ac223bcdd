import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Fiber, TestClock } from "effect"
import { makeDeadlines } from "../../src/services/QueryHandler/Deadlines.js"

const DEADLINE = 4000

/** lets the watcher and the forked fibers run (they are woken by the scheduler, not by the clock) */
const settle = Effect.yieldNow().pipe(Effect.repeatN(20))

describe("Deadlines: one watcher bounds every upstream lookup by the query deadline", () => {
  it.scoped("cuts each unfinished lookup exactly at its deadline, in the order they started", () =>
    Effect.gen(function*() {
      const clock = yield* Effect.clock
      const deadlines = makeDeadlines(DEADLINE, () => clock.unsafeCurrentTimeMillis())
      yield* Effect.forkScoped(deadlines.watch)
      const expired: Array<string> = []
      const a = yield* Effect.fork(Effect.never)
      deadlines.add(a, () => expired.push("a"))
      yield* TestClock.adjust(Duration.millis(100))
      const b = yield* Effect.fork(Effect.never)
      deadlines.add(b, () => expired.push("b"))
      yield* settle
      yield* TestClock.adjust(Duration.millis(DEADLINE - 101)) // 1 ms before a's deadline
      yield* settle
      expect(expired).toEqual([])
      expect(a.unsafePoll()).toBeNull()
      yield* TestClock.adjust(Duration.millis(1)) // a's deadline
      yield* settle
      expect(expired).toEqual(["a"])
      expect((yield* Fiber.await(a))._tag).toBe("Failure") // interrupted
      expect(b.unsafePoll()).toBeNull()
      yield* TestClock.adjust(Duration.millis(100)) // b's deadline
      yield* settle
      expect(expired).toEqual(["a", "b"])
      expect(deadlines.size()).toBe(0)
    }))

  it.scoped("a lookup done in time is not cut; the watcher waits while there is nothing to watch", () =>
    Effect.gen(function*() {
      const clock = yield* Effect.clock
      const deadlines = makeDeadlines(DEADLINE, () => clock.unsafeCurrentTimeMillis())
      yield* Effect.forkScoped(deadlines.watch)
      const expired: Array<string> = []
      const gate = yield* Deferred.make<string>()
      const quick = yield* Effect.fork(Deferred.await(gate))
      deadlines.add(quick, () => expired.push("quick"))
      yield* TestClock.adjust(Duration.millis(10))
      yield* Deferred.succeed(gate, "answer")
      expect(yield* Fiber.join(quick)).toBe("answer")
      yield* TestClock.adjust(Duration.millis(DEADLINE))
      yield* settle
      expect(expired).toEqual([])
      expect(deadlines.size()).toBe(0)
      // long after, with the watcher idle: a new lookup is still watched from when it started
      yield* TestClock.adjust(Duration.millis(60_000))
      const late = yield* Effect.fork(Effect.never)
      deadlines.add(late, () => expired.push("late"))
      yield* settle
      yield* TestClock.adjust(Duration.millis(DEADLINE - 1))
      yield* settle
      expect(expired).toEqual([])
      yield* TestClock.adjust(Duration.millis(1))
      yield* settle
      expect(expired).toEqual(["late"])
    }))
})
