import { Effect } from "effect";
import * as http from "node:http";
import { Metrics } from "../services/Metrics.js";
import { ServerConfig } from "../services/ServerConfig.js";
import { TlsServerRegistry } from "../services/TlsServerRegistry.js";
/**
 * What `/ready` answers: the listeners accept, the served certificate (if any: none under TLS offload)
 * is valid and the machine is not overloaded.
 */
export declare const readiness: Effect.Effect<boolean, never, TlsServerRegistry | Metrics>;
/**
 * Plain HTTP on `HEALTH_PORT`: `GET /check` is 200 while the process runs; `GET /ready` is 200 only
 * while the listeners accept, the served certificate (if any: none under TLS offload) is valid and the machine is not overloaded, 503
 * otherwise (draining, expired, overloaded); `GET /metrics` is the Prometheus text of `readStats`.
 */
export declare const HealthServer: Effect.Effect<{
    address: import("net").AddressInfo;
}, import("../services/TlsServerRegistry.js").ListenError, ServerConfig | import("effect/Scope").Scope | import("../services/Blocklists.js").Blocklists | TlsServerRegistry | Metrics | import("../index.js").AnswerCache | import("../index.js").QueryHandler | import("../services/Admission.js").Admission>;
/**
 * The `HEALTH_PORT` HTTP server, closed with its scope: `/check` (200 while the process runs), `/ready`
 * (200 or 503 as `ready` says), `/metrics` (`metrics`' text), 404 otherwise, 405 for methods other than
 * GET and HEAD. Shared by a single process and the primary of `WORKERS=N`.
 */
export declare const healthListener: (ready: () => Promise<boolean>, metrics: () => Promise<{
    readonly text: string;
    readonly contentType: string;
}>) => Effect.Effect<http.Server<typeof http.IncomingMessage, typeof http.ServerResponse>, never, import("effect/Scope").Scope>;
