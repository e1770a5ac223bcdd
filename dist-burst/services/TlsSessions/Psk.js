import { LRUCache } from "lru-cache";
import { createHash, hkdfSync } from "node:crypto";
/** TLS-PSK key derivation (PROTOCOLS.md §3); pure and synchronous, so a first handshake never waits. */
/** `P`: the HKDF salt of the PSK session secret. */
export const PSK_SALT = Buffer.from("44f402e79d913299d0396479d002cd1243a43e15287de6e61a5cc7bee963755c" +
    "123a955734d7695a939766af258614ebf164d79b11b7c644222cab0891a6e3ce", "hex");
export const PSK_CONTEXT = "pskkeyfixedderivationcontext";
/** The identity hint the server sends to PSK clients. */
export const PSK_IDENTITY_HINT = "888811119999";
/** The shortest client id (bytes) accepted. */
export const PSK_MIN_ID_BYTES = 32;
/** The longest client id (bytes) accepted (OpenSSL passes at most 256 identity characters anyway). */
export const PSK_MAX_ID_BYTES = 512;
/** Client keys kept derived. */
export const PSK_CACHE_MAX = 10_000;
const sha512 = (s) => createHash("sha512").update(s, "utf8").digest();
/** Session secret = HKDF-SHA256(ikm = seed, salt = P, info = SHA512("pskkeyfixedderivationcontext"), 64). */
export const pskSessionSecret = (seed) => Buffer.from(hkdfSync("sha256", seed, PSK_SALT, sha512(PSK_CONTEXT), 64));
/** Client key = HKDF-SHA256(ikm = session secret, salt = empty, info = id bytes, 64). */
export const pskClientKey = (sessionSecret, id) => Buffer.from(hkdfSync("sha256", sessionSecret, Buffer.alloc(0), id, 64));
/** The id bytes of a client identity (hex, at least 32 bytes), or undefined for one to refuse. */
export const pskIdentityBytes = (identity) => {
    const bytes = identity.length / 2;
    if (bytes < PSK_MIN_ID_BYTES || bytes > PSK_MAX_ID_BYTES || !/^(?:[0-9a-fA-F]{2})+$/.test(identity)) {
        return undefined;
    }
    return Buffer.from(identity, "hex");
};
/** Client keys for one seed, in a bounded LRU keyed by the lowercase identity. */
export const makePskKeys = (seed, max = PSK_CACHE_MAX) => {
    const secret = pskSessionSecret(seed);
    const cache = new LRUCache({ max });
    return {
        keyFor: (identity) => {
            const id = identity.toLowerCase();
            const known = cache.get(id);
            if (known !== undefined)
                return known;
            const bytes = pskIdentityBytes(id);
            if (bytes === undefined)
                return undefined;
            const key = pskClientKey(secret, bytes);
            cache.set(id, key);
            return key;
        },
        size: () => cache.size
    };
};
//# sourceMappingURL=Psk.js.map