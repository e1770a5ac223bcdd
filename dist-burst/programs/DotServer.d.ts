import { Effect } from "effect";
import type * as net from "node:net";
import * as tls from "node:tls";
import { Admission } from "../services/Admission.js";
import { Blocklists } from "../services/Blocklists.js";
import { QueryHandler } from "../services/QueryHandler.js";
import { ServerConfig } from "../services/ServerConfig.js";
import { TlsServerRegistry } from "../services/TlsServerRegistry.js";
import { TlsSessions } from "../services/TlsSessions.js";
/**
 * The blocklist selector of a DoT connection (SPEC.md §7): the first label of its SNI (`ads-malware` in
 * `ads-malware.dns.example.com`), unless the SNI is exactly a name of the served certificate (then the
 * client named no lists) or has a single label. Undefined: none.
 */
export declare const sniSelector: (servername: string | false | null | undefined, served: ReadonlySet<string>) => string | undefined;
export { dotBadInput, MAX_IN_FLIGHT_PER_CONNECTION } from "./DotServer/Connection.js";
/**
 * DNS over TLS (RFC 7858 over RFC 7766 framing) on `DOT_PORT`: split and pipelined queries, answers
 * written as soon as each is ready (out of order), a per-connection in-flight cap, ALPN `dot`, idle
 * timeout `WORKER_TIMEOUT`, half-close honoured (answers still go out after the client's FIN).
 */
export declare const DotServer: Effect.Effect<{
    address: net.AddressInfo;
    server: tls.Server;
    proxyAddress: net.AddressInfo | undefined;
}, import("../services/TlsServerRegistry.js").ListenError, ServerConfig | import("effect/Scope").Scope | Blocklists | TlsSessions | TlsServerRegistry | QueryHandler | Admission>;
