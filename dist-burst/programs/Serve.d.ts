import { Effect } from "effect";
import { CertStore } from "../services/CertStore.js";
import { QueryHandler } from "../services/QueryHandler.js";
import { ServerConfig } from "../services/ServerConfig.js";
import { TlsServerRegistry } from "../services/TlsServerRegistry.js";
/**
 * Normal mode: the health, DoT and DoH listeners in one scope, and the graceful shutdown that closing
 * that scope performs (SPEC.md §3): stop accepting (`/ready` turns 503), let in-flight queries finish
 * within `SHUTDOWN_TIMEOUT_MS`, end every connection, destroy what is left.
 */
export declare const Serve: Effect.Effect<void, import("../services/TlsServerRegistry.js").ListenError, ServerConfig | import("effect/Scope").Scope | import("../index.js").CertFetcher | CertStore | import("../services/Blocklists.js").Blocklists | import("../index.js").TlsSessions | TlsServerRegistry | import("../index.js").SystemLoad | import("../index.js").Metrics | import("../index.js").AnswerCache | QueryHandler | import("../services/Admission.js").Admission>;
/**
 * TLS offload mode (SPEC.md §2 `TLS_OFFLOAD`): health, cleartext DoT and cleartext DoH (HTTP/1.1 and
 * h2c) with the same graceful shutdown as `Serve`; no TLS listener, no certificate, no renewal or
 * ticket rotation (nothing here asks for `CertStore` or `TlsSessions`).
 */
export declare const ServeOffload: Effect.Effect<void, import("../services/TlsServerRegistry.js").ListenError, ServerConfig | import("effect/Scope").Scope | import("../services/Blocklists.js").Blocklists | TlsServerRegistry | import("../index.js").SystemLoad | import("../index.js").Metrics | import("../index.js").AnswerCache | QueryHandler | import("../services/Admission.js").Admission>;
