import { Duration, Effect, Option } from "effect";
import type { CertStore } from "../services/CertStore.js";
import { ServerConfig } from "../services/ServerConfig.js";
/** A worker that lived this long before it died restarts after the shortest delay again. */
export declare const WORKER_STABLE: Duration.Duration;
/** How long the primary waits for a worker's stats before leaving it out of `/ready` and `/metrics`. */
export declare const STATS_TIMEOUT: Duration.Duration;
/** Added to `SHUTDOWN_TIMEOUT_MS` for the workers' drain (close grace, exit) before they are killed. */
export declare const SHUTDOWN_MARGIN: Duration.Duration;
/** The delay before restarting a worker after `failures` quick exits in a row: 250 ms doubling, at most 30 s. */
export declare const restartDelay: (failures: number) => Duration.Duration;
declare const WorkerStartError_base: new <A extends Record<string, any> = {}>(args: import("effect/Types").VoidIfEmpty<{ readonly [P in keyof A as P extends "_tag" ? never : P]: A[P]; }>) => import("effect/Cause").YieldableError & {
    readonly _tag: "WorkerStartError";
} & Readonly<A>;
/** A worker that exited before it listened, during start-up: the server does not start. */
export declare class WorkerStartError extends WorkerStartError_base<{
    readonly slot: number;
    readonly detail: string;
}> {
    constructor(args: {
        readonly slot: number;
        readonly detail: string;
    });
    get message(): string;
}
/**
 * The primary process of `WORKERS=N` (node:cluster; normal and offload modes): N workers share the
 * ports and serve; the primary owns what must happen once per host and hands it over IPC:
 * - the ticket-key seed: without TOP_SECRET_512_B64/TLS_PSK, one random seed for every worker (and every
 *   restarted one), so that a session resumes on any worker;
 * - the certificate (`certs`: its store, renewed by `CertRenewal` in the primary): every worker gets the
 *   current one before it listens and each new one when it is accepted;
 * - the first download of URL blocklists into `DATA_DIR`, which the workers then load as stored copies;
 * - `HEALTH_PORT`: `/check`, `/ready` (every listening worker ready) and `/metrics` (the workers' series
 *   aggregated into one view, plus `vigil_worker_*` series per worker).
 * A worker that dies is restarted with backoff; on interruption (SIGTERM/SIGINT) every worker drains as
 * a single process would and the primary waits for all of them (`SHUTDOWN_TIMEOUT_MS` + a margin).
 */
export declare const runPrimary: (certs: Option.Option<CertStore>) => Effect.Effect<never, import("../services/TlsServerRegistry.js").ListenError | WorkerStartError, ServerConfig | import("effect/Scope").Scope>;
export {};
