/**
 * DNS over HTTPS to an upstream (RFC 8484): one HTTP/2 session per upstream, reused by every query and
 * made again when it closes or the server sends GOAWAY; each query is a POST of `application/dns-message`
 * with message ID 0 (RFC 8484 §4.1), whose answer must come with status 200, the same content type, at
 * most 65535 bytes, ID 0 and the question that was asked.
 */
import { Effect, FiberSet, type Scope } from "effect"
import * as http2 from "node:http2"
import { MAX_MESSAGE } from "../QueryHandler/Wire.js"
import { UpstreamError, type UpstreamShape } from "../Upstream.js"
import * as Tcp from "./Tcp.js"
import { caOption } from "./Tls.js"

export interface HttpsOptions extends Tcp.StreamOptions {
  /** trust anchors (PEM) instead of Node's bundled CA store */
  readonly ca?: string | ReadonlyArray<string> | undefined
}

export interface HttpsSpec {
  readonly url: URL
  readonly text: string
}

interface Session {
  readonly session: http2.ClientHttp2Session
  usable: boolean
}

const detailOf = (e: unknown): string =>
  e instanceof Error ? ((e as NodeJS.ErrnoException).code ?? e.message) : String(e)

const mediaType = (value: string | ReadonlyArray<string> | undefined): string =>
  (typeof value === "string" ? value : value?.[0] ?? "").split(";")[0]!.trim().toLowerCase()

/** A DoH transport to `spec` (one HTTP/2 session), closed with the scope. */
export const make = (spec: HttpsSpec, options: HttpsOptions = {}): Effect.Effect<UpstreamShape, never, Scope.Scope> =>
  Effect.gen(function*() {
    const upstream = spec.text
    const path = spec.url.pathname + spec.url.search
    const idleTimeoutMs = options.idleTimeoutMs ?? Tcp.defaultIdleTimeoutMs

    const open = Effect.async<Session, UpstreamError>((resume) => {
      const session = http2.connect(spec.url.origin, { ...caOption(options.ca) })
      const state: Session = { session, usable: true }
      session.on("error", () => {
        state.usable = false
      })
      const onError = (e: Error) => {
        state.usable = false
        session.destroy()
        resume(Effect.fail(new UpstreamError({ upstream, reason: "Connect", detail: detailOf(e) })))
      }
      session.once("error", onError)
      session.once("connect", () => {
        session.off("error", onError)
        resume(Effect.succeed(state))
      })
      session.on("goaway", () => {
        state.usable = false
      })
      session.on("close", () => {
        state.usable = false
      })
      // Node's own session inactivity timer (not Effect's Clock): it only closes an idle session, it
      // bounds no query. `close` lets streams still open finish.
      session.setTimeout(idleTimeoutMs, () => {
        state.usable = false
        session.close()
      })
      return Effect.sync(() => {
        session.destroy()
      })
    })

    const cell = yield* Tcp.connectionCell<Session>({
      upstream,
      open,
      usable: (s) => s.usable && !s.session.closed && !s.session.destroyed,
      dispose: (s) => {
        s.usable = false
        s.session.destroy()
      },
      connectTimeoutMs: options.connectTimeoutMs ?? Tcp.defaultConnectTimeoutMs
    })

    const error = (reason: UpstreamError["reason"], detail: string) => new UpstreamError({ upstream, reason, detail })

    /** POSTs `sent` on session `s`; `done` gets the answer or the error once. Returns the cancel. */
    const send = (
      s: Session,
      sent: Uint8Array,
      questionEnd: number,
      done: (result: Uint8Array | UpstreamError) => void
    ): () => void => {
      let stream: http2.ClientHttp2Stream
      try {
        stream = s.session.request({
          ":method": "POST",
          ":path": path,
          "content-type": "application/dns-message",
          "accept": "application/dns-message",
          "content-length": sent.length
        })
      } catch (e) {
        s.usable = false
        done(error("Closed", detailOf(e)))
        return () => {}
      }
      let over = false
      const finish = (result: Uint8Array | UpstreamError) => {
        if (over) return
        over = true
        done(result)
      }
      const cancel = () => {
        if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL)
      }
      const chunks: Array<Buffer> = []
      let size = 0
      let responded = false
      stream.on("response", (headers) => {
        responded = true
        const status = headers[":status"]
        if (status !== 200) {
          finish(error("Http", `status ${status}`))
          return cancel()
        }
        const type = mediaType(headers["content-type"])
        if (type !== "application/dns-message") {
          finish(error("Http", `content-type ${type === "" ? "missing" : type}`))
          return cancel()
        }
        const length = Number(headers["content-length"] ?? 0)
        if (length > MAX_MESSAGE) {
          finish(error("TooLarge", `content-length ${length}`))
          return cancel()
        }
      })
      stream.on("data", (chunk: Buffer) => {
        if (over) return
        size += chunk.length
        if (size > MAX_MESSAGE) {
          finish(error("TooLarge", `body over ${MAX_MESSAGE} bytes`))
          return cancel()
        }
        chunks.push(chunk)
      })
      stream.on("end", () => {
        // a session torn down under the stream ends it without a response: closed, worth one more try
        if (!responded) return finish(error("Closed", "stream ended without a response"))
        const body = new Uint8Array(Buffer.concat(chunks, size))
        finish(
          Tcp.isAnswerTo(body, sent, questionEnd)
            ? body
            : error("BadAnswer", "not an answer to the query (message ID or question)")
        )
      })
      stream.on("error", (e) => finish(error("Closed", detailOf(e))))
      stream.on("close", () => finish(error("Closed", "stream closed without an answer")))
      stream.end(sent)
      return () => {
        over = true
        cancel()
      }
    }

    const exchange = (s: Session, sent: Uint8Array, questionEnd: number) =>
      Tcp.asEffect((done) => send(s, sent, questionEnd, done))

    const query = Effect.fnUntraced(function*(msg: Uint8Array) {
      const questionEnd = Tcp.questionEndOf(msg)
      if (questionEnd < 0) return yield* Tcp.badQuery(upstream, msg)
      const sent = Tcp.withId(msg, 0)
      const attempt = Effect.flatMap(cell.get, (s) => exchange(s, sent, questionEnd))
      // a session that went away as we sent (GOAWAY, idle close): one more try on a fresh session
      return yield* Effect.catchIf(attempt, Tcp.retryable, () => attempt)
    })

    // the one more try of a plain-code exchange whose session went away runs in a fiber of this scope
    const runFork: Tcp.RunFork = yield* FiberSet.makeRuntime<never, Uint8Array, UpstreamError>()

    /** `query` in plain code while the session is open; undefined when it is not (then `query` connects) */
    const tryExchange = (msg: Uint8Array, done: (result: Uint8Array | UpstreamError) => void) => {
      const s = cell.peek()
      const questionEnd = s === undefined ? -1 : Tcp.questionEndOf(msg)
      if (s === undefined || questionEnd < 0) return undefined
      const sent = Tcp.withId(msg, 0)
      const again = Effect.flatMap(cell.get, (fresh) => exchange(fresh, sent, questionEnd))
      return Tcp.withFallback(
        runFork,
        (result) => send(s, sent, questionEnd, result),
        (r) => (Tcp.retryable(r) ? again : undefined),
        done
      )
    }

    return { query, tryExchange }
  })
