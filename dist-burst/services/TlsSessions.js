import { Effect, FiberSet, LogLevel, Option, Redacted } from "effect";
import { LRUCache } from "lru-cache";
import { ServerConfig } from "./ServerConfig.js";
import { TicketKeys } from "./TicketKeys.js";
import { makePskKeys, PSK_IDENTITY_HINT } from "./TlsSessions/Psk.js";
import { tlsSessionStats } from "./TlsSessions/Stats.js";
export { BURST_BYTES, BURST_RECORD_SIZE, makeRecordSizer, RECORD_SIZE } from "./TlsSessions/RecordSize.js";
export { snapshotTlsSessionStats, tlsSessionStats } from "./TlsSessions/Stats.js";
/** TLS 1.2 sessions kept for session-id resumption (a session is a few hundred bytes). */
export const SESSION_CACHE_MAX = 10_000;
/**
 * The session-id context of every TLS listener. Node's default is a hash of `process.argv`: two
 * instances started differently would refuse each other's tickets, and DoT and DoH of one process
 * share the session cache, so it is one constant.
 */
export const SESSION_ID_CONTEXT = "vigil-dns";
const TLS1_3 = 0x0304;
/**
 * The protocol version and session id of an OpenSSL session (`SSL_SESSION` in DER, as `newSession`
 * and `getSession()` give it): `SEQUENCE { version INTEGER, sslVersion INTEGER, cipher OCTET STRING,
 * sessionId OCTET STRING, … }`. Undefined when it does not parse.
 */
export const sessionInfo = (der) => {
    let p = 0;
    const header = (tag) => {
        if (p + 2 > der.length || der[p] !== tag)
            return undefined;
        p++;
        let len = der[p++];
        if (len & 0x80) {
            const n = len & 0x7f;
            if (n === 0 || n > 3 || p + n > der.length)
                return undefined;
            len = 0;
            for (let i = 0; i < n; i++)
                len = len * 256 + der[p++];
        }
        return p + len <= der.length ? len : undefined;
    };
    if (header(0x30) === undefined)
        return undefined;
    const v = header(0x02);
    if (v === undefined)
        return undefined;
    p += v;
    const sv = header(0x02);
    if (sv === undefined || sv > 4)
        return undefined;
    let version = 0;
    for (let i = 0; i < sv; i++)
        version = version * 256 + der[p + i];
    p += sv;
    const cipher = header(0x04);
    if (cipher === undefined)
        return undefined;
    p += cipher;
    const id = header(0x04);
    if (id === undefined)
        return undefined;
    return { version, id: Buffer.from(der.subarray(p, p + id)).toString("hex") };
};
/**
 * TLS sessions of every TLS listener (SPEC.md §5): session-ticket keys (`TicketKeys`), the session-id
 * cache for TLS 1.2 clients without tickets (one bounded LRU shared by DoT and DoH), TLS-PSK
 * (PROTOCOLS.md §3) when `TLS_PSK` is set, the TLS record size, and the counters of `tlsSessionStats`.
 *
 * `TlsServerRegistry` puts `contextOptions` and `serverOptions` into every listener's options, calls
 * `attach` when a TLS server registers (in that server's scope) and `reapply` after each
 * `setSecureContext`.
 */
