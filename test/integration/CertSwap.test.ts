import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Schedule } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { CertStore } from "../../src/services/CertStore.js"
import { mintCa, mintServerCert, type TestCa, writeCerts } from "../fixtures/Certs.js"
import { a, idOf, query } from "../fixtures/Dns.js"
import { connectDot } from "../fixtures/DotClient.js"
import * as StubUpstream from "../fixtures/StubUpstream.js"
import { portOf, serverLayer, udpUpstream } from "../fixtures/TestServer.js"
import { dohSerial, dotSerial, serialOf } from "../fixtures/TlsProbe.js"

/** Polls until `check` returns the expected value (within `within`). */
const eventually = <A>(check: Effect.Effect<A, Error>, expected: A, within = Duration.seconds(8)) =>
  check.pipe(
    Effect.filterOrFail((v) => v === expected, (v) => new Error(`still ${String(v)}, want ${String(expected)}`)),
    Effect.retry(Schedule.spaced(Duration.millis(100))),
    Effect.timeout(within)
  )

const setup = Effect.gen(function*() {
  const ca: TestCa = yield* Effect.promise(() => mintCa())
  const first = yield* Effect.promise(() => mintServerCert(ca))
  const files = yield* Effect.promise(() => writeCerts(first))
  const stub = yield* StubUpstream.make()
  stub.set("one.test", "A", [a("one.test", "192.0.2.1", 300)])
  const ctx = yield* Layer.buildWithScope(
    serverLayer(first, {
      tls: { _tag: "Files", certPath: files.certPath, keyPath: files.keyPath },
      upstreams: [udpUpstream(stub.port)]
    }),
    yield* Effect.scope
  )
  const dot = yield* portOf("dot").pipe(Effect.provide(ctx))
  const doh = yield* portOf("doh").pipe(Effect.provide(ctx))
  const store = yield* CertStore.pipe(Effect.provide(ctx))
  return { ca, first, files, dot, doh, store }
})

describe("certificate hot swap from watched files", () => {
  it.scopedLive("a pair written in place is served within seconds; an open connection keeps answering", () =>
    Effect.gen(function*() {
      const { ca, doh, dot, files, first, store } = yield* setup
      expect(yield* dotSerial(dot, ca.caPem)).toBe(serialOf(first))
      const before = yield* connectDot(dot, ca.caPem)
      before.send(query("one.test", "A", { id: 1 }))
      yield* before.answers(1)

      const second = yield* Effect.promise(() =>
        mintServerCert(ca, { notAfter: new Date(first.notAfter.getTime() + 10 * 86_400_000) })
      )
      fs.writeFileSync(files.keyPath, second.keyPem)
      fs.writeFileSync(files.certPath, second.certPem)

      yield* eventually(dotSerial(dot, ca.caPem), serialOf(second))
      expect(yield* dohSerial(doh, ca.caPem)).toBe(serialOf(second))
      expect(store.stats().renewals).toBe(1)
      // the connection opened before the swap still gets answers
      before.send(query("one.test", "A", { id: 2 }))
      const answers = yield* before.answers(2)
      expect(idOf(answers[1]!)).toBe(2)
    }))

  it.scopedLive("a pair moved in by atomic rename is served; garbage and a mismatched key are not", () =>
    Effect.gen(function*() {
      const { ca, dot, files, first, store } = yield* setup
      // garbage: rejected, the current certificate stays
      fs.writeFileSync(files.certPath, "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
      yield* Effect.sleep(Duration.seconds(2))
      expect(yield* dotSerial(dot, ca.caPem)).toBe(serialOf(first))
      // a new certificate with the old key: the key does not match, not applied
      const second = yield* Effect.promise(() =>
        mintServerCert(ca, { notAfter: new Date(first.notAfter.getTime() + 10 * 86_400_000) })
      )
      fs.writeFileSync(files.certPath, second.certPem)
      yield* Effect.sleep(Duration.seconds(2))
      expect(yield* dotSerial(dot, ca.caPem)).toBe(serialOf(first))
      expect(store.stats().renewals).toBe(0)
      // the key arrives by atomic rename (as certbot/lego/cert-manager do): now the pair matches
      const tmp = path.join(files.dir, ".key.tmp")
      fs.writeFileSync(tmp, second.keyPem)
      fs.renameSync(tmp, files.keyPath)
      yield* eventually(dotSerial(dot, ca.caPem), serialOf(second))
      expect(store.stats().renewals).toBe(1)
    }))

  it.scopedLive("a Kubernetes secret update (the ..data symlink swapped) is served; other files of the directory are ignored", () =>
    Effect.gen(function*() {
      const ca: TestCa = yield* Effect.promise(() => mintCa())
      const first = yield* Effect.promise(() => mintServerCert(ca))
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vigil-k8s-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
      // the layout of a mounted secret: tls.crt -> ..data/tls.crt, ..data -> ..<timestamp>/
      const version = (name: string, pair: { certPem: string; keyPem: string }) => {
        fs.mkdirSync(path.join(dir, name))
        fs.writeFileSync(path.join(dir, name, "tls.crt"), pair.certPem)
        fs.writeFileSync(path.join(dir, name, "tls.key"), pair.keyPem)
      }
      version("..2026_11_26_a", first)
      fs.symlinkSync("..2026_11_26_a", path.join(dir, "..data"))
      fs.symlinkSync("..data/tls.crt", path.join(dir, "tls.crt"))
      fs.symlinkSync("..data/tls.key", path.join(dir, "tls.key"))
      const stub = yield* StubUpstream.make()
      const ctx = yield* Layer.buildWithScope(
        serverLayer(first, {
          tls: { _tag: "Files", certPath: path.join(dir, "tls.crt"), keyPath: path.join(dir, "tls.key") },
          upstreams: [udpUpstream(stub.port)]
        }),
        yield* Effect.scope
      )
      const dot = yield* portOf("dot").pipe(Effect.provide(ctx))
      const store = yield* CertStore.pipe(Effect.provide(ctx))
      const rejectedBefore = store.stats().rejected
      // a busy neighbour: files written next to the secret's do not make the server re-read the pair
      for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(dir, `noise-${i}.log`), `${i}`)
      // the kubelet's update: a new version directory, a ..data_tmp link, renamed over ..data
      const second = yield* Effect.promise(() =>
        mintServerCert(ca, { notAfter: new Date(first.notAfter.getTime() + 10 * 86_400_000) })
      )
      version("..2026_11_26_b", second)
      fs.symlinkSync("..2026_11_26_b", path.join(dir, "..data_tmp"))
      fs.renameSync(path.join(dir, "..data_tmp"), path.join(dir, "..data"))
      yield* eventually(dotSerial(dot, ca.caPem), serialOf(second))
      expect(store.stats().renewals).toBe(1)
      expect(store.stats().rejected).toBe(rejectedBefore)
    }))

  it.scopedLive("a certificate for other names, or one expiring sooner, is rejected", () =>
    Effect.gen(function*() {
      const { ca, dot, files, first, store } = yield* setup
      const other = yield* Effect.promise(() =>
        mintServerCert(ca, { dnsNames: ["other.example"], notAfter: new Date(first.notAfter.getTime() + 86_400_000) })
      )
      fs.writeFileSync(files.keyPath, other.keyPem)
      fs.writeFileSync(files.certPath, other.certPem)
      yield* Effect.sleep(Duration.seconds(2))
      const sooner = yield* Effect.promise(() =>
        mintServerCert(ca, { notAfter: new Date(first.notAfter.getTime() - 86_400_000) })
      )
      fs.writeFileSync(files.keyPath, sooner.keyPem)
      fs.writeFileSync(files.certPath, sooner.certPem)
      yield* Effect.sleep(Duration.seconds(2))
      expect(yield* dotSerial(dot, ca.caPem)).toBe(serialOf(first))
      expect(store.stats().rejected).toBeGreaterThanOrEqual(2)
      expect(store.stats().renewals).toBe(0)
    }))
})
