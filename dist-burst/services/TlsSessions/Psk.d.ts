/** TLS-PSK key derivation (PROTOCOLS.md §3); pure and synchronous, so a first handshake never waits. */
/** `P`: the HKDF salt of the PSK session secret. */
export declare const PSK_SALT: Buffer<ArrayBuffer>;
export declare const PSK_CONTEXT = "pskkeyfixedderivationcontext";
/** The identity hint the server sends to PSK clients. */
export declare const PSK_IDENTITY_HINT = "888811119999";
/** The shortest client id (bytes) accepted. */
export declare const PSK_MIN_ID_BYTES = 32;
/** The longest client id (bytes) accepted (OpenSSL passes at most 256 identity characters anyway). */
export declare const PSK_MAX_ID_BYTES = 512;
/** Client keys kept derived. */
export declare const PSK_CACHE_MAX = 10000;
/** Session secret = HKDF-SHA256(ikm = seed, salt = P, info = SHA512("pskkeyfixedderivationcontext"), 64). */
export declare const pskSessionSecret: (seed: Uint8Array) => Buffer;
/** Client key = HKDF-SHA256(ikm = session secret, salt = empty, info = id bytes, 64). */
export declare const pskClientKey: (sessionSecret: Uint8Array, id: Uint8Array) => Buffer;
/** The id bytes of a client identity (hex, at least 32 bytes), or undefined for one to refuse. */
export declare const pskIdentityBytes: (identity: string) => Buffer | undefined;
export interface PskKeys {
    /** the key of a client identity, derived on first sight and kept; undefined: refuse the identity */
    readonly keyFor: (identity: string) => Buffer | undefined;
    /** identities whose key is held */
    readonly size: () => number;
}
/** Client keys for one seed, in a bounded LRU keyed by the lowercase identity. */
export declare const makePskKeys: (seed: Uint8Array, max?: number) => PskKeys;
