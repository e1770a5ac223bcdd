/**
 * DNS over TCP to an upstream (RFC 7766), and the pieces every upstream transport shares: message-ID
 * allocation, the answer-against-query check, 2-byte-length framing, a lazily (re)connected connection
 * held in the transport's scope, and the pipelined stream exchange that `Tls.ts` reuses over node:tls.
 */
import { Cause, Deferred, Effect, Exit, type Fiber, FiberId, FiberSet, Option, type Scope } from "effect"
import * as crypto from "node:crypto"
import * as net from "node:net"
import { makeFrameReader } from "../QueryHandler/Framing.js"
import { HEADER_LEN, MAX_MESSAGE, readU16 } from "../QueryHandler/Wire.js"
import { UpstreamError, type UpstreamShape } from "../Upstream.js"

// ---------------------------------------------------------------------------------------------------------
// Messages

/**
 * Offset just past the single question of a query, or -1 when the message has no readable question
 * (the resolver only sends queries that passed `peekQuery`, so -1 is a bug of the caller).
 */
export const questionEndOf = (msg: Uint8Array): number => {
  if (msg.length < HEADER_LEN || readU16(msg, 4) !== 1) return -1
  let off = HEADER_LEN
  for (;;) {
    if (off >= msg.length) return -1
    const len = msg[off]!
    if (len === 0) break
    if (len > 63) return -1
    off += len + 1
  }
  return off + 5 <= msg.length ? off + 5 : -1
}

const lower = (b: number) => (b >= 65 && b <= 90 ? b + 32 : b)

/**
 * Whether `answer` answers `sent` (the query as it went on the wire): a response (QR), the same ID, one
 * question with the same name (ASCII case-insensitively), type and class.
 */
export const isAnswerTo = (answer: Uint8Array, sent: Uint8Array, questionEnd: number): boolean => {
  if (answer.length < questionEnd) return false
  if (answer[0] !== sent[0] || answer[1] !== sent[1]) return false
  if ((answer[2]! & 0x80) === 0 || readU16(answer, 4) !== 1) return false
  const nameEnd = questionEnd - 4
  // label-length bytes are < 64, so lower-casing them too changes nothing
  for (let i = HEADER_LEN; i < nameEnd; i++) {
    if (answer[i] !== sent[i] && lower(answer[i]!) !== lower(sent[i]!)) return false
  }
  for (let i = nameEnd; i < questionEnd; i++) if (answer[i] !== sent[i]) return false
  return true
}

/** The TC bit of an answer. */
export const isTruncated = (answer: Uint8Array): boolean => answer.length > 2 && (answer[2]! & 0x02) !== 0

/** A copy of `msg` carrying message ID `id`. */
export const withId = (msg: Uint8Array, id: number): Uint8Array => {
  const out = new Uint8Array(msg)
  out[0] = id >> 8
  out[1] = id & 0xff
  return out
}

let pool = new Uint8Array(0)
let poolOffset = 0

/** A 16-bit ID from the OS's CSPRNG (read 1 KiB at a time): IDs are part of spoofing resistance. */
const randomId = (): number => {
  if (poolOffset + 2 > pool.length) {
    pool = crypto.randomBytes(1024)
    poolOffset = 0
  }
  const id = (pool[poolOffset]! << 8) | pool[poolOffset + 1]!
  poolOffset += 2
  return id
}

/** A random ID that no entry of `inFlight` holds, or undefined when all 65536 are taken. */
export const freeId = (inFlight: ReadonlyMap<number, unknown>): number | undefined => {
  if (inFlight.size >= 65536) return undefined
  for (;;) {
    const id = randomId()
    if (!inFlight.has(id)) return id
  }
}

/** The error of a query that cannot be sent as given (not a well-formed single-question query). */
export const badQuery = (upstream: string, msg: Uint8Array): Effect.Effect<never> =>
  Effect.dieMessage(`upstream ${upstream}: not a single-question DNS query (${msg.length} bytes)`)

// ---------------------------------------------------------------------------------------------------------
// Framing

/** `msg` with a 2-byte length prefix and message ID `id`. */
export const frameWithId = (msg: Uint8Array, id: number): Uint8Array => {
  const out = new Uint8Array(msg.length + 2)
  out[0] = msg.length >> 8
  out[1] = msg.length & 0xff
  out.set(msg, 2)
  out[2] = id >> 8
  out[3] = id & 0xff
  return out
}

// ---------------------------------------------------------------------------------------------------------
// A connection held by a transport

/** The `detail` of the `Closed` error of a transport whose scope has closed. */
export const TRANSPORT_CLOSED = "transport closed"

