import { Effect, FiberSet, LogLevel } from "effect";
import * as net from "node:net";
import { parseProxyHeader } from "../../services/ProxyProtocol.js";
import { handshakeTimeoutMs, inCidrs, ServerConfig } from "../../services/ServerConfig.js";
import { formatAddress, listen, TlsServerRegistry } from "../../services/TlsServerRegistry.js";
/** Connections of `DOT_PROXY_PORT` refused before TLS (SPEC.md §8), by reason; process-wide like `dotBadInput`. */
export const proxyRefused = {
    Untrusted: 0,
    NotAllowed: 0,
    NoHeader: 0,
    Malformed: 0,
    Oversized: 0,
    Unsupported: 0,
    Timeout: 0,
    Closed: 0
};
/** Headers accepted on `DOT_PROXY_PORT`, by command. */
export const proxyAccepted = { proxy: 0, local: 0 };
/**
 * `DOT_PROXY_PORT` (SPEC.md §2, `DOT_HAS_PROXY_PROTO`): a plain TCP listener ("dot-proxy" in the registry,
 * so shutdown, the connection limit and the counters see it). Only a peer in `PROXY_TRUSTED` may connect;
 * its PROXY v1/v2 header is read on the raw socket within the TLS handshake timeout, then the socket (the
 * bytes after the header pushed back) is handed to the DoT `tls.Server` as if it had just connected
 * there: one set of TLS options, certificate, ticket keys and session cache, and the certificate swap and
 * key rotation apply as they do on `DOT_PORT`. The header's source address goes into `clients`, keyed by
 * the registry's connection id (shared by the TCP and TLS socket), for the DoT query context.
 */
export const ProxyListener = (dot, clients, 
/** `ALLOW_CLIENTS` on the header's client address; false: the connection is closed before TLS */
allowClient, 
/** sockets handed over, which the DoT listener's own `ALLOW_CLIENTS` check (on the peer) skips */
handedOver) => Effect.gen(function* () {
    const config = yield* ServerConfig;
    const registry = yield* TlsServerRegistry;
    const runFork = yield* FiberSet.makeRuntime();
    const debug = LogLevel.lessThanEqual(config.logLevel, LogLevel.Debug);
    const logDebug = (msg) => runFork(Effect.logDebug(msg).pipe(Effect.annotateLogs({ service: "DotServer", listener: "dot-proxy" })));
    const headerTimeoutMs = handshakeTimeoutMs(config);
    const server = yield* Effect.acquireRelease(Effect.sync(() => net.createServer({ allowHalfOpen: true, pauseOnConnect: false, noDelay: true, keepAlive: true })), (server) => Effect.sync(() => server.close()));
    const tracked = yield* registry.register("dot-proxy", server);
    const accept = (socket) => {
        const peer = `${socket.remoteAddress}:${socket.remotePort}`;
        const refuse = (reason, detail = "") => {
            proxyRefused[reason]++;
            if (debug)
                logDebug(`closing PROXY connection from ${peer}: ${reason}${detail}`);
            socket.destroy();
        };
        socket.on("error", () => { }); // a reset before the handover is only a closed connection
        if (!inCidrs(socket.remoteAddress, config.proxyTrusted))
            return refuse("Untrusted");
        let received = Buffer.alloc(0);
        const onData = (chunk) => {
            received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
            const r = parseProxyHeader(received);
            if (r._tag === "Need")
                return;
            stop();
            if (r._tag === "Invalid")
                return refuse(r.reason);
            const { header, consumed } = r;
            if (!allowClient(header.source?.address ?? socket.remoteAddress ?? "")) {
                proxyRefused.NotAllowed++;
                if (debug)
                    logDebug(`closing PROXY connection from ${peer}: client not in ALLOW_CLIENTS`);
                socket.destroy();
                return;
            }
            socket.pause();
            if (consumed < received.length)
                socket.unshift(received.subarray(consumed));
            // the TLS server's handshake timeout takes over
            socket.setTimeout(0);
            if (header.command === "LOCAL")
                proxyAccepted.local++;
            else
                proxyAccepted.proxy++;
            // from now on the connection is the DoT server's (tracked there, TLS-aware at shutdown)
            tracked.connections.delete(socket);
            handedOver.add(socket);
            dot.emit("connection", socket);
            const id = registry.connectionId(socket);
            const client = header.source;
            if (id !== undefined && client !== undefined) {
                clients.set(id, client);
                socket.once("close", () => clients.delete(id));
            }
            if (debug) {
                logDebug(`PROXY v${header.version} ${header.command} from ${peer}: client ${client === undefined ? peer : `${client.address}:${client.port}`}`);
            }
        };
        const onEnd = () => {
            stop();
            refuse("Closed");
        };
        const onTimeout = () => {
            stop();
            refuse("Timeout");
        };
        const stop = () => {
            socket.off("data", onData);
            socket.off("end", onEnd);
            socket.off("timeout", onTimeout);
        };
        // a socket-level timeout (not Effect's Clock): the header must come within the TLS handshake timeout
        socket.setTimeout(headerTimeoutMs);
        socket.on("timeout", onTimeout);
        socket.on("data", onData);
        socket.on("end", onEnd);
    };
    server.on("connection", accept);
    const address = yield* listen("DoT PROXY", server, config.listenHost, config.dotProxyPort, config.tcpBacklog);
    yield* Effect.logInfo(`DoT behind PROXY protocol on ${formatAddress(address)}, trusting ${config.proxyTrusted.map((c) => c.text).join(", ")}`).pipe(Effect.annotateLogs({ service: "DotServer" }));
    return address;
});
//# sourceMappingURL=ProxyListener.js.map