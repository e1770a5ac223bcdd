import { Effect, type Scope } from "effect";
import type * as tls from "node:tls";
import { ServerConfig } from "./ServerConfig.js";
import { TicketKeys } from "./TicketKeys.js";
export { BURST_BYTES, BURST_RECORD_SIZE, makeRecordSizer, RECORD_SIZE } from "./TlsSessions/RecordSize.js";
export { snapshotTlsSessionStats, type TlsSessionStats, tlsSessionStats } from "./TlsSessions/Stats.js";
/** TLS 1.2 sessions kept for session-id resumption (a session is a few hundred bytes). */
export declare const SESSION_CACHE_MAX = 10000;
/**
 * The session-id context of every TLS listener. Node's default is a hash of `process.argv`: two
 * instances started differently would refuse each other's tickets, and DoT and DoH of one process
 * share the session cache, so it is one constant.
 */
export declare const SESSION_ID_CONTEXT = "vigil-dns";
/**
 * The protocol version and session id of an OpenSSL session (`SSL_SESSION` in DER, as `newSession`
 * and `getSession()` give it): `SEQUENCE { version INTEGER, sslVersion INTEGER, cipher OCTET STRING,
 * sessionId OCTET STRING, … }`. Undefined when it does not parse.
 */
export declare const sessionInfo: (der: Uint8Array) => {
    readonly version: number;
    readonly id: string;
} | undefined;
declare const TlsSessions_base: Effect.Service.Class<TlsSessions, "vigil/TlsSessions", {
    readonly scoped: Effect.Effect<{
        /** the handshake of `socket` was TLS-PSK (its identity is the client's credential) */
        isPsk: (socket: tls.TLSSocket) => boolean;
        /** TLS-PSK is on (a valid `TLS_PSK`): the cipher list keeps PSK suites and `serverOptions` has the callback */
        pskEnabled: boolean;
        /** secure-context options every listener shares (kept across `setSecureContext`) */
        contextOptions: {
            sessionIdContext: string;
        };
        /** server options: PSK callback and identity hint when PSK is on */
        serverOptions: Pick<tls.TlsOptions, "pskCallback" | "pskIdentityHint">;
        attach: (kind: string, server: tls.Server) => Effect.Effect<void, never, Scope.Scope>;
        /** sets a server's ticket key again after `setSecureContext` (which replaces the ticket keys) */
        reapply: (server: tls.Server) => void;
        /** where the ticket-key seed came from */
        ticketSeed: import("./TicketKeys.js").TicketSeedSource;
        sessionCacheSize: () => number;
        stats: import("./TlsSessions/Stats.js").TlsSessionStats;
    }, never, ServerConfig | Scope.Scope | TicketKeys>;
    readonly dependencies: readonly [import("effect/Layer").Layer<TicketKeys, never, ServerConfig>];
}>;
/**
 * TLS sessions of every TLS listener (SPEC.md §5): session-ticket keys (`TicketKeys`), the session-id
 * cache for TLS 1.2 clients without tickets (one bounded LRU shared by DoT and DoH), TLS-PSK
 * (PROTOCOLS.md §3) when `TLS_PSK` is set, the TLS record size, and the counters of `tlsSessionStats`.
 *
 * `TlsServerRegistry` puts `contextOptions` and `serverOptions` into every listener's options, calls
 * `attach` when a TLS server registers (in that server's scope) and `reapply` after each
 * `setSecureContext`.
 */
export declare class TlsSessions extends TlsSessions_base {
}
