import { Context, Effect, Layer } from "effect";
/** One reading of the machine's load (what the adaptive connection limit of PROTOCOLS.md §4 reads). */
export interface LoadSample {
    /** 1, 5 and 15 minute load averages */
    readonly loadavg: readonly [number, number, number];
    /** logical CPUs */
    readonly cpus: number;
    /** free memory, bytes */
    readonly freeMem: number;
    /** total memory, bytes */
    readonly totalMem: number;
}
export interface SystemLoadShape {
    readonly sample: Effect.Effect<LoadSample>;
}
/** A `SystemLoad` a test drives: `set` changes what the next `sample` returns. */
export interface SystemLoadTestShape extends SystemLoadShape {
    readonly set: (next: Partial<LoadSample>) => Effect.Effect<void>;
}
declare const SystemLoad_base: Context.TagClass<SystemLoad, "vigil/SystemLoad", SystemLoadShape>;
/**
 * The port to the machine's load: `SystemLoadLive` reads `node:os`; `SystemLoad.layer(values)` always
 * returns the same values; `SystemLoad.makeTest(initial)` gives one whose values a test changes.
 */
export declare class SystemLoad extends SystemLoad_base {
    /** A load that never changes. */
    static readonly layer: (values: LoadSample) => Layer.Layer<SystemLoad>;
    /** A load backed by a `Ref`: provide it with `Layer.succeed(SystemLoad, test)` and call `test.set`. */
    static readonly makeTest: (initial?: LoadSample) => Effect.Effect<SystemLoadTestShape>;
}
/** An idle 4-CPU machine with 8 GiB, half of it free: the limit stays at `MAXCONNS`. */
export declare const IDLE: LoadSample;
/** The machine's load from `node:os`. */
export declare const SystemLoadLive: Layer.Layer<SystemLoad>;
export {};
