import { Effect, Option, Stream } from "effect";
import { CertStore } from "../services/CertStore.js";
import { ClusterWorker } from "../services/ClusterWorker.js";
import { Metrics } from "../services/Metrics.js";
import { readiness } from "./HealthServer.js";
import { makeExposition } from "./HealthServer/Prometheus.js";
import { readStats } from "./Stats.js";
/**
 * A worker's side of `WORKERS=N`, in the scope of its listeners (`Serve`): every certificate the
 * primary sends is served (the `CertStore` follows, the registry calls `setSecureContext`), every stats
 * request is answered with the worker's readiness and its `/metrics` series as prom-client JSON, and
 * the primary is told once the listeners accept.
 */
export const WorkerLink = Effect.gen(function* () {
    const worker = yield* ClusterWorker;
    const certs = yield* Effect.serviceOption(CertStore);
    const metrics = yield* Metrics;
    const exposition = makeExposition(metrics.upstreamLatency);
    if (Option.isSome(certs)) {
        yield* worker.certs.pipe(Stream.runForEach(certs.value.adopt), Effect.forkScoped);
    }
    const report = (id) => Effect.gen(function* () {
        const stats = yield* readStats;
        const ready = yield* readiness;
        const json = yield* Effect.promise(() => exposition.json(stats));
        yield* worker.send({
            type: "vigil:stats",
            id,
            report: {
                ready,
                queries: stats.queries.queries,
                openConnections: stats.connections.reduce((n, c) => n + c.open, 0),
                metrics: json
            }
        });
    });
    yield* worker.statsRequests.pipe(Stream.runForEach(report), Effect.forkScoped);
    yield* worker.send({ type: "vigil:listening" });
}).pipe(Effect.annotateLogs({ service: "WorkerLink" }));
//# sourceMappingURL=WorkerLink.js.map