import { Either } from "effect";
/**
 * Access tokens (issue 8, `ACCESS_KEYS`). A client carries a token as the DoH path segment
 * `/dns-query/<token>` or as the first label of the DoT SNI `<token>.dns.example.com`; the configuration
 * holds only salted hashes of the tokens.
 *
 * **Why a fast hash, not scrypt/PBKDF2.** A slow KDF protects *guessable* secrets (passwords) whose hashes
 * leak. Tokens are 160 random bits: nobody enumerates 2^160 candidates, slow hash or not, so stretching
 * buys nothing and would cost milliseconds on every DoH request and every DoT connection. The stored
 * form is therefore HMAC-SHA256 keyed by a 16-byte random salt per token (a salt still makes two
 * entries of the same token differ and rules out precomputed tables), about 2 µs per key on one core.
 * `makeVerifier` adds a small cache of positive verifications so a known client costs one HMAC whatever
 * the number of keys.
 *
 * **Constant time.** `verify` hashes the candidate with every key's salt and compares the fixed-length
 * (32-byte) digests with `crypto.timingSafeEqual`, against every key, with no early exit: its work does
 * not depend on how much of the candidate matches a token, only on the number of keys.
 *
 * **Never logged.** Nothing here puts a token or a candidate into a message; `redactSni` and
 * `redactDohPath` give the forms of a server name and a request path that may be logged.
 */
/** Random bytes in a token: 160 bits. */
export declare const TOKEN_BYTES = 20;
/** Longest token accepted as a candidate: one DNS label. */
export declare const MAX_TOKEN_LENGTH = 63;
/** The version tag of the stored form. */
export declare const HASH_SCHEME = "s1";
/** Salt bytes of a stored hash. */
export declare const SALT_BYTES = 16;
/** What a token is replaced with in anything logged. */
export declare const REDACTED_TOKEN = "<token>";
/** One `ACCESS_KEYS` entry, parsed. */
export interface AccessKey {
    readonly salt: Buffer;
    /** HMAC-SHA256(salt, token): 32 bytes */
    readonly digest: Buffer;
}
/**
 * A fresh token: 160 random bits as 32 characters of lowercase base32 (`a-z`, `2-7`), safe as a DNS label
 * (the first label of a DoT SNI) and as a URL path segment.
 */
export declare const newToken: () => string;
/** The stored form of `token`: `s1:<salt, base64url>:<HMAC-SHA256(salt, token), base64url>`. */
export declare const hashToken: (token: string, salt?: Uint8Array) => string;
/**
 * Parses `ACCESS_KEYS`: comma-separated stored hashes (blanks around entries ignored). The error is a
 * message for the operator that names the entry by position and never repeats its text: an entry that
 * is not a hash may well be a token pasted by mistake.
 */
export declare const parseAccessKeys: (text: string) => Either.Either<ReadonlyArray<AccessKey>, string>;
/** Compares two equal-length digests; `crypto.timingSafeEqual` unless a test injects another. */
export type DigestCompare = (a: Buffer, b: Buffer) => boolean;
/**
 * Does `candidate` match one of `keys`? Constant-time in the candidate's content: the candidate (cut to
 * nothing when absent or longer than a label) is hashed with every key's salt and each 32-byte digest is
 * compared with `compare`, once per key, the results OR-ed without an early exit.
 */
export declare const verify: (keys: ReadonlyArray<AccessKey>, candidate: string | undefined, compare?: DigestCompare) => boolean;
/** Positive verifications remembered by `makeVerifier`. */
export declare const VERIFIED_CACHE_SIZE = 1024;
/**
 * `verify` for the per-request path: a token that verified once is remembered in a bounded LRU keyed by
 * an HMAC of the token under a per-process random key (so the cache holds no token and a lookup compares
 * values an attacker cannot steer), and costs one HMAC from then on. Wrong tokens are not cached.
 */
export declare const makeVerifier: (keys: ReadonlyArray<AccessKey>, cacheSize?: number) => (candidate: string | undefined) => boolean;
/**
 * The token of a DoT connection: the first label of its SNI, lowercased (`<token>.dns.example.com`);
 * undefined without SNI or when the name has a single label.
 */
export declare const tokenFromSni: (servername: string | undefined | null | false) => string | undefined;
/**
 * The token of a DoH request: the first of the path segments after `/dns-query` (`/dns-query/<token>` or
 * `/dns-query/<token>/<lists>`), lowercased, and the segments left (the blocklist selector).
 */
export declare const tokenFromPath: (segments: ReadonlyArray<string>) => {
    readonly token: string | undefined;
    readonly rest: ReadonlyArray<string>;
};
/** A server name fit for a log line: its first label (the token) replaced, `<token>.dns.example.com`. */
export declare const redactSni: (servername: string | undefined) => string | undefined;
/**
 * A DoH request path fit for a log line: the segment after `/dns-query/` replaced, the rest kept
 * (`/dns-query/<token>/ads?dns=…`).
 */
export declare const redactDohPath: (path: string | undefined) => string | undefined;
