import { Effect, FiberSet, LogLevel } from "effect";
import { AnswerCache, MAX_CACHE_TTL_S } from "./AnswerCache.js";
import { ALLOWED, blockAnswer, Blocklists, DENIED, EDE_BLOCKED, EDE_FILTERED, PASS } from "./Blocklists.js";
import { frame } from "./QueryHandler/Framing.js";
import { errorAnswer, inspectAnswer, MAX_MESSAGE, peekQuery, Rcode, upstreamQuery, writeTtls } from "./QueryHandler/Wire.js";
import { queryDeadlineMs, ServerConfig } from "./ServerConfig.js";
import { Upstream } from "./Upstream.js";
/**
 * The one query handler behind every transport: bytes in, bytes out. A cache hit is answered
 * synchronously by plain code (header-and-question peek, answer patched in place); a miss runs an Effect
 * (upstream with failover, bounded by the query deadline) in the handler's scope, with identical
 * in-flight questions coalesced into one upstream query.
 */
export class QueryHandler extends Effect.Service()("vigil/QueryHandler", {
    scoped: Effect.gen(function* () {
        const config = yield* ServerConfig;
        const cache = yield* AnswerCache;
        const upstream = yield* Upstream;
        const blocklists = yield* Blocklists;
        const filtering = blocklists.active;
        const runFork = yield* FiberSet.makeRuntime();
        const debug = LogLevel.lessThanEqual(config.logLevel, LogLevel.Debug);
        const logDebug = (msg) => runFork(Effect.logDebug(msg).pipe(Effect.annotateLogs({ service: "QueryHandler" })));
        const deadline = queryDeadlineMs(config);
        const pending = new Map();
        const stats = {
            queries: 0,
            cacheHits: 0,
            upstreamQueries: 0,
            coalesced: 0,
            servfail: 0,
            formerr: 0,
            unreadable: 0
        };
        let inFlight = 0;
        // answers sent, by transport and header rcode (0–15): the /metrics query counters
        const answers = { dot: Array(16).fill(0), doh: Array(16).fill(0) };
        let nextId = (Math.random() * 0xffff) | 0;
        const resolve = (key, query, peek) => Effect.suspend(() => {
            nextId = (nextId + 1) & 0xffff;
            stats.upstreamQueries++;
            return upstream.query(upstreamQuery(query, peek, nextId));
        }).pipe(Effect.timeoutFail({
            duration: deadline,
            onTimeout: () => "deadline"
        }), Effect.map((answer) => {
            const info = inspectAnswer(answer);
            if (info === null)
                return null;
            const mark = filtering ? blocklists.markChain(blocklists.newMark(), answer) : undefined;
            cache.store(key, answer, info, mark);
            return { answer, info, mark };
        }), Effect.catchAll((e) => {
            if (debug)
                logDebug(`upstream failed for ${describe(peek, query)}: ${typeof e === "string" ? e : e.message}`);
            return Effect.succeed(null);
        }), Effect.onExit((exit) => Effect.sync(() => {
            const waiters = pending.get(key) ?? [];
            pending.delete(key);
            const result = exit._tag === "Success" ? exit.value : null;
            for (const w of waiters) {
                if (result === null) {
                    stats.servfail++;
                    finish(w.ctx, w.reply, errorAnswer(w.query, Rcode.SERVFAIL, w.peek.questionEnd), 0, false);
                }
                else if (result.mark !== undefined && w.selection !== -1 && chainBlocked(w, result.mark)) {
                    continue;
                }
                else {
                    const out = Buffer.from(result.answer);
                    writeTtls(out, result.info, 0);
                    out[0] = w.query[0];
                    out[1] = w.query[1];
                    if (result.info.questionEnd === w.peek.questionEnd) {
                        out.set(w.query.subarray(12, w.peek.questionEnd), 12);
                    }
                    finish(w.ctx, w.reply, out, Math.min(result.info.cacheTtl, MAX_CACHE_TTL_S), false);
                }
            }
        })));
        /**
         * Hands an answer over: counted by transport and rcode, framed for a `framed` context unless it is
         * already (`prefixed`: a cache hit made it so), an answer too long to frame replaced by SERVFAIL.
         */
        const finish = (ctx, reply, answer, ttl, malformed, prefixed = false) => {
            inFlight--;
            if (answer !== null) {
                answers[ctx.transport][answer[prefixed ? 5 : 3] & 0x0f]++;
                if (ctx.framed === true && !prefixed) {
                    answer = frame(answer.length > MAX_MESSAGE ? errorAnswer(answer, Rcode.SERVFAIL) : answer);
                }
            }
            reply(answer, ttl, malformed);
        };
        /** Answers a blocked query; `verdict` is DENIED or the mask of the lists that block it. */
        const block = (query, peek, verdict, cname, ctx, reply) => {
            const why = verdict === DENIED ? "denylist" : `blocklist ${blocklists.namesOf(verdict).join("+")}`;
            const answer = blockAnswer(query, peek, config.blockTtl, verdict === DENIED ? EDE_BLOCKED : EDE_FILTERED, cname ? `CNAME chain through a name on the ${why}` : `on the ${why}`);
            finish(ctx, reply, answer, config.blockTtl, false);
        };
        /** When an answer's CNAME chain runs through a name blocked for this waiter, answers it blocked. */
        const chainBlocked = (w, mark) => {
            const verdict = blocklists.chainVerdict(mark, w.selection);
            if (verdict === PASS)
                return false;
            block(w.query, w.peek, verdict, true, w.ctx, w.reply);
            return true;
        };
        const handle = (query, ctx, reply) => {
            stats.queries++;
            inFlight++;
            const peek = peekQuery(query);
            if (typeof peek === "number") {
                if (peek < 0) {
                    stats.unreadable++;
                    if (debug)
                        logDebug(`unreadable message of ${query.length} bytes`);
                    return finish(ctx, reply, null, 0, true);
                }
                stats.formerr++;
                if (debug)
                    logDebug(`malformed query: answered rcode ${peek}`);
                return finish(ctx, reply, errorAnswer(query, peek), 0, true);
            }
            let selection = ctx.selection;
            if (filtering) {
                const verdict = blocklists.check(query, selection);
                if (verdict === ALLOWED)
                    selection = -1;
                else if (verdict !== PASS)
                    return block(query, peek, verdict, false, ctx, reply);
            }
            const framed = ctx.framed === true;
            const answer = cache.lookup(peek.key, query, peek.questionEnd, framed);
            if (answer !== undefined) {
                stats.cacheHits++;
                const hit = cache.hit;
                if (filtering && selection !== -1 && hit.mark !== undefined) {
                    const verdict = blocklists.chainVerdict(blocklists.markChain(hit.mark, hit.source), selection);
                    if (verdict !== PASS)
                        return block(query, peek, verdict, true, ctx, reply);
                }
                return finish(ctx, reply, answer, hit.ttl, false, framed);
            }
            const waiter = { query, peek, ctx, reply, selection };
            const waiting = pending.get(peek.key);
            if (waiting !== undefined) {
                stats.coalesced++;
                waiting.push(waiter);
                return;
            }
            pending.set(peek.key, [waiter]);
            runFork(resolve(peek.key, query, peek));
        };
        return {
            handle,
            /** queries received and not yet answered */
            inFlight: () => inFlight,
            /** distinct questions waiting for the upstream (each with its coalesced waiters) */
            pendingQuestions: () => pending.size,
            stats: () => ({ ...stats }),
            answers: () => ({ dot: [...answers.dot], doh: [...answers.doh] })
        };
    }),
    dependencies: [AnswerCache.Default, Blocklists.Default]
}) {
}
const describe = (peek, query) => {
    const labels = [];
    let off = 12;
    while (off < peek.questionEnd - 4 && query[off] > 0) {
        labels.push(Buffer.from(query.subarray(off + 1, off + 1 + query[off])).toString("latin1"));
        off += query[off] + 1;
    }
    return `${labels.join(".") || "."}/${peek.qtype}`;
};
//# sourceMappingURL=QueryHandler.js.map