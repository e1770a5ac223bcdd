import { Context, Effect, Layer, Ref } from "effect";
import * as os from "node:os";
/**
 * The port to the machine's load: `SystemLoadLive` reads `node:os`; `SystemLoad.layer(values)` always
 * returns the same values; `SystemLoad.makeTest(initial)` gives one whose values a test changes.
 */
export class SystemLoad extends Context.Tag("vigil/SystemLoad")() {
    /** A load that never changes. */
    static layer = (values) => Layer.succeed(SystemLoad, { sample: Effect.succeed(values) });
    /** A load backed by a `Ref`: provide it with `Layer.succeed(SystemLoad, test)` and call `test.set`. */
    static makeTest = (initial = IDLE) => Effect.map(Ref.make(initial), (ref) => ({
        sample: Ref.get(ref),
        set: (next) => Ref.update(ref, (s) => ({ ...s, ...next }))
    }));
}
/** An idle 4-CPU machine with 8 GiB, half of it free: the limit stays at `MAXCONNS`. */
export const IDLE = {
    loadavg: [0, 0, 0],
    cpus: 4,
    freeMem: 4 * 2 ** 30,
    totalMem: 8 * 2 ** 30
};
const cpuCount = () => Math.max(1, os.availableParallelism());
/** The machine's load from `node:os`. */
export const SystemLoadLive = Layer.sync(SystemLoad, () => {
    const cpus = cpuCount();
    return {
        sample: Effect.sync(() => {
            const [n1 = 0, n5 = 0, n15 = 0] = os.loadavg();
            return { loadavg: [n1, n5, n15], cpus, freeMem: os.freemem(), totalMem: os.totalmem() };
        })
    };
});
//# sourceMappingURL=SystemLoad.js.map