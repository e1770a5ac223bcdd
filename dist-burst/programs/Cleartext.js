import { Duration, Effect, FiberSet, LogLevel } from "effect";
import * as net from "node:net";
import { Admission } from "../services/Admission.js";
import { Blocklists } from "../services/Blocklists.js";
import { QueryHandler } from "../services/QueryHandler.js";
import { ServerConfig } from "../services/ServerConfig.js";
import { listen, TlsServerRegistry } from "../services/TlsServerRegistry.js";
import { dohStats, listenAndDrain } from "./DohServer.js";
import { makeFastH1 } from "./DohServer/H1.js";
import { makeFastH2 } from "./DohServer/H2.js";
import { admitQuery, serveDotConnection } from "./DotServer/Connection.js";
/** The HTTP/2 connection preface (RFC 9113 §3.4): how an h2c prior-knowledge client starts. */
export const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
/**
 * Which transport the first bytes of a cleartext DoH connection ask for: `h2` once they are the HTTP/2
 * preface, `h1` as soon as they differ from it, `undecided` while they are a strict prefix of it.
 */
export const sniffHttpVersion = (head) => {
    const n = Math.min(head.length, H2_PREFACE.length);
    if (head.subarray(0, n).equals(H2_PREFACE.subarray(0, n)))
        return n === H2_PREFACE.length ? "h2" : "undecided";
    return "h1";
};
const plainServer = () => net.createServer({ allowHalfOpen: true, pauseOnConnect: false, noDelay: true, keepAlive: true });
/**
 * Cleartext DoT under TLS offload (SPEC.md §2 `TLS_OFFLOAD`): RFC 7766 over plain TCP on
 * `DOT_CLEARTEXT_PORT`, served by the same per-connection code as DoT.
 */
export const DotCleartextServer = Effect.gen(function* () {
    const config = yield* ServerConfig;
    const registry = yield* TlsServerRegistry;
    const handler = yield* QueryHandler;
    const blocklists = yield* Blocklists;
    const admission = yield* Admission;
    const runFork = yield* FiberSet.makeRuntime();
    const clock = yield* Effect.clock;
    const debug = LogLevel.lessThanEqual(config.logLevel, LogLevel.Debug);
    const env = {
        handle: handler.handle,
        idleMs: Duration.toMillis(config.workerTimeout),
        countTimeout: () => registry.countTimeout("dot-cleartext"),
        logDebug: debug ? (msg) => runFork(Effect.logDebug(msg)) : undefined,
        admit: admission.rateLimited ? admitQuery(admission) : undefined,
        now: () => clock.unsafeCurrentTimeMillis()
    };
    const server = yield* Effect.acquireRelease(Effect.sync(plainServer), (s) => Effect.sync(() => s.close()));
    yield* registry.register("dot-cleartext", server);
    server.on("connection", (socket) => {
        // ALLOW_CLIENTS on the peer (the balancer, unless it keeps client addresses); ACCESS_KEYS: cleartext
        // DoT has no SNI to carry a token, so every connection is refused (DoH carries it in the path)
        const refusal = !admission.allowClient(socket.remoteAddress)
            ? "acl"
            : admission.tokensRequired
                ? "token_missing"
                : undefined;
        if (refusal !== undefined) {
            admission.refuse("dot", refusal);
            socket.destroy();
            return;
        }
        // no SNI in cleartext: the default lists
        serveDotConnection(socket, { transport: "dot", remoteAddress: socket.remoteAddress, selection: blocklists.defaultMask }, env);
    });
    server.on("error", (e) => runFork(Effect.logWarning(`cleartext DoT listener error: ${e.message}`)));
    const address = yield* listen("cleartext DoT", server, config.listenHost, config.dotCleartextPort, config.tcpBacklog);
    return { address, server };
}).pipe(Effect.annotateLogs({ service: "DotCleartextServer" }));
/**
 * Cleartext DoH under TLS offload on `DOH_CLEARTEXT_PORT`: HTTP/1.1 and h2c (prior knowledge) on the
 * same port, told apart by the first bytes, handed to the transports of `DohServer`.
 */
export const DohCleartextServer = Effect.gen(function* () {
    const config = yield* ServerConfig;
    const registry = yield* TlsServerRegistry;
    const handler = yield* QueryHandler;
    const blocklists = yield* Blocklists;
    const admission = yield* Admission;
    const runFork = yield* FiberSet.makeRuntime();
    const debug = LogLevel.lessThanEqual(config.logLevel, LogLevel.Debug);
    const logDebug = debug ? (msg) => runFork(Effect.logDebug(msg)) : undefined;
    const idleMs = Duration.toMillis(config.workerTimeout);
    const clock = yield* Effect.clock;
    const env = {
        handle: handler.handle,
        idleMs,
        now: () => clock.unsafeCurrentTimeMillis(),
        rejected: (response, ctx) => {
            dohStats.rejected[response.reason]++;
            if (logDebug !== undefined)
                logDebug(`${response.status} to ${ctx.remoteAddress ?? "?"}: ${response.detail}`);
        },
        logDebug,
        logDefect: (msg, e) => runFork(Effect.logError(msg, e)),
        countTimeout: () => registry.countTimeout("doh-cleartext"),
        // behind a proxy: `X-Forwarded-For` from a peer in `PROXY_TRUSTED` names the client (SPEC.md §2)
        proxyTrusted: config.proxyTrusted,
        select: blocklists.select,
        isPsk: () => false,
        admission
    };
    const h2 = makeFastH2(env);
    const h1 = makeFastH1(env);
    const sniff = (socket) => {
        let head = Buffer.alloc(0);
        const onData = (chunk) => {
            head = Buffer.concat([head, chunk]);
            const version = sniffHttpVersion(head);
            if (version === "undecided")
                return;
            socket.off("data", onData);
            socket.off("timeout", onTimeout);
            socket.setTimeout(0);
            socket.pause();
            socket.unshift(head);
            if (version === "h2")
                h2.accept(socket);
            else {
                h1.accept(socket);
                // the unshifted head flows to the HTTP/1.1 transport's "data" listener once resumed
                socket.resume();
            }
        };
        const onTimeout = () => {
            registry.countTimeout("doh-cleartext");
            socket.destroy();
        };
        socket.setTimeout(idleMs);
        socket.on("timeout", onTimeout);
        socket.on("data", onData);
        socket.on("error", (e) => {
            if (logDebug !== undefined)
                logDebug(`cleartext DoH connection ${socket.remoteAddress ?? "?"}: ${e.message}`);
        });
    };
    const server = yield* Effect.acquireRelease(Effect.sync(plainServer), (s) => Effect.sync(() => s.close()));
    server.on("connection", sniff);
    yield* registry.register("doh-cleartext", server);
    const { address, drain } = yield* listenAndDrain("cleartext DoH", server, config.dohCleartextPort, [h2, h1]);
    server.on("error", (e) => runFork(Effect.logWarning(`cleartext DoH listener error: ${e.message}`)));
    return { address, server, drain };
}).pipe(Effect.annotateLogs({ service: "DohCleartextServer" }));
//# sourceMappingURL=Cleartext.js.map