import { type QueryPeek } from "../QueryHandler/Wire.js";
/**
 * The wire side of blocking (SPEC.md §7): the answer given for a blocked name, and the walk over an
 * upstream answer's names that finds a CNAME chain running through a blocked name.
 */
/** RFC 8914 Extended DNS Error: blocked by the operator (`DENYLIST`). */
export declare const EDE_BLOCKED = 15;
/** RFC 8914 Extended DNS Error: filtered at the client's request (the blocklists it selected). */
export declare const EDE_FILTERED = 17;
/**
 * The answer to a blocked question: NOERROR with `0.0.0.0` for A and `::` for AAAA (class IN), no record
 * (NODATA) for any other type; the client's ID, RD and CD bits and question; TTL `ttl`. A client that
 * sent EDNS also gets an OPT record with an Extended DNS Error (`ede`, and `text` naming why).
 */
export declare const blockAnswer: (query: Uint8Array, peek: QueryPeek, ttl: number, ede: number, text: string) => Buffer;
/**
 * Calls `visit` with the offset of every name of the answer section that a CNAME chain runs through: each
 * record's owner, and the target of every CNAME and DNAME. Stops quietly at the first malformed record
 * (such an answer is not served anyway).
 */
export declare const forEachChainName: (answer: Uint8Array, visit: (offset: number) => void) => void;
