import { NodeHttpClient } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, Fiber, Layer, Logger, LogLevel, Option, Redacted, TestClock } from "effect"
import * as crypto from "node:crypto"
import type { CertError, CertKeyPair } from "../../src/services/CertFetcher/Pem.js"
import { makeRemoteFetcher, remoteFetcherFromConfig } from "../../src/services/CertFetcher/Remote.js"
import { certServiceKeys, toHex } from "../../src/services/Crypto.js"
import { ServerConfig } from "../../src/services/ServerConfig.js"
import { mintCerts, type TestCerts } from "../fixtures/Certs.js"
import * as StubCertService from "../fixtures/StubCertService.js"

const WHO = "dns-1.vigil.test"
const NOW = Date.parse("2025-08-01T12:00:00Z")
const BEFORE_MIDNIGHT = Date.parse("2025-08-01T23:59:59.500Z")
const AFTER_MIDNIGHT = Date.parse("2025-08-02T00:00:00.500Z")

/** A random KDF_SVC per test run: the secret the errors must never show. */
const KDF_SVC = crypto.randomBytes(40).toString("hex")
const KEYS = Either.getOrThrow(certServiceKeys(KDF_SVC))

const fingerprint = (pem: string) => new crypto.X509Certificate(pem).fingerprint256.replaceAll(":", "").toLowerCase()
const serial = (pem: string) => new crypto.X509Certificate(pem).serialNumber.toLowerCase()

/** The stub, serving a freshly minted certificate. */
const setup = (options: Partial<StubCertService.StubCertServiceOptions> = {}) =>
  Effect.gen(function*() {
    const certs = yield* Effect.promise(() => mintCerts({ dnsNames: ["dns.vigil.test"] }))
    const stub = yield* StubCertService.make({ kdfSvc: KDF_SVC, who: WHO, ...options })
    stub.setCertificate(certs)
    return { certs, stub }
  })

const fetcherFor = (
  stub: StubCertService.StubCertService,
  overrides: { readonly who?: string; readonly timeout?: Duration.DurationInput; readonly kdfSvc?: string } = {}
) =>
  makeRemoteFetcher({
    url: stub.url,
    keys: overrides.kdfSvc === undefined ? KEYS : Either.getOrThrow(certServiceKeys(overrides.kdfSvc)),
    who: overrides.who ?? WHO,
    timeout: overrides.timeout ?? Duration.seconds(10)
  })

/** Nothing secret in anything an operator could see of the error. */
const expectNoSecrets = (error: CertError, certs: TestCerts, stub: StubCertService.StubCertService) => {
  const shown = [error.message, error.detail, String(error), JSON.stringify(error), error.stack ?? ""].join("\n")
  const keyBody = certs.keyPem.split("\n").filter((l) => l !== "" && !l.startsWith("-----"))
  const secrets = [
    KDF_SVC,
    KDF_SVC.slice(0, 64),
    toHex(KEYS.aesKey),
    toHex(KEYS.macKey),
    Buffer.from(certs.keyPem).toString("base64").slice(0, 40),
    ...keyBody,
    ...stub.bodies().map((b) => b.slice(0, 64)),
    ...stub.requests().flatMap((r) => (r.authz === undefined ? [] : [r.authz]))
  ]
  for (const secret of secrets) expect(shown).not.toContain(secret)
}

const expectCertificate = (pair: CertKeyPair, certs: TestCerts) => {
  expect(pair.fingerprint).toBe(fingerprint(certs.leafPem))
  expect(serial(pair.certPem)).toBe(serial(certs.leafPem))
  expect(pair.dnsNames).toEqual(["dns.vigil.test"])
  expect(pair.notAfter.getTime()).toBe(Math.floor(certs.notAfter.getTime() / 1000) * 1000)
  expect(Redacted.value(pair.keyPem)).toBe(certs.keyPem)
}

