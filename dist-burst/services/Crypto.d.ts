/**
 * The cryptographic primitives of the server (HKDF-SHA256, SHA-512, HMAC-SHA256, AES-256-GCM) as pure,
 * synchronous functions over bytes — ticket and PSK keys must be derivable inside a TLS callback — and
 * the `Crypto` service that hands the same functions to code that prefers to take them from a layer.
 *
 * Nothing here logs or puts key material into an error: failures are short reason strings.
 */
import { Effect, Either } from "effect";
/** HKDF-SHA256 (RFC 5869); an empty salt is a zero-length salt. */
export declare const hkdf: (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number) => Uint8Array;
/** The 64-byte SHA-512 digest of a UTF-8 string (or of bytes). */
export declare const sha512: (data: Uint8Array | string) => Uint8Array;
/** HMAC-SHA256 of `data` (UTF-8 when a string) under `key`. */
export declare const hmacSha256: (key: Uint8Array, data: Uint8Array | string) => Uint8Array;
/** Compares two byte strings in time independent of where they differ (false when lengths differ). */
export declare const constantTimeEqual: (a: Uint8Array, b: Uint8Array) => boolean;
/** Checks `mac` against HMAC-SHA256(`key`, `data`) in constant time. */
export declare const hmacSha256Verify: (key: Uint8Array, data: Uint8Array | string, mac: Uint8Array) => boolean;
/** AES-GCM IV length used by the certificate service. */
export declare const GCM_IV_BYTES = 12;
/** AES-GCM tag length; shorter tags are refused. */
export declare const GCM_TAG_BYTES = 16;
export interface Sealed {
    readonly ciphertext: Uint8Array;
    readonly tag: Uint8Array;
}
/**
 * AES-GCM decryption with a 16-byte tag. Left is a reason without secret material: a wrong key or IV
 * length, or "authentication failed" (wrong key, AAD, IV, tampered ciphertext or tag).
 */
export declare const aesGcmOpen: (key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, aad?: Uint8Array | string) => Either.Either<Uint8Array, string>;
/** AES-GCM encryption with a 16-byte tag (the counterpart of `aesGcmOpen`, for stubs and tests). */
export declare const aesGcmSeal: (key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array | string, aad?: Uint8Array | string) => Sealed;
/** Lowercase hex of bytes. */
export declare const toHex: (data: Uint8Array) => string;
/** Bytes of a hex string (either case, even length), or undefined when it is not hex. */
export declare const fromHex: (text: string) => Uint8Array | undefined;
/** The two keys of the remote certificate service. */
export interface CertServiceKeys {
    /** AES-256-GCM key of the response */
    readonly aesKey: Uint8Array;
    /** HMAC-SHA256 key of the request's authz header */
    readonly macKey: Uint8Array;
}
/** Bytes of `KDF_SVC` that are used (the rest is ignored). */
export declare const KDF_SVC_MIN_BYTES = 32;
/**
 * The remote certificate service's keys from the hex text of `KDF_SVC`: `sk` = its first 32 bytes,
 * `aeskey` = HKDF(sk, "", SHA512("encryptcrossservice"), 32), `mackey` = HKDF(sk, "",
 * SHA512("authorizecrossservice"), 64). Left is why the service is off (missing, not hex, too short);
 * the reason never contains the value.
 */
export declare const certServiceKeys: (kdfSvcHex: string | undefined) => Either.Either<CertServiceKeys, string>;
declare const Crypto_base: Effect.Service.Class<Crypto, "vigil/Crypto", {
    readonly succeed: {
        readonly hkdf: (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number) => Uint8Array;
        readonly sha512: (data: Uint8Array | string) => Uint8Array;
        readonly hmacSha256: (key: Uint8Array, data: Uint8Array | string) => Uint8Array;
        readonly hmacSha256Verify: (key: Uint8Array, data: Uint8Array | string, mac: Uint8Array) => boolean;
        readonly constantTimeEqual: (a: Uint8Array, b: Uint8Array) => boolean;
        readonly aesGcmOpen: (key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, aad?: Uint8Array | string) => Either.Either<Uint8Array, string>;
        readonly aesGcmSeal: (key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array | string, aad?: Uint8Array | string) => Sealed;
        readonly certServiceKeys: (kdfSvcHex: string | undefined) => Either.Either<CertServiceKeys, string>;
    };
}>;
/** The `Crypto` service of the design card: the functions above, from a layer (`Crypto.Default`). */
export declare class Crypto extends Crypto_base {
}
export {};
