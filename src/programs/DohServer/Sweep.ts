/**
 * The timeouts of a DoH transport (an unfinished request, an idle connection, a stream waiting for its
 * body) are checked by one sweep per transport, not by a timer per connection or stream. A real timer only
 * wakes the sweep; what is overdue is decided by `env.now`, Effect's Clock, so a `TestClock` (or any clock
 * the transport is given) governs the timeouts. The timer runs only while the transport has connections.
 */
export interface Sweeper {
  /** wakes the sweep from now on (a new connection); nothing if it is already awake */
  readonly start: () => void
  readonly stop: () => void
}

/** How often the sweep wakes for a timeout of `idleMs`: a quarter of it, within 25 ms – 1 s. */
export const sweepEvery = (idleMs: number) => Math.min(Math.max(Math.floor(idleMs / 4), 25), 1000)

/** `visit` every `sweepEvery(idleMs)` while `open()` is above zero. */
export const makeSweeper = (idleMs: number, open: () => number, visit: () => void): Sweeper => {
  let timer: ReturnType<typeof setInterval> | undefined
  const stop = () => {
    if (timer !== undefined) clearInterval(timer)
    timer = undefined
  }
  const tick = () => {
    if (open() === 0) stop()
    else visit()
  }
  return {
    start: () => {
      if (timer !== undefined) return
      timer = setInterval(tick, sweepEvery(idleMs))
      timer.unref()
    },
    stop
  }
}
