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

/**
 * One bounded lookup (what `add` gives, for `release`): its place in the sequence of every lookup added.
 * A number, not an object: the queue keeps three parallel arrays (deadline, `done`, `cut`), 24 bytes a
 * lookup, where an object per lookup with its boxed deadline took ~75 (at 17,500 misses a second and a
 * 10 s deadline, 175,000 lookups wait in the queue).
 */
export type Deadline = number

export interface Deadlines {
  /**
   * bounds a lookup that starts now by the deadline: when it comes, `cut` runs unless `done()` says the
   * lookup has finished (a fiber: interrupt it; a plain exchange: cancel it and answer SERVFAIL)
   */
  readonly add: (done: () => boolean, cut: () => void) => Deadline
  /**
   * the lookup finished: its `done` and `cut` (and all a lookup's closures hold: query, answer, callbacks)
   * are let go now. Only its deadline waits in the queue for its turn; without this, every lookup of
   * the last `deadlineMs` stayed reachable until its deadline (at 15,000 misses a second and the 10 s
   * deadline, 150,000 lookups' worth of heap). Releasing one already cut, or twice, does nothing.
   */
  readonly release: (deadline: Deadline) => void
  /** the watcher: runs for as long as the handler lives (fork it in the handler's scope) */
  readonly watch: Effect.Effect<never>
  /** lookups waiting for their turn in the queue (finished ones included until their turn) */
  readonly size: () => number
  /** lookups in the queue that still hold their callbacks (added, neither released nor cut yet) */
  readonly holding: () => number
}

export const makeDeadlines = (deadlineMs: number, now: () => number): Deadlines => {
  // the queue: entry i (from `head`) is the lookup numbered `base + i`
  let ats: Array<number> = []
  let dones: Array<(() => boolean) | undefined> = []
  let cuts: Array<(() => void) | undefined> = []
  let head = 0
  let base = 0
  let holding = 0
  let wake: (() => void) | undefined

  const expire = () => {
    const t = now()
    while (head < ats.length && ats[head]! <= t) {
      const done = dones[head]
      const cut = cuts[head]
      dones[head] = undefined
      cuts[head] = undefined
      head++
      if (cut !== undefined) {
        holding--
        if (!done!()) cut()
      }
    }
    if (head === ats.length) {
      base += head
      ats = []
      dones = []
      cuts = []
      head = 0
    } else if (head > 1024 && head * 2 > ats.length) {
      base += head
      ats = ats.slice(head)
      dones = dones.slice(head)
      cuts = cuts.slice(head)
      head = 0
    }
  }

  const next: Effect.Effect<void> = Effect.suspend(() => {
    expire()
    if (head === ats.length) {
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
    return Effect.sleep(Duration.millis(Math.max(0, ats[head]! - now())))
  })

  return {
    add: (done, cut) => {
      const ticket = base + ats.length
      ats.push(now() + deadlineMs)
      dones.push(done)
      cuts.push(cut)
      holding++
      if (wake !== undefined) wake()
      return ticket
    },
    release: (deadline) => {
      const i = deadline - base
      if (i < head || i >= ats.length || cuts[i] === undefined) return
      dones[i] = undefined
      cuts[i] = undefined
      holding--
    },
    watch: Effect.forever(next),
    size: () => ats.length - head,
    holding: () => holding
  }
}
