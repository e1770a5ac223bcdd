import type { CertKeyPair } from "../CertFetcher/Pem.js";
/** Why a candidate certificate was not taken (SPEC.md §4). The key-matches-certificate check is made when
 * a candidate is parsed (`parseCertKey`): a mismatched pair never becomes a candidate. */
export type Rejection = {
    readonly check: "names";
    readonly missing: ReadonlyArray<string>;
} | {
    readonly check: "validNow";
    readonly notBefore: Date;
    readonly notAfter: Date;
} | {
    readonly check: "expiresLater";
    readonly candidate: Date;
    readonly current: Date;
};
export type Verdict = {
    readonly _tag: "Accept";
} | {
    readonly _tag: "Same";
} | {
    readonly _tag: "Reject";
    readonly rejection: Rejection;
};
/**
 * SPEC.md §4: a candidate is taken only if it covers every DNS name of the current certificate, is valid
 * now and expires later than the current one; the same certificate again is "not renewed yet". The
 * self-signed default names only localhost, so a certificate replacing it need not cover those names.
 */
export declare const judge: (current: CertKeyPair, candidate: CertKeyPair, now: number, currentIsDefault: boolean) => Verdict;
export declare const describeRejection: (r: Rejection) => string;
