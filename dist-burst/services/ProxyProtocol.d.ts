import { type Cidr } from "./ServerConfig.js";
export interface ProxyAddress {
    readonly address: string;
    readonly port: number;
}
export interface ProxyHeader {
    readonly version: 1 | 2;
    /** LOCAL (v2 health checks of the proxy itself): the connection's own peer is the client */
    readonly command: "PROXY" | "LOCAL";
    /** absent for LOCAL, v1 UNKNOWN and v2 UNSPEC: the connection's own peer is the client */
    readonly source?: ProxyAddress;
    readonly destination?: ProxyAddress;
}
export type ProxyInvalidReason = 
/** the bytes do not start a PROXY header (e.g. a TLS ClientHello straight away) */
"NoHeader"
/** a header that breaks the format */
 | "Malformed"
/** longer than 107 bytes (v1) or `MAX_V2_HEADER` (v2) */
 | "Oversized"
/** v2 over UDP or a UNIX socket: not a DoT client */
 | "Unsupported";
export declare const PROXY_INVALID_REASONS: ReadonlyArray<ProxyInvalidReason>;
export type ProxyParse = {
    readonly _tag: "Need";
} | {
    readonly _tag: "Done";
    readonly header: ProxyHeader;
    readonly consumed: number;
} | {
    readonly _tag: "Invalid";
    readonly reason: ProxyInvalidReason;
};
/** The longest v1 line, CRLF included (the protocol's own limit). */
export declare const MAX_V1_HEADER = 107;
/** The longest v2 header accepted: 16 fixed bytes + 216 (UNIX addresses) + room for TLVs. */
export declare const MAX_V2_HEADER = 536;
/** Parses the PROXY header at the start of `bytes` (everything received so far). */
export declare const parseProxyHeader: (bytes: Uint8Array) => ProxyParse;
/** RFC 5952 text of 16 bytes: lower case, the longest run (>= 2) of zero groups as `::`. */
export declare const ipv6: (b: Uint8Array, at?: number) => string;
/**
 * The client address of an HTTP request: the TCP peer, unless the peer is in `trusted` and the request
 * carries `X-Forwarded-For`; then the right-most address of the header that is not in `trusted` (every
 * proxy appends the address it received from, so the entries left of it could be made up by the client).
 * When every entry is trusted, the left-most; an unreadable entry stops the walk at the last trusted hop.
 */
export declare const forwardedClient: (peer: string | undefined, xForwardedFor: string | ReadonlyArray<string> | undefined, trusted: ReadonlyArray<Cidr>) => string | undefined;
/** `ctx` with the `X-Forwarded-For` client as its `remoteAddress` (`forwardedClient`); as is without `trusted`. */
export declare const forwardedContext: <C extends {
    readonly remoteAddress: string | undefined;
}>(ctx: C, xForwardedFor: string | ReadonlyArray<string> | undefined, trusted: ReadonlyArray<Cidr> | undefined) => C;