describe("CertFetcher remote (PROTOCOLS.md §1, against a real stub service)", () => {
  it.scoped("fetches, decrypts and parses the stub's certificate; the path is <base><now> with now from the Clock", () =>
    Effect.gen(function*() {
      const { certs, stub } = yield* setup()
      yield* TestClock.setTime(NOW)
      const fetcher = yield* fetcherFor(stub)
      expect(fetcher.describe).toBe(`certificate service http://127.0.0.1:${stub.port}/x/crt/`)

      expectCertificate(yield* fetcher.fetch, certs)
      yield* TestClock.adjust(Duration.hours(1))
      expectCertificate(yield* fetcher.fetch, certs)

      const requests = stub.requests()
      expect(requests.map((r) => r.path)).toEqual([`/x/crt/${NOW}`, `/x/crt/${NOW + 3_600_000}`])
      expect(requests.map((r) => r.now)).toEqual([NOW, NOW + 3_600_000])
      expect(requests.every((r) => r.method === "GET" && r.who === WHO && r.authorized && r.status === 200)).toBe(
        true
      )
      // no trace-propagation headers go to the service
      expect(requests[0]?.headerNames.filter((h) => /^(traceparent|tracestate|b3)$/.test(h))).toEqual([])
    }).pipe(Effect.provide(NodeHttpClient.layer)))

  it.scoped("https: a client trusting the stub's CA fetches; one that does not fails with Http", () =>
    Effect.gen(function*() {
      const tlsCerts = yield* Effect.promise(() => mintCerts())
      const { certs, stub } = yield* setup({ tls: tlsCerts })
      yield* TestClock.setTime(NOW)
      expect(stub.url.protocol).toBe("https:")

      // trusts the CA of the service's own certificate
      const trustingService = Layer.provide(
        NodeHttpClient.layerWithoutAgent,
        NodeHttpClient.makeAgentLayer({ ca: tlsCerts.caPem })
      )
      const pair = yield* fetcherFor(stub).pipe(
        Effect.flatMap((f) => f.fetch),
        Effect.provide(trustingService)
      )
      expectCertificate(pair, certs)

      const untrusted = yield* fetcherFor(stub).pipe(
        Effect.flatMap((f) => Effect.flip(f.fetch)),
        // trusts another CA only (the one of the certificate served)
        Effect.provide(
          Layer.provide(NodeHttpClient.layerWithoutAgent, NodeHttpClient.makeAgentLayer({ ca: certs.caPem }))
        )
      )
      expect(untrusted.reason).toBe("Http")
      expect(untrusted.message).toContain("request failed (Transport)")
      expectNoSecrets(untrusted, certs, stub)
    }))

  it.scoped("a tampered ciphertext byte is Decrypt", () =>
    Effect.gen(function*() {
      const { certs, stub } = yield* setup()
      yield* TestClock.setTime(NOW)
      stub.behave({ tamper: true })
      const error = yield* Effect.flip((yield* fetcherFor(stub)).fetch)
      expect(error.reason).toBe("Decrypt")
      expect(error.message).toContain("authentication failed")
      expect(stub.requests()).toHaveLength(1)
      expectNoSecrets(error, certs, stub)
    }).pipe(Effect.provide(NodeHttpClient.layer)))

  it.scoped("an answer sealed for another who (wrong AAD) is Decrypt", () =>
    Effect.gen(function*() {
      const { certs, stub } = yield* setup()
      yield* TestClock.setTime(NOW)
      stub.behave({ sealWho: "dns-2.vigil.test" })
      const error = yield* Effect.flip((yield* fetcherFor(stub)).fetch)
      expect(error.reason).toBe("Decrypt")
      expectNoSecrets(error, certs, stub)
    }).pipe(Effect.provide(NodeHttpClient.layer)))

  it.scoped("an earlier answer replayed for a later request is Decrypt (the path is in the AAD)", () =>
    Effect.gen(function*() {
      const { certs, stub } = yield* setup()
      yield* TestClock.setTime(NOW)
      const fetcher = yield* fetcherFor(stub)
      expectCertificate(yield* fetcher.fetch, certs)
      yield* TestClock.adjust(Duration.minutes(5))
      stub.behave({ replay: true })
      const error = yield* Effect.flip(fetcher.fetch)
      expect(error.reason).toBe("Decrypt")
      expect(stub.bodies()[1]).toBe(stub.bodies()[0])
      expectNoSecrets(error, certs, stub)
    }).pipe(Effect.provide(NodeHttpClient.layer)))

  it.scoped("non-2xx is Http with the status: a server error, a bad authz (other KDF_SVC), an unknown who", () =>
    Effect.gen(function*() {
      const { certs, stub } = yield* setup()
      yield* TestClock.setTime(NOW)
      stub.behave({ status: 500 })
      const e500 = yield* Effect.flip((yield* fetcherFor(stub)).fetch)
      expect([e500.reason, e500.detail]).toEqual(["Http", `GET ${stub.url.origin}/x/crt/${NOW} answered status 500`])
      stub.behave({ status: 302 })
      const e302 = yield* Effect.flip((yield* fetcherFor(stub)).fetch)
      expect([e302.reason, e302.message]).toEqual(["Http", expect.stringContaining("status 302")])

      stub.behave({})
      const otherKdf = "0b".repeat(32)
      const e401 = yield* Effect.flip((yield* fetcherFor(stub, { kdfSvc: otherKdf })).fetch)
      expect([e401.reason, e401.message]).toEqual(["Http", expect.stringContaining("status 401")])
      expect(e401.message).not.toContain(otherKdf)
      const e403 = yield* Effect.flip((yield* fetcherFor(stub, { who: "intruder" })).fetch)
      expect([e403.reason, e403.message]).toEqual(["Http", expect.stringContaining("status 403")])
      expect(stub.requests().map((r) => [r.status, r.authorized])).toEqual([
        [500, true],
        [302, true],
        [401, false],
        [403, true]
      ])
      for (const e of [e500, e302, e401, e403]) expectNoSecrets(e, certs, stub)
    }).pipe(Effect.provide(NodeHttpClient.layer)))

  it.scoped("a body that is not hex, or too short, is Parse; long enough hex garbage is Decrypt", () =>
    Effect.gen(function*() {
      const { certs, stub } = yield* setup()
      yield* TestClock.setTime(NOW)
      const fetcher = yield* fetcherFor(stub)
      stub.behave({ body: "<html>not a certificate</html>" })
      const notHex = yield* Effect.flip(fetcher.fetch)
      expect([notHex.reason, notHex.message]).toEqual(["Parse", expect.stringContaining("not hex")])
      expect(notHex.message).not.toContain("<html>")
      stub.behave({ body: "abcd" })
      const short = yield* Effect.flip(fetcher.fetch)
      expect([short.reason, short.message]).toEqual(["Parse", expect.stringContaining("too short (2 bytes)")])
      stub.behave({ body: "5a".repeat(200) })
      const garbage = yield* Effect.flip(fetcher.fetch)
      expect(garbage.reason).toBe("Decrypt")
      expect(garbage.message).not.toContain("5a5a5a")
      for (const e of [notHex, short, garbage]) expectNoSecrets(e, certs, stub)
    }).pipe(Effect.provide(NodeHttpClient.layer)))

  it.live("a service slower than WORKER_TIMEOUT is Timeout, reported at the deadline", () =>
    Effect.gen(function*() {
      const { certs, stub } = yield* setup()
      stub.behave({ delayMs: 5_000 })
      const fetcher = yield* fetcherFor(stub, { timeout: Duration.millis(300) })
      const started = performance.now()
      const error = yield* Effect.flip(fetcher.fetch)
      const elapsed = performance.now() - started
      expect(error.reason).toBe("Timeout")
      expect(error.message).toContain("no complete answer within 300ms")
      expect(elapsed).toBeGreaterThanOrEqual(290)
      expect(elapsed).toBeLessThan(2_500)
      expect(stub.requests()).toHaveLength(1)
      expectNoSecrets(error, certs, stub)
    }).pipe(Effect.provide(NodeHttpClient.layer), Effect.scoped))

  describe("across UTC midnight (the answer held by the stub while the TestClock moves)", () => {
    /** Requests at 23:59:59.5, the stub holds its answer, the clock moves to `decryptAt`, the answer goes. */
    const acrossMidnight = (behaviour: StubCertService.StubCertBehaviour, decryptAt: number) =>
      Effect.gen(function*() {
        const { certs, stub } = yield* setup()
        yield* TestClock.setTime(BEFORE_MIDNIGHT)
        stub.behave({ ...behaviour, hold: true })
        const fiber = yield* Effect.fork((yield* fetcherFor(stub)).fetch)
        yield* Effect.promise(() => stub.waitForRequests(1))
        yield* TestClock.setTime(decryptAt)
        stub.release()
        const result = yield* Effect.either(Fiber.join(fiber))
        expect(stub.requests()[0]?.now).toBe(BEFORE_MIDNIGHT)
        return { result, certs, stub }
      })

    it.scoped("sealed with the request's date (Friday), opened on Saturday: decrypts at once", () =>
      Effect.gen(function*() {
        const { certs, result } = yield* acrossMidnight({}, AFTER_MIDNIGHT)
        expectCertificate(Either.getOrThrow(result), certs)
      }).pipe(Effect.provide(NodeHttpClient.layer)))

    it.scoped("sealed by a service already past midnight (Saturday) for a Friday request: the fallback opens it", () =>
      Effect.gen(function*() {
        const { certs, result } = yield* acrossMidnight({ sealDateMs: AFTER_MIDNIGHT }, AFTER_MIDNIGHT)
        expectCertificate(Either.getOrThrow(result), certs)
      }).pipe(Effect.provide(NodeHttpClient.layer)))

    it.scoped("sealed for Saturday but the clock is still on Friday: Decrypt (one date tried)", () =>
      Effect.gen(function*() {
        const { certs, result, stub } = yield* acrossMidnight({ sealDateMs: AFTER_MIDNIGHT }, BEFORE_MIDNIGHT + 100)
        const error = Either.getOrThrow(Either.flip(result))
        expect(error.reason).toBe("Decrypt")
        expect(error.message).toContain("(AAD date 5/7/2025)")
        expectNoSecrets(error, certs, stub)
      }).pipe(Effect.provide(NodeHttpClient.layer)))

    it.scoped("sealed for a date that is neither the request's nor now's: Decrypt naming both dates tried", () =>
      Effect.gen(function*() {
        const { certs, result, stub } = yield* acrossMidnight(
          { sealDateMs: AFTER_MIDNIGHT + 86_400_000 },
          AFTER_MIDNIGHT
        )
        const error = Either.getOrThrow(Either.flip(result))
        expect(error.reason).toBe("Decrypt")
        expect(error.message).toContain("(AAD dates 5/7/2025 and 6/7/2025)")
        expectNoSecrets(error, certs, stub)
      }).pipe(Effect.provide(NodeHttpClient.layer)))
  })
})

