import { Context, Duration, Effect, Schedule } from "effect";
import { Metrics } from "../services/Metrics.js";
import { ServerConfig } from "../services/ServerConfig.js";
import { SystemLoad } from "../services/SystemLoad.js";
import { TlsServerRegistry } from "../services/TlsServerRegistry.js";
/** How often the load is sampled and the limit applied (PROTOCOLS.md §4). */
export const LIMIT_PERIOD = Duration.seconds(5);
/**
 * The sampling period in use: `LIMIT_PERIOD` unless provided. An infinite period turns the loop off (the
 * initial `MAXCONNS` still applies): a whole-app test that moves the TestClock by days would otherwise
 * wake it every 5 s of those days.
 */
export class LimitPeriod extends Context.Reference()("vigil/ConnectionLimit/Period", {
    defaultValue: () => LIMIT_PERIOD
}) {
}
/** The lowest limit: `⌊MINCONNS / 2⌋`, at least 1. */
export const floorOf = (bounds) => Math.max(1, Math.floor(bounds.minConns / 2));
/**
 * The adaptive connection limit of PROTOCOLS.md §4 for one load sample, given the pressure `adj` carried
 * from the previous sample (0 at start). Overloaded (adj > 72, or free memory below 2.5 %) serves at the
 * floor, `⌊MINCONNS / 2⌋`, where the original stopped the process.
 */
export const limitFor = (sample, bounds, adj = 0) => {
    const cpus = Math.max(1, sample.cpus);
    const avg1 = Math.floor((sample.loadavg[0] * 100) / cpus);
    const avg5 = Math.floor((sample.loadavg[1] * 100) / cpus);
    const lowRam = sample.freeMem < sample.totalMem * 0.1;
    const veryLowRam = sample.freeMem < sample.totalMem * 0.025;
    const { maxConns, minConns } = bounds;
    const share = (f) => Math.max(Math.floor(f * maxConns), minConns);
    let pressure = adj;
    if (avg5 > 90)
        pressure += 3;
    else if (avg1 > 100)
        pressure += 2;
    else if (avg1 > avg5)
        pressure += 1;
    let limit;
    if (avg1 > 100)
        limit = minConns;
    else if (avg1 > 90 || avg5 > 80 || lowRam)
        limit = share(0.2);
    else if (avg1 > 80 || avg5 > 75)
        limit = share(0.4);
    else if (avg1 > 70)
        limit = share(0.6);
    else {
        limit = maxConns;
        pressure = Math.floor(pressure * 0.75);
    }
    const overloaded = pressure > 72 || veryLowRam;
    if (pressure > 48 || overloaded)
        limit = floorOf(bounds);
    return { limit: Math.max(1, limit), adj: pressure, overloaded, avg1, avg5, lowRam, veryLowRam };
};
const describeLoad = (s, d) => `load ${d.avg1} % (1 min) / ${d.avg5} % (5 min) of ${s.cpus} CPUs, ` +
    `${Math.round((s.freeMem / Math.max(1, s.totalMem)) * 100)} % memory free, pressure ${d.adj}`;
/**
 * Applies `MAXCONNS` to every listener now, then forks (in the caller's scope) a loop that every
 * `LimitPeriod` (5 s) of Effect's `Clock` samples `SystemLoad`, computes `limitFor` and sets `maxConnections`
 * on every tracked server; connections refused by it are the registry's `dropped`. The state goes to
 * `Metrics` (`/metrics`, heartbeat; `/ready` is 503 while overloaded).
 */
export const ConnectionLimit = Effect.gen(function* () {
    const config = yield* ServerConfig;
    const registry = yield* TlsServerRegistry;
    const load = yield* SystemLoad;
    const metrics = yield* Metrics;
    const bounds = { maxConns: config.maxConns, minConns: config.minConns };
    const apply = (limit) => Effect.map(registry.servers, (servers) => {
        for (const s of servers)
            s.server.maxConnections = limit;
    });
    const tick = Effect.gen(function* () {
        const sample = yield* load.sample;
        const before = metrics.limit();
        const d = limitFor(sample, bounds, before.adj);
        yield* apply(d.limit);
        metrics.setLimit({ limit: d.limit, adj: d.adj, overloaded: d.overloaded, sample });
        if (d.overloaded && !before.overloaded) {
            yield* Effect.logError(`overloaded (${describeLoad(sample, d)}): /ready reports not ready; serving at most ${d.limit} connections`);
        }
        else if (!d.overloaded && before.overloaded) {
            yield* Effect.logInfo(`no longer overloaded (${describeLoad(sample, d)}); connection limit ${d.limit}`);
        }
        else if (d.limit !== before.limit) {
            yield* Effect.logInfo(`connection limit ${before.limit} -> ${d.limit} (${describeLoad(sample, d)})`);
        }
    });
    yield* apply(bounds.maxConns);
    metrics.setLimit({ limit: bounds.maxConns, adj: 0, overloaded: false, sample: undefined });
    const period = yield* LimitPeriod;
    if (Duration.isFinite(period))
        yield* Effect.forkScoped(Effect.schedule(tick, Schedule.spaced(period)));
}).pipe(Effect.annotateLogs({ service: "ConnectionLimit" }));
//# sourceMappingURL=ConnectionLimit.js.map