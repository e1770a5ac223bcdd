import { Effect } from "effect";
import * as net from "node:net";
import { Admission } from "../services/Admission.js";
import { Blocklists } from "../services/Blocklists.js";
import { QueryHandler } from "../services/QueryHandler.js";
import { ServerConfig } from "../services/ServerConfig.js";
import { TlsServerRegistry } from "../services/TlsServerRegistry.js";
/** The HTTP/2 connection preface (RFC 9113 §3.4): how an h2c prior-knowledge client starts. */
export declare const H2_PREFACE: Buffer<ArrayBuffer>;
/**
 * Which transport the first bytes of a cleartext DoH connection ask for: `h2` once they are the HTTP/2
 * preface, `h1` as soon as they differ from it, `undecided` while they are a strict prefix of it.
 */
export declare const sniffHttpVersion: (head: Buffer) => "h2" | "h1" | "undecided";
/**
 * Cleartext DoT under TLS offload (SPEC.md §2 `TLS_OFFLOAD`): RFC 7766 over plain TCP on
 * `DOT_CLEARTEXT_PORT`, served by the same per-connection code as DoT.
 */
export declare const DotCleartextServer: Effect.Effect<{
    address: net.AddressInfo;
    server: net.Server;
}, import("../services/TlsServerRegistry.js").ListenError, ServerConfig | import("effect/Scope").Scope | Blocklists | TlsServerRegistry | QueryHandler | Admission>;
/**
 * Cleartext DoH under TLS offload on `DOH_CLEARTEXT_PORT`: HTTP/1.1 and h2c (prior knowledge) on the
 * same port, told apart by the first bytes, handed to the transports of `DohServer`.
 */
export declare const DohCleartextServer: Effect.Effect<{
    address: net.AddressInfo;
    server: net.Server;
    drain: Effect.Effect<void, never, never>;
}, import("../services/TlsServerRegistry.js").ListenError, ServerConfig | import("effect/Scope").Scope | Blocklists | TlsServerRegistry | QueryHandler | Admission>;
