import { Effect } from "effect";
import type * as net from "node:net";
import * as tls from "node:tls";
import { Admission } from "../services/Admission.js";
import { Blocklists } from "../services/Blocklists.js";
import { type QueryContext, QueryHandler, type Reply } from "../services/QueryHandler.js";
import { type Cidr, ServerConfig } from "../services/ServerConfig.js";
import { TlsServerRegistry } from "../services/TlsServerRegistry.js";
import { TlsSessions } from "../services/TlsSessions.js";
import { type RejectReason, type StaticResponse } from "./DohServer/Request.js";
/** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS advertised to every client. */
export declare const H2_MAX_CONCURRENT_STREAMS = 256;
/** HTTP/2 SETTINGS_MAX_HEADER_LIST_SIZE (bytes) and the most header fields one request may carry. */
export declare const H2_MAX_HEADER_LIST_SIZE = 16384;
export declare const H2_MAX_HEADER_PAIRS = 64;
/** What the DoH listener has seen (SPEC.md §5 heartbeat, §8 bad input); process-wide like `dotBadInput`. */
export interface DohStats {
    /** HTTP requests received (HTTP/2 streams and HTTP/1.1 requests) */
    requests: number;
    /** DNS answers sent (status 200 with a body) */
    answers: number;
    /** responses sent, by status code */
    readonly status: Record<number, number>;
    /** requests answered without a DNS answer, by reason */
    readonly rejected: Record<RejectReason, number>;
    /** answers that found their stream or connection gone */
    abandoned: number;
    /** HTTP/2 sessions that failed (bad preface, protocol error, …) */
    sessionErrors: number;
    /** HTTP/2 streams that failed (reset, protocol error) */
    streamErrors: number;
    /** HTTP/1.1 connections closed for unparseable requests or header/request timeouts */
    clientErrors: number;
    /** TLS handshakes that failed */
    tlsErrors: number;
}
export declare const dohStats: DohStats;
/** Counts one response by status (`dohStats.status`). */
export declare const countStatus: (status: number) => void;
/**
 * One HTTP version served on sockets that a listener hands over: TLS sockets after ALPN, or plain TCP
 * sockets under TLS offload (h2c by prior knowledge or HTTP/1.1, told apart by the first bytes). A
 * purpose-built HTTP/2 path replaces `h2` by implementing this and calling the same `dispatch` /
 * `env.handle`.
 */
export interface Transport {
    /** takes over a socket (TLS whose handshake chose this protocol, or plain TCP) */
    readonly accept: (socket: net.Socket) => void;
    /** graceful close: GOAWAY / `Connection: close`; requests in flight still get their answers */
    readonly drain: () => void;
    /** connections (sessions) still open */
    readonly open: () => number;
    /** destroys whatever is still open */
    readonly destroy: () => void;
}
export interface Env {
    readonly handle: (query: Uint8Array, ctx: QueryContext, reply: Reply) => void;
    readonly idleMs: number;
    readonly rejected: (response: StaticResponse, ctx: QueryContext) => void;
    readonly logDebug: ((msg: string) => void) | undefined;
    readonly logDefect: (msg: string, e: unknown) => void;
    readonly countTimeout: () => void;
    /** `PROXY_TRUSTED`: a peer in it may name the client with `X-Forwarded-For` (SPEC.md §2) */
    readonly proxyTrusted?: ReadonlyArray<Cidr>;
    /** the blocklists of a `/dns-query/<selector>` (`Blocklists.select`; undefined: the default ones) */
    readonly select: (selector: string | undefined) => number;
    /** the clock (ms, Effect's `Clock`): timeouts, and on TLS the record sizing (`TlsSessions/RecordWriter.ts`) */
    readonly now: () => number;
    /** the handshake of `socket` was TLS-PSK (its identity is the credential: no token needed) */
    readonly isPsk: (socket: tls.TLSSocket) => boolean;
    /** `ALLOW_CLIENTS`, `ACCESS_KEYS`, rate limits */
    readonly admission: Pick<Admission, "aclActive" | "tokensRequired" | "rateLimited" | "allowClient" | "checkToken" | "rate" | "refuse">;
}
/** What a transport does with one request: the same decision for every HTTP version. */
export type Dispatch = 
/** a GET's query: hand `message` to `env.handle` */
{
    readonly _tag: "Query";
    readonly message: Buffer;
    readonly ctx: QueryContext;
}
/** a POST: read `expected` bytes (or up to the limit, `-1` = unknown) with `bodyReader`, then `bodyMessage` */
 | {
    readonly _tag: "ReadBody";
    readonly expected: number;
    readonly ctx: QueryContext;
}
/** answer with a ready-made response (`env.rejected` is called for it by the transport) */
 | {
    readonly _tag: "Reply";
    readonly response: StaticResponse;
    readonly ctx: QueryContext;
};
/**
 * Decides what to do with one DoH request, for every transport (HTTP/2, HTTP/1.1, cleartext): the client
 * (`X-Forwarded-For` from a trusted peer), the route (`DohServer/Request.ts`), the blocklists of the path.
 */
