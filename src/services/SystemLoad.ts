import { Context, Effect, Layer, Ref } from "effect"
import * as os from "node:os"

/** One reading of the machine's load (what the adaptive connection limit of PROTOCOLS.md §4 reads). */
export interface LoadSample {
  /** 1, 5 and 15 minute load averages */
  readonly loadavg: readonly [number, number, number]
  /** logical CPUs */
  readonly cpus: number
  /** free memory, bytes */
  readonly freeMem: number
  /** total memory, bytes */
  readonly totalMem: number
}

export interface SystemLoadShape {
  readonly sample: Effect.Effect<LoadSample>
}

/** A `SystemLoad` a test drives: `set` changes what the next `sample` returns. */
export interface SystemLoadTestShape extends SystemLoadShape {
  readonly set: (next: Partial<LoadSample>) => Effect.Effect<void>
}

/**
 * The port to the machine's load: `SystemLoadLive` reads `node:os`; `SystemLoad.layer(values)` always
 * returns the same values; `SystemLoad.makeTest(initial)` gives one whose values a test changes.
 */
export class SystemLoad extends Context.Tag("vigil/SystemLoad")<SystemLoad, SystemLoadShape>() {
  /** A load that never changes. */
  static readonly layer = (values: LoadSample): Layer.Layer<SystemLoad> =>
    Layer.succeed(SystemLoad, { sample: Effect.succeed(values) })

  /** A load backed by a `Ref`: provide it with `Layer.succeed(SystemLoad, test)` and call `test.set`. */
  static readonly makeTest = (initial: LoadSample = IDLE): Effect.Effect<SystemLoadTestShape> =>
    Effect.map(Ref.make(initial), (ref) => ({
      sample: Ref.get(ref),
      set: (next) => Ref.update(ref, (s) => ({ ...s, ...next }))
    }))
}

/** An idle 4-CPU machine with 8 GiB, half of it free: the limit stays at `MAXCONNS`. */
export const IDLE: LoadSample = {
  loadavg: [0, 0, 0],
  cpus: 4,
  freeMem: 4 * 2 ** 30,
  totalMem: 8 * 2 ** 30
}

const cpuCount = (): number => Math.max(1, os.availableParallelism())

/** The machine's load from `node:os`. */
export const SystemLoadLive: Layer.Layer<SystemLoad> = Layer.sync(SystemLoad, () => {
  const cpus = cpuCount()
  return {
    sample: Effect.sync((): LoadSample => {
      const [n1 = 0, n5 = 0, n15 = 0] = os.loadavg()
      return { loadavg: [n1, n5, n15], cpus, freeMem: os.freemem(), totalMem: os.totalmem() }
    })
  }
})
