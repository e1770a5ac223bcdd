import { Clock, Effect, Option } from "effect";
import { Admission } from "../services/Admission.js";
import { AnswerCache } from "../services/AnswerCache.js";
import { Blocklists } from "../services/Blocklists.js";
import { CertStore } from "../services/CertStore.js";
import { Metrics } from "../services/Metrics.js";
import { QueryHandler } from "../services/QueryHandler.js";
import { TlsServerRegistry } from "../services/TlsServerRegistry.js";
import { snapshotTlsSessionStats } from "../services/TlsSessions.js";
import { dohStats } from "./DohServer.js";
import { dotBadInput } from "./DotServer.js";
import { proxyAccepted, proxyRefused } from "./DotServer/ProxyListener.js";
/** Reads every counter once; nothing here runs on the query path. */
export const readStats = Effect.gen(function* () {
    const handler = yield* QueryHandler;
    const cache = yield* AnswerCache;
    const blocklists = yield* Blocklists;
    const admission = yield* Admission;
    const registry = yield* TlsServerRegistry;
    const metrics = yield* Metrics;
    const certs = yield* Effect.serviceOption(CertStore);
    const at = yield* Clock.currentTimeMillis;
    const cert = Option.isSome(certs) ? yield* certs.value.current : undefined;
    const servers = yield* registry.servers;
    const byKind = new Map();
    for (const s of servers) {
        const c = byKind.get(s.kind) ?? { kind: s.kind, open: 0, opened: 0, dropped: 0, timedOut: 0, tlsErrors: 0 };
        c.open += s.connections.size;
        c.opened += s.counters.opened;
        c.dropped += s.counters.dropped;
        c.timedOut += s.counters.timedOut;
        c.tlsErrors += s.counters.tlsErrors;
        byKind.set(s.kind, c);
    }
    const stats = {
        at,
        startedAt: metrics.startedAt,
        uptimeSeconds: Math.max(0, (at - metrics.startedAt) / 1000),
        queries: handler.stats(),
        inFlight: handler.inFlight(),
        answers: handler.answers(),
        cache: { ...cache.stats(), size: cache.size() },
        upstream: metrics.upstream(),
        connections: [...byKind.values()],
        limit: metrics.limit(),
        tls: snapshotTlsSessionStats(),
        certificate: Option.isSome(certs) && cert !== undefined
            ? {
                ...certs.value.stats(),
                notAfter: cert.notAfter,
                secondsLeft: Math.floor((cert.notAfter.getTime() - at) / 1000)
            }
            : undefined,
        doh: { ...dohStats, status: { ...dohStats.status }, rejected: { ...dohStats.rejected } },
        dot: { ...dotBadInput },
        dotProxy: { accepted: { ...proxyAccepted }, refused: { ...proxyRefused } },
        admission: admission.read(),
        blocklists: (() => {
            const r = blocklists.read();
            return { ...r, stats: { ...r.stats, blockedByList: [...r.stats.blockedByList] } };
        })(),
        rssBytes: process.memoryUsage.rss()
    };
    return stats;
});
//# sourceMappingURL=Stats.js.map