export declare const dispatch: (env: Env, peer: QueryContext, method: string | undefined, path: string | undefined, contentType: string | undefined, contentLength: string | undefined, xForwardedFor: string | ReadonlyArray<string> | undefined) => Dispatch;
/** DNS over HTTPS/2 with the `stream` API of `node:http2` (not the slower compatibility API). */
export declare const makeH2: (env: Env) => Transport;
/**
 * DNS over HTTPS/1.1 on Node's own parser, keep-alive. The servers use `makeFastH1`
 * (`DohServer/H1.ts`, about twice as fast); this one stays as the reference its tests compare with.
 */
export declare const makeH1: (env: Env) => Transport;
/**
 * Listens with `server`; on release (and on `drain`) stops accepting and closes the transports gracefully
 * (GOAWAY, `Connection: close`), waits for their connections to close within `SHUTDOWN_TIMEOUT_MS`, then
 * destroys what is left. Shared by the TLS and the cleartext DoH listeners.
 */
export declare const listenAndDrain: (listener: string, server: net.Server, port: number, transports: ReadonlyArray<Transport>) => Effect.Effect<{
    address: net.AddressInfo;
    drain: Effect.Effect<void, never, never>;
}, import("../services/TlsServerRegistry.js").ListenError, ServerConfig | import("effect/Scope").Scope>;
/**
 * DNS over HTTPS (RFC 8484) on `DOH_PORT`: ONE `tls.Server` offering ALPN `h2` and `http/1.1`; each
 * handshake's ALPN choice picks the transport the TLS socket is handed to — `h2` to our own HTTP/2
 * transport (`DohServer/H2.ts`; `makeH2` on `node:http2` stays for comparison), anything else (including no
 * ALPN) to a plain `http.createServer()` (what `https.Server` does). Both route through
 * `DohServer/Request.ts` to `QueryHandler.handle`.
 *
 * Closing the scope stops accepting, sends GOAWAY on every HTTP/2 session and `Connection: close` on
 * HTTP/1.1 (idle ones are closed at once), waits until every connection has closed by itself (answers
 * in flight are still written), at most `SHUTDOWN_TIMEOUT_MS`, then destroys what is left. `drain`
 * starts the same graceful close earlier, without waiting (a shutdown program calls it right after
 * `stopAccepting`, so clients hear GOAWAY while queries drain).
 */
export declare const DohServer: Effect.Effect<{
    address: net.AddressInfo;
    server: tls.Server;
    /** starts the graceful close (GOAWAY, `Connection: close`) without waiting for it */
    drain: Effect.Effect<void, never, never>;
    /** HTTP/2 sessions and HTTP/1.1 connections open */
    openConnections: Effect.Effect<number, never, never>;
    stats: DohStats;
}, import("../services/TlsServerRegistry.js").ListenError, ServerConfig | import("effect/Scope").Scope | Blocklists | TlsSessions | TlsServerRegistry | QueryHandler | Admission>;
