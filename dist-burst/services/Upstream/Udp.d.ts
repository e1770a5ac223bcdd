/**
 * DNS over UDP to an upstream: one shared, connected socket per upstream (udp4 or udp6 by the address
 * family of the host), queries in flight keyed by a random ID never used twice at once, answers accepted
 * only from the upstream's address and port with the right ID and question (anything else is ignored,
 * as a spoofing attempt would be). A truncated answer is asked again over TCP to the same host and port.
 */
import { Effect, type Scope } from "effect";
import { type UpstreamShape } from "../Upstream.js";
import * as Tcp from "./Tcp.js";
export interface UdpSpec {
    readonly host: string;
    readonly port: number;
    readonly text: string;
}
/**
 * A DNS-over-UDP transport to `spec`, with a DNS-over-TCP transport to the same host and port for
 * truncated answers; both closed with the scope.
 */
export declare const make: (spec: UdpSpec, options?: Tcp.StreamOptions) => Effect.Effect<UpstreamShape, never, Scope.Scope>;
