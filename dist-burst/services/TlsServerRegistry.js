import { Data, Effect, Option, Redacted, Ref, Stream } from "effect";
import cluster from "node:cluster";
import * as tls from "node:tls";
import { CertStore } from "./CertStore.js";
import { withoutStack } from "./OperatorError.js";
import { handshakeTimeoutMs, ServerConfig } from "./ServerConfig.js";
import { TlsSessions } from "./TlsSessions.js";
export class ListenError extends Data.TaggedError("ListenError") {
    constructor(args) {
        super(args);
        withoutStack(this);
    }
    get message() {
        return `${this.listener} could not listen on ${this.address}: ${this.detail}`;
    }
}
/** AES-128 suites first, then Node's defaults (SPEC.md §5). */
export const CIPHERS = [
    "TLS_AES_128_CCM_SHA256",
    "TLS_AES_128_CCM_8_SHA256",
    "TLS_AES_128_GCM_SHA256",
    "AES128",
    ...tls.DEFAULT_CIPHERS.split(":").filter((c) => !c.toUpperCase().startsWith("!PSK"))
].join(":");
const SESSION_TIMEOUT_S = 7 * 24 * 3600;
/** Starts `server` listening; the first `error` (EADDRINUSE, EACCES…) becomes a `ListenError`. */
export const listen = (listener, server, host, port, backlog) => Effect.async((resume) => {
    const onError = (e) => {
        server.off("listening", onListening);
        resume(Effect.fail(new ListenError({ listener, address: `${host}:${port}`, detail: e.message })));
    };
    const onListening = () => {
        server.off("error", onError);
        resume(Effect.succeed(server.address()));
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen({ host, port, backlog });
});
/** `host:port` with IPv6 in brackets. */
export const formatAddress = (a) => a.family === "IPv6" ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
/**
 * Every listener of the process registers here. The registry builds the TLS options from the current
 * certificate, applies every new certificate of the `CertStore` to all TLS servers with
 * `setSecureContext` (open connections stay; new handshakes see the new certificate), and tracks every
 * server and connection so that shutdown can stop accepting and close what is left.
 */
export class TlsServerRegistry extends Effect.Service()("vigil/TlsServerRegistry", {
    scoped: Effect.gen(function* () {
        const config = yield* ServerConfig;
        // TLS offload (SPEC.md §6) builds neither: the registry then tracks cleartext listeners only
        const tlsParts = Option.all({
            certs: yield* Effect.serviceOption(CertStore),
            sessions: yield* Effect.serviceOption(TlsSessions)
        });
        const servers = new Map();
        const counters = { opened: 0, dropped: 0, timedOut: 0, tlsErrors: 0 };
        const accepting = yield* Ref.make(false);
        let nextId = 1;
        // every connection's id, on its TCP socket and, once the handshake is done, on its TLS socket
        const connectionIds = new WeakMap();
        let nextConnectionId = 1;
        const initial = Option.isSome(tlsParts) ? yield* tlsParts.value.certs.current : undefined;
        let secureOptions = initial === undefined ? undefined : contextOptions(initial);
        // the served certificate's exact (not wildcard) DNS names, lower-cased: a DoT SNI equal to one names no lists
        let servedNames = namesOf(initial);
        const contextOf = (sessions) => ({
            ...secureOptions,
            ...sessions.contextOptions,
            // PSK suites only with TLS-PSK on
            ciphers: sessions.pskEnabled ? CIPHERS : `${CIPHERS}:!PSK`,
            honorCipherOrder: true,
            minVersion: "TLSv1.2",
            sessionTimeout: SESSION_TIMEOUT_S
        });
        const baseOptions = (sessions, alpn) => ({
            ...contextOf(sessions),
            ...sessions.serverOptions,
            handshakeTimeout: handshakeTimeoutMs(config),
            ALPNProtocols: [...alpn]
        });
        const setSecureContext = (pair) => Effect.sync(() => {
            secureOptions = contextOptions(pair);
            servedNames = namesOf(pair);
            if (Option.isNone(tlsParts))
                return;
            const sessions = tlsParts.value.sessions;
            for (const s of servers.values()) {
                if (s.server instanceof tls.Server) {
                    s.server.setSecureContext(contextOf(sessions));
                    // a new secure context comes with new random ticket keys
                    sessions.reapply(s.server);
                }
            }
        });
        // every later certificate of the store goes to every TLS listener
        if (Option.isSome(tlsParts)) {
            yield* tlsParts.value.certs.changes.pipe(Stream.drop(1), Stream.runForEach((pair) => setSecureContext(pair).pipe(
            // a worker of WORKERS=N: its primary logs the renewal once for all of them
            Effect.zipRight((cluster.isWorker ? Effect.logDebug : Effect.logInfo)(`now serving certificate valid until ${pair.notAfter.toISOString()}`)))), Effect.annotateLogs({ service: "TlsServerRegistry" }), Effect.forkScoped);
        }
        const register = (kind, server) => Effect.acquireRelease(Effect.sync(() => {
            const own = { opened: 0, dropped: 0, timedOut: 0, tlsErrors: 0 };
            const tracked = {
                id: nextId++,
                kind,
                server,
                connections: new Set(),
                secured: new Map(),
                counters: own
            };
            // TCP sockets in their TLS handshake, by remote address and port: the TLS socket takes their id
            const handshaking = new Map();
            server.on("connection", (socket) => {
                own.opened++;
                // a socket handed over by another listener (the PROXY-protocol one) keeps its id and count
                if (!connectionIds.has(socket)) {
                    counters.opened++;
                    connectionIds.set(socket, nextConnectionId++);
                }
                const key = `${socket.remoteAddress}|${socket.remotePort}`;
                if (server instanceof tls.Server)
                    handshaking.set(key, socket);
                tracked.connections.add(socket);
                socket.once("close", () => {
                    tracked.connections.delete(socket);
                    tracked.secured.delete(socket);
                    handshaking.delete(key);
                });
            });
            server.on("secureConnection", (socket) => {
                const key = `${socket.remoteAddress}|${socket.remotePort}`;
                const raw = handshaking.get(key);
                if (raw === undefined)
                    return;
                handshaking.delete(key);
                connectionIds.set(socket, connectionIds.get(raw));
                tracked.secured.set(raw, socket);
            });
            server.on("drop", () => {
                counters.dropped++;
                own.dropped++;
            });
            server.on("tlsClientError", (e, socket) => {
                counters.tlsErrors++;
                own.tlsErrors++;
                // a client that did not finish its handshake within the handshake timeout is also timed out
                if (e.code === "ERR_TLS_HANDSHAKE_TIMEOUT") {
                    counters.timedOut++;
                    own.timedOut++;
                }
                // Node (20) reports a handshake timeout but leaves the connection open: close it
                socket.destroy();
            });
            servers.set(tracked.id, tracked);
            return tracked;
        }), (tracked) => Effect.sync(() => servers.delete(tracked.id))).pipe(
        // session cache, ticket key and its rotation, record sizing: in this server's scope
        Effect.tap((tracked) => tracked.server instanceof tls.Server && Option.isSome(tlsParts)
            ? tlsParts.value.sessions.attach(kind, tracked.server)
            : Effect.void));
        /** Stops every server from accepting; open connections stay. */
        const stopAccepting = Ref.set(accepting, false).pipe(Effect.zipRight(Effect.sync(() => {
            for (const s of servers.values())
                if (s.server.listening)
                    s.server.close();
        })));
        /**
         * Ends every connection gracefully: a TLS connection with close_notify after its pending answers; one
         * still in its handshake has nothing to flush and is destroyed (a client that vanished mid-handshake
         * would otherwise hold it until the handshake timeout).
         */
        const endConnections = Effect.sync(() => {
            for (const s of servers.values()) {
                const isTls = s.server instanceof tls.Server;
                for (const c of s.connections) {
                    const secure = s.secured.get(c);
                    if (secure !== undefined)
                        secure.end();
                    else if (isTls)
                        c.destroy();
                    else
                        c.end();
                }
            }
        });
        /** Destroys every connection still open. */
        const closeConnections = Effect.sync(() => {
            let n = 0;
            for (const s of servers.values()) {
                for (const c of s.connections) {
                    c.destroy();
                    n++;
                }
            }
            return n;
        });
        const openConnections = Effect.sync(() => {
            let n = 0;
            for (const s of servers.values())
                n += s.connections.size;
            return n;
        });
        return {
            /** TLS server options for a new listener with the given ALPN protocols */
            tlsOptions: (alpn) => Option.isSome(tlsParts)
                ? Effect.sync(() => baseOptions(tlsParts.value.sessions, alpn))
                : Effect.dieMessage("TLS options asked for without a CertStore and TlsSessions (TLS offload)"),
            register,
            setSecureContext,
            stopAccepting,
            endConnections,
            closeConnections,
            openConnections,
            markAccepting: Ref.set(accepting, true),
            accepting: Ref.get(accepting),
            servers: Effect.sync(() => [...servers.values()]),
            counters: Effect.sync(() => ({ ...counters })),
            /** counts a connection closed for idling; `kind` names the listener ("dot", "doh") */
            countTimeout: (kind) => {
                counters.timedOut++;
                for (const s of servers.values()) {
                    if (s.kind === kind) {
                        s.counters.timedOut++;
                        break;
                    }
                }
            },
            /** the exact DNS names of the served certificate, lower-cased (none under TLS offload) */
            servedNames: () => servedNames,
            /** the id of a connection, from its TCP or TLS socket */
            connectionId: (socket) => connectionIds.get(socket)
        };
    }),
    dependencies: [TlsSessions.Default]
}) {
}
const namesOf = (pair) => new Set((pair?.dnsNames ?? []).filter((n) => !n.startsWith("*.")).map((n) => n.toLowerCase()));
const contextOptions = (pair) => ({
    key: Redacted.value(pair.keyPem),
    cert: pair.certPem
});
//# sourceMappingURL=TlsServerRegistry.js.map