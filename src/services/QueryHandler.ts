import { Effect, FiberId, FiberSet, LogLevel } from "effect"
import { AnswerCache, MAX_CACHE_TTL_S } from "./AnswerCache.js"
import {
  ALLOWED,
  blockAnswer,
  Blocklists,
  type ChainMark,
  DENIED,
  EDE_BLOCKED,
  EDE_FILTERED,
  PASS
} from "./Blocklists.js"
import { type Deadline, makeDeadlines } from "./QueryHandler/Deadlines.js"
import { frame } from "./QueryHandler/Framing.js"
import {
  errorAnswer,
  inspectAnswer,
  MAX_MESSAGE,
  peekQuery,
  type QueryPeek,
  Rcode,
  upstreamQuery,
  writeTtls
} from "./QueryHandler/Wire.js"
import { queryDeadlineMs, ServerConfig } from "./ServerConfig.js"
import { Upstream, UpstreamError } from "./Upstream.js"

export type Transport = "dot" | "doh"

/** Where a query came from, and what the request chose. */
export interface QueryContext {
  readonly transport: Transport
  readonly remoteAddress: string | undefined
  /** the blocklists the request selected (`Blocklists.select`: DoH path, DoT SNI), as a mask */
  readonly selection: number
  /** the connection was authenticated by TLS-PSK (its identity is the client's credential) */
  readonly psk?: boolean | undefined
  /** answers are handed over with their RFC 7766 two-byte length in front, ready to write (DoT) */
  readonly framed?: boolean | undefined
}

/**
 * Receives the answer to one query, exactly once. `answer` is null when the message could not be read
 * as a query at all (shorter than a header, or a response): DoH answers 400, DoT closes. `malformed` is
 * true when the answer is a FORMERR/NOTIMP made here for a query that could not be used (DoH answers 400
 * with no body for those too, per RFC 8484 §4.2.1). `ttl` is the lowest TTL of the answer, for HTTP caching.
 * When the query's context is `framed`, a non-null answer carries its two-byte length in front.
 */
export type Reply = (answer: Buffer | null, ttl: number, malformed: boolean) => void

interface Waiter {
  readonly query: Uint8Array
  readonly peek: QueryPeek
  readonly ctx: QueryContext
  readonly reply: Reply
  /** the blocklists of its request; -1 when its name is allowlisted (no chain check) */
  readonly selection: number
}

/** Query counters (SPEC.md §5: the heartbeat and /metrics show them). */
export interface QueryStats {
  queries: number
  cacheHits: number
  upstreamQueries: number
  coalesced: number
  servfail: number
  formerr: number
  unreadable: number
}

/**
 * The one query handler behind every transport: bytes in, bytes out. A cache hit is answered
 * synchronously by plain code (header-and-question peek, answer patched in place); a miss runs an Effect
 * (upstream with failover) in the handler's scope, cut at the query deadline by one watcher for all
 * lookups (`QueryHandler/Deadlines.ts`), with identical in-flight questions coalesced into one upstream
 * query.
 */
