/**
 * The DNS wire-format helpers of the per-query hot path.
 *
 * Full encode/decode of DNS messages uses `@dnsquery/dns-packet` (see `Codec.ts`); this module only
 * walks the bytes where the hot path needs offsets the library does not expose: the end of the question
 * (the cache key), the EDNS OPT record of a query, and the offsets of every TTL in an answer so that a
 * cached answer is served with its TTLs decremented in place, without a decode/encode round trip.
 */
export declare const HEADER_LEN = 12;
export declare const MAX_MESSAGE = 65535;
export declare const Rcode: {
    readonly NOERROR: 0;
    readonly FORMERR: 1;
    readonly SERVFAIL: 2;
    readonly NXDOMAIN: 3;
    readonly NOTIMP: 4;
    readonly REFUSED: 5;
};
/** What the hot path knows about a query after a header-and-question peek. */
export interface QueryPeek {
    /** cache key: flags that change the answer + lower-cased question bytes */
    readonly key: string;
    /** offset just past the question (QNAME + QTYPE + QCLASS) */
    readonly questionEnd: number;
    readonly qtype: number;
    /** the client sent an EDNS OPT record */
    readonly edns: boolean;
    /** DNSSEC OK bit of the client's OPT record */
    readonly dnssecOk: boolean;
}
/** Why a message could not be used as a query: the rcode to answer with, or -1 to answer nothing. */
export type PeekFailure = number;
/** Walks a possibly compressed name inside a record; returns the offset after it, or -1. */
export declare const skipName: (msg: Uint8Array, start: number) => number;
/**
 * Header-and-question peek of a client query. Returns a `QueryPeek`, or the rcode to answer with
 * (FORMERR, NOTIMP), or -1 when the message is too short to answer at all.
 */
export declare const peekQuery: (msg: Uint8Array) => QueryPeek | PeekFailure;
/**
 * The query sent upstream: the client's RD and CD bits and question, our own ID, and an OPT record
 * only when the client sent one (with its DO bit, none of its options: no client cookie, padding or
 * subnet leaves this server).
 */
export declare const upstreamQuery: (msg: Uint8Array, peek: QueryPeek, id: number) => Uint8Array;
/** What the cache keeps about an answer so that it can serve it again with only bytes patched. */
export interface AnswerInfo {
    readonly rcode: number;
    readonly truncated: boolean;
    /** offsets of the TTL field of every record except OPT */
    readonly ttlOffsets: ReadonlyArray<number>;
    /** the TTLs found at `ttlOffsets` */
    readonly ttls: ReadonlyArray<number>;
    /** how long the answer may be cached, in seconds (RFC 2308 for negative answers); 0 = not cacheable */
    readonly cacheTtl: number;
    /** offset just past the question */
    readonly questionEnd: number;
}
/** Walks a whole response; returns null when it is malformed. */
export declare const inspectAnswer: (msg: Uint8Array) => AnswerInfo | null;
/** An answer carrying only a header (and the question when it could be read) with the given rcode. */
export declare const errorAnswer: (query: Uint8Array, rcode: number, questionEnd?: number) => Buffer;
/** Writes the TTLs of `info`, decremented by `elapsed` seconds (never below 0), into `out`. */
export declare const writeTtls: (out: Buffer, info: AnswerInfo, elapsed: number) => void;
export declare const readU16: (m: Uint8Array, o: number) => number;
export declare const readU32: (m: Uint8Array, o: number) => number;
