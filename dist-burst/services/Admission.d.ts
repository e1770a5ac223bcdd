import { Effect } from "effect";
import { type Verdict } from "./ClientLimiter.js";
import type { Transport } from "./QueryHandler.js";
import { ServerConfig } from "./ServerConfig.js";
/** Why a client or a query was turned away (the `reason` label of `vigil_refused_total`). */
export type RefusalReason = "acl" | "token_missing" | "token_wrong" | "rate_limited" | "client_blocked";
export declare const REFUSAL_REASONS: ReadonlyArray<RefusalReason>;
/** Refusals by transport and reason. */
export type RefusalCounts = Record<Transport, Record<RefusalReason, number>>;
/** What a token check found: `ok`, or why not. */
export type TokenVerdict = "ok" | "token_missing" | "token_wrong";
/** Admission that admits everyone (no ACL, no tokens, no rate limit): for transports built without the service. */
export declare const OPEN_ADMISSION: {
    readonly aclActive: false;
    readonly tokensRequired: false;
    readonly rateLimited: false;
    readonly allowClient: () => true;
    readonly checkToken: () => "ok";
    readonly rate: () => "ok";
    readonly refuse: () => void;
};
declare const Admission_base: Effect.Service.Class<Admission, "vigil/Admission", {
    readonly effect: Effect.Effect<{
        /** `ALLOW_CLIENTS` is set: `allowClient` can say no */
        aclActive: boolean;
        /** `ACCESS_KEYS` is set: every query needs a token (or TLS-PSK) */
        tokensRequired: boolean;
        /** a rate limit is configured */
        rateLimited: boolean;
        /** may `address` (the real client) use the resolver; undefined (unknown) is refused when a list is set */
        allowClient: (address: string | undefined) => boolean;
        /** the token a request carries, checked in constant time against every key */
        checkToken: (candidate: string | undefined) => TokenVerdict;
        /** one query from `address` against its rate limit */
        rate: (address: string | undefined) => Verdict;
        /** counts a refusal */
        refuse: (transport: Transport, reason: RefusalReason) => void;
        read: () => {
            refused: {
                dot: {
                    acl: number;
                    token_missing: number;
                    token_wrong: number;
                    rate_limited: number;
                    client_blocked: number;
                };
                doh: {
                    acl: number;
                    token_missing: number;
                    token_wrong: number;
                    rate_limited: number;
                    client_blocked: number;
                };
            };
            limiter: import("./ClientLimiter/Limiter.js").LimiterStats;
            currentlyBlocked: number;
            clientsTracked: number;
        };
    }, never, ServerConfig>;
}>;
/**
 * Who may use the resolver (issue 8, SPEC.md §2): `ALLOW_CLIENTS` (checked on the real client address,
 * after PROXY / `X-Forwarded-For`), access tokens (`ACCESS_KEYS`: the first label of the DoT SNI or the
 * first DoH path segment, or a TLS-PSK connection), and per-client rate limits with dynamic blocks
 * (`RATE_LIMIT_*`, `BLOCK_*`, see `ClientLimiter`). Every check is synchronous plain code; the transports
 * decide what a refusal looks like (a closed connection, REFUSED, 401/403/429) and count it here.
 */
export declare class Admission extends Admission_base {
}
export {};
