import { Clock, Duration, Effect, Option, Schedule } from "effect";
import * as path from "node:path";
import { CertStore } from "../services/CertStore.js";
import { ClusterWorker } from "../services/ClusterWorker.js";
import { QueryHandler } from "../services/QueryHandler.js";
import { ServerConfig } from "../services/ServerConfig.js";
import { formatAddress, TlsServerRegistry } from "../services/TlsServerRegistry.js";
import { CertRenewal } from "./CertRenewal.js";
import { DohCleartextServer, DotCleartextServer } from "./Cleartext.js";
import { ConnectionLimit } from "./ConnectionLimit.js";
import { DohServer } from "./DohServer.js";
import { DotServer } from "./DotServer.js";
import { HealthServer } from "./HealthServer.js";
import { Heartbeat } from "./Heartbeat.js";
import { WorkerLink } from "./WorkerLink.js";
/** How long connections get to close by themselves at the end of a shutdown before they are destroyed. */
const CLOSE_GRACE = Duration.seconds(1);
/**
 * Normal mode: the health, DoT and DoH listeners in one scope, and the graceful shutdown that closing
 * that scope performs (SPEC.md §3): stop accepting (`/ready` turns 503), let in-flight queries finish
 * within `SHUTDOWN_TIMEOUT_MS`, end every connection, destroy what is left.
 */
export const Serve = Effect.gen(function* () {
    const config = yield* ServerConfig;
    const certs = yield* CertStore;
    // a worker of WORKERS=N: the primary serves health and renews the certificate
    const worker = yield* Effect.serviceOption(ClusterWorker);
    const health = Option.isNone(worker) ? yield* HealthServer : undefined;
    const dot = yield* DotServer;
    const doh = yield* DohServer;
    yield* startServing(doh.drain);
    if (Option.isSome(worker))
        yield* WorkerLink.pipe(Effect.provideService(ClusterWorker, worker.value));
    else
        yield* Effect.forkScoped(CertRenewal);
    yield* Effect.logInfo(`listening: DoT ${formatAddress(dot.address)}, DoH ${formatAddress(doh.address)}${health === undefined ? "" : `, health ${formatAddress(health.address)}`}${workerSuffix(worker)}`);
    if (Option.isNone(worker) || worker.value.slot === 1) {
        const cert = yield* certs.current;
        yield* Effect.logInfo(tryItCommands(dot.address, doh.address, cert.source.startsWith("self-signed") ? config.dataDir : undefined));
    }
}).pipe(Effect.annotateLogs({ service: "Serve" }));
const workerSuffix = (worker) => Option.isSome(worker) ? ` (worker ${worker.value.slot}, pid ${process.pid})` : "";
/**
 * TLS offload mode (SPEC.md §2 `TLS_OFFLOAD`): health, cleartext DoT and cleartext DoH (HTTP/1.1 and
 * h2c) with the same graceful shutdown as `Serve`; no TLS listener, no certificate, no renewal or
 * ticket rotation (nothing here asks for `CertStore` or `TlsSessions`).
 */
export const ServeOffload = Effect.gen(function* () {
    const worker = yield* Effect.serviceOption(ClusterWorker);
    const health = Option.isNone(worker) ? yield* HealthServer : undefined;
    const dot = yield* DotCleartextServer;
    const doh = yield* DohCleartextServer;
    yield* startServing(doh.drain);
    if (Option.isSome(worker))
        yield* WorkerLink.pipe(Effect.provideService(ClusterWorker, worker.value));
    yield* Effect.logInfo(`listening (TLS offload, cleartext): DoT ${formatAddress(dot.address)}, DoH ${formatAddress(doh.address)} (HTTP/1.1 and h2c)${health === undefined ? "" : `, health ${formatAddress(health.address)}`}${workerSuffix(worker)}`);
}).pipe(Effect.annotateLogs({ service: "Serve" }));
/** Accepting, the connection limit (now, then every 5 s), the heartbeat (every minute), the drain on close. */
const startServing = (dohDrain) => Effect.gen(function* () {
    const registry = yield* TlsServerRegistry;
    yield* Effect.addFinalizer(() => drainWith(dohDrain));
    yield* registry.markAccepting;
    yield* ConnectionLimit;
    yield* Effect.forkScoped(Heartbeat);
});
const drainWith = (dohDrain) => Effect.gen(function* () {
    const config = yield* ServerConfig;
    const registry = yield* TlsServerRegistry;
    const handler = yield* QueryHandler;
    const started = yield* Clock.currentTimeMillis;
    yield* Effect.logInfo(`shutting down: ${handler.inFlight()} queries in flight, ${yield* registry.openConnections} connections open`);
    yield* registry.stopAccepting;
    // HTTP/2 clients get GOAWAY now, HTTP/1.1 keep-alive connections `Connection: close`
    yield* dohDrain;
    const drained = yield* Effect.sync(() => handler.inFlight()).pipe(Effect.repeat({ schedule: Schedule.spaced("20 millis"), until: (n) => n === 0 }), 
    // a finalizer runs uninterruptibly: without this the timeout could never cut the wait short
    Effect.interruptible, Effect.timeout(config.shutdownTimeout), Effect.option);
    const left = handler.inFlight();
    if (drained._tag === "None" || left > 0) {
        yield* Effect.logWarning(`shutdown timeout: ${left} queries still in flight are dropped`);
    }
    yield* registry.endConnections;
    yield* registry.openConnections.pipe(Effect.repeat({ schedule: Schedule.spaced("20 millis"), until: (n) => n === 0 }), 
    // a finalizer runs uninterruptibly: without this the timeout could never cut the wait short
    Effect.interruptible, Effect.timeout(CLOSE_GRACE), Effect.ignore);
    const destroyed = yield* registry.closeConnections;
    yield* Effect.logInfo(`stopped after ${(yield* Clock.currentTimeMillis) - started} ms${destroyed > 0 ? `, ${destroyed} connections destroyed` : ""}`);
}).pipe(Effect.annotateLogs({ service: "Serve" }));
const hostFor = (a) => a.address === "::" || a.address === "0.0.0.0" ? "127.0.0.1" : a.family === "IPv6" ? `[${a.address}]` : a.address;
/** Ready-to-paste commands for trying the server. */
const tryItCommands = (dot, doh, selfSignedDir) => {
    const ca = selfSignedDir === undefined
        ? ""
        : ` +tls-ca=${path.resolve(selfSignedDir, "selfsigned.crt")} +tls-hostname=localhost`;
    const cacert = selfSignedDir === undefined ? "" : ` --cacert ${path.resolve(selfSignedDir, "selfsigned.crt")}`;
    const dohHost = selfSignedDir === undefined ? hostFor(doh) : "localhost";
    // "example.com. IN A" with ID 0, RD set
    const q = "AAABAAABAAAAAAAAB2V4YW1wbGUDY29tAAABAAE";
    return [
        "try it:",
        `  kdig @${hostFor(dot)} -p ${dot.port} +tls${ca} example.com`,
        `  kdig @${hostFor(doh)} -p ${doh.port} +https${ca} example.com`,
        `  curl -s${cacert} -H 'accept: application/dns-message' 'https://${dohHost}:${doh.port}/dns-query?dns=${q}' | od -A d -t x1`
    ].join("\n");
};
//# sourceMappingURL=Serve.js.map