import { Effect } from "effect";
import { ClusterWorker } from "../services/ClusterWorker.js";
import { Metrics } from "../services/Metrics.js";
/**
 * A worker's side of `WORKERS=N`, in the scope of its listeners (`Serve`): every certificate the
 * primary sends is served (the `CertStore` follows, the registry calls `setSecureContext`), every stats
 * request is answered with the worker's readiness and its `/metrics` series as prom-client JSON, and
 * the primary is told once the listeners accept.
 */
export declare const WorkerLink: Effect.Effect<void, never, import("effect/Scope").Scope | ClusterWorker | import("../services/Blocklists.js").Blocklists | import("../index.js").TlsServerRegistry | Metrics | import("../index.js").AnswerCache | import("../index.js").QueryHandler | import("../services/Admission.js").Admission>;
