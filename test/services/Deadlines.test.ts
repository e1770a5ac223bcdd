import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Fiber, FiberId, TestClock } from "effect"
import { makeDeadlines } from "../../src/services/QueryHandler/Deadlines.js"

const DEADLINE = 4000

/** lets the watcher and the forked fibers run (they are woken by the scheduler, not by the clock) */
const settle = Effect.yieldNow().pipe(Effect.repeatN(20))

/** a lookup in a fiber, as the handler bounds one: cut = interrupt */
const bound = <A, E>(fiber: Fiber.RuntimeFiber<A, E>, expired: Array<string>, name: string) =>
  [() => fiber.unsafePoll() !== null, () => {
    expired.push(name)
    fiber.unsafeInterruptAsFork(FiberId.none)
  }] as const

describe("Deadlines: one watcher bounds every upstream lookup by the query deadline", () => {
  it.scoped("cuts each unfinished lookup exactly at its deadline, in the order they started", () =>
    Effect.gen(function*() {
      const clock = yield* Effect.clock
      const deadlines = makeDeadlines(DEADLINE, () => clock.unsafeCurrentTimeMillis())
      yield* Effect.forkScoped(deadlines.watch)
      const expired: Array<string> = []
      const a = yield* Effect.fork(Effect.never)
      deadlines.add(...bound(a, expired, "a"))
      yield* TestClock.adjust(Duration.millis(100))
      const b = yield* Effect.fork(Effect.never)
      deadlines.add(...bound(b, expired, "b"))
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
      deadlines.add(...bound(quick, expired, "quick"))
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
      deadlines.add(...bound(late, expired, "late"))
      yield* settle
      yield* TestClock.adjust(Duration.millis(DEADLINE - 1))
      yield* settle
      expect(expired).toEqual([])
      yield* TestClock.adjust(Duration.millis(1))
      yield* settle
      expect(expired).toEqual(["late"])
    }))

  it.scoped("a released lookup lets go of its callbacks at once and is never cut", () =>
    Effect.gen(function*() {
      const clock = yield* Effect.clock
      const deadlines = makeDeadlines(DEADLINE, () => clock.unsafeCurrentTimeMillis())
      yield* Effect.forkScoped(deadlines.watch)
      const expired: Array<string> = []
      const kept = yield* Effect.fork(Effect.never)
      const released = yield* Effect.fork(Effect.never)
      deadlines.add(...bound(kept, expired, "kept"))
      const handle = deadlines.add(...bound(released, expired, "released"))
      expect(deadlines.holding()).toBe(2)
      deadlines.release(handle)
      // the queue holds only the deadline: the closures (and what they hold) can be collected now
      expect(deadlines.holding()).toBe(1)
      expect(deadlines.size()).toBe(2)
      deadlines.release(handle) // twice: nothing
      expect(deadlines.holding()).toBe(1)
      yield* settle
      yield* TestClock.adjust(Duration.millis(DEADLINE))
      yield* settle
      expect(expired).toEqual(["kept"])
      expect(released.unsafePoll()).toBeNull()
      expect(deadlines.size()).toBe(0)
      expect(deadlines.holding()).toBe(0)
      // released after its turn came (the queue moved on): nothing
      deadlines.release(handle)
      expect(deadlines.holding()).toBe(0)
    }))

  it.scoped("tickets stay right across the queue's compaction: releases reach the lookup they name", () =>
    Effect.gen(function*() {
      const clock = yield* Effect.clock
      const deadlines = makeDeadlines(DEADLINE, () => clock.unsafeCurrentTimeMillis())
      yield* Effect.forkScoped(deadlines.watch)
      let cut = 0
      // 3,000 lookups, 30 a millisecond: their deadlines come in turn, and the queue compacts (drops the
      // expired front, over 1,024 of them and more than half the queue) while later ones still wait
      const tickets: Array<number> = []
      for (let ms = 0; ms < 100; ms++) {
        for (let k = 0; k < 30; k++) tickets.push(deadlines.add(() => false, () => cut++))
        yield* TestClock.adjust(Duration.millis(1))
      }
      yield* settle
      // now 100 ms after the first: bring the deadlines of the first 60 ms (1,800 lookups)
      yield* TestClock.adjust(Duration.millis(DEADLINE - 41))
      yield* settle
      expect(cut).toBe(1800)
      expect(deadlines.size()).toBe(1200)
      // after the compaction, release every odd lookup still waiting: 600 of them
      for (let i = 1801; i < 3000; i += 2) deadlines.release(tickets[i]!)
      expect(deadlines.holding()).toBe(600)
      yield* TestClock.adjust(Duration.millis(DEADLINE))
      yield* settle
      // exactly the others were cut
      expect(cut).toBe(1800 + 600)
      expect(deadlines.size()).toBe(0)
      expect(deadlines.holding()).toBe(0)
    }))
})
