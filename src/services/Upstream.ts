import { Cause, Context, Data, Duration, Effect, Exit, FiberId, FiberSet, Layer, Option, type Scope } from "effect"
import { type Deadline, makeDeadlines } from "./QueryHandler/Deadlines.js"
import { queryDeadlineMs, ServerConfig } from "./ServerConfig.js"
import * as Https from "./Upstream/Https.js"
import type { UpstreamSpec } from "./Upstream/Spec.js"
import * as Tcp from "./Upstream/Tcp.js"
import * as Tls from "./Upstream/Tls.js"
import * as Udp from "./Upstream/Udp.js"

/** Why an upstream exchange failed. */
export class UpstreamError extends Data.TaggedError("UpstreamError")<{
  readonly upstream: string
  readonly reason: "Timeout" | "Connect" | "Closed" | "BadAnswer" | "Http" | "TooLarge"
  readonly detail?: string
}> {
  override get message() {
    return `upstream ${this.upstream}: ${this.reason}${this.detail === undefined ? "" : ` (${this.detail})`}`
  }
}

/**
 * The port to upstream resolvers. `query` sends one DNS query (its ID is the transport's to choose: the
 * caller restores its own ID on the answer) and returns the raw answer, whose ID and question the
 * transport has checked against the query. A failure is an `UpstreamError`; no deadline is applied here
 * beyond the transport's own connect limits — the resolver bounds every call with the query deadline.
 */
export interface UpstreamShape {
  readonly query: (msg: Uint8Array) => Effect.Effect<Uint8Array, UpstreamError>
  /**
   * The same exchange in plain code, for the cache-miss hot path, when the transport can start it at once
   * (UDP with its socket open): `done` gets the answer or the error exactly once, unless the returned
   * `cancel` is called first. Returns undefined when it cannot (no socket yet, a message it cannot use):
   * the caller then uses `query`.
   */
  readonly tryExchange?: (
    msg: Uint8Array,
    done: (result: Uint8Array | UpstreamError) => void
  ) => (() => void) | undefined
  /**
   * Opens what the transport can open without sending anything (UDP: its local socket), so that the
   * first queries after startup already take `tryExchange`. Never fails; a socket that cannot be opened
   * now is opened (or its error reported) by the first `query`.
   */
  readonly prepare?: Effect.Effect<void>
}

/** How the transports of `Upstream.fromSpecs` are built. */
export interface UpstreamOptions {
  /** trust anchors (PEM) for tls:// and https:// upstreams instead of Node's CA store (tests) */
  readonly ca?: string | ReadonlyArray<string> | undefined
  /** the caller's per-query deadline, which failover divides among the upstreams; default 10 s */
  readonly queryDeadlineMs?: number | undefined
  /** close an idle upstream connection after this long; default 10 s */
  readonly idleTimeoutMs?: number | undefined
  /** give up connecting to an upstream after this long; default 5 s */
  readonly connectTimeoutMs?: number | undefined
}

export class Upstream extends Context.Tag("vigil/Upstream")<Upstream, UpstreamShape>() {
  /** One transport per spec, tried in order with failover (see `makeFromSpecs`). */
  static readonly fromSpecs = (
    specs: ReadonlyArray<UpstreamSpec>,
    options: UpstreamOptions = {}
  ): Layer.Layer<Upstream> => Layer.scoped(Upstream, makeFromSpecs(specs, options))
}

/** The transport of one upstream, closed with the scope. */
export const makeTransport = (
  spec: UpstreamSpec,
  options: UpstreamOptions = {}
): Effect.Effect<UpstreamShape, never, Scope.Scope> => {
  const stream = { idleTimeoutMs: options.idleTimeoutMs, connectTimeoutMs: options.connectTimeoutMs }
  switch (spec._tag) {
    case "udp":
      return Udp.make(spec, stream)
    case "tcp":
      return Tcp.make(spec, stream)
    case "tls":
      return Tls.make(spec, { ...stream, ca: options.ca })
    case "https":
      return Https.make(spec, { ...stream, ca: options.ca })
  }
}

const DEFAULT_QUERY_DEADLINE_MS = 10_000

/**
 * Failover over `upstreams` (named by `names`, for errors and logs): every query starts at the upstream
 * that answered last and moves to the next one on any `UpstreamError`. Each attempt but the last is
 * bounded by `max(1000, queryDeadlineMs / upstreams)` ms; the last is bounded only by the caller's
 * deadline. When every upstream has failed, the query fails with the last error.
 *
 * When every transport has a plain-code exchange, failover has one too (`tryExchange`), with the same
 * rules: it starts when the preferred upstream's exchange can start, an attempt bounded by the
 * per-attempt limit is cut by one watcher on the Clock (`Deadlines`, no timer per attempt), and an
 * upstream whose exchange cannot start (its socket is not open) is asked with its `query` in a fiber.
 */
