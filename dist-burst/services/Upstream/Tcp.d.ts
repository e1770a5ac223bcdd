/**
 * DNS over TCP to an upstream (RFC 7766), and the pieces every upstream transport shares: message-ID
 * allocation, the answer-against-query check, 2-byte-length framing, a lazily (re)connected connection
 * held in the transport's scope, and the pipelined stream exchange that `Tls.ts` reuses over node:tls.
 */
import { Effect, type Scope } from "effect";
import * as net from "node:net";
import { UpstreamError, type UpstreamShape } from "../Upstream.js";
/**
 * Offset just past the single question of a query, or -1 when the message has no readable question
 * (the resolver only sends queries that passed `peekQuery`, so -1 is a bug of the caller).
 */
export declare const questionEndOf: (msg: Uint8Array) => number;
/**
 * Whether `answer` answers `sent` (the query as it went on the wire): a response (QR), the same ID, one
 * question with the same name (ASCII case-insensitively), type and class.
 */
export declare const isAnswerTo: (answer: Uint8Array, sent: Uint8Array, questionEnd: number) => boolean;
/** The TC bit of an answer. */
export declare const isTruncated: (answer: Uint8Array) => boolean;
/** A copy of `msg` carrying message ID `id`. */
export declare const withId: (msg: Uint8Array, id: number) => Uint8Array;
/** A random ID that no entry of `inFlight` holds, or undefined when all 65536 are taken. */
export declare const freeId: (inFlight: ReadonlyMap<number, unknown>) => number | undefined;
/** The error of a query that cannot be sent as given (not a well-formed single-question query). */
export declare const badQuery: (upstream: string, msg: Uint8Array) => Effect.Effect<never>;
/** `msg` with a 2-byte length prefix and message ID `id`. */
export declare const frameWithId: (msg: Uint8Array, id: number) => Uint8Array;
/** The `detail` of the `Closed` error of a transport whose scope has closed. */
export declare const TRANSPORT_CLOSED = "transport closed";
export interface ConnectionCell<C> {
    /** the open connection, or a new one (one connect at a time, shared by every caller waiting for it) */
    readonly get: Effect.Effect<C, UpstreamError>;
}
/**
 * Holds at most one connection of a transport. The connect runs in a fiber of the transport's scope, so a
 * caller interrupted while waiting does not abort it for the others; it is bounded by `connectTimeoutMs`.
 * When the scope closes, the current connection is disposed of and no new one is made.
 */
export declare const connectionCell: <C>(options: {
    readonly upstream: string;
    readonly open: Effect.Effect<C, UpstreamError>;
    readonly usable: (c: C) => boolean;
    readonly dispose: (c: C) => void;
    readonly connectTimeoutMs: number;
}) => Effect.Effect<ConnectionCell<C>, never, Scope.Scope>;
export interface StreamOptions {
    /** close a connection with no query in flight after this long without traffic; default 10 s */
    readonly idleTimeoutMs?: number | undefined;
    /** give up a connect (and a TLS handshake) after this long; default 5 s */
    readonly connectTimeoutMs?: number | undefined;
}
export declare const defaultIdleTimeoutMs = 10000;
export declare const defaultConnectTimeoutMs = 5000;
/**
 * Connects a socket and waits for `readyEvent` ("connect", or "secureConnect" for TLS); the first
 * `error` before it is a `Connect` failure (a refused connect fails at once). Interruption destroys the
 * socket. The socket keeps an `error` listener for life: errors are reported by the `close` that follows.
 */
export declare const connectSocket: (upstream: string, create: () => net.Socket, readyEvent: "connect" | "secureConnect") => Effect.Effect<net.Socket, UpstreamError>;
/**
 * A transport over a stream socket: one persistent connection, queries pipelined on it and answers
 * matched by message ID (RFC 7766 §6.2.1.1), reconnected when it closes. A query that meets a closed
 * connection is sent once more on a new one.
 */
export declare const makeStream: (options: {
    readonly upstream: string;
    /** a connected (and, for TLS, handshaken) socket */
    readonly connect: Effect.Effect<net.Socket, UpstreamError>;
    readonly idleTimeoutMs?: number | undefined;
    readonly connectTimeoutMs?: number | undefined;
}) => Effect.Effect<UpstreamShape, never, Scope.Scope>;
export interface TcpSpec {
    readonly host: string;
    readonly port: number;
    readonly text: string;
}
/** A DNS-over-TCP transport to `spec` (one pipelined connection), closed with the scope. */
export declare const make: (spec: TcpSpec, options?: StreamOptions) => Effect.Effect<UpstreamShape, never, Scope.Scope>;
