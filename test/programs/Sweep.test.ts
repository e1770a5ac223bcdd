import { describe, expect, it } from "@effect/vitest"
import { makeSweeper, sweepEvery } from "../../src/programs/DohServer/Sweep.js"

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe("Sweep: one timeout sweep per DoH transport", () => {
  it("wakes a quarter of the timeout, within 25 ms – 1 s", () => {
    expect([sweepEvery(40), sweepEvery(400), sweepEvery(2000), sweepEvery(60_000)]).toEqual([25, 100, 500, 1000])
  })

  it("visits while there are connections, stops by itself when there are none, and starts again", async () => {
    let open = 1
    let visits = 0
    const sweeper = makeSweeper(100, () => open, () => visits++)
    sweeper.start()
    sweeper.start() // a second start while awake adds no second timer
    await wait(140)
    // about 5 visits at 25 ms; two timers would have made about 10
    expect(visits).toBeGreaterThanOrEqual(2)
    expect(visits).toBeLessThanOrEqual(7)
    open = 0
    await wait(150) // the next wake-up finds no connection and stops the timer
    const stopped = visits
    open = 1
    await wait(100)
    expect(visits).toBe(stopped)
    sweeper.start()
    await wait(80)
    expect(visits).toBeGreaterThan(stopped)
    sweeper.stop()
    const after = visits
    await wait(60)
    expect(visits).toBe(after)
  })
})
