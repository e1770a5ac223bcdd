import { Clock, Data, Duration, Effect, Schedule, Stream } from "effect";
import { CertFetcher } from "../services/CertFetcher.js";
import { CertStore } from "../services/CertStore.js";
import { ServerConfig } from "../services/ServerConfig.js";
const MINUTE = 60_000;
/** After `CERT_MAX_ATTEMPTS` failed tries the loop keeps trying this often (SPEC.md §4 fix). */
export const FALLBACK_PERIOD = Duration.hours(1);
/** Milliseconds until the renewal window opens (`renewBefore` before expiry); 0 inside it. */
export const untilWindow = (notAfter, now, renewBeforeMs) => Math.max(0, notAfter - renewBeforeMs - now);
/**
 * Milliseconds until the next try after `failed` failed tries inside the window (SPEC.md §4): 1 minute
 * when at most 1 minute of validity remains; else 6 minutes × tries left, but never at or past expiry —
 * then `max(1 min, remaining − 1 min)`.
 */
export const retryDelay = (notAfter, now, failed, maxAttempts) => {
    const remaining = notAfter - now;
    if (remaining <= MINUTE)
        return MINUTE;
    const delay = 6 * MINUTE * Math.max(1, maxAttempts - failed);
    return delay >= remaining ? Math.max(MINUTE, remaining - MINUTE) : delay;
};
const fmt = (ms) => Duration.format(Duration.millis(Math.max(0, Math.round(ms))));
/**
 * The retries inside the renewal window: at most `maxAttempts` tries in all (so `maxAttempts − 1`
 * recurrences), each delay computed by `retryDelay` from the served certificate's expiry at that moment.
 */
export const retrySchedule = (notAfter, maxAttempts) => Schedule.count.pipe(Schedule.whileOutput((n) => n < maxAttempts - 1), Schedule.addDelayEffect((n) => Effect.zipWith(notAfter, Clock.currentTimeMillis, (expiry, now) => {
    const delay = retryDelay(expiry, now, n + 1, maxAttempts);
    return { delay, expiry, now };
}).pipe(Effect.tap(({ delay, expiry, now }) => Effect.logDebug(`renewal try ${n + 1} of ${maxAttempts} failed; next in ${fmt(delay)} ` +
    `(${fmt(expiry - now)} of validity left, 6 min × ${maxAttempts - n - 1} tries left)`)), Effect.map(({ delay }) => Duration.millis(delay)))));
/** Repeats the renewal cycle, each time waiting until the window of the certificate then served opens. */
export const windowSchedule = (notAfter, renewBeforeMs) => Schedule.forever.pipe(Schedule.addDelayEffect(() => Effect.zipWith(notAfter, Clock.currentTimeMillis, (expiry, now) => ({ expiry, now })).pipe(Effect.tap(({ expiry, now }) => Effect.logDebug(`certificate expires ${new Date(expiry).toISOString()}; renewal window opens in ` +
    `${fmt(untilWindow(expiry, now, renewBeforeMs))} (${fmt(renewBeforeMs)} before expiry)`)), Effect.map(({ expiry, now }) => Duration.millis(untilWindow(expiry, now, renewBeforeMs))))));
/** A renewal try that did not produce a newer certificate. */
export class NotRenewed extends Data.TaggedError("NotRenewed") {
}
/**
 * Certificate renewal (SPEC.md §4): a `Schedule` that sleeps until `CERT_RENEW_BEFORE` before expiry,
 * then fetches with the backoff of `retrySchedule`; after `CERT_MAX_ATTEMPTS` failed tries it reports the
 * failure and tries hourly; after a success it schedules again from the new certificate's expiry. A
 * source that signals a change (a certificate file written) is asked at once, besides the schedule.
 */
export const CertRenewal = Effect.gen(function* () {
    const config = yield* ServerConfig;
    const store = yield* CertStore;
    const fetcher = yield* CertFetcher;
    const renewBeforeMs = Duration.toMillis(config.certRenewBefore);
    const maxAttempts = config.certMaxAttempts;
    const notAfter = Effect.map(store.current, (c) => c.notAfter.getTime());
    const inWindow = Effect.zipWith(notAfter, Clock.currentTimeMillis, (e, now) => untilWindow(e, now, renewBeforeMs) === 0);
    /** One try: fetch, offer to the store; anything but a replacement is a failure to retry. */
    const attempt = fetcher.fetch.pipe(Effect.mapError((e) => new NotRenewed({ reason: e.message })), Effect.flatMap(store.offer), Effect.flatMap((r) => r._tag === "Replaced"
        ? Effect.void
        : Effect.fail(new NotRenewed({ reason: r._tag === "Same" ? "the source returned the same certificate" : r.reason }))), Effect.tapError((e) => Effect.sync(store.countFailure).pipe(Effect.zipRight(Effect.logDebug(`renewal from ${fetcher.describe} failed: ${e.reason}`)))));
    /** A try that first checks whether another path (a file change) already renewed the certificate. */
    const renewOnce = Effect.flatMap(inWindow, (due) => (due ? attempt : Effect.void));
    const cycle = Effect.flatMap(inWindow, (due) => due
        ? renewOnce.pipe(Effect.retry(retrySchedule(notAfter, maxAttempts)), Effect.catchAll((e) => Effect.logError(`certificate renewal failed ${maxAttempts} times (last: ${e.reason}); trying every ` +
            `${Duration.format(FALLBACK_PERIOD)} from now on`).pipe(Effect.zipRight(Effect.retry(Effect.delay(renewOnce, FALLBACK_PERIOD), Schedule.forever)))))
        : Effect.void);
    const onChange = fetcher.changes.pipe(Stream.runForEach(() => fetcher.fetch.pipe(Effect.flatMap(store.offer), Effect.catchAll((e) => Effect.logWarning(`certificate source changed but could not be read: ${e.message}`)))));
    yield* Effect.logDebug(`certificate renewal from ${fetcher.describe}, ${fmt(renewBeforeMs)} before expiry, ${maxAttempts} tries`);
    return yield* Effect.zipRight(Effect.forkScoped(onChange), Effect.repeat(cycle, windowSchedule(notAfter, renewBeforeMs))).pipe(Effect.zipRight(Effect.never));
}).pipe(Effect.annotateLogs({ service: "CertRenewal" }));
//# sourceMappingURL=CertRenewal.js.map