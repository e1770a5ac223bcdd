import { Effect } from "effect";
import type * as net from "node:net";
import * as tls from "node:tls";
import type { CertKeyPair } from "./CertFetcher.js";
import { ServerConfig } from "./ServerConfig.js";
import { TlsSessions } from "./TlsSessions.js";
declare const ListenError_base: new <A extends Record<string, any> = {}>(args: import("effect/Types").VoidIfEmpty<{ readonly [P in keyof A as P extends "_tag" ? never : P]: A[P]; }>) => import("effect/Cause").YieldableError & {
    readonly _tag: "ListenError";
} & Readonly<A>;
export declare class ListenError extends ListenError_base<{
    readonly listener: string;
    readonly address: string;
    readonly detail: string;
}> {
    constructor(args: {
        readonly listener: string;
        readonly address: string;
        readonly detail: string;
    });
    get message(): string;
}
/** One listening server and the sockets it has open. */
export interface TrackedServer {
    readonly id: number;
    readonly kind: string;
    readonly server: net.Server;
    /** every TCP socket, from accept to close */
    readonly connections: Set<net.Socket>;
    /** the TLS socket of each TCP socket whose handshake completed */
    readonly secured: Map<net.Socket, tls.TLSSocket>;
    /** this server's share of the registry's `counters` */
    readonly counters: ConnectionCounters;
}
/** Process-wide connection counters (SPEC.md §5). */
export interface ConnectionCounters {
    opened: number;
    dropped: number;
    timedOut: number;
    tlsErrors: number;
}
/** AES-128 suites first, then Node's defaults (SPEC.md §5). */
export declare const CIPHERS: string;
/** Starts `server` listening; the first `error` (EADDRINUSE, EACCES…) becomes a `ListenError`. */
export declare const listen: (listener: string, server: net.Server, host: string, port: number, backlog: number) => Effect.Effect<net.AddressInfo, ListenError>;
/** `host:port` with IPv6 in brackets. */
export declare const formatAddress: (a: net.AddressInfo) => string;
declare const TlsServerRegistry_base: Effect.Service.Class<TlsServerRegistry, "vigil/TlsServerRegistry", {
    readonly scoped: Effect.Effect<{
        /** TLS server options for a new listener with the given ALPN protocols */
        tlsOptions: (alpn: ReadonlyArray<string>) => Effect.Effect<tls.TlsOptions, never, never>;
        register: (kind: string, server: net.Server) => Effect.Effect<TrackedServer, never, import("effect/Scope").Scope>;
        setSecureContext: (pair: CertKeyPair) => Effect.Effect<void, never, never>;
        stopAccepting: Effect.Effect<void, never, never>;
        endConnections: Effect.Effect<void, never, never>;
        closeConnections: Effect.Effect<number, never, never>;
        openConnections: Effect.Effect<number, never, never>;
        markAccepting: Effect.Effect<void, never, never>;
        accepting: Effect.Effect<boolean, never, never>;
        servers: Effect.Effect<TrackedServer[], never, never>;
        counters: Effect.Effect<{
            opened: number;
            dropped: number;
            timedOut: number;
            tlsErrors: number;
        }, never, never>;
        /** counts a connection closed for idling; `kind` names the listener ("dot", "doh") */
        countTimeout: (kind?: string) => void;
        /** the exact DNS names of the served certificate, lower-cased (none under TLS offload) */
        servedNames: () => ReadonlySet<string>;
        /** the id of a connection, from its TCP or TLS socket */
        connectionId: (socket: net.Socket) => number | undefined;
    }, never, ServerConfig | import("effect/Scope").Scope>;
    readonly dependencies: readonly [import("effect/Layer").Layer<TlsSessions, never, ServerConfig>];
}>;
/**
 * Every listener of the process registers here. The registry builds the TLS options from the current
 * certificate, applies every new certificate of the `CertStore` to all TLS servers with
 * `setSecureContext` (open connections stay; new handshakes see the new certificate), and tracks every
 * server and connection so that shutdown can stop accepting and close what is left.
 */
export declare class TlsServerRegistry extends TlsServerRegistry_base {
}
export {};
