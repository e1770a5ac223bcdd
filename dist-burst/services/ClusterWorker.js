import { Context, Deferred, Effect, Layer, Option, Queue, Redacted, Stream } from "effect";
import { CertError, parseCertKey } from "./CertFetcher/Pem.js";
import { isToWorker } from "./ClusterWorker/Messages.js";
export class ClusterWorker extends Context.Tag("vigil/ClusterWorker")() {
}
const PRIMARY = "cluster primary";
const parseWire = (cert) => parseCertKey(cert.certPem, cert.keyPem, `${cert.source} (via ${PRIMARY})`);
/**
 * The worker's side of the IPC channel: says hello, waits for `vigil:init`, then forwards certificates
 * and stats requests. (When the channel closes because the primary is gone, Node's cluster module
 * ends the worker at once.)
 */
export const ClusterWorkerLive = Layer.scoped(ClusterWorker, Effect.gen(function* () {
    const init = yield* Deferred.make();
    const certs = yield* Queue.unbounded();
    const requests = yield* Queue.unbounded();
    const reloads = yield* Queue.sliding(1);
    const onMessage = (m) => {
        if (!isToWorker(m))
            return;
        switch (m.type) {
            case "vigil:init":
                Deferred.unsafeDone(init, Effect.succeed(m));
                return;
            case "vigil:cert":
                Queue.unsafeOffer(certs, m.cert);
                return;
            case "vigil:stats":
                Queue.unsafeOffer(requests, m.id);
                return;
            case "vigil:blocklists":
                Queue.unsafeOffer(reloads, m.failed);
                return;
        }
    };
    yield* Effect.acquireRelease(Effect.sync(() => {
        process.on("message", onMessage);
    }), () => Effect.sync(() => {
        process.off("message", onMessage);
    }));
    const send = (message) => Effect.async((resume) => {
        if (process.send === undefined || !process.connected)
            return resume(Effect.void);
        process.send(message, undefined, undefined, () => resume(Effect.void));
    });
    yield* send({ type: "vigil:hello" });
    const first = yield* Deferred.await(init);
    const initialCert = first.cert === undefined ? Option.none() : Option.some(yield* parseWire(first.cert));
    return {
        slot: first.slot,
        ticketSeed: first.ticketSeed === undefined
            ? Option.none()
            : Option.some(Redacted.make(new Uint8Array(Buffer.from(first.ticketSeed, "base64")))),
        initialCert,
        certs: Stream.fromQueue(certs).pipe(Stream.mapEffect((c) => parseWire(c).pipe(Effect.map(Option.some), Effect.catchAll((e) => Effect.logWarning(`certificate from the primary unreadable: ${e.message}`).pipe(Effect.as(Option.none()))))), Stream.filterMap((o) => o)),
        statsRequests: Stream.fromQueue(requests),
        blocklistReloads: Stream.fromQueue(reloads),
        send
    };
}));
/** The `CertFetcher` of a worker: the primary's certificate; it never fetches (the primary renews). */
export const workerCertFetcher = (worker) => ({
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
});
//# sourceMappingURL=ClusterWorker.js.map