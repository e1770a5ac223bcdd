import { Context, Duration, Effect, Schedule } from "effect";
import { readStats } from "./Stats.js";
/** How often the heartbeat line is logged. */
export const HEARTBEAT_INTERVAL = Duration.minutes(1);
/** The interval in use: `HEARTBEAT_INTERVAL` unless provided; infinite turns the heartbeat off. */
export class HeartbeatInterval extends Context.Reference()("vigil/Heartbeat/Interval", {
    defaultValue: () => HEARTBEAT_INTERVAL
}) {
}
const percent = (part, whole) => (whole > 0 ? `${((part / whole) * 100).toFixed(1)} %` : "-");
const sum = (values) => {
    let n = 0;
    for (const v of values)
        n += v;
    return n;
};
/** The heartbeat's one line: connections, queries, cache, upstream, limit, TLS, certificate. */
export const heartbeatLine = (s) => {
    const open = sum(s.connections.map((c) => c.open));
    const perKind = s.connections.map((c) => `${c.kind} ${c.open}`).join(", ");
    const conns = `connections ${open} open (${perKind}), ${sum(s.connections.map((c) => c.opened))} opened, ` +
        `${sum(s.connections.map((c) => c.dropped))} dropped, ${sum(s.connections.map((c) => c.timedOut))} timed out, ` +
        `${sum(s.connections.map((c) => c.tlsErrors))} TLS errors`;
    const lookups = s.cache.hits + s.cache.misses;
    const queries = `queries ${s.queries.queries} (${s.inFlight} in flight), cache hits ${s.cache.hits} ` +
        `(${percent(s.cache.hits, lookups)}), servfail ${s.queries.servfail}`;
    const errors = sum(Object.values(s.upstream.errors));
    const avg = s.upstream.answered > 0
        ? ` avg ${Math.round((s.upstream.latencySum / s.upstream.answered) * 1000)} ms`
        : "";
    const upstream = `upstream ${s.queries.upstreamQueries} (errors ${errors}${avg})`;
    const limit = `limit ${s.limit.limit} (pressure ${s.limit.adj}${s.limit.overloaded ? ", OVERLOADED" : ""})`;
    const h = s.tls;
    const tls = `handshakes ${h.fullHandshakes} full, resumed ${h.resumed.ticket} ticket / ` +
        `${h.resumed.sessionId} session id / ${h.resumed.psk} PSK`;
    const c = s.certificate;
    const cert = c === undefined
        ? "no certificate (TLS offload)"
        : `certificate expires in ${Duration.format(Duration.seconds(Math.max(0, c.secondsLeft)))}` +
            ` (${c.renewals} renewals, ${c.renewalFailures} failures)`;
    return `heartbeat: ${conns}; ${queries}; ${upstream}; ${limit}; ${tls}; ${cert}`;
};
/** Every `HeartbeatInterval` (1 min) of Effect's `Clock`, an info line with the counters (SPEC.md §5). */
export const Heartbeat = Effect.flatMap(HeartbeatInterval, (interval) => Duration.isFinite(interval)
    ? Effect.schedule(Effect.flatMap(readStats, (s) => Effect.logInfo(heartbeatLine(s))), Schedule.spaced(interval))
    : Effect.void).pipe(Effect.annotateLogs({ service: "Heartbeat" }));
//# sourceMappingURL=Heartbeat.js.map