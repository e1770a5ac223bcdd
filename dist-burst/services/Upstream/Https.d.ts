/**
 * DNS over HTTPS to an upstream (RFC 8484): one HTTP/2 session per upstream, reused by every query and
 * made again when it closes or the server sends GOAWAY; each query is a POST of `application/dns-message`
 * with message ID 0 (RFC 8484 §4.1), whose answer must come with status 200, the same content type, at
 * most 65535 bytes, ID 0 and the question that was asked.
 */
import { Effect, type Scope } from "effect";
import { type UpstreamShape } from "../Upstream.js";
import * as Tcp from "./Tcp.js";
export interface HttpsOptions extends Tcp.StreamOptions {
    /** trust anchors (PEM) instead of Node's bundled CA store */
    readonly ca?: string | ReadonlyArray<string> | undefined;
}
export interface HttpsSpec {
    readonly url: URL;
    readonly text: string;
}
/** A DoH transport to `spec` (one HTTP/2 session), closed with the scope. */
export declare const make: (spec: HttpsSpec, options?: HttpsOptions) => Effect.Effect<UpstreamShape, never, Scope.Scope>;
