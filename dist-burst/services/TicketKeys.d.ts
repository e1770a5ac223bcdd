import { Duration, Effect, type Scope } from "effect";
import { ServerConfig } from "./ServerConfig.js";
/** `S`: the HKDF salt of `tkt48` (PROTOCOLS.md §2). */
export declare const TKT48_SALT: Buffer<ArrayBuffer>;
/**
 * `tkt48(seed, ctx)` = HKDF-SHA256(ikm = SHA-512(seed), salt = S, info = SHA-512(ctx), 48): Node's
 * 48-byte ticket-key blob (16 bytes name ‖ 16 bytes HMAC key ‖ 16 bytes AES key).
 */
export declare const tkt48: (seed: Uint8Array, ctx: string) => Buffer;
/** The ticket-key context at `nowMs`: `"w" + floor(now_ms / rotation_ms) + IMAGE_REF`. */
export declare const ticketContext: (nowMs: number, periodMs: number, imageRef: string) => string;
/** The first period boundary after `nowMs` (a multiple of `periodMs` since the epoch). */
export declare const nextBoundary: (nowMs: number, periodMs: number) => number;
/**
 * The longest single sleep of the rotation fiber: a timer longer than 2^31-1 ms (24.8 days) never fires
 * (Effect's clock treats it as infinite), and a wall clock that jumps is noticed within this long.
 */
export declare const MAX_SLEEP: Duration.Duration;
/** What ticket keys are set on: a `tls.Server` (DoT and DoH alike). */
export interface TicketKeyTarget {
    readonly setTicketKeys: (keys: Buffer) => void;
}
/** Where the seed of the ticket keys came from (`cluster`: the primary's random seed, shared by its workers). */
export type TicketSeedSource = "TOP_SECRET_512_B64" | "TLS_PSK" | "cluster" | "random";
declare const TicketKeys_base: Effect.Service.Class<TicketKeys, "vigil/TicketKeys", {
    readonly effect: Effect.Effect<{
        /** where the seed came from: the fleet secret, the PSK seed or random bytes */
        source: TicketSeedSource;
        periodMs: number;
        keyAt: (nowMs: number) => Buffer;
        /** the key in force now */
        current: Effect.Effect<Buffer<ArrayBufferLike>, never, never>;
        manage: (target: TicketKeyTarget, label: string) => Effect.Effect<void, never, Scope.Scope>;
        reapply: (target: TicketKeyTarget) => void;
    }, never, ServerConfig>;
}>;
/**
 * Session-ticket keys (SPEC.md §5, PROTOCOLS.md §2): derived from the fleet secret and the current
 * period, so that every instance with the same secret and `IMAGE_REF` holds the same key at the same
 * time and resumes the others' tickets. `manage` applies the key to a TLS server and forks, in the
 * caller's scope (the server's), a fiber that wakes at every `TICKET_ROTATION` boundary of Effect's
 * `Clock` and applies the next key; the fiber ends with that scope.
 */
export declare class TicketKeys extends TicketKeys_base {
}
export {};
