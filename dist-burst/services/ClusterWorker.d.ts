import { Context, Effect, Layer, Option, Redacted, Stream } from "effect";
import { CertError, type CertKeyPair } from "./CertFetcher/Pem.js";
import { type ToPrimary } from "./ClusterWorker/Messages.js";
export type { ToPrimary, ToWorker, WireCert, WorkerReport } from "./ClusterWorker/Messages.js";
/**
 * A worker process of `WORKERS=N` (node:cluster): what the primary hands it (its slot, the shared
 * ticket-key seed, the current certificate) and the channel back. Present only in a worker: services
 * look for it with `Effect.serviceOption` (`TicketKeys` takes the seed, `Serve` skips the health
 * listener and the renewal loop and runs `WorkerLink` instead).
 */
export interface ClusterWorkerShape {
    /** the worker's slot, 1…N, kept across restarts */
    readonly slot: number;
    /** the primary's random ticket-key seed when neither TOP_SECRET_512_B64 nor TLS_PSK is set */
    readonly ticketSeed: Option.Option<Redacted.Redacted<Uint8Array>>;
    /** the certificate to start with (none under TLS offload) */
    readonly initialCert: Option.Option<CertKeyPair>;
    /** every later certificate the primary sends */
    readonly certs: Stream.Stream<CertKeyPair>;
    /** ids of the primary's requests for a `WorkerReport` */
    readonly statsRequests: Stream.Stream<number>;
    /** the primary refreshed the blocklists in DATA_DIR (the lists whose download failed, with why) */
    readonly blocklistReloads: Stream.Stream<ReadonlyArray<{
        readonly name: string;
        readonly error: string;
    }>>;
    readonly send: (message: ToPrimary) => Effect.Effect<void>;
}
declare const ClusterWorker_base: Context.TagClass<ClusterWorker, "vigil/ClusterWorker", ClusterWorkerShape>;
export declare class ClusterWorker extends ClusterWorker_base {
}
/**
 * The worker's side of the IPC channel: says hello, waits for `vigil:init`, then forwards certificates
 * and stats requests. (When the channel closes because the primary is gone, Node's cluster module
 * ends the worker at once.)
 */
export declare const ClusterWorkerLive: Layer.Layer<ClusterWorker, CertError>;
/** The `CertFetcher` of a worker: the primary's certificate; it never fetches (the primary renews). */
export declare const workerCertFetcher: (worker: ClusterWorkerShape) => {
    describe: string;
    initial: Effect.Effect<never, CertError, never> | Effect.Effect<CertKeyPair, never, never>;
    fetch: Effect.Effect<never, CertError, never> | Effect.Effect<CertKeyPair, never, never>;
    changes: Stream.Stream<never, never, never>;
};
