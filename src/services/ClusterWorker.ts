import { Context, Deferred, Effect, Layer, Option, Queue, Redacted, Stream } from "effect"
import { CertError, type CertKeyPair, parseCertKey } from "./CertFetcher/Pem.js"
import { isToWorker, type ToPrimary, type ToWorker, type WireCert } from "./ClusterWorker/Messages.js"

export type { ToPrimary, ToWorker, WireCert, WorkerReport } from "./ClusterWorker/Messages.js"

/**
 * A worker process of `WORKERS=N` (node:cluster): what the primary hands it (its slot, the shared
 * ticket-key seed, the current certificate) and the channel back. Present only in a worker: services
 * look for it with `Effect.serviceOption` (`TicketKeys` takes the seed, `Serve` skips the health
 * listener and the renewal loop and runs `WorkerLink` instead).
 */
export interface ClusterWorkerShape {
  /** the worker's slot, 1…N, kept across restarts */
  readonly slot: number
  /** the primary's random ticket-key seed when neither TOP_SECRET_512_B64 nor TLS_PSK is set */
  readonly ticketSeed: Option.Option<Redacted.Redacted<Uint8Array>>
  /** the certificate to start with (none under TLS offload) */
  readonly initialCert: Option.Option<CertKeyPair>
  /** every later certificate the primary sends */
  readonly certs: Stream.Stream<CertKeyPair>
  /** ids of the primary's requests for a `WorkerReport` */
  readonly statsRequests: Stream.Stream<number>
  /** the primary refreshed the blocklists in DATA_DIR (the lists whose download failed, with why) */
  readonly blocklistReloads: Stream.Stream<ReadonlyArray<{ readonly name: string; readonly error: string }>>
  readonly send: (message: ToPrimary) => Effect.Effect<void>
}

export class ClusterWorker extends Context.Tag("vigil/ClusterWorker")<ClusterWorker, ClusterWorkerShape>() {}

const PRIMARY = "cluster primary"

const parseWire = (cert: WireCert) => parseCertKey(cert.certPem, cert.keyPem, `${cert.source} (via ${PRIMARY})`)

/**
 * The worker's side of the IPC channel: says hello, waits for `vigil:init`, then forwards certificates
 * and stats requests. (When the channel closes because the primary is gone, Node's cluster module
 * ends the worker at once.)
 */
export const ClusterWorkerLive: Layer.Layer<ClusterWorker, CertError> = Layer.scoped(
  ClusterWorker,
  Effect.gen(function*() {
    const init = yield* Deferred.make<Extract<ToWorker, { type: "vigil:init" }>>()
    const certs = yield* Queue.unbounded<WireCert>()
    const requests = yield* Queue.unbounded<number>()
    const reloads = yield* Queue.sliding<ReadonlyArray<{ readonly name: string; readonly error: string }>>(1)
    const onMessage = (m: unknown) => {
      if (!isToWorker(m)) return
      switch (m.type) {
        case "vigil:init":
          Deferred.unsafeDone(init, Effect.succeed(m))
          return
        case "vigil:cert":
          Queue.unsafeOffer(certs, m.cert)
          return
        case "vigil:stats":
          Queue.unsafeOffer(requests, m.id)
          return
        case "vigil:blocklists":
          Queue.unsafeOffer(reloads, m.failed)
          return
      }
    }
    yield* Effect.acquireRelease(
      Effect.sync(() => {
        process.on("message", onMessage)
      }),
      () =>
        Effect.sync(() => {
          process.off("message", onMessage)
        })
    )
    const send = (message: ToPrimary) =>
      Effect.async<void>((resume) => {
        if (process.send === undefined || !process.connected) return resume(Effect.void)
        process.send(message, undefined, undefined, () => resume(Effect.void))
      })
    yield* send({ type: "vigil:hello" })
    const first = yield* Deferred.await(init)
    const initialCert = first.cert === undefined ? Option.none() : Option.some(yield* parseWire(first.cert))
    return {
      slot: first.slot,
      ticketSeed: first.ticketSeed === undefined
        ? Option.none()
        : Option.some(Redacted.make(new Uint8Array(Buffer.from(first.ticketSeed, "base64")))),
      initialCert,
      certs: Stream.fromQueue(certs).pipe(
        Stream.mapEffect((c) =>
          parseWire(c).pipe(
            Effect.map(Option.some),
            Effect.catchAll((e) =>
              Effect.logWarning(`certificate from the primary unreadable: ${e.message}`).pipe(Effect.as(Option.none()))
            )
          )
        ),
        Stream.filterMap((o) => o)
      ),
      statsRequests: Stream.fromQueue(requests),
      blocklistReloads: Stream.fromQueue(reloads),
      send
    }
  })
)

/** The `CertFetcher` of a worker: the primary's certificate; it never fetches (the primary renews). */
export const workerCertFetcher = (worker: ClusterWorkerShape) => ({
  describe: PRIMARY,
  initial: Option.match(worker.initialCert, {
    onNone: () => Effect.fail(new CertError({ source: PRIMARY, reason: "Read", detail: "no certificate received" })),
    onSome: Effect.succeed
  }),
  fetch: Option.match(worker.initialCert, {
    onNone: () => Effect.fail(new CertError({ source: PRIMARY, reason: "Read", detail: "no certificate received" })),
    onSome: Effect.succeed
  }),
  changes: Stream.never
})
