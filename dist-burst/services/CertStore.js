import { Clock, Effect, Stream, SubscriptionRef } from "effect";
import { CertFetcher } from "./CertFetcher.js";
import { describeRejection, judge } from "./CertStore/Accept.js";
/**
 * The one certificate the whole process serves. It is loaded from the `CertFetcher` at start (a start
 * without a certificate is a fatal error); `offer` applies the checks of SPEC.md §4 to a candidate and
 * swaps it in when it passes, and every TLS listener follows `changes` (see `TlsServerRegistry`).
 */
export class CertStore extends Effect.Service()("vigil/CertStore", {
    effect: Effect.gen(function* () {
        const fetcher = yield* CertFetcher;
        const initial = yield* fetcher.initial;
        yield* Effect.logInfo(`serving certificate ${initial.subject} for ${[...initial.dnsNames, ...initial.ipAddresses].join(", ")} ` +
            `from ${initial.source}, valid until ${initial.notAfter.toISOString()}`).pipe(Effect.annotateLogs({ service: "CertStore" }));
        const ref = yield* SubscriptionRef.make(initial);
        const stats = { renewals: 0, renewalFailures: 0, rejected: 0 };
        const offer = (candidate) => Effect.gen(function* () {
            const now = yield* Clock.currentTimeMillis;
            return yield* SubscriptionRef.modify(ref, (current) => {
                const verdict = judge(current, candidate, now, current.source.startsWith("self-signed"));
                switch (verdict._tag) {
                    case "Same":
                        return [{ _tag: "Same" }, current];
                    case "Reject":
                        return [
                            { _tag: "Rejected", rejection: verdict.rejection, reason: describeRejection(verdict.rejection) },
                            current
                        ];
                    case "Accept":
                        return [{ _tag: "Replaced", previous: current, current: candidate }, candidate];
                }
            });
        }).pipe(Effect.tap((r) => Effect.sync(() => {
            if (r._tag === "Replaced")
                stats.renewals++;
            else if (r._tag === "Rejected")
                stats.rejected++;
        })), Effect.tap((r) => r._tag === "Replaced"
            ? Effect.logInfo(`new certificate from ${r.current.source}: valid until ${r.current.notAfter.toISOString()} ` +
                `(was ${r.previous.notAfter.toISOString()})`)
            : r._tag === "Rejected"
                ? Effect.logWarning(`rejected a certificate from ${candidate.source}: ${r.reason}; keeping the current one`)
                : Effect.logDebug(`${candidate.source} returned the certificate already served`)), Effect.annotateLogs({ service: "CertStore" }));
        /**
         * Serves `pair` without the checks of `offer`: a worker of `WORKERS=N` takes the certificate its
         * primary accepted (the primary logs the renewal; a worker only at debug).
         */
        const adopt = (pair) => SubscriptionRef.modify(ref, (current) => current.fingerprint === pair.fingerprint ? [false, current] : [true, pair]).pipe(Effect.tap((changed) => changed ? Effect.logDebug(`serving the certificate from ${pair.source}`) : Effect.void), Effect.annotateLogs({ service: "CertStore" }));
        return {
            current: SubscriptionRef.get(ref),
            adopt,
            /** the current certificate now and every later one */
            changes: ref.changes,
            offer,
            stats: () => ({ ...stats }),
            countFailure: () => {
                stats.renewalFailures++;
            },
            /** true while the served certificate is within its validity period */
            isValid: Effect.zipWith(SubscriptionRef.get(ref), Clock.currentTimeMillis, (c, now) => now >= c.notBefore.getTime() && now < c.notAfter.getTime())
        };
    })
}) {
}
//# sourceMappingURL=CertStore.js.map