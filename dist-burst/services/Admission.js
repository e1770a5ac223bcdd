import { Effect, Option } from "effect";
import { makeVerifier } from "./AccessKeys.js";
import { ClientLimiter } from "./ClientLimiter.js";
import { inCidrs, ServerConfig } from "./ServerConfig.js";
export const REFUSAL_REASONS = [
    "acl",
    "token_missing",
    "token_wrong",
    "rate_limited",
    "client_blocked"
];
/** Admission that admits everyone (no ACL, no tokens, no rate limit): for transports built without the service. */
export const OPEN_ADMISSION = {
    aclActive: false,
    tokensRequired: false,
    rateLimited: false,
    allowClient: () => true,
    checkToken: () => "ok",
    rate: () => "ok",
    refuse: () => { }
};
/**
 * Who may use the resolver (issue 8, SPEC.md §2): `ALLOW_CLIENTS` (checked on the real client address,
 * after PROXY / `X-Forwarded-For`), access tokens (`ACCESS_KEYS`: the first label of the DoT SNI or the
 * first DoH path segment, or a TLS-PSK connection), and per-client rate limits with dynamic blocks
 * (`RATE_LIMIT_*`, `BLOCK_*`, see `ClientLimiter`). Every check is synchronous plain code; the transports
 * decide what a refusal looks like (a closed connection, REFUSED, 401/403/429) and count it here.
 */
export class Admission extends Effect.Service()("vigil/Admission", {
    effect: Effect.gen(function* () {
        const config = yield* ServerConfig;
        const limiter = yield* ClientLimiter.make({
            qps: config.rateLimitQps,
            burst: config.rateLimitBurst === 0 ? undefined : config.rateLimitBurst,
            blockAfterS: config.blockAfterS,
            blockForS: config.blockForS,
            v4Prefix: config.rateLimitV4Prefix,
            v6Prefix: config.rateLimitV6Prefix
        });
        const allow = Option.getOrUndefined(config.allowClients);
        const verifier = Option.match(config.accessKeys, { onNone: () => undefined, onSome: (keys) => makeVerifier(keys) });
        const refused = {
            dot: { acl: 0, token_missing: 0, token_wrong: 0, rate_limited: 0, client_blocked: 0 },
            doh: { acl: 0, token_missing: 0, token_wrong: 0, rate_limited: 0, client_blocked: 0 }
        };
        return {
            /** `ALLOW_CLIENTS` is set: `allowClient` can say no */
            aclActive: allow !== undefined,
            /** `ACCESS_KEYS` is set: every query needs a token (or TLS-PSK) */
            tokensRequired: verifier !== undefined,
            /** a rate limit is configured */
            rateLimited: limiter.enabled,
            /** may `address` (the real client) use the resolver; undefined (unknown) is refused when a list is set */
            allowClient: (address) => allow === undefined || (address !== undefined && inCidrs(address, allow)),
            /** the token a request carries, checked in constant time against every key */
            checkToken: (candidate) => verifier === undefined
                ? "ok"
                : candidate === undefined || candidate.length === 0
                    ? "token_missing"
                    : verifier(candidate)
                        ? "ok"
                        : "token_wrong",
            /** one query from `address` against its rate limit */
            rate: (address) => !limiter.enabled || address === undefined ? "ok" : limiter.check(address),
            /** counts a refusal */
            refuse: (transport, reason) => {
                refused[transport][reason]++;
            },
            read: () => ({
                refused: { dot: { ...refused.dot }, doh: { ...refused.doh } },
                limiter: limiter.stats(),
                currentlyBlocked: limiter.currentlyBlocked(),
                clientsTracked: limiter.size()
            })
        };
    })
}) {
}
//# sourceMappingURL=Admission.js.map