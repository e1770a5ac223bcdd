/**
 * DNS over TLS to an upstream (RFC 7858): the pipelined stream transport of `Tcp.ts` over node:tls, with
 * SNI, ALPN "dot", certificate verification (always on; tests give their own trust anchor as `ca`) and
 * session resumption when the connection is made again.
 */
import { Effect, type Scope } from "effect";
import type { UpstreamShape } from "../Upstream.js";
import { type StreamOptions } from "./Tcp.js";
export interface TlsOptions extends StreamOptions {
    /** trust anchors (PEM) instead of Node's bundled CA store */
    readonly ca?: string | ReadonlyArray<string> | undefined;
}
export interface TlsSpec {
    readonly host: string;
    readonly port: number;
    /** SNI and the name the certificate must carry; default: `host` when it is a name */
    readonly servername: string | undefined;
    readonly text: string;
}
/** The `ca` option of node:tls for a trust-anchor setting. */
export declare const caOption: (ca: string | ReadonlyArray<string> | undefined) => {
    ca?: string | Array<string>;
};
/** A DoT transport to `spec` (one persistent, pipelined connection), closed with the scope. */
export declare const make: (spec: TlsSpec, options?: TlsOptions) => Effect.Effect<UpstreamShape, never, Scope.Scope>;
