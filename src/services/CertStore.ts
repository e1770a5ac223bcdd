import { Clock, Effect, Stream, SubscriptionRef } from "effect"
import { CertFetcher, type CertKeyPair } from "./CertFetcher.js"

/**
 * The one certificate the whole process serves. It is loaded from the `CertFetcher` at start (a start
 * without a certificate is a fatal error); `replace` swaps it, and every TLS listener follows `changes`
 * (see `TlsServerRegistry`). Renewal (a later program) decides when to call `replace`.
 */
export class CertStore extends Effect.Service<CertStore>()("vigil/CertStore", {
  effect: Effect.gen(function*() {
    const fetcher = yield* CertFetcher
    const initial = yield* fetcher.fetch
    yield* Effect.logInfo(
      `serving certificate ${initial.subject} for ${[...initial.dnsNames, ...initial.ipAddresses].join(", ")} ` +
        `from ${initial.source}, valid until ${initial.notAfter.toISOString()}`
    ).pipe(Effect.annotateLogs({ service: "CertStore" }))
    const ref = yield* SubscriptionRef.make<CertKeyPair>(initial)
    return {
      current: SubscriptionRef.get(ref),
      /** the current certificate now and every later one */
      changes: ref.changes as Stream.Stream<CertKeyPair>,
      replace: (next: CertKeyPair) => SubscriptionRef.set(ref, next),
      /** true while the served certificate is within its validity period */
      isValid: Effect.zipWith(
        SubscriptionRef.get(ref),
        Clock.currentTimeMillis,
        (c, now) => now >= c.notBefore.getTime() && now < c.notAfter.getTime()
      )
    }
  })
}) {}