export class TlsSessions extends Effect.Service()("vigil/TlsSessions", {
    scoped: Effect.gen(function* () {
        const config = yield* ServerConfig;
        const ticketKeys = yield* TicketKeys;
        const runFork = yield* FiberSet.makeRuntime();
        const debug = LogLevel.lessThanEqual(config.logLevel, LogLevel.Debug);
        const logDebug = (msg) => {
            if (debug)
                runFork(Effect.logDebug(msg).pipe(Effect.annotateLogs({ service: "TlsSessions" })));
        };
        const psk = Option.map(config.tlsPsk, (seed) => makePskKeys(Redacted.value(seed)));
        const sessions = new LRUCache({ max: SESSION_CACHE_MAX });
        // ids just served from the cache: tells a session-id resumption from a TLS 1.2 ticket one
        const servedIds = new LRUCache({ max: 1024 });
        // sockets whose PSK identity was accepted in this handshake
        const pskSockets = new WeakSet();
        const pskCallback = (keys) => (socket, identity) => {
            const key = keys.keyFor(identity);
            if (key === undefined) {
                // TLS 1.3 goes on with a certificate handshake after an unknown identity: not a refusal
                if (socket.getProtocol() !== "TLSv1.3") {
                    tlsSessionStats.pskRefused++;
                    logDebug(`PSK identity from ${socket.remoteAddress ?? "?"} refused: not hex of at least 32 bytes`);
                }
                return null;
            }
            pskSockets.add(socket);
            return key;
        };
        const serverOptions = Option.match(psk, {
            onNone: () => ({}),
            onSome: (keys) => ({ pskCallback: pskCallback(keys), pskIdentityHint: PSK_IDENTITY_HINT })
        });
        const onNewSession = (id, data, done) => {
            // TLS 1.3 sessions are resumed from tickets only; their ids would just push TLS 1.2 ones out
            const info = sessionInfo(data);
            if (info !== undefined && info.version < TLS1_3) {
                sessions.set(id.toString("hex"), data);
                tlsSessionStats.sessionCacheStored++;
            }
            done();
        };
        const onResumeSession = (id, resume) => {
            const key = id.toString("hex");
            const data = sessions.get(key);
            if (data === undefined)
                tlsSessionStats.sessionCacheMisses++;
            else {
                tlsSessionStats.sessionCacheHits++;
                servedIds.set(key, true);
            }
            resume(null, data ?? null);
        };
        const kindOf = (socket) => {
            if (pskSockets.has(socket))
                return "psk";
            if (!socket.isSessionReused())
                return "full";
            if (socket.getProtocol() === "TLSv1.2") {
                const session = socket.getSession();
                const info = session === undefined ? undefined : sessionInfo(session);
                if (info !== undefined && servedIds.delete(info.id))
                    return "sessionId";
            }
            return "ticket";
        };
        const countHandshake = (socket) => {
            const kind = kindOf(socket);
            if (kind === "full")
                tlsSessionStats.fullHandshakes++;
            else
                tlsSessionStats.resumed[kind]++;
        };
        const onClientError = (_e, socket) => {
            // the identity was good but the client's key is not the one derived for it
            if (pskSockets.has(socket)) {
                pskSockets.delete(socket);
                tlsSessionStats.pskRefused++;
                logDebug(`PSK handshake from ${socket.remoteAddress ?? "?"} failed: wrong key`);
            }
        };
        /**
         * Wires a TLS server in: session cache, handshake counters, record size, its ticket key and the
         * key's rotation fiber, which lives in the current scope (the server's) and ends with it.
         */
        const attach = (kind, server) => Effect.gen(function* () {
            server.on("newSession", onNewSession);
            server.on("resumeSession", onResumeSession);
            // first, so that the handshake is counted before any listener sees the connection. Records are
            // sized by the listeners' writers (TlsSessions/RecordWriter.ts): OpenSSL cannot raise a lowered
            // record size again, so `setMaxSendFragment` is never called
            server.prependListener("secureConnection", countHandshake);
            server.on("tlsClientError", onClientError);
            yield* ticketKeys.manage(server, kind);
        });
        return {
            /** the handshake of `socket` was TLS-PSK (its identity is the client's credential) */
            isPsk: (socket) => pskSockets.has(socket),
            /** TLS-PSK is on (a valid `TLS_PSK`): the cipher list keeps PSK suites and `serverOptions` has the callback */
            pskEnabled: Option.isSome(psk),
            /** secure-context options every listener shares (kept across `setSecureContext`) */
            contextOptions: { sessionIdContext: SESSION_ID_CONTEXT },
            /** server options: PSK callback and identity hint when PSK is on */
            serverOptions,
            attach,
            /** sets a server's ticket key again after `setSecureContext` (which replaces the ticket keys) */
            reapply: (server) => ticketKeys.reapply(server),
            /** where the ticket-key seed came from */
            ticketSeed: ticketKeys.source,
            sessionCacheSize: () => sessions.size,
            stats: tlsSessionStats
        };
    }),
    dependencies: [TicketKeys.Default]
}) {
}
//# sourceMappingURL=TlsSessions.js.map