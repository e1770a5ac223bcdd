/**
 * The HTTP semantics of DNS over HTTPS (RFC 8484, SPEC.md §3), free of any transport: from a request's
 * method, path (with its query string), content type and content length to either a DNS message, an
 * order to read a POST body, or a ready-made HTTP response. HTTP/2 and HTTP/1.1 (and any later
 * purpose-built HTTP/2 path) share it, so they cannot disagree on a status code.
 *
 * The hot path allocates only the decoded message: paths are walked by index, base64url is validated
 * and decoded in one pass, and every rejection is a response built once at load time.
 */
/** The largest DNS message (and so the largest POST body) accepted. */
export const MAX_DNS_MESSAGE = 65535;
export const DNS_MESSAGE_TYPE = "application/dns-message";
export const ALLOWED_METHODS = "GET, POST, HEAD, OPTIONS";
/** The path of the DoH endpoint; `/dns-query/<selector>` picks blocklists (SPEC.md §7). */
export const DOH_PATH = "/dns-query";
/** Longest accepted selector (`a+b+c`). */
export const MAX_SELECTOR = 255;
/** Every reject reason, for counters. */
export const REJECT_REASONS = [
    "NotFound",
    "MethodNotAllowed",
    "UnsupportedMediaType",
    "TooLarge",
    "BadContentLength",
    "MissingDns",
    "DuplicateDns",
    "BadBase64url",
    "EmptyBody",
    "UnusableMessage",
    "Forbidden",
    "Unauthorized",
    "TooManyRequests"
];
const CORS_ORIGIN = { "access-control-allow-origin": "*" };
const CORS_PREFLIGHT = {
    ...CORS_ORIGIN,
    "access-control-allow-methods": ALLOWED_METHODS,
    "access-control-allow-headers": "content-type",
    "access-control-max-age": 86400
};
const reject = (status, reason, detail, extra = {}, withBody = true) => {
    const body = withBody ? Buffer.from(`${status} ${detail}\n`) : Buffer.alloc(0);
    return {
        status,
        reason,
        detail,
        headers: {
            ...CORS_ORIGIN,
            ...(withBody ? { "content-type": "text/plain; charset=utf-8" } : {}),
            "content-length": body.length,
            "cache-control": "no-store",
            ...extra
        },
        body
    };
};
/** The ready-made responses. */
export const Responses = {
    Head: {
        status: 200,
        reason: undefined,
        detail: "HEAD",
        headers: { ...CORS_ORIGIN, "content-type": DNS_MESSAGE_TYPE },
        body: Buffer.alloc(0)
    },
    Preflight: {
        status: 204,
        reason: undefined,
        detail: "OPTIONS",
        headers: CORS_PREFLIGHT,
        body: Buffer.alloc(0)
    },
    NotFound: reject(404, "NotFound", "not found: the DoH endpoint is /dns-query"),
    NotFoundHead: reject(404, "NotFound", "not found: the DoH endpoint is /dns-query", {}, false),
    MethodNotAllowed: reject(405, "MethodNotAllowed", "method not allowed", { allow: ALLOWED_METHODS }),
    UnsupportedMediaType: reject(415, "UnsupportedMediaType", `unsupported media type: POST needs ${DNS_MESSAGE_TYPE}`),
    TooLarge: reject(413, "TooLarge", `payload too large: a DNS message has at most ${MAX_DNS_MESSAGE} bytes`),
    BadContentLength: reject(400, "BadContentLength", "bad request: invalid content-length"),
    MissingDns: reject(400, "MissingDns", "bad request: GET needs a dns parameter"),
    DuplicateDns: reject(400, "DuplicateDns", "bad request: more than one dns parameter"),
    BadBase64url: reject(400, "BadBase64url", "bad request: dns is not unpadded base64url"),
    EmptyBody: reject(400, "EmptyBody", "bad request: empty body"),
    UnusableMessage: reject(400, "UnusableMessage", "bad request: not a usable DNS query"),
    Forbidden: reject(403, "Forbidden", "forbidden: this client may not use the resolver"),
    Unauthorized: reject(401, "Unauthorized", "unauthorized: a valid access token is needed in the path"),
    TooManyRequests: reject(429, "TooManyRequests", "too many requests: over the rate limit", { "retry-after": 1 })
};
const replies = Object.fromEntries(Object.entries(Responses).map(([k, response]) => [k, { _tag: "Reply", response }]));
// base64url alphabet → 6-bit value, 255 = not in the alphabet ("=" padding included)
const B64URL = (() => {
    const t = new Uint8Array(128).fill(255);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (let i = 0; i < alphabet.length; i++)
        t[alphabet.charCodeAt(i)] = i;
    return t;
})();
// characters of a selector: letters, digits and `+ - _ . ~`
const SELECTOR_CHAR = (() => {
    const t = new Uint8Array(128);
    const allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-_.~";
    for (let i = 0; i < allowed.length; i++)
        t[allowed.charCodeAt(i)] = 1;
    return t;
})();
const SLASH = 47;
const QUESTION = 63;
/**
 * Decodes `s[start, end)` as base64url without padding; null when a character is outside the alphabet
 * (padding included) or the length cannot be base64 (one character left over).
 */
export const decodeBase64url = (s, start, end) => {
    const n = end - start;
    const rest = n & 3;
    if (rest === 1)
        return null;
    const out = Buffer.allocUnsafe((n >> 2) * 3 + (rest === 0 ? 0 : rest - 1));
    let o = 0;
    let i = start;
    const full = end - rest;
    while (i < full) {
        const c0 = s.charCodeAt(i);
        const c1 = s.charCodeAt(i + 1);
        const c2 = s.charCodeAt(i + 2);
        const c3 = s.charCodeAt(i + 3);
        if ((c0 | c1 | c2 | c3) > 127)
            return null;
        const a = B64URL[c0];
        const b = B64URL[c1];
        const c = B64URL[c2];
        const d = B64URL[c3];
        if ((a | b | c | d) === 255)
            return null;
        out[o++] = (a << 2) | (b >> 4);
        out[o++] = ((b & 15) << 4) | (c >> 2);
        out[o++] = ((c & 3) << 6) | d;
        i += 4;
    }
    if (rest > 0) {
        const c0 = s.charCodeAt(i);
        const c1 = s.charCodeAt(i + 1);
        if ((c0 | c1) > 127)
            return null;
        const a = B64URL[c0];
        const b = B64URL[c1];
        if ((a | b) === 255)
            return null;
        out[o++] = (a << 2) | (b >> 4);
        if (rest === 3) {
            const c2 = s.charCodeAt(i + 2);
            if (c2 > 127)
                return null;
            const c = B64URL[c2];
            if (c === 255)
                return null;
            out[o++] = ((b & 15) << 4) | (c >> 2);
        }
    }
    return out;
};
/** `application/dns-message`, case-insensitive, optionally followed by parameters. */
export const isDnsMessageType = (contentType) => {
    if (contentType === undefined)
        return false;
    if (contentType === DNS_MESSAGE_TYPE)
        return true;
    const n = DNS_MESSAGE_TYPE.length;
    if (contentType.length < n || contentType.slice(0, n).toLowerCase() !== DNS_MESSAGE_TYPE)
        return false;
    for (let i = n; i < contentType.length; i++) {
        const c = contentType.charCodeAt(i);
        if (c === 59)
            return true; // ";" parameters follow
        if (c !== 32 && c !== 9)
            return false;
    }
    return true;
};
/** A content-length value: its number, -1 when absent, -2 when invalid. */
export const parseContentLength = (value) => {
    if (value === undefined)
        return -1;
    const n = value.length;
    if (n === 0 || n > 15)
        return -2;
    let v = 0;
    for (let i = 0; i < n; i++) {
        const d = value.charCodeAt(i) - 48;
        if (d < 0 || d > 9)
            return -2;
        v = v * 10 + d;
    }
    return v;
};
/**
 * Routes one request. `path` is the request target as sent (`:path` in HTTP/2, the URL in HTTP/1.1).
 * Order of checks: path (404), method (405), then per method: GET `dns=` (400/413), POST content type
 * (415) and content length (413/400).
 */