export const failover = (
  upstreams: ReadonlyArray<{ readonly name: string; readonly transport: UpstreamShape }>,
  queryDeadline: number = DEFAULT_QUERY_DEADLINE_MS
): Effect.Effect<UpstreamShape, never, Scope.Scope> =>
  Effect.gen(function*() {
    const count = upstreams.length
    if (count === 0) {
      return {
        query: () =>
          Effect.fail(new UpstreamError({ upstream: "none", reason: "Connect", detail: "no upstream configured" }))
      }
    }
    // one upstream: no failover to do, its plain-code exchange serves as is
    if (count === 1) return upstreams[0]!.transport
    const limitMs = Math.max(1000, Math.floor(queryDeadline / count))
    const attemptLimit = Duration.millis(limitMs)
    const timedOut = (name: string) =>
      new UpstreamError({ upstream: name, reason: "Timeout", detail: `no answer in ${Duration.format(attemptLimit)}` })
    const failed = (name: string, error: UpstreamError, last: boolean) =>
      Effect.logDebug(last ? "upstream failed; no upstream left" : "upstream failed; trying the next")
        .pipe(Effect.annotateLogs({ service: "Upstream", upstream: name, error: error.message }))
    let preferred = 0
    const query = Effect.fnUntraced(function*(msg: Uint8Array) {
      const start = preferred
      let lastError: UpstreamError | undefined
      for (let i = 0; i < count; i++) {
        const index = (start + i) % count
        const { name, transport } = upstreams[index]!
        const attempt = i === count - 1 ? transport.query(msg) : transport.query(msg).pipe(
          Effect.timeoutFail({ duration: attemptLimit, onTimeout: () => timedOut(name) })
        )
        const result = yield* Effect.either(attempt)
        if (result._tag === "Right") {
          if (index !== preferred) preferred = index
          return result.right
        }
        lastError = result.left
        yield* failed(name, lastError, i === count - 1)
      }
      return yield* Effect.fail(lastError!)
    })
    if (!upstreams.every((u) => u.transport.tryExchange !== undefined)) return { query }

    const clock = yield* Effect.clock
    const attempts = makeDeadlines(limitMs, () => clock.unsafeCurrentTimeMillis())
    yield* Effect.forkScoped(attempts.watch)
    const runFork = yield* FiberSet.makeRuntime<never, Uint8Array, UpstreamError>()
    const runLog = yield* FiberSet.makeRuntime<never, void, never>()

    /** one attempt in plain code when it can start, else its `query` in a fiber; returns its cancel */
    const begin = (
      transport: UpstreamShape,
      msg: Uint8Array,
      settle: (result: Uint8Array | UpstreamError) => void
    ): () => void => {
      const cancel = transport.tryExchange!(msg, settle)
      if (cancel !== undefined) return cancel
      const fiber = runFork(transport.query(msg))
      fiber.addObserver((exit) => {
        if (Exit.isSuccess(exit)) return settle(exit.value)
        const failure = Cause.failureOption(exit.cause)
        if (Option.isSome(failure)) settle(failure.value)
      })
      return () => fiber.unsafeInterruptAsFork(FiberId.none)
    }

    const tryExchange = (msg: Uint8Array, done: (result: Uint8Array | UpstreamError) => void) => {
      const start = preferred
      let over = false
      let cancelCurrent: (() => void) | undefined
      const attempt = (i: number, first: boolean): boolean => {
        const index = (start + i) % count
        const { name, transport } = upstreams[index]!
        const last = i === count - 1
        let finished = false
        let limit: Deadline | undefined
        const settle = (result: Uint8Array | UpstreamError) => {
          if (finished || over) return
          finished = true
          if (limit !== undefined) attempts.release(limit)
          if (!(result instanceof UpstreamError)) {
            over = true
            if (index !== preferred) preferred = index
            return done(result)
          }
          runLog(failed(name, result, last))
          if (last) {
            over = true
            return done(result)
          }
          attempt(i + 1, false)
        }
        const cancel = first ? transport.tryExchange!(msg, settle) : begin(transport, msg, settle)
        if (cancel === undefined) return false
        // settled already (at once, and maybe moved on to the next upstream): nothing of this one to keep
        if (finished) return true
        cancelCurrent = cancel
        if (!last) {
          limit = attempts.add(() => finished || over, () => {
            cancel()
            settle(timedOut(name))
          })
        }
        return true
      }
      if (!attempt(0, true)) return undefined
      return () => {
        if (over) return
        over = true
        cancelCurrent?.()
      }
    }
    return { query, tryExchange }
  })

/** One transport per spec, composed with `failover`; everything is closed with the scope. */
export const makeFromSpecs = (
  specs: ReadonlyArray<UpstreamSpec>,
  options: UpstreamOptions = {}
): Effect.Effect<UpstreamShape, never, Scope.Scope> =>
  Effect.gen(function*() {
    const upstreams = yield* Effect.forEach(specs, (spec) =>
      Effect.map(makeTransport(spec, options), (transport) => ({ name: spec.text, transport })))
    // opened in the background: startup does not wait, the first queries find the sockets open
    for (const { transport } of upstreams) {
      if (transport.prepare !== undefined) {
        yield* Effect.forkScoped(transport.prepare)
      }
    }
    return yield* failover(upstreams, options.queryDeadlineMs ?? DEFAULT_QUERY_DEADLINE_MS)
  })

/**
 * The upstreams of `ServerConfig.upstreams`, with failover within the configured query deadline;
 * `options.ca` replaces Node's CA store for tls:// and https:// upstreams (tests, private resolvers).
 */
export const upstreamFromConfig = (
  options: Pick<UpstreamOptions, "ca"> = {}
): Layer.Layer<Upstream, never, ServerConfig> =>
  Layer.scoped(
    Upstream,
    Effect.flatMap(ServerConfig, (config) =>
      makeFromSpecs(config.upstreams, {
        queryDeadlineMs: queryDeadlineMs(config),
        idleTimeoutMs: Duration.toMillis(config.workerTimeout),
        ca: options.ca
      }))
  )

/** The upstreams of `ServerConfig.upstreams`, with failover within the configured query deadline. */
export const UpstreamLive: Layer.Layer<Upstream, never, ServerConfig> = upstreamFromConfig()
