import { Duration, Effect, FiberSet, LogLevel } from "effect";
import * as tls from "node:tls";
import { Admission } from "../services/Admission.js";
import { Blocklists } from "../services/Blocklists.js";
import { QueryHandler } from "../services/QueryHandler.js";
import { ServerConfig } from "../services/ServerConfig.js";
import { listen, TlsServerRegistry } from "../services/TlsServerRegistry.js";
import { TlsSessions } from "../services/TlsSessions.js";
import { admitQuery, serveDotConnection } from "./DotServer/Connection.js";
import { ProxyListener } from "./DotServer/ProxyListener.js";
/**
 * The blocklist selector of a DoT connection (SPEC.md §7): the first label of its SNI (`ads-malware` in
 * `ads-malware.dns.example.com`), unless the SNI is exactly a name of the served certificate (then the
 * client named no lists) or has a single label. Undefined: none.
 */
export const sniSelector = (servername, served) => {
    if (typeof servername !== "string")
        return undefined;
    const dot = servername.indexOf(".");
    if (dot <= 0)
        return undefined;
    const name = servername.toLowerCase();
    return served.has(name) ? undefined : name.slice(0, dot);
};
export { dotBadInput, MAX_IN_FLIGHT_PER_CONNECTION } from "./DotServer/Connection.js";
/**
 * DNS over TLS (RFC 7858 over RFC 7766 framing) on `DOT_PORT`: split and pipelined queries, answers
 * written as soon as each is ready (out of order), a per-connection in-flight cap, ALPN `dot`, idle
 * timeout `WORKER_TIMEOUT`, half-close honoured (answers still go out after the client's FIN).
 */
export const DotServer = Effect.gen(function* () {
    const config = yield* ServerConfig;
    const registry = yield* TlsServerRegistry;
    const handler = yield* QueryHandler;
    const blocklists = yield* Blocklists;
    const admission = yield* Admission;
    const sessions = yield* TlsSessions;
    const options = yield* registry.tlsOptions(["dot"]);
    const idleMs = Duration.toMillis(config.workerTimeout);
    const runFork = yield* FiberSet.makeRuntime();
    const clock = yield* Effect.clock;
    const debug = LogLevel.lessThanEqual(config.logLevel, LogLevel.Debug);
    const logDebug = (msg) => runFork(Effect.logDebug(msg).pipe(Effect.annotateLogs({ service: "DotServer" })));
    // the client of each connection that came through `DOT_PROXY_PORT`, by connection id (filled by ProxyListener)
    const proxied = new Map();
    const connectionEnv = {
        handle: handler.handle,
        idleMs,
        countTimeout: () => registry.countTimeout("dot"),
        logDebug: debug ? logDebug : undefined,
        admit: admission.rateLimited ? admitQuery(admission) : undefined,
        now: () => clock.unsafeCurrentTimeMillis()
    };
    const serve = (socket) => {
        const id = proxied.size === 0 ? undefined : registry.connectionId(socket);
        const client = id === undefined ? undefined : proxied.get(id);
        const remoteAddress = client?.address ?? socket.remoteAddress;
        let selector = sniSelector(socket.servername, registry.servedNames());
        if (admission.tokensRequired && !sessions.isPsk(socket)) {
            // `<token>` or `<token>-<lists>` in front of the certificate's name
            const dash = selector === undefined ? -1 : selector.indexOf("-");
            const token = dash < 0 ? selector : selector.slice(0, dash);
            selector = dash < 0 ? undefined : selector.slice(dash + 1);
            const verdict = admission.checkToken(token);
            if (verdict !== "ok") {
                admission.refuse("dot", verdict);
                if (debug)
                    logDebug(`closing DoT connection from ${remoteAddress ?? "?"}: ${verdict.replace("_", " ")}`);
                socket.destroy();
                return;
            }
        }
        const ctx = { transport: "dot", remoteAddress, selection: blocklists.select(selector) };
        serveDotConnection(socket, ctx, connectionEnv);
    };
    const server = yield* Effect.acquireRelease(Effect.sync(() => tls.createServer({ ...options, allowHalfOpen: true, pauseOnConnect: false, noDelay: true, keepAlive: true })), (server) => Effect.sync(() => server.close()));
    yield* registry.register("dot", server);
    // ALLOW_CLIENTS: other peers are closed before the TLS handshake (PROXY connections: checked on the
    // header's client address by ProxyListener)
    const handedOver = new WeakSet();
    if (admission.aclActive) {
        server.prependListener("connection", (socket) => {
            if (handedOver.has(socket) || admission.allowClient(socket.remoteAddress))
                return;
            admission.refuse("dot", "acl");
            if (debug)
                logDebug(`closing DoT connection from ${socket.remoteAddress ?? "?"}: not in ALLOW_CLIENTS`);
            socket.destroy();
        });
    }
    server.on("secureConnection", serve);
    server.on("tlsClientError", (e, socket) => {
        if (debug)
            logDebug(`TLS handshake from ${socket.remoteAddress} failed: ${e.message}`);
    });
    const address = yield* listen("DoT", server, config.listenHost, config.dotPort, config.tcpBacklog);
    const proxyAddress = config.dotHasProxyProto ?
        yield* ProxyListener(server, proxied, (address) => {
            if (admission.allowClient(address))
                return true;
            admission.refuse("dot", "acl");
            return false;
        }, handedOver) :
        undefined;
    return { address, server, proxyAddress };
});
//# sourceMappingURL=DotServer.js.map