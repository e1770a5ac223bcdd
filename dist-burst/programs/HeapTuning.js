import * as v8 from "node:v8";
/**
 * V8 settings of the serving process, applied at launch before any query code has run.
 *
 * Allocation-site pretenuring is turned off. Under load, V8 saw the per-query objects of the first
 * busy moments (parsed questions waiting on the upstream) outlive a young-generation collection and
 * from then on allocated them straight in the old generation. There they stay until a full collection,
 * holding the young objects they point to alive as well, so every scavenge copied and promoted about a
 * megabyte: scavenges took 1.5–4 ms instead of 0.5 ms, and old space grew by ~13 MB/s between full
 * collections (measured with `--trace-gc` under `dnsperf -m dot -c 10 -q 100`). A DNS server's
 * per-query objects all die young; without pretenuring they die in the nursery. The DoT p99 latency
 * in that run went from 3.4 ms to 2.0 ms.
 *
 * `NODE_OPTIONS=--allocation-site-pretenuring` (or any V8 flag given to node) is not overridden here:
 * an operator who sets the flag keeps it.
 */
export const tuneHeap = (execArgv = process.execArgv, nodeOptions = process.env["NODE_OPTIONS"]) => {
    const given = [...execArgv, ...(nodeOptions ?? "").split(/\s+/)].some((a) => /^--(no-)?allocation[-_]site[-_]pretenuring$/.test(a));
    if (!given)
        v8.setFlagsFromString("--no-allocation-site-pretenuring");
    return !given;
};
//# sourceMappingURL=HeapTuning.js.map