export interface ConnectionCell<C> {
  /** the open connection, or a new one (one connect at a time, shared by every caller waiting for it) */
  readonly get: Effect.Effect<C, UpstreamError>
  /** the open connection if there is a usable one now, without connecting */
  readonly peek: () => C | undefined
}

/**
 * Holds at most one connection of a transport. The connect runs in a fiber of the transport's scope, so a
 * caller interrupted while waiting does not abort it for the others; it is bounded by `connectTimeoutMs`.
 * When the scope closes, the current connection is disposed of and no new one is made.
 */
export const connectionCell = <C>(options: {
  readonly upstream: string
  readonly open: Effect.Effect<C, UpstreamError>
  readonly usable: (c: C) => boolean
  readonly dispose: (c: C) => void
  readonly connectTimeoutMs: number
}): Effect.Effect<ConnectionCell<C>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const { upstream } = options
    let current: C | undefined
    let connecting: Deferred.Deferred<C, UpstreamError> | undefined
    let closed = false
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        closed = true
        if (current !== undefined) options.dispose(current)
        current = undefined
      })
    )
    const closedError = () => new UpstreamError({ upstream, reason: "Closed", detail: TRANSPORT_CLOSED })
    const open = options.open.pipe(
      Effect.timeoutFail({
        duration: options.connectTimeoutMs,
        onTimeout: () => new UpstreamError({ upstream, reason: "Connect", detail: "connect timed out" })
      })
    )
    const connect = (deferred: Deferred.Deferred<C, UpstreamError>) =>
      open.pipe(
        Effect.onExit((exit) =>
          Effect.suspend(() => {
            connecting = undefined
            if (Exit.isSuccess(exit)) {
              if (closed) {
                options.dispose(exit.value)
                return Deferred.fail(deferred, closedError())
              }
              current = exit.value
              return Deferred.succeed(deferred, exit.value)
            }
            return Option.match(Cause.failureOption(exit.cause), {
              onNone: () => Deferred.fail(deferred, closedError()),
              onSome: (e) => Deferred.fail(deferred, e)
            })
          })
        )
      )
    const get: Effect.Effect<C, UpstreamError> = Effect.suspend(() => {
      if (closed) return Effect.fail(closedError())
      if (current !== undefined) {
        if (options.usable(current)) return Effect.succeed(current)
        current = undefined
      }
      if (connecting !== undefined) return Deferred.await(connecting)
      const deferred = Deferred.unsafeMake<C, UpstreamError>(FiberId.none)
      connecting = deferred
      return Effect.zipRight(Effect.forkIn(connect(deferred), scope), Deferred.await(deferred))
    })
    const peek = () => (!closed && current !== undefined && options.usable(current) ? current : undefined)
    return { get, peek }
  })

/** How a transport runs an Effect of its own scope from plain code (`FiberSet.makeRuntime`). */
export type RunFork = (
  effect: Effect.Effect<Uint8Array, UpstreamError>
) => Fiber.RuntimeFiber<Uint8Array, UpstreamError>

/**
 * The plain-code exchange of a transport (`UpstreamShape.tryExchange`), once `start` has sent the query:
 * `done` gets its result, unless `fallback` gives an Effect for it (a truncated UDP answer: TCP; a
 * connection closed under the query: one more try on a new one), which then runs in a fiber and whose
 * result `done` gets instead. Returns the cancel of both; once cancelled, `done` is not called.
 */
export const withFallback = (
  runFork: RunFork,
  start: (result: (r: Uint8Array | UpstreamError) => void) => () => void,
  fallback: (r: Uint8Array | UpstreamError) => Effect.Effect<Uint8Array, UpstreamError> | undefined,
  done: (r: Uint8Array | UpstreamError) => void
): () => void => {
  let retry: Fiber.RuntimeFiber<Uint8Array, UpstreamError> | undefined
  const cancel = start((r) => {
    const again = fallback(r)
    if (again === undefined) return done(r)
    retry = runFork(again)
    retry.addObserver((exit) => {
      if (Exit.isSuccess(exit)) return done(exit.value)
      const failure = Cause.failureOption(exit.cause)
      // interrupted: cancelled by the caller, who expects nothing more
      if (Option.isSome(failure)) done(failure.value)
    })
  })
  return () => {
    cancel()
    if (retry !== undefined) retry.unsafeInterruptAsFork(FiberId.none)
  }
}

/** A plain-code exchange (`start` calls its `done` once and returns its cancel) as an Effect: interrupting it cancels. */
export const asEffect = (
  start: (done: (r: Uint8Array | UpstreamError) => void) => () => void
): Effect.Effect<Uint8Array, UpstreamError> =>
  Effect.async<Uint8Array, UpstreamError>((resume) => {
    const cancel = start((r) => resume(r instanceof UpstreamError ? Effect.fail(r) : Effect.succeed(r)))
    return Effect.sync(cancel)
  })

