import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Layer, Option, Redacted, Scope, TestClock } from "effect"
import { CertStore } from "../../src/services/CertStore.js"
import { mintCa, mintServerCert } from "../fixtures/Certs.js"
import { a, idOf, query } from "../fixtures/Dns.js"
import { connectDot } from "../fixtures/DotClient.js"
import * as StubCertService from "../fixtures/StubCertService.js"
import * as StubUpstream from "../fixtures/StubUpstream.js"
import { inlineCert, portOf, serverLayer, udpUpstream } from "../fixtures/TestServer.js"
import { dohSerial, dotSerial, serialOf } from "../fixtures/TlsProbe.js"

const KDF_SVC = "0a".repeat(32)
const WHO = "edge-test"
const MIN = 60_000
const DAY = 86_400_000

/** Real time passing (the TestClock does not move it): lets sockets and the stub do their work. */
const realSleep = (ms: number) => Effect.promise(() => new Promise<void>((r) => setTimeout(r, ms)))

describe("the whole app under TestClock, renewing from the certificate service", () => {
  it.scoped(
    "changes certificate exactly once, at the expected time, after rejecting every bad candidate",
    () =>
      Effect.gen(function*() {
        const T = Math.floor(Date.now() / 1000) * 1000
        yield* TestClock.setTime(T)
        const ca = yield* Effect.promise(() => mintCa())
        const mint = (opts: Parameters<typeof mintServerCert>[1]) => Effect.promise(() => mintServerCert(ca, opts))
        const first = yield* mint({ notBefore: new Date(T - MIN), notAfter: new Date(T + 2 * DAY) })
        const renewed = yield* mint({ notBefore: new Date(T - MIN), notAfter: new Date(T + 90 * DAY) })
        const otherNames = yield* mint({
          dnsNames: ["other.example"],
          notBefore: new Date(T - MIN),
          notAfter: new Date(T + 90 * DAY)
        })
        const expired = yield* mint({ notBefore: new Date(T - 30 * DAY), notAfter: new Date(T - DAY) })
        const stranger = yield* mint({ notAfter: new Date(T + 90 * DAY) })

        const service = yield* StubCertService.make({ kdfSvc: KDF_SVC, who: WHO })
        service.behave({ status: 503 })
        const upstream = yield* StubUpstream.make()
        upstream.set("one.test", "A", [a("one.test", "192.0.2.1", 300)])

        const serverScope = yield* Scope.make()
        const ctx = yield* Layer.buildWithScope(
          serverLayer(first, {
            tls: inlineCert(first),
            upstreams: [udpUpstream(upstream.port)],
            certServiceUrl: Option.some(service.url),
            kdfSvc: Option.some(Redacted.make(KDF_SVC)),
            hostIdentifier: WHO,
            certRenewBefore: Duration.days(1)
          }),
          serverScope
        )
        const dot = yield* portOf("dot").pipe(Effect.provide(ctx))
        const doh = yield* portOf("doh").pipe(Effect.provide(ctx))
        const store = yield* CertStore.pipe(Effect.provide(ctx))
        const fetchTimes = () => service.requests().map((r) => (r.now ?? NaN) - T)

        // the service failed at start: the TLS_CERTKEY certificate is served
        expect(fetchTimes()).toEqual([0])
        expect(yield* dotSerial(dot, ca.caPem)).toBe(serialOf(first))
        const before = yield* connectDot(dot, ca.caPem)

        /** Moves the clock, waits for the fetch it causes, checks the first certificate is still served. */
        const rejectedAt = (advance: number, fetches: number) =>
          Effect.gen(function*() {
            yield* TestClock.adjust(Duration.millis(advance))
            yield* Effect.promise(() => service.waitForRequests(fetches))
            yield* realSleep(100)
            expect(yield* dotSerial(dot, ca.caPem)).toBe(serialOf(first))
          })

        // nothing happens before the window opens a day before expiry
        yield* TestClock.adjust(Duration.millis(DAY - 1))
        yield* realSleep(200)
        expect(fetchTimes()).toEqual([0])

        // in the window: each bad answer is rejected, and the next try follows 6 min × tries left
        service.behave({})
        service.setCertificate(otherNames) // names: does not cover localhost
        yield* rejectedAt(1, 2)
        service.behave({ replay: true }) // the previous answer, sealed for another path
        yield* rejectedAt(114 * MIN, 3)
        service.behave({ tamper: true })
        yield* rejectedAt(108 * MIN, 4)
        service.behave({ sealWho: "somebody-else" }) // wrong AAD
        yield* rejectedAt(102 * MIN, 5)
        service.behave({})
        service.setCertificate(expired)
        yield* rejectedAt(96 * MIN, 6)
        service.setCertificate({ certPem: renewed.certPem, keyPem: stranger.keyPem }) // key does not match
        yield* rejectedAt(90 * MIN, 7)
        expect(store.stats()).toMatchObject({ renewals: 0, rejected: 2 })

        // the server kept answering through all of it
        before.send(query("one.test", "A", { id: 1 }))
        expect(idOf((yield* before.answers(1))[0]!)).toBe(1)

        service.setCertificate(renewed)
        yield* TestClock.adjust(Duration.millis(84 * MIN))
        yield* Effect.promise(() => service.waitForRequests(8))
        yield* realSleep(200)
        expect(yield* dotSerial(dot, ca.caPem)).toBe(serialOf(renewed))
        expect(yield* dohSerial(doh, ca.caPem)).toBe(serialOf(renewed))
        // a connection opened before the swap still gets answers
        before.send(query("one.test", "A", { id: 2 }))
        expect(idOf((yield* before.answers(2))[1]!)).toBe(2)

        // and nothing more: the next window opens at 89 days
        yield* TestClock.adjust(Duration.days(2))
        yield* realSleep(200)
        const w = DAY
        expect(fetchTimes()).toEqual([
          0,
          w,
          w + 114 * MIN,
          w + 222 * MIN,
          w + 324 * MIN,
          w + 420 * MIN,
          w + 510 * MIN,
          w + 594 * MIN
        ])
        expect(store.stats()).toMatchObject({ renewals: 1, renewalFailures: 6 })

        // shutdown waits on the clock (drain polls, close grace): move the test clock while it runs
        const closing = yield* Effect.fork(Scope.close(serverScope, Exit.void))
        while (closing.unsafePoll() === null) {
          yield* TestClock.adjust(Duration.millis(100))
          yield* realSleep(10)
        }
      }),
    60_000
  )
})
