import { Effect, FiberSet, Option } from "effect";
import * as http from "node:http";
import { CertStore } from "../services/CertStore.js";
import { Metrics } from "../services/Metrics.js";
import { ServerConfig } from "../services/ServerConfig.js";
import { listen, TlsServerRegistry } from "../services/TlsServerRegistry.js";
import { makeExposition } from "./HealthServer/Prometheus.js";
import { readStats } from "./Stats.js";
/**
 * What `/ready` answers: the listeners accept, the served certificate (if any: none under TLS offload)
 * is valid and the machine is not overloaded.
 */
export const readiness = Effect.gen(function* () {
    const registry = yield* TlsServerRegistry;
    const certs = yield* Effect.serviceOption(CertStore);
    const metrics = yield* Metrics;
    const accepting = yield* registry.accepting;
    const valid = Option.isSome(certs) ? yield* certs.value.isValid : true;
    return accepting && valid && !(yield* metrics.overloaded);
});
/**
 * Plain HTTP on `HEALTH_PORT`: `GET /check` is 200 while the process runs; `GET /ready` is 200 only
 * while the listeners accept, the served certificate (if any: none under TLS offload) is valid and the machine is not overloaded, 503
 * otherwise (draining, expired, overloaded); `GET /metrics` is the Prometheus text of `readStats`.
 */
export const HealthServer = Effect.gen(function* () {
    const config = yield* ServerConfig;
    const metrics = yield* Metrics;
    const run = yield* FiberSet.makeRuntimePromise();
    const exposition = makeExposition(metrics.upstreamLatency);
    const server = yield* healthListener(() => run(readiness), () => run(readStats).then(exposition.render).then((text) => ({ text, contentType: exposition.contentType })));
    server.keepAliveTimeout = 5_000;
    const address = yield* listen("health", server, config.listenHost, config.healthPort, config.tcpBacklog);
    return { address };
});
/**
 * The `HEALTH_PORT` HTTP server, closed with its scope: `/check` (200 while the process runs), `/ready`
 * (200 or 503 as `ready` says), `/metrics` (`metrics`' text), 404 otherwise, 405 for methods other than
 * GET and HEAD. Shared by a single process and the primary of `WORKERS=N`.
 */
export const healthListener = (ready, metrics) => Effect.acquireRelease(Effect.sync(() => http.createServer((req, res) => {
    const send = (status, body, type = "text/plain; charset=utf-8") => {
        res.writeHead(status, {
            "content-type": type,
            "content-length": Buffer.byteLength(body),
            "cache-control": "no-store"
        });
        res.end(body);
    };
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD")
        return send(405, "method not allowed\n");
    if (path === "/check")
        return send(200, "ok\n");
    if (path === "/ready") {
        ready().then((ok) => send(ok ? 200 : 503, ok ? "ready\n" : "not ready\n"), () => send(503, "not ready\n"));
        return;
    }
    if (path === "/metrics") {
        metrics().then((m) => send(200, m.text, m.contentType), () => send(500, "metrics unavailable\n"));
        return;
    }
    send(404, "not found\n");
})), (server) => Effect.sync(() => {
    server.close();
    server.closeAllConnections();
}));
//# sourceMappingURL=HealthServer.js.map