/** A connection closed under a query it had taken (not the transport's own close): worth one more try. */
export const retryable = (r: Uint8Array | UpstreamError): boolean =>
  r instanceof UpstreamError && r.reason === "Closed" && r.detail !== TRANSPORT_CLOSED

// ---------------------------------------------------------------------------------------------------------
// Pipelined exchange over a byte stream (TCP here, TLS in Tls.ts)

export interface StreamOptions {
  /** close a connection with no query in flight after this long without traffic; default 10 s */
  readonly idleTimeoutMs?: number | undefined
  /** give up a connect (and a TLS handshake) after this long; default 5 s */
  readonly connectTimeoutMs?: number | undefined
}

export const defaultIdleTimeoutMs = 10_000
export const defaultConnectTimeoutMs = 5_000

interface Pending {
  readonly sent: Uint8Array
  readonly questionEnd: number
  /** gets the answer or the error, once */
  readonly done: (result: Uint8Array | UpstreamError) => void
  /** `StreamConn.frames` when the query was written */
  readonly framesAtSend: number
}

interface StreamConn {
  readonly socket: net.Socket
  readonly pending: Map<number, Pending>
  closed: boolean
  /** whole frames read so far */
  frames: number
  /**
   * takes no new query: one was abandoned with not a single frame read since it was written, so the
   * stream may be out of step (garbage with a length prefix swallows every later answer) or the
   * upstream has stalled; destroyed as soon as nothing is pending on it
   */
  retired: boolean
}

const errorDetail = (e: unknown): string =>
  e instanceof Error ? ((e as NodeJS.ErrnoException).code ?? e.message) : String(e)

/**
 * Connects a socket and waits for `readyEvent` ("connect", or "secureConnect" for TLS); the first
 * `error` before it is a `Connect` failure (a refused connect fails at once). Interruption destroys the
 * socket. The socket keeps an `error` listener for life: errors are reported by the `close` that follows.
 */
export const connectSocket = (
  upstream: string,
  create: () => net.Socket,
  readyEvent: "connect" | "secureConnect"
): Effect.Effect<net.Socket, UpstreamError> =>
  Effect.async<net.Socket, UpstreamError>((resume) => {
    const socket = create()
    socket.on("error", () => {})
    const onError = (e: Error) => {
      socket.destroy()
      resume(Effect.fail(new UpstreamError({ upstream, reason: "Connect", detail: errorDetail(e) })))
    }
    socket.once("error", onError)
    socket.once(readyEvent, () => {
      socket.off("error", onError)
      resume(Effect.succeed(socket))
    })
    return Effect.sync(() => {
      socket.destroy()
    })
  })

/**
 * A transport over a stream socket: one persistent connection, queries pipelined on it and answers
 * matched by message ID (RFC 7766 §6.2.1.1), reconnected when it closes. A query that meets a closed
 * connection is sent once more on a new one.
 */
