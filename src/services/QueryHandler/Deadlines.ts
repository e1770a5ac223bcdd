/**
 * The query deadline of upstream lookups, without a timer or a race per lookup. `Effect.timeoutFail` on
 * every cache miss forked two fibers (the lookup and a sleep), joined them and merged their fiber refs:
 * most of the CPU a miss cost, and in a burst of misses it held the event loop for tens of milliseconds.
 *
 * Every lookup has the same deadline, so deadlines come due in the order lookups start: a FIFO queue.
 * One watcher fiber sleeps on the Clock until the oldest deadline, cuts that lookup if it is still
 * running, and sleeps again (or waits for the next lookup when none is left). Lookups that finished in
 * time are skipped when their turn comes. Cutting a lookup in a fiber interrupts it, which runs its
 * finalizers and its `onExit`, as the timeout did. On a `TestClock`, a lookup is cut exactly when the
 * clock reaches its deadline.
 */
import { Duration, Effect } from "effect"

/** One bounded lookup in the queue (what `add` gives, for `release`). */
export interface Deadline {
  done: (() => boolean) | undefined
  cut: (() => void) | undefined
  readonly at: number
}

export interface Deadlines {
  /**
   * bounds a lookup that starts now by the deadline: when it comes, `cut` runs unless `done()` says the
   * lookup has finished (a fiber: interrupt it; a plain exchange: cancel it and answer SERVFAIL)
   */
  readonly add: (done: () => boolean, cut: () => void) => Deadline
  /**
   * the lookup finished: its `done` and `cut` (and all a lookup's closures hold: query, answer, callbacks)
   * are let go now. Only the small entry waits in the queue for its turn; without this, every lookup of
   * the last `deadlineMs` stayed reachable until its deadline (at 15,000 misses a second and the 10 s
   * deadline, 150,000 lookups' worth of heap).
   */
  readonly release: (deadline: Deadline) => void
  /** the watcher: runs for as long as the handler lives (fork it in the handler's scope) */
  readonly watch: Effect.Effect<never>
  /** lookups waiting for their turn in the queue (finished ones included until their turn) */
  readonly size: () => number
}

export const makeDeadlines = (deadlineMs: number, now: () => number): Deadlines => {
  let queue: Array<Deadline> = []
  let head = 0
  let wake: (() => void) | undefined

  const expire = () => {
    const t = now()
    while (head < queue.length && queue[head]!.at <= t) {
      const entry = queue[head]!
      queue[head++] = undefined as unknown as Deadline
      if (entry.cut !== undefined && !entry.done!()) entry.cut()
    }
    if (head === queue.length) {
      queue = []
      head = 0
    } else if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head)
      head = 0
    }
  }

  const next: Effect.Effect<void> = Effect.suspend(() => {
    expire()
    if (head === queue.length) {
      // nothing to watch: wait for the next lookup
      return Effect.async<void>((resume) => {
        wake = () => {
          wake = undefined
          resume(Effect.void)
        }
        return Effect.sync(() => {
          wake = undefined
        })
      })
    }
    return Effect.sleep(Duration.millis(Math.max(0, queue[head]!.at - now())))
  })

  return {
    add: (done, cut) => {
      const deadline: Deadline = { done, cut, at: now() + deadlineMs }
      queue.push(deadline)
      if (wake !== undefined) wake()
      return deadline
    },
    release: (deadline) => {
      deadline.done = undefined
      deadline.cut = undefined
    },
    watch: Effect.forever(next),
    size: () => queue.length - head
  }
}
