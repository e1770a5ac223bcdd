import { Duration, Effect, Schedule } from "effect";
import { CertFetcher } from "../services/CertFetcher.js";
import { CertStore } from "../services/CertStore.js";
import { ServerConfig } from "../services/ServerConfig.js";
/** After `CERT_MAX_ATTEMPTS` failed tries the loop keeps trying this often (SPEC.md §4 fix). */
export declare const FALLBACK_PERIOD: Duration.Duration;
/** Milliseconds until the renewal window opens (`renewBefore` before expiry); 0 inside it. */
export declare const untilWindow: (notAfter: number, now: number, renewBeforeMs: number) => number;
/**
 * Milliseconds until the next try after `failed` failed tries inside the window (SPEC.md §4): 1 minute
 * when at most 1 minute of validity remains; else 6 minutes × tries left, but never at or past expiry —
 * then `max(1 min, remaining − 1 min)`.
 */
export declare const retryDelay: (notAfter: number, now: number, failed: number, maxAttempts: number) => number;
/**
 * The retries inside the renewal window: at most `maxAttempts` tries in all (so `maxAttempts − 1`
 * recurrences), each delay computed by `retryDelay` from the served certificate's expiry at that moment.
 */
export declare const retrySchedule: (notAfter: Effect.Effect<number>, maxAttempts: number) => Schedule.Schedule<number, unknown, never>;
/** Repeats the renewal cycle, each time waiting until the window of the certificate then served opens. */
export declare const windowSchedule: (notAfter: Effect.Effect<number>, renewBeforeMs: number) => Schedule.Schedule<number, unknown, never>;
declare const NotRenewed_base: new <A extends Record<string, any> = {}>(args: import("effect/Types").VoidIfEmpty<{ readonly [P in keyof A as P extends "_tag" ? never : P]: A[P]; }>) => import("effect/Cause").YieldableError & {
    readonly _tag: "NotRenewed";
} & Readonly<A>;
/** A renewal try that did not produce a newer certificate. */
export declare class NotRenewed extends NotRenewed_base<{
    readonly reason: string;
}> {
}
/**
 * Certificate renewal (SPEC.md §4): a `Schedule` that sleeps until `CERT_RENEW_BEFORE` before expiry,
 * then fetches with the backoff of `retrySchedule`; after `CERT_MAX_ATTEMPTS` failed tries it reports the
 * failure and tries hourly; after a success it schedules again from the new certificate's expiry. A
 * source that signals a change (a certificate file written) is asked at once, besides the schedule.
 */
export declare const CertRenewal: Effect.Effect<never, NotRenewed, ServerConfig | import("effect/Scope").Scope | CertFetcher | CertStore>;
export {};
