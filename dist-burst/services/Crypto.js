/**
 * The cryptographic primitives of the server (HKDF-SHA256, SHA-512, HMAC-SHA256, AES-256-GCM) as pure,
 * synchronous functions over bytes — ticket and PSK keys must be derivable inside a TLS callback — and
 * the `Crypto` service that hands the same functions to code that prefers to take them from a layer.
 *
 * Nothing here logs or puts key material into an error: failures are short reason strings.
 */
import { Effect, Either } from "effect";
import * as crypto from "node:crypto";
const EMPTY = new Uint8Array(0);
const bytes = (data) => typeof data === "string" ? new TextEncoder().encode(data) : data;
/** HKDF-SHA256 (RFC 5869); an empty salt is a zero-length salt. */
export const hkdf = (ikm, salt, info, length) => new Uint8Array(crypto.hkdfSync("sha256", ikm, salt, info, length));
/** The 64-byte SHA-512 digest of a UTF-8 string (or of bytes). */
export const sha512 = (data) => new Uint8Array(crypto.createHash("sha512").update(bytes(data)).digest());
/** HMAC-SHA256 of `data` (UTF-8 when a string) under `key`. */
export const hmacSha256 = (key, data) => new Uint8Array(crypto.createHmac("sha256", key).update(bytes(data)).digest());
/** Compares two byte strings in time independent of where they differ (false when lengths differ). */
export const constantTimeEqual = (a, b) => a.length === b.length && crypto.timingSafeEqual(a, b);
/** Checks `mac` against HMAC-SHA256(`key`, `data`) in constant time. */
export const hmacSha256Verify = (key, data, mac) => constantTimeEqual(hmacSha256(key, data), mac);
/** AES-GCM IV length used by the certificate service. */
export const GCM_IV_BYTES = 12;
/** AES-GCM tag length; shorter tags are refused. */
export const GCM_TAG_BYTES = 16;
const gcmAlgorithm = (key) => {
    switch (key.length) {
        case 16:
            return "aes-128-gcm";
        case 24:
            return "aes-192-gcm";
        case 32:
            return "aes-256-gcm";
        default:
            return undefined;
    }
};
/**
 * AES-GCM decryption with a 16-byte tag. Left is a reason without secret material: a wrong key or IV
 * length, or "authentication failed" (wrong key, AAD, IV, tampered ciphertext or tag).
 */
export const aesGcmOpen = (key, iv, ciphertext, tag, aad = EMPTY) => {
    const algorithm = gcmAlgorithm(key);
    if (algorithm === undefined)
        return Either.left(`AES key must be 16, 24 or 32 bytes, got ${key.length}`);
    if (iv.length !== GCM_IV_BYTES)
        return Either.left(`IV must be ${GCM_IV_BYTES} bytes, got ${iv.length}`);
    if (tag.length !== GCM_TAG_BYTES)
        return Either.left(`tag must be ${GCM_TAG_BYTES} bytes, got ${tag.length}`);
    try {
        const decipher = crypto.createDecipheriv(algorithm, key, iv, { authTagLength: GCM_TAG_BYTES });
        decipher.setAAD(bytes(aad));
        decipher.setAuthTag(tag);
        const head = decipher.update(ciphertext);
        const tail = decipher.final();
        return Either.right(new Uint8Array(Buffer.concat([head, tail])));
    }
    catch {
        return Either.left("authentication failed");
    }
};
/** AES-GCM encryption with a 16-byte tag (the counterpart of `aesGcmOpen`, for stubs and tests). */
export const aesGcmSeal = (key, iv, plaintext, aad = EMPTY) => {
    const algorithm = gcmAlgorithm(key);
    if (algorithm === undefined)
        throw new RangeError(`AES key must be 16, 24 or 32 bytes, got ${key.length}`);
    const cipher = crypto.createCipheriv(algorithm, key, iv, { authTagLength: GCM_TAG_BYTES });
    cipher.setAAD(bytes(aad));
    const ciphertext = Buffer.concat([cipher.update(bytes(plaintext)), cipher.final()]);
    return { ciphertext: new Uint8Array(ciphertext), tag: new Uint8Array(cipher.getAuthTag()) };
};
/** Lowercase hex of bytes. */
export const toHex = (data) => Buffer.from(data).toString("hex");
/** Bytes of a hex string (either case, even length), or undefined when it is not hex. */
export const fromHex = (text) => /^(?:[0-9a-fA-F]{2})*$/.test(text) ? new Uint8Array(Buffer.from(text, "hex")) : undefined;
/** Bytes of `KDF_SVC` that are used (the rest is ignored). */
export const KDF_SVC_MIN_BYTES = 32;
/**
 * The remote certificate service's keys from the hex text of `KDF_SVC`: `sk` = its first 32 bytes,
 * `aeskey` = HKDF(sk, "", SHA512("encryptcrossservice"), 32), `mackey` = HKDF(sk, "",
 * SHA512("authorizecrossservice"), 64). Left is why the service is off (missing, not hex, too short);
 * the reason never contains the value.
 */
export const certServiceKeys = (kdfSvcHex) => {
    if (kdfSvcHex === undefined || kdfSvcHex.trim() === "")
        return Either.left("KDF_SVC is not set");
    const raw = fromHex(kdfSvcHex.trim());
    if (raw === undefined)
        return Either.left("KDF_SVC is not hex");
    if (raw.length < KDF_SVC_MIN_BYTES) {
        return Either.left(`KDF_SVC must be at least ${KDF_SVC_MIN_BYTES} bytes (64 hex digits), got ${raw.length}`);
    }
    const sk = raw.subarray(0, KDF_SVC_MIN_BYTES);
    return Either.right({
        aesKey: hkdf(sk, EMPTY, sha512("encryptcrossservice"), 32),
        macKey: hkdf(sk, EMPTY, sha512("authorizecrossservice"), 64)
    });
};
/** The `Crypto` service of the design card: the functions above, from a layer (`Crypto.Default`). */
export class Crypto extends Effect.Service()("vigil/Crypto", {
    succeed: {
        hkdf,
        sha512,
        hmacSha256,
        hmacSha256Verify,
        constantTimeEqual,
        aesGcmOpen,
        aesGcmSeal,
        certServiceKeys
    }
}) {
}
//# sourceMappingURL=Crypto.js.map