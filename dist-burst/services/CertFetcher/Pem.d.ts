import { Either, Redacted } from "effect";
/** A certificate chain with its private key, and what the server needs to know about the leaf. */
export interface CertKeyPair {
    /** PEM chain, leaf first */
    readonly certPem: string;
    readonly keyPem: Redacted.Redacted<string>;
    readonly notBefore: Date;
    readonly notAfter: Date;
    readonly subject: string;
    /** DNS names and IP addresses of the leaf's subjectAltName */
    readonly dnsNames: ReadonlyArray<string>;
    readonly ipAddresses: ReadonlyArray<string>;
    /** SHA-256 of the leaf, hex */
    readonly fingerprint: string;
    /** where it came from, for logs */
    readonly source: string;
}
/** Why a certificate could not be had; `Http`, `Decrypt`, `Timeout`: the remote certificate service. */
export type CertErrorReason = "Read" | "Parse" | "KeyMismatch" | "Generate" | "Write" | "Expired" | "Http" | "Decrypt" | "Timeout";
declare const CertError_base: new <A extends Record<string, any> = {}>(args: import("effect/Types").VoidIfEmpty<{ readonly [P in keyof A as P extends "_tag" ? never : P]: A[P]; }>) => import("effect/Cause").YieldableError & {
    readonly _tag: "CertError";
} & Readonly<A>;
export declare class CertError extends CertError_base<{
    readonly source: string;
    readonly reason: CertErrorReason;
    readonly detail: string;
}> {
    constructor(args: {
        readonly source: string;
        readonly reason: CertErrorReason;
        readonly detail: string;
    });
    get message(): string;
}
/**
 * Parses a PEM chain and key into a `CertKeyPair`, checking that the key belongs to the leaf.
 * Never puts key material into an error.
 */
export declare const parseCertKey: (certPem: string, keyPem: string, source: string) => Either.Either<CertKeyPair, CertError>;
/**
 * Reads the `KEY=<base64 PEM>` / `CRT=<base64 PEM>` format of `TLS_CERTKEY` and of the certificate
 * service (either order; a literal two-character `\n` counts as a newline).
 */
export declare const parseKeyCrtLines: (text: string, source: string) => Either.Either<CertKeyPair, CertError>;
/** Mints a self-signed ECDSA P-256 certificate for `localhost`, `127.0.0.1` and `::1`. */
export declare const mintSelfSigned: (now: Date, validDays: number) => Promise<{
    certPem: string;
    keyPem: string;
}>;
export {};
