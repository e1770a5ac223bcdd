/**
 * DNS over UDP to an upstream: one shared, connected socket per upstream (udp4 or udp6 by the address
 * family of the host), queries in flight keyed by a random ID never used twice at once, answers accepted
 * only from the upstream's address and port with the right ID and question (anything else is ignored,
 * as a spoofing attempt would be). A truncated answer is asked again over TCP to the same host and port.
 */
import { Effect, FiberSet, type Scope } from "effect"
import * as dgram from "node:dgram"
import * as net from "node:net"
import { HEADER_LEN } from "../QueryHandler/Wire.js"
import { UpstreamError, type UpstreamShape } from "../Upstream.js"
import * as Tcp from "./Tcp.js"

export interface UdpSpec {
  readonly host: string
  readonly port: number
  readonly text: string
}

interface Pending {
  readonly sent: Uint8Array
  readonly questionEnd: number
  /** the answer (ID and question checked) or why there is none; called once */
  readonly done: (result: Uint8Array | UpstreamError) => void
}

interface UdpConn {
  readonly socket: dgram.Socket
  readonly pending: Map<number, Pending>
  open: boolean
  address: string
  port: number
}

const detailOf = (e: unknown): string =>
  e instanceof Error ? ((e as NodeJS.ErrnoException).code ?? e.message) : String(e)

const closeQuietly = (socket: dgram.Socket) => {
  try {
    socket.close()
  } catch {
    // already closed
  }
}

/**
 * A DNS-over-UDP transport to `spec`, with a DNS-over-TCP transport to the same host and port for
 * truncated answers; both closed with the scope.
 */
export const make = (
  spec: UdpSpec,
  options: Tcp.StreamOptions = {}
): Effect.Effect<UpstreamShape, never, Scope.Scope> =>
  Effect.gen(function*() {
    const upstream = spec.text
    const tcp = yield* Tcp.make(spec, options)

    const failAll = (conn: UdpConn, error: UpstreamError) => {
      const waiting = [...conn.pending.values()]
      conn.pending.clear()
      for (const entry of waiting) entry.done(error)
    }

    const open = Effect.async<UdpConn, UpstreamError>((resume) => {
      const socket = dgram.createSocket(net.isIP(spec.host) === 6 ? "udp6" : "udp4")
      const conn: UdpConn = { socket, pending: new Map(), open: true, address: "", port: 0 }
      let connected = false
      const connectFailed = (e: unknown) => {
        conn.open = false
        closeQuietly(socket)
        resume(Effect.fail(new UpstreamError({ upstream, reason: "Connect", detail: detailOf(e) })))
      }
      socket.on("error", (e) => {
        if (!connected) return connectFailed(e)
        // on a connected socket, ECONNREFUSED is the ICMP "port unreachable" of the upstream: whatever is
        // in flight will not be answered, so it fails now instead of at the deadline
        failAll(conn, new UpstreamError({ upstream, reason: "Connect", detail: detailOf(e) }))
      })
      socket.on("close", () => {
        conn.open = false
        failAll(conn, new UpstreamError({ upstream, reason: "Closed", detail: "socket closed" }))
      })
      socket.on("message", (msg, rinfo) => {
        if (rinfo.address !== conn.address || rinfo.port !== conn.port || msg.length < HEADER_LEN) return
        const id = (msg[0]! << 8) | msg[1]!
        const entry = conn.pending.get(id)
        if (entry === undefined || !Tcp.isAnswerTo(msg, entry.sent, entry.questionEnd)) return
        conn.pending.delete(id)
        entry.done(msg)
      })
      socket.connect(spec.port, spec.host, (err?: Error) => {
        if (err !== undefined && err !== null) return connectFailed(err)
        connected = true
        const remote = socket.remoteAddress()
        conn.address = remote.address
        conn.port = remote.port
        resume(Effect.succeed(conn))
      })
      return Effect.sync(() => {
        conn.open = false
        closeQuietly(socket)
      })
    })

    const cell = yield* Tcp.connectionCell<UdpConn>({
      upstream,
      open,
      usable: (c) => c.open,
      dispose: (c) => {
        c.open = false
        closeQuietly(c.socket)
      },
      connectTimeoutMs: options.connectTimeoutMs ?? Tcp.defaultConnectTimeoutMs
    })

    /** Sends `msg` on `conn`; `done` gets the answer or the error once. Returns the cancel. */
    const send = (
      conn: UdpConn,
      msg: Uint8Array,
      questionEnd: number,
      done: (result: Uint8Array | UpstreamError) => void
    ): () => void => {
      if (!conn.open) {
        done(new UpstreamError({ upstream, reason: "Closed", detail: "socket closed" }))
        return () => {}
      }
      const id = Tcp.freeId(conn.pending)
      if (id === undefined) {
        done(new UpstreamError({ upstream, reason: "Connect", detail: "65536 queries in flight" }))
        return () => {}
      }
      const sent = Tcp.withId(msg, id)
      const entry: Pending = { sent, questionEnd, done }
      conn.pending.set(id, entry)
      conn.socket.send(sent, (err) => {
        if (err === null || err === undefined || conn.pending.get(id) !== entry) return
        conn.pending.delete(id)
        done(new UpstreamError({ upstream, reason: "Connect", detail: detailOf(err) }))
      })
      return () => {
        if (conn.pending.get(id) === entry) conn.pending.delete(id)
      }
    }

    const exchange = (conn: UdpConn, msg: Uint8Array, questionEnd: number) =>
      Tcp.asEffect((done) => send(conn, msg, questionEnd, done))

    // a truncated answer of the plain-code exchange is asked again over TCP, in a fiber of this scope
    const runFork: Tcp.RunFork = yield* FiberSet.makeRuntime<never, Uint8Array, UpstreamError>()

    const query = Effect.fnUntraced(function*(msg: Uint8Array) {
      const questionEnd = Tcp.questionEndOf(msg)
      if (questionEnd < 0) {
        return yield* Tcp.badQuery(upstream, msg)
      }
      const conn = yield* cell.get
      const answer = yield* exchange(conn, msg, questionEnd)
      if (!Tcp.isTruncated(answer)) {
        return answer
      }
      yield* Effect.logDebug("truncated answer over UDP: asking again over TCP").pipe(
        Effect.annotateLogs({ service: "Upstream", upstream })
      )
      return yield* tcp.query(msg)
    })

    const tryExchange = (msg: Uint8Array, done: (result: Uint8Array | UpstreamError) => void) => {
      const conn = cell.peek()
      const questionEnd = conn === undefined ? -1 : Tcp.questionEndOf(msg)
      if (conn === undefined || questionEnd < 0) {
        return undefined
      }
      return Tcp.withFallback(
        runFork,
        (result) => send(conn, msg, questionEnd, result),
        (r) => (r instanceof UpstreamError || !Tcp.isTruncated(r) ? undefined : tcp.query(msg)),
        done
      )
    }

    return { query, tryExchange, prepare: Effect.ignore(cell.get) }
  })
