import { Effect, Stream } from "effect";
import { CertFetcher, type CertKeyPair } from "./CertFetcher.js";
import { type Rejection } from "./CertStore/Accept.js";
/** What became of a candidate offered to the store. */
export type OfferResult = {
    readonly _tag: "Replaced";
    readonly previous: CertKeyPair;
    readonly current: CertKeyPair;
} | {
    readonly _tag: "Same";
} | {
    readonly _tag: "Rejected";
    readonly rejection: Rejection;
    readonly reason: string;
};
/** Certificate counters for the heartbeat and /metrics. */
export interface CertStats {
    /** certificates replaced by a newer one */
    renewals: number;
    /** renewal attempts that failed (fetch error, rejected candidate, same certificate) */
    renewalFailures: number;
    /** candidates rejected by a check of SPEC.md §4 */
    rejected: number;
}
declare const CertStore_base: Effect.Service.Class<CertStore, "vigil/CertStore", {
    readonly effect: Effect.Effect<{
        current: Effect.Effect<CertKeyPair, never, never>;
        adopt: (pair: CertKeyPair) => Effect.Effect<boolean, never, never>;
        /** the current certificate now and every later one */
        changes: Stream.Stream<CertKeyPair>;
        offer: (candidate: CertKeyPair) => Effect.Effect<OfferResult, never, never>;
        stats: () => {
            /** certificates replaced by a newer one */
            renewals: number;
            /** renewal attempts that failed (fetch error, rejected candidate, same certificate) */
            renewalFailures: number;
            /** candidates rejected by a check of SPEC.md §4 */
            rejected: number;
        };
        countFailure: () => void;
        /** true while the served certificate is within its validity period */
        isValid: Effect.Effect<boolean, never, never>;
    }, import("./CertFetcher.js").CertError, CertFetcher>;
}>;
/**
 * The one certificate the whole process serves. It is loaded from the `CertFetcher` at start (a start
 * without a certificate is a fatal error); `offer` applies the checks of SPEC.md §4 to a candidate and
 * swaps it in when it passes, and every TLS listener follows `changes` (see `TlsServerRegistry`).
 */
export declare class CertStore extends CertStore_base {
}
export {};
