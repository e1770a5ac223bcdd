import { Either } from "effect";
import { LRUCache } from "lru-cache";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
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
export const TOKEN_BYTES = 20;
/** Longest token accepted as a candidate: one DNS label. */
export const MAX_TOKEN_LENGTH = 63;
/** The version tag of the stored form. */
export const HASH_SCHEME = "s1";
/** Salt bytes of a stored hash. */
export const SALT_BYTES = 16;
/** What a token is replaced with in anything logged. */
export const REDACTED_TOKEN = "<token>";
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
/** Lowercase RFC 4648 base32 without padding. */
const base32 = (bytes) => {
    let out = "";
    let buffer = 0;
    let bits = 0;
    for (const b of bytes) {
        buffer = (buffer << 8) | b;
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out += BASE32[(buffer >>> bits) & 31];
        }
        buffer &= (1 << bits) - 1;
    }
    if (bits > 0)
        out += BASE32[(buffer << (5 - bits)) & 31];
    return out;
};
/**
 * A fresh token: 160 random bits as 32 characters of lowercase base32 (`a-z`, `2-7`), safe as a DNS label
 * (the first label of a DoT SNI) and as a URL path segment.
 */
export const newToken = () => base32(randomBytes(TOKEN_BYTES));
const digestOf = (salt, token) => createHmac("sha256", salt).update(token, "utf8").digest();
/** The stored form of `token`: `s1:<salt, base64url>:<HMAC-SHA256(salt, token), base64url>`. */
export const hashToken = (token, salt = randomBytes(SALT_BYTES)) => `${HASH_SCHEME}:${Buffer.from(salt).toString("base64url")}:${digestOf(salt, token).toString("base64url")}`;
const STORED = /^s1:([A-Za-z0-9_-]{22}):([A-Za-z0-9_-]{43})$/;
const TOKEN_LIKE = /^[A-Za-z0-9]+$/;
/**
 * Parses `ACCESS_KEYS`: comma-separated stored hashes (blanks around entries ignored). The error is a
 * message for the operator that names the entry by position and never repeats its text: an entry that
 * is not a hash may well be a token pasted by mistake.
 */
export const parseAccessKeys = (text) => {
    const entries = text.split(",").map((e) => e.trim()).filter((e) => e !== "");
    if (entries.length === 0) {
        return Either.left("no key in the list; add the ACCESS_KEYS line printed by `node dist/main.js token new`");
    }
    const keys = [];
    const problems = [];
    entries.forEach((entry, i) => {
        const at = `entry ${i + 1} of ${entries.length}`;
        const m = STORED.exec(entry);
        if (m !== null) {
            keys.push({ salt: Buffer.from(m[1], "base64url"), digest: Buffer.from(m[2], "base64url") });
        }
        else if (TOKEN_LIKE.test(entry)) {
            problems.push(`${at} looks like a plain-text token, not its hash: keep tokens out of the configuration and store ` +
                "the `ACCESS_KEYS=s1:…` line printed by `node dist/main.js token new` instead");
        }
        else {
            problems.push(`${at} is not a stored hash of the form s1:<salt>:<hash> (see \`node dist/main.js token new\`)`);
        }
    });
    return problems.length > 0 ? Either.left(problems.join("; ")) : Either.right(keys);
};
/**
 * Does `candidate` match one of `keys`? Constant-time in the candidate's content: the candidate (cut to
 * nothing when absent or longer than a label) is hashed with every key's salt and each 32-byte digest is
 * compared with `compare`, once per key, the results OR-ed without an early exit.
 */
export const verify = (keys, candidate, compare = timingSafeEqual) => {
    const usable = candidate !== undefined && candidate.length > 0 && candidate.length <= MAX_TOKEN_LENGTH;
    const text = usable ? candidate : "";
    let match = 0;
    for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        match |= compare(digestOf(key.salt, text), key.digest) ? 1 : 0;
    }
    return usable && match === 1;
};
/** Positive verifications remembered by `makeVerifier`. */
export const VERIFIED_CACHE_SIZE = 1024;
/**
 * `verify` for the per-request path: a token that verified once is remembered in a bounded LRU keyed by
 * an HMAC of the token under a per-process random key (so the cache holds no token and a lookup compares
 * values an attacker cannot steer), and costs one HMAC from then on. Wrong tokens are not cached.
 */
export const makeVerifier = (keys, cacheSize = VERIFIED_CACHE_SIZE) => {
    const cacheKey = randomBytes(32);
    const verified = new LRUCache({ max: cacheSize });
    return (candidate) => {
        if (candidate === undefined || candidate.length === 0 || candidate.length > MAX_TOKEN_LENGTH)
            return false;
        const id = createHmac("sha256", cacheKey).update(candidate, "utf8").digest("base64url");
        if (verified.get(id) === true)
            return true;
        const ok = verify(keys, candidate);
        if (ok)
            verified.set(id, true);
        return ok;
    };
};
/**
 * The token of a DoT connection: the first label of its SNI, lowercased (`<token>.dns.example.com`);
 * undefined without SNI or when the name has a single label.
 */
export const tokenFromSni = (servername) => {
    if (typeof servername !== "string")
        return undefined;
    const dot = servername.indexOf(".");
    if (dot <= 0)
        return undefined;
    return servername.slice(0, dot).toLowerCase();
};
/**
 * The token of a DoH request: the first of the path segments after `/dns-query` (`/dns-query/<token>` or
 * `/dns-query/<token>/<lists>`), lowercased, and the segments left (the blocklist selector).
 */
export const tokenFromPath = (segments) => {
    const first = segments[0];
    return first === undefined || first === ""
        ? { token: undefined, rest: segments.slice(1) }
        : { token: first.toLowerCase(), rest: segments.slice(1) };
};
/** A server name fit for a log line: its first label (the token) replaced, `<token>.dns.example.com`. */
export const redactSni = (servername) => {
    if (servername === undefined)
        return undefined;
    const dot = servername.indexOf(".");
    return dot <= 0 ? servername : REDACTED_TOKEN + servername.slice(dot);
};
/**
 * A DoH request path fit for a log line: the segment after `/dns-query/` replaced, the rest kept
 * (`/dns-query/<token>/ads?dns=…`).
 */
export const redactDohPath = (path) => {
    if (path === undefined)
        return undefined;
    const prefix = "/dns-query/";
    if (!path.startsWith(prefix))
        return path;
    let end = prefix.length;
    while (end < path.length) {
        const c = path.charCodeAt(end);
        if (c === 47 || c === 63)
            break; // "/" or "?"
        end++;
    }
    return end === prefix.length ? path : prefix + REDACTED_TOKEN + path.slice(end);
};
//# sourceMappingURL=AccessKeys.js.map