export const route = (method, path, contentType, contentLength) => {
    const head = method === "HEAD";
    if (path === undefined || !path.startsWith(DOH_PATH))
        return head ? replies.NotFoundHead : replies.NotFound;
    const len = path.length;
    let i = DOH_PATH.length;
    let selector;
    if (i < len && path.charCodeAt(i) === SLASH) {
        const start = i + 1;
        let j = start;
        let slashes = 0;
        while (j < len) {
            const c = path.charCodeAt(j);
            if (c === QUESTION)
                break;
            // at most two segments: `<lists>`, `<token>`, `<token>/<lists>`
            if (c === SLASH && (++slashes > 1 || j === start))
                return head ? replies.NotFoundHead : replies.NotFound;
            if (c > 127 || (SELECTOR_CHAR[c] === 0 && c !== SLASH))
                return head ? replies.NotFoundHead : replies.NotFound;
            j++;
        }
        if (j - start > MAX_SELECTOR)
            return head ? replies.NotFoundHead : replies.NotFound;
        if (j > start)
            selector = path.slice(start, j);
        i = j;
    }
    if (i < len && path.charCodeAt(i) !== QUESTION)
        return head ? replies.NotFoundHead : replies.NotFound;
    switch (method) {
        case "GET": {
            // the query string: find the one `dns=` parameter; others (`ct=`, …) are ignored
            let dnsStart = -1;
            let dnsEnd = -1;
            let p = i + 1;
            while (p < len) {
                let amp = path.indexOf("&", p);
                if (amp < 0)
                    amp = len;
                if (amp - p >= 4 && path.charCodeAt(p) === 100 && path.charCodeAt(p + 1) === 110 &&
                    path.charCodeAt(p + 2) === 115 && path.charCodeAt(p + 3) === 61) {
                    if (dnsStart >= 0)
                        return replies.DuplicateDns;
                    dnsStart = p + 4;
                    dnsEnd = amp;
                }
                p = amp + 1;
            }
            if (dnsStart < 0)
                return replies.MissingDns;
            if (dnsEnd === dnsStart)
                return replies.MissingDns;
            if (dnsEnd - dnsStart > Math.ceil((MAX_DNS_MESSAGE * 4) / 3))
                return replies.TooLarge;
            const message = decodeBase64url(path, dnsStart, dnsEnd);
            if (message === null)
                return replies.BadBase64url;
            return { _tag: "Query", message, selector };
        }
        case "POST": {
            if (!isDnsMessageType(contentType))
                return replies.UnsupportedMediaType;
            const expected = parseContentLength(contentLength);
            if (expected === -2)
                return replies.BadContentLength;
            if (expected > MAX_DNS_MESSAGE)
                return replies.TooLarge;
            if (expected === 0)
                return replies.EmptyBody;
            return { _tag: "ReadBody", expected, selector };
        }
        case "HEAD":
            return replies.Head;
        case "OPTIONS":
            return replies.Preflight;
        default:
            return replies.MethodNotAllowed;
    }
};
export const bodyReader = (expected) => ({
    expected,
    size: 0,
    buffer: expected > 0 ? Buffer.allocUnsafe(expected) : undefined,
    chunks: undefined
});
/**
 * Adds a chunk of the body; false as soon as the body is larger than `MAX_DNS_MESSAGE` or than its
 * content-length (the caller answers `Responses.TooLarge` and stops reading).
 */
export const addChunk = (reader, chunk) => {
    const size = reader.size + chunk.length;
    if (size > MAX_DNS_MESSAGE)
        return false;
    if (reader.buffer !== undefined) {
        if (size > reader.expected)
            return false;
        chunk.copy(reader.buffer, reader.size);
    }
    else if (reader.chunks === undefined)
        reader.chunks = [chunk];
    else
        reader.chunks.push(chunk);
    reader.size = size;
    return true;
};
/** The DNS message of a completely read body, or the response for an unusable one. */
export const bodyMessage = (reader) => {
    if (reader.size === 0)
        return Responses.EmptyBody;
    if (reader.buffer !== undefined) {
        return reader.size === reader.expected ? reader.buffer : reader.buffer.subarray(0, reader.size);
    }
    const chunks = reader.chunks;
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, reader.size);
};
/** The headers of a DNS answer: `cache-control: max-age` is the answer's lowest TTL (never negative). */
export const answerHeaders = (length, ttl) => ({
    "content-type": DNS_MESSAGE_TYPE,
    "content-length": length,
    "cache-control": `max-age=${ttl > 0 ? Math.floor(ttl) : 0}`,
    "access-control-allow-origin": "*"
});
//# sourceMappingURL=Request.js.map