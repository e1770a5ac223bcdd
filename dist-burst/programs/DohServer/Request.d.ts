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
export declare const MAX_DNS_MESSAGE = 65535;
export declare const DNS_MESSAGE_TYPE = "application/dns-message";
export declare const ALLOWED_METHODS = "GET, POST, HEAD, OPTIONS";
/** The path of the DoH endpoint; `/dns-query/<selector>` picks blocklists (SPEC.md §7). */
export declare const DOH_PATH = "/dns-query";
/** Longest accepted selector (`a+b+c`). */
export declare const MAX_SELECTOR = 255;
/** Why a request did not get a DNS answer. */
export type RejectReason = "NotFound" | "MethodNotAllowed" | "UnsupportedMediaType" | "TooLarge" | "BadContentLength" | "MissingDns" | "DuplicateDns" | "BadBase64url" | "EmptyBody" | "UnusableMessage" | "Forbidden" | "Unauthorized" | "TooManyRequests";
/** Every reject reason, for counters. */
export declare const REJECT_REASONS: ReadonlyArray<RejectReason>;
/** A response decided without a DNS answer: a rejection, or the answer to HEAD/OPTIONS. */
export interface StaticResponse {
    readonly status: number;
    /** the rejection it reports; undefined for HEAD and OPTIONS, which are not rejections */
    readonly reason: RejectReason | undefined;
    /** lower-case header names; never `:status` */
    readonly headers: Readonly<Record<string, string | number>>;
    /** empty for HEAD, OPTIONS and every response to a HEAD request */
    readonly body: Buffer;
    /** a human-readable reason, for debug logs */
    readonly detail: string;
}
/** The ready-made responses. */
export declare const Responses: {
    readonly Head: StaticResponse;
    readonly Preflight: StaticResponse;
    readonly NotFound: StaticResponse;
    readonly NotFoundHead: StaticResponse;
    readonly MethodNotAllowed: StaticResponse;
    readonly UnsupportedMediaType: StaticResponse;
    readonly TooLarge: StaticResponse;
    readonly BadContentLength: StaticResponse;
    readonly MissingDns: StaticResponse;
    readonly DuplicateDns: StaticResponse;
    readonly BadBase64url: StaticResponse;
    readonly EmptyBody: StaticResponse;
    readonly UnusableMessage: StaticResponse;
    readonly Forbidden: StaticResponse;
    readonly Unauthorized: StaticResponse;
    readonly TooManyRequests: StaticResponse;
};
/** What to do with a request. */
export type Route = 
/** answer the DNS message (from GET) */
{
    readonly _tag: "Query";
    readonly message: Buffer;
    readonly selector: string | undefined;
}
/** read the POST body (`expected` = content-length, or -1 when not given), then `bodyMessage` */
 | {
    readonly _tag: "ReadBody";
    readonly expected: number;
    readonly selector: string | undefined;
}
/** send this response */
 | {
    readonly _tag: "Reply";
    readonly response: StaticResponse;
};
/**
 * Decodes `s[start, end)` as base64url without padding; null when a character is outside the alphabet
 * (padding included) or the length cannot be base64 (one character left over).
 */
export declare const decodeBase64url: (s: string, start: number, end: number) => Buffer | null;
/** `application/dns-message`, case-insensitive, optionally followed by parameters. */
export declare const isDnsMessageType: (contentType: string | undefined) => boolean;
/** A content-length value: its number, -1 when absent, -2 when invalid. */
export declare const parseContentLength: (value: string | undefined) => number;
/**
 * Routes one request. `path` is the request target as sent (`:path` in HTTP/2, the URL in HTTP/1.1).
 * Order of checks: path (404), method (405), then per method: GET `dns=` (400/413), POST content type
 * (415) and content length (413/400).
 */
export declare const route: (method: string | undefined, path: string | undefined, contentType: string | undefined, contentLength: string | undefined) => Route;
/** A POST body being read. */
export interface BodyReader {
    /** content-length, or -1 when unknown */
    readonly expected: number;
    /** bytes received so far */
    size: number;
    /** preallocated when `expected` is known */
    buffer: Buffer | undefined;
    /** chunks kept when `expected` is unknown */
    chunks: Array<Buffer> | undefined;
}
export declare const bodyReader: (expected: number) => BodyReader;
/**
 * Adds a chunk of the body; false as soon as the body is larger than `MAX_DNS_MESSAGE` or than its
 * content-length (the caller answers `Responses.TooLarge` and stops reading).
 */
export declare const addChunk: (reader: BodyReader, chunk: Buffer) => boolean;
/** The DNS message of a completely read body, or the response for an unusable one. */
export declare const bodyMessage: (reader: BodyReader) => Buffer | StaticResponse;
/** The headers of a DNS answer: `cache-control: max-age` is the answer's lowest TTL (never negative). */
export declare const answerHeaders: (length: number, ttl: number) => Record<string, string | number>;