describe("remoteFetcherFromConfig", () => {
  /** Runs it with a config and collects what it logs. */
  const fromConfig = (config: Partial<Parameters<typeof ServerConfig.layer>[0]>) =>
    Effect.gen(function*() {
      const lines: Array<{ readonly level: string; readonly text: string }> = []
      const logger = Logger.make(({ logLevel, message }) => {
        const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
        lines.push({ level: logLevel.label, text })
      })
      const result = yield* remoteFetcherFromConfig.pipe(
        Effect.provide(ServerConfig.layer(config)),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
        Logger.withMinimumLogLevel(LogLevel.Debug)
      )
      return { result, lines }
    })

  const url = new URL("https://certs.vigil.test/x/crt/")
  it.scoped("None with one info line when CERT_SERVICE_URL is unset", () =>
    Effect.gen(function*() {
      const { lines, result } = yield* fromConfig({ kdfSvc: Option.some(Redacted.make(KDF_SVC)) })
      expect(Option.isNone(result)).toBe(true)
      expect(lines).toEqual([{ level: "INFO", text: "remote certificate renewal is off: CERT_SERVICE_URL is not set" }])
    }).pipe(Effect.provide(NodeHttpClient.layer)))

  it.scoped("None with one warning naming the reason when KDF_SVC is missing, not hex or short", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [string | undefined, string]> = [
        [undefined, "KDF_SVC is not set"],
        ["nothex!" + "0".repeat(64), "KDF_SVC is not hex"],
        ["abc" + "0".repeat(64), "KDF_SVC is not hex"],
        ["ab".repeat(16), "KDF_SVC must be at least 32 bytes (64 hex digits), got 16"]
      ]
      for (const [kdf, reason] of cases) {
        const { lines, result } = yield* fromConfig({
          certServiceUrl: Option.some(url),
          kdfSvc: kdf === undefined ? Option.none() : Option.some(Redacted.make(kdf))
        })
        expect(Option.isNone(result)).toBe(true)
        expect(lines).toEqual([{
          level: "WARN",
          text: `remote certificate renewal is off: ${reason} (CERT_SERVICE_URL is https://certs.vigil.test/x/crt/)`
        }])
        if (kdf !== undefined) expect(lines[0]?.text).not.toContain(kdf)
      }
    }).pipe(Effect.provide(NodeHttpClient.layer)))

  it.scoped("Some fetcher using HOST_IDENTIFIER and WORKER_TIMEOUT, which fetches from the stub", () =>
    Effect.gen(function*() {
      const { certs, stub } = yield* setup()
      yield* TestClock.setTime(NOW)
      const { lines, result } = yield* fromConfig({
        certServiceUrl: Option.some(stub.url),
        kdfSvc: Option.some(Redacted.make(KDF_SVC)),
        hostIdentifier: WHO,
        workerTimeout: Duration.seconds(5)
      })
      expect(lines).toEqual([])
      const fetcher = Option.getOrThrow(result)
      expectCertificate(yield* fetcher.fetch, certs)
      expect(stub.requests()[0]?.who).toBe(WHO)
    }).pipe(Effect.provide(NodeHttpClient.layer)))
})