export const makeStream = (options: {
  readonly upstream: string
  /** a connected (and, for TLS, handshaken) socket */
  readonly connect: Effect.Effect<net.Socket, UpstreamError>
  readonly idleTimeoutMs?: number | undefined
  readonly connectTimeoutMs?: number | undefined
}): Effect.Effect<UpstreamShape, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { upstream } = options
    const idleTimeoutMs = options.idleTimeoutMs ?? defaultIdleTimeoutMs

    /** Marks `conn` retired, and destroys it once nothing is pending on it. */
    const retire = (conn: StreamConn) => {
      conn.retired = true
      if (conn.pending.size === 0 && !conn.closed) {
        conn.closed = true
        conn.socket.destroy()
      }
    }

    const attach = (socket: net.Socket): StreamConn => {
      const conn: StreamConn = { socket, pending: new Map(), closed: socket.destroyed, frames: 0, retired: false }
      let lastError: string | undefined
      socket.setNoDelay(true)
      socket.on(
        "data",
        makeFrameReader((view) => {
          if (view.length < HEADER_LEN) return
          // a copy: the answer may be cached, and must not hold the whole read buffer alive
          const frame = new Uint8Array(view)
          conn.frames++
          const id = (frame[0]! << 8) | frame[1]!
          const entry = conn.pending.get(id)
          if (entry === undefined) return // an answer to an abandoned query, or a wrong ID: ignored
          conn.pending.delete(id)
          entry.done(
            isAnswerTo(frame, entry.sent, entry.questionEnd)
              ? frame
              : new UpstreamError({ upstream, reason: "BadAnswer", detail: "question does not match" })
          )
          if (conn.retired && conn.pending.size === 0) retire(conn)
        }, () => socket.destroy()).push
      )
      socket.on("error", (e) => {
        lastError = errorDetail(e)
      })
      socket.once("close", () => {
        conn.closed = true
        const error = new UpstreamError({ upstream, reason: "Closed", detail: lastError ?? "connection closed" })
        const waiting = [...conn.pending.values()]
        conn.pending.clear()
        for (const entry of waiting) entry.done(error)
      })
      // Node's own socket inactivity timer (not Effect's Clock): it only closes an idle connection, it
      // bounds no query, so it is fine for it to run on wall-clock time.
      socket.setTimeout(idleTimeoutMs)
      socket.on("timeout", () => {
        if (conn.pending.size > 0) return
        conn.closed = true
        socket.destroySoon()
      })
      return conn
    }

    const cell = yield* connectionCell<StreamConn>({
      upstream,
      open: Effect.map(options.connect, attach),
      usable: (c) => !c.closed && !c.retired && !c.socket.destroyed && c.socket.writable,
      dispose: (c) => {
        c.closed = true
        c.socket.destroy()
      },
      connectTimeoutMs: options.connectTimeoutMs ?? defaultConnectTimeoutMs
    })

    /** Writes `msg` on `conn`; `done` gets the answer or the error once. Returns the cancel. */
    const send = (
      conn: StreamConn,
      msg: Uint8Array,
      questionEnd: number,
      done: (result: Uint8Array | UpstreamError) => void
    ): () => void => {
      if (conn.closed) {
        done(new UpstreamError({ upstream, reason: "Closed", detail: "connection closed" }))
        return () => {}
      }
      const id = freeId(conn.pending)
      if (id === undefined) {
        done(new UpstreamError({ upstream, reason: "Connect", detail: "65536 queries in flight" }))
        return () => {}
      }
      const frame = frameWithId(msg, id)
      const entry: Pending = { sent: frame.subarray(2), questionEnd, done, framesAtSend: conn.frames }
      conn.pending.set(id, entry)
      conn.socket.write(frame)
      // abandoned (query deadline, failover bound): silence since the write retires the connection
      return () => {
        if (conn.pending.get(id) !== entry) return
        conn.pending.delete(id)
        if (conn.retired || conn.frames === entry.framesAtSend) retire(conn)
      }
    }

    const exchange = (conn: StreamConn, msg: Uint8Array, questionEnd: number) =>
      asEffect((done) => send(conn, msg, questionEnd, done))

    const query = Effect.fnUntraced(function*(msg: Uint8Array) {
      const questionEnd = questionEndOf(msg)
      if (questionEnd < 0) {
        return yield* badQuery(upstream, msg)
      }
      if (msg.length > MAX_MESSAGE) {
        return yield* new UpstreamError({ upstream, reason: "TooLarge", detail: `query of ${msg.length} bytes` })
      }
      const attempt = Effect.flatMap(cell.get, (conn) => exchange(conn, msg, questionEnd))
      // the server may have closed a reused connection just as we wrote: one more try on a fresh one
      return yield* Effect.catchIf(attempt, retryable, () => attempt)
    })

    // the one more try of a plain-code exchange whose connection closed runs in a fiber of this scope
    const runFork: RunFork = yield* FiberSet.makeRuntime<never, Uint8Array, UpstreamError>()

    /**
     * `query` in plain code while the connection is open; undefined when it is not (the caller then uses
     * `query`, which connects). A connection closed under the query is retried once, as `query` does,
     * on a new connection in a fiber.
     */
    const tryExchange = (msg: Uint8Array, done: (result: Uint8Array | UpstreamError) => void) => {
      const conn = cell.peek()
      const questionEnd = conn === undefined || msg.length > MAX_MESSAGE ? -1 : questionEndOf(msg)
      if (conn === undefined || questionEnd < 0) {
        return undefined
      }
      const again = Effect.flatMap(cell.get, (fresh) => exchange(fresh, msg, questionEnd))
      return withFallback(
        runFork,
        (result) => send(conn, msg, questionEnd, result),
        (r) => (retryable(r) ? again : undefined),
        done
      )
    }

    return { query, tryExchange }
  })

// ---------------------------------------------------------------------------------------------------------
// TCP

export interface TcpSpec {
  readonly host: string
  readonly port: number
  readonly text: string
}

/** A DNS-over-TCP transport to `spec` (one pipelined connection), closed with the scope. */
export const make = (spec: TcpSpec, options: StreamOptions = {}): Effect.Effect<UpstreamShape, never, Scope.Scope> =>
  makeStream({
    upstream: spec.text,
    connect: connectSocket(spec.text, () => net.connect({ host: spec.host, port: spec.port }), "connect"),
    idleTimeoutMs: options.idleTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs
  })
