import { Effect } from "effect";
import * as net from "node:net";
import type * as tls from "node:tls";
import { type ProxyAddress, type ProxyInvalidReason } from "../../services/ProxyProtocol.js";
import { ServerConfig } from "../../services/ServerConfig.js";
import { TlsServerRegistry } from "../../services/TlsServerRegistry.js";
/** Connections of `DOT_PROXY_PORT` refused before TLS (SPEC.md §8), by reason; process-wide like `dotBadInput`. */
export declare const proxyRefused: Record<ProxyInvalidReason | "Untrusted" | "NotAllowed" | "Timeout" | "Closed", number>;
/** Headers accepted on `DOT_PROXY_PORT`, by command. */
export declare const proxyAccepted: {
    proxy: number;
    local: number;
};
/**
 * `DOT_PROXY_PORT` (SPEC.md §2, `DOT_HAS_PROXY_PROTO`): a plain TCP listener ("dot-proxy" in the registry,
 * so shutdown, the connection limit and the counters see it). Only a peer in `PROXY_TRUSTED` may connect;
 * its PROXY v1/v2 header is read on the raw socket within the TLS handshake timeout, then the socket (the
 * bytes after the header pushed back) is handed to the DoT `tls.Server` as if it had just connected
 * there: one set of TLS options, certificate, ticket keys and session cache, and the certificate swap and
 * key rotation apply as they do on `DOT_PORT`. The header's source address goes into `clients`, keyed by
 * the registry's connection id (shared by the TCP and TLS socket), for the DoT query context.
 */
export declare const ProxyListener: (dot: tls.Server, clients: Map<number, ProxyAddress>, 
/** `ALLOW_CLIENTS` on the header's client address; false: the connection is closed before TLS */
allowClient: (address: string) => boolean, 
/** sockets handed over, which the DoT listener's own `ALLOW_CLIENTS` check (on the peer) skips */
handedOver: WeakSet<net.Socket>) => Effect.Effect<net.AddressInfo, import("../../services/TlsServerRegistry.js").ListenError, ServerConfig | import("effect/Scope").Scope | TlsServerRegistry>;