export class QueryHandler extends Effect.Service<QueryHandler>()("vigil/QueryHandler", {
  scoped: Effect.gen(function*() {
    const config = yield* ServerConfig
    const cache = yield* AnswerCache
    const upstream = yield* Upstream
    const blocklists = yield* Blocklists
    const filtering = blocklists.active
    const runFork = yield* FiberSet.makeRuntime<never, void, never>()
    const debug = LogLevel.lessThanEqual(config.logLevel, LogLevel.Debug)
    const logDebug = (msg: string) =>
      runFork(Effect.logDebug(msg).pipe(Effect.annotateLogs({ service: "QueryHandler" })))
    const deadline = queryDeadlineMs(config)
    const clock = yield* Effect.clock
    // every lookup bounded by the query deadline, by one watcher on the Clock (no race per lookup)
    const deadlines = makeDeadlines(deadline, () => clock.unsafeCurrentTimeMillis())
    yield* Effect.forkScoped(deadlines.watch)
    const pending = new Map<string, Array<Waiter>>()
    const stats: QueryStats = {
      queries: 0,
      cacheHits: 0,
      upstreamQueries: 0,
      coalesced: 0,
      servfail: 0,
      formerr: 0,
      unreadable: 0
    }
    let inFlight = 0
    // answers sent, by transport and header rcode (0–15): the /metrics query counters
    const answers: Record<Transport, Array<number>> = { dot: Array(16).fill(0), doh: Array(16).fill(0) }
    let nextId = (Math.random() * 0xffff) | 0

    /**
     * The end of a lookup: its answer (null: none usable, SERVFAIL) is cached and goes to every client
     * waiting for the question, each with its own ID and question spelling.
     */
    const settle = (key: string, answer: Uint8Array | null) => {
      const waiters = pending.get(key) ?? []
      pending.delete(key)
      const info = answer === null ? null : inspectAnswer(answer)
      const mark = info !== null && filtering ? blocklists.markChain(blocklists.newMark(), answer!) : undefined
      if (info !== null) cache.store(key, answer!, info, mark)
      for (const w of waiters) {
        if (info === null) {
          stats.servfail++
          finish(w.ctx, w.reply, errorAnswer(w.query, Rcode.SERVFAIL, w.peek.questionEnd), 0, false)
        } else if (mark !== undefined && w.selection !== -1 && chainBlocked(w, mark)) {
          continue
        } else {
          const out = Buffer.from(answer!)
          writeTtls(out, info, 0)
          out[0] = w.query[0]!
          out[1] = w.query[1]!
          if (info.questionEnd === w.peek.questionEnd) out.set(w.query.subarray(12, w.peek.questionEnd), 12)
          finish(w.ctx, w.reply, out, Math.min(info.cacheTtl, MAX_CACHE_TTL_S), false)
        }
      }
    }

    /** The upstream lookup of a question not in the cache, bounded by the query deadline. */
    const lookup = (key: string, query: Uint8Array, peek: QueryPeek) => {
      nextId = (nextId + 1) & 0xffff
      stats.upstreamQueries++
      const msg = upstreamQuery(query, peek, nextId)
      const failed = (why: string) => {
        if (debug) logDebug(`upstream failed for ${describe(peek, query)}: ${why}`)
      }
      // plain code when the transport can (UDP with its socket open): no fiber per lookup
      if (upstream.tryExchange !== undefined) {
        let over = false
        let deadline: Deadline | undefined
        const end = (answer: Uint8Array | null) => {
          over = true
          if (deadline !== undefined) deadlines.release(deadline)
          try {
            settle(key, answer)
          } catch (e) {
            // a defect here must not reach the socket's event handler; the waiters left get SERVFAIL
            runFork(Effect.logError("answering an upstream lookup failed", e))
            if (pending.has(key)) settle(key, null)
          }
        }
        const cancel = upstream.tryExchange(msg, (result) => {
          if (over) return
          if (result instanceof UpstreamError) {
            failed(result.message)
            end(null)
          } else end(result)
        })
        if (cancel !== undefined) {
          if (!over) {
            deadline = deadlines.add(() => over, () => {
              cancel()
              failed("no answer within the deadline")
              end(null)
            })
          }
          return
        }
      }
      let exited = false
      let deadline: Deadline | undefined = undefined
      const fiber = runFork(
        upstream.query(msg).pipe(
          Effect.catchAll((e) => {
            failed(e.message)
            return Effect.succeed(null)
          }),
          // interrupted at the deadline: null, SERVFAIL
          Effect.onExit((exit) =>
            Effect.sync(() => {
              exited = true
              if (deadline !== undefined) deadlines.release(deadline)
              settle(key, exit._tag === "Success" ? exit.value : null)
            })
          )
        )
      )
      if (exited) return
      deadline = deadlines.add(() => fiber.unsafePoll() !== null, () => {
        failed("no answer within the deadline")
        fiber.unsafeInterruptAsFork(FiberId.none)
      })
    }

    /**
     * Hands an answer over: counted by transport and rcode, framed for a `framed` context unless it is
     * already (`prefixed`: a cache hit made it so), an answer too long to frame replaced by SERVFAIL.
     */
    const finish = (
      ctx: QueryContext,
      reply: Reply,
      answer: Buffer | null,
      ttl: number,
      malformed: boolean,
      prefixed = false
    ) => {
      inFlight--
      if (answer !== null) {
        answers[ctx.transport][answer[prefixed ? 5 : 3]! & 0x0f]!++
        if (ctx.framed === true && !prefixed) {
          answer = frame(answer.length > MAX_MESSAGE ? errorAnswer(answer, Rcode.SERVFAIL) : answer)
        }
      }
      reply(answer, ttl, malformed)
    }

    /** Answers a blocked query; `verdict` is DENIED or the mask of the lists that block it. */
    const block = (
      query: Uint8Array,
      peek: QueryPeek,
      verdict: number,
      cname: boolean,
      ctx: QueryContext,
      reply: Reply
    ) => {
      const why = verdict === DENIED ? "denylist" : `blocklist ${blocklists.namesOf(verdict).join("+")}`
      const answer = blockAnswer(
        query,
        peek,
        config.blockTtl,
        verdict === DENIED ? EDE_BLOCKED : EDE_FILTERED,
        cname ? `CNAME chain through a name on the ${why}` : `on the ${why}`
      )
      finish(ctx, reply, answer, config.blockTtl, false)
    }

    /** When an answer's CNAME chain runs through a name blocked for this waiter, answers it blocked. */
    const chainBlocked = (w: Waiter, mark: ChainMark): boolean => {
      const verdict = blocklists.chainVerdict(mark, w.selection)
      if (verdict === PASS) return false
      block(w.query, w.peek, verdict, true, w.ctx, w.reply)
      return true
    }

    const handle = (query: Uint8Array, ctx: QueryContext, reply: Reply): void => {
      stats.queries++
      inFlight++
      const peek = peekQuery(query)
      if (typeof peek === "number") {
        if (peek < 0) {
          stats.unreadable++
          if (debug) logDebug(`unreadable message of ${query.length} bytes`)
          return finish(ctx, reply, null, 0, true)
        }
        stats.formerr++
        if (debug) logDebug(`malformed query: answered rcode ${peek}`)
        return finish(ctx, reply, errorAnswer(query, peek), 0, true)
      }
      let selection = ctx.selection
      if (filtering) {
        const verdict = blocklists.check(query, selection)
        if (verdict === ALLOWED) selection = -1
        else if (verdict !== PASS) return block(query, peek, verdict, false, ctx, reply)
      }
      const framed = ctx.framed === true
      const answer = cache.lookup(peek.key, query, peek.questionEnd, framed)
      if (answer !== undefined) {
        stats.cacheHits++
        const hit = cache.hit
        if (filtering && selection !== -1 && hit.mark !== undefined) {
          const verdict = blocklists.chainVerdict(blocklists.markChain(hit.mark, hit.source), selection)
          if (verdict !== PASS) return block(query, peek, verdict, true, ctx, reply)
        }
        return finish(ctx, reply, answer, hit.ttl, false, framed)
      }
      const waiter: Waiter = { query, peek, ctx, reply, selection }
      const waiting = pending.get(peek.key)
      if (waiting !== undefined) {
        stats.coalesced++
        waiting.push(waiter)
        return
      }
      pending.set(peek.key, [waiter])
      lookup(peek.key, query, peek)
    }

    return {
      handle,
      /** queries received and not yet answered */
      inFlight: () => inFlight,
      /** distinct questions waiting for the upstream (each with its coalesced waiters) */
      pendingQuestions: () => pending.size,
      stats: () => ({ ...stats }),
      answers: () => ({ dot: [...answers.dot], doh: [...answers.doh] })
    }
  }),
  dependencies: [AnswerCache.Default, Blocklists.Default]
}) {}

const describe = (peek: QueryPeek, query: Uint8Array): string => {
  const labels: Array<string> = []
  let off = 12
  while (off < peek.questionEnd - 4 && query[off]! > 0) {
    labels.push(Buffer.from(query.subarray(off + 1, off + 1 + query[off]!)).toString("latin1"))
    off += query[off]! + 1
  }
  return `${labels.join(".") || "."}/${peek.qtype}`
}
