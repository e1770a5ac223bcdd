import { Effect } from "effect";
import { AnswerCache } from "./AnswerCache.js";
import { Blocklists } from "./Blocklists.js";
import { ServerConfig } from "./ServerConfig.js";
import { Upstream } from "./Upstream.js";
export type Transport = "dot" | "doh";
/** Where a query came from, and what the request chose. */
export interface QueryContext {
    readonly transport: Transport;
    readonly remoteAddress: string | undefined;
    /** the blocklists the request selected (`Blocklists.select`: DoH path, DoT SNI), as a mask */
    readonly selection: number;
    /** the connection was authenticated by TLS-PSK (its identity is the client's credential) */
    readonly psk?: boolean | undefined;
    /** answers are handed over with their RFC 7766 two-byte length in front, ready to write (DoT) */
    readonly framed?: boolean | undefined;
}
/**
 * Receives the answer to one query, exactly once. `answer` is null when the message could not be read
 * as a query at all (shorter than a header, or a response): DoH answers 400, DoT closes. `malformed` is
 * true when the answer is a FORMERR/NOTIMP made here for a query that could not be used (DoH answers 400
 * with no body for those too, per RFC 8484 §4.2.1). `ttl` is the lowest TTL of the answer, for HTTP caching.
 * When the query's context is `framed`, a non-null answer carries its two-byte length in front.
 */
export type Reply = (answer: Buffer | null, ttl: number, malformed: boolean) => void;
/** Query counters (SPEC.md §5: the heartbeat and /metrics show them). */
export interface QueryStats {
    queries: number;
    cacheHits: number;
    upstreamQueries: number;
    coalesced: number;
    servfail: number;
    formerr: number;
    unreadable: number;
}
declare const QueryHandler_base: Effect.Service.Class<QueryHandler, "vigil/QueryHandler", {
    readonly scoped: Effect.Effect<{
        handle: (query: Uint8Array, ctx: QueryContext, reply: Reply) => void;
        /** queries received and not yet answered */
        inFlight: () => number;
        /** distinct questions waiting for the upstream (each with its coalesced waiters) */
        pendingQuestions: () => number;
        stats: () => {
            queries: number;
            cacheHits: number;
            upstreamQueries: number;
            coalesced: number;
            servfail: number;
            formerr: number;
            unreadable: number;
        };
        answers: () => {
            dot: number[];
            doh: number[];
        };
    }, never, ServerConfig | import("effect/Scope").Scope | Blocklists | AnswerCache | Upstream>;
    readonly dependencies: readonly [import("effect/Layer").Layer<AnswerCache, never, ServerConfig>, import("effect/Layer").Layer<Blocklists, never, ServerConfig>];
}>;
/**
 * The one query handler behind every transport: bytes in, bytes out. A cache hit is answered
 * synchronously by plain code (header-and-question peek, answer patched in place); a miss runs an Effect
 * (upstream with failover, bounded by the query deadline) in the handler's scope, with identical
 * in-flight questions coalesced into one upstream query.
 */
export declare class QueryHandler extends QueryHandler_base {
}
export {};
