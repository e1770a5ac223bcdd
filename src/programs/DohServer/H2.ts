/**
 * A purpose-built HTTP/2 server transport for DNS over HTTPS (RFC 9113, RFC 7541, RFC 8484): own framing
 * and HPACK on the socket a listener hands over (TLS after ALPN `h2`, or plain TCP for h2c), the same
 * `dispatch` and `env.handle` as every other transport.
 *
 * Per connection: the preface and SETTINGS exchange, HEADERS + CONTINUATION (PADDED, PRIORITY), HPACK with
 * its dynamic table and limits, pseudo-header validation, POST bodies through `bodyReader`, flow control
 * both ways (answers larger than the peer's window or frame size are split and queued until its
 * WINDOW_UPDATE), RST_STREAM, PING, GOAWAY (graceful on drain and idle, with an error code on protocol
 * errors), the stream-count limit and the idle timeout. The hot path runs no Effect: frames produced while
 * one socket chunk is handled (or in one microtask, for answers that come later) leave in one write.
 */
import type * as net from "node:net"
import * as tls from "node:tls"
import type { QueryContext, Reply } from "../../services/QueryHandler.js"
import { makeRecordWriter } from "../../services/TlsSessions/RecordWriter.js"
import type { Env, Transport } from "../DohServer.js"
import {
  dispatch,
  dohStats,
  H2_MAX_CONCURRENT_STREAMS,
  H2_MAX_HEADER_LIST_SIZE,
  H2_MAX_HEADER_PAIRS
} from "../DohServer.js"
import {
  DEFAULT_MAX_FRAME,
  DEFAULT_WINDOW,
  ErrorCode,
  Flag,
  frame,
  FRAME_HEADER,
  FrameType,
  makeFrameReader,
  MAX_WINDOW,
  PREFACE,
  readFrames,
  Setting,
  writeFrameHeader
} from "./H2/Frames.js"
import { decodeBlock, encodeInt, encodeResponse, HPACK_ERROR, HPACK_TOO_LARGE, makeDecoder } from "./H2/Hpack.js"
import { StreamTable } from "./H2/StreamTable.js"
import {
  addChunk,
  bodyMessage,
  type BodyReader,
  bodyReader,
  DNS_MESSAGE_TYPE,
  Responses,
  type StaticResponse
} from "./Request.js"
import { makeSweeper } from "./Sweep.js"

/** SETTINGS_INITIAL_WINDOW_SIZE we advertise: room for a whole POST body (and the byte that makes it 413). */
export const H2_STREAM_WINDOW = 131072
/** Our connection receive window (raised from 65535 by a WINDOW_UPDATE right after our SETTINGS). */
export const H2_CONNECTION_WINDOW = 1 << 20
/** The most header block (compressed) one request may send across HEADERS + CONTINUATION frames. */
export const H2_MAX_HEADER_BLOCK = 65536
/** CONTINUATION frames one header block may take. */
const MAX_CONTINUATIONS = 64
/**
 * Streams a client may reset before we hear their answer: past this, and past half the requests of the
 * connection, it is a rapid-reset attack (CVE-2023-44487) and the connection ends with ENHANCE_YOUR_CALM.
 */
const MAX_CLIENT_RESETS = 200
/** Bytes waiting in the socket's write buffer above which we stop reading from the client. */
const WRITE_HIGH_WATER = 1 << 20

/** 431 for a header list over `H2_MAX_HEADER_LIST_SIZE` or `H2_MAX_HEADER_PAIRS` fields. */
export const HeadersTooLarge: StaticResponse = (() => {
  const body = Buffer.from("431 request header fields too large\n")
  return {
    status: 431,
    reason: undefined,
    detail: "request header fields too large",
    headers: {
      "access-control-allow-origin": "*",
      "content-type": "text/plain; charset=utf-8",
      "content-length": body.length,
      "cache-control": "no-store"
    },
    body
  }
})()

// the header block of each ready-made response, encoded once
const staticBlocks = new Map<StaticResponse, Buffer>(
  [...Object.values(Responses), HeadersTooLarge].map((r) => [r, encodeResponse(r.status, r.headers)])
)

// `:status: 200`, content-type and access-control-allow-origin of an answer. The first answer of a connection
// adds the two fields to the peer's dynamic table (literals with incremental indexing, 127 octets of table);
// every later one names them by index (content-type 63, access-control-allow-origin 62), as nghttp2 would:
// fewer bytes, and less work for the client's decoder.
const ANSWER_PREFIX_INDEXING = Buffer.concat([
  Buffer.from([0x88, 0x40 | 31, DNS_MESSAGE_TYPE.length]),
  Buffer.from(DNS_MESSAGE_TYPE, "latin1"),
  Buffer.from([0x40 | 20, 0x01, 0x2a])
])
const ANSWER_PREFIX_INDEXED = Buffer.from([0x88, 0x80 | 63, 0x80 | 62])
// without a dynamic table (the peer's SETTINGS_HEADER_TABLE_SIZE < 127): literals without indexing
const ANSWER_PREFIX_LITERAL = Buffer.concat([
  Buffer.from([0x88, 0x0f, 0x10, DNS_MESSAGE_TYPE.length]),
  Buffer.from(DNS_MESSAGE_TYPE, "latin1"),
  Buffer.from([0x0f, 0x05, 0x01, 0x2a])
])
/** Octets of the peer's dynamic table our two indexed fields take (RFC 7541 §4.1). */
const INDEXED_OCTETS = 32 + "content-type".length + DNS_MESSAGE_TYPE.length + 32 +
  "access-control-allow-origin".length + 1
const MAX_AGE = Buffer.from("max-age=", "latin1")

const digits = (n: number): number => (n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : String(n).length)

const writeDigits = (b: Buffer, at: number, n: number, count: number) => {
  for (let i = at + count - 1; i >= at; i--) {
    b[i] = 48 + (n % 10)
    n = Math.floor(n / 10)
  }
}

/** The connection-specific fields RFC 9113 §8.2.2 forbids. */
const CONNECTION_SPECIFIC = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"])

interface H2Stream {
  readonly id: number
  ctx: QueryContext
  /** the client sent END_STREAM */
  remoteClosed: boolean
  /** our END_STREAM is out (or the stream was reset): gone from the connection */
  closed: boolean
  /** headers of our response sent */
  responded: boolean
  /** our response is complete; the client's body (unread) is still coming */
  done: boolean
  /** reset the stream with NO_ERROR once the response is out, instead of waiting for the client's end */
  resetWhenDone: boolean
  sendWindow: number
  recvWindow: number
  /** bytes received since our last WINDOW_UPDATE for the stream */
  recvUnacked: number
  reader: BodyReader | undefined
  /** body bytes not yet sent for lack of window */
  pending: Buffer | undefined
  pendingAt: number
  /**
   * when (`env.now`, ms) the stream is cut if still open: a POST body still to come, or the client's
   * upload after our response; -1: none
   */
  deadline: number
}

interface Connection {
  readonly socket: net.Socket
  readonly goaway: () => void
  /** cuts the streams whose deadline has passed */
  readonly sweep: (now: number) => void
}

/** DNS over HTTPS/2 on its own framing and HPACK. */
export const makeFastH2 = (env: Env): Transport => {
  const connections = new Set<Connection>()
  let draining = false
  // per-stream timeouts: deadlines on `env.now`, checked by one sweep per transport (see Sweep.ts)
  const sweeper = makeSweeper(env.idleMs, () => connections.size, () => {
    const now = env.now()
    for (const c of connections) c.sweep(now)
  })

  // our SETTINGS, then the connection window raised to H2_CONNECTION_WINDOW
  const hello = (() => {
    const settings = Buffer.alloc(4 * 6)
    const put = (i: number, id: number, value: number) => {
      settings.writeUInt16BE(id, i * 6)
      settings.writeUInt32BE(value, i * 6 + 2)
    }
    put(0, Setting.MAX_CONCURRENT_STREAMS, H2_MAX_CONCURRENT_STREAMS)
    put(1, Setting.INITIAL_WINDOW_SIZE, H2_STREAM_WINDOW)
    put(2, Setting.MAX_HEADER_LIST_SIZE, H2_MAX_HEADER_LIST_SIZE)
    put(3, Setting.ENABLE_PUSH, 0)
    const increment = Buffer.alloc(4)
    increment.writeUInt32BE(H2_CONNECTION_WINDOW - DEFAULT_WINDOW)
    return Buffer.concat([frame(FrameType.SETTINGS, 0, 0, settings), frame(FrameType.WINDOW_UPDATE, 0, 0, increment)])
  })()
  const settingsAck = frame(FrameType.SETTINGS, Flag.ACK, 0)

  const countStatus = (status: number) => {
    dohStats.status[status] = (dohStats.status[status] ?? 0) + 1
  }

  const serve = (socket: net.Socket) => {
    const peer: QueryContext = {
      transport: "doh",
      remoteAddress: socket.remoteAddress,
      selection: env.select(undefined),
      psk: socket instanceof tls.TLSSocket && env.isPsk(socket)
    }
    const streams = new StreamTable<H2Stream>()
    const decoder = makeDecoder()
    const fields: Array<string> = []
    const reader = makeFrameReader()
    // peer settings
    let peerMaxFrame = DEFAULT_MAX_FRAME
    let peerInitialWindow = DEFAULT_WINDOW
    // our HPACK encoder: the peer's table limit, whether our two answer fields are in its table, and a
    // table size update owed at the start of our next header block (-1: none)
    let peerTableSize = 4096
    let answerFieldsIndexed = false
    let tableSizeUpdate = -1
    let sendWindow = DEFAULT_WINDOW
    // our receive side
    let recvWindow = H2_CONNECTION_WINDOW
    let recvUnacked = 0
    // state
    let preface = 0 // bytes of the preface matched so far
    let settingsSeen = false
    let lastStreamId = 0
    let requests = 0
    let clientResets = 0
    let goawayId = -1 // last stream id of our GOAWAY; -1 before it
    let closing = false // socket.end() called
    let dead = false // no more reading or writing
    // a header block being collected across CONTINUATION frames
    let contStream = 0
    let contEndStream = false
    let contParts: Array<Buffer> = []
    let contSize = 0
    // streams waiting for window, in order
    const blocked: Array<H2Stream> = []
    // POST streams opened in this chunk, whose body may not have come with it
    const awaitingBody: Array<H2Stream> = []
    // output batching
    const out: Array<Buffer> = []
    let outLength = 0
    let inData = false
    let flushQueued = false

    // TLS: records of 1149 bytes at first, 16 KiB in a burst (SPEC.md §5), sized by the writer; `flush`
    // joins the frames of a read itself, so the writer writes them at once when it can
    const writer = socket instanceof tls.TLSSocket
      ? makeRecordWriter(
        socket,
        env.now,
        () => {
          if (socket.isPaused() && !dead && !writer!.needDrain()) socket.resume()
        },
        queueMicrotask,
        true
      )
      : undefined
    /** ends our side once everything written is out (`destroy`: and closes the socket then) */
    const endSocket = (destroy: boolean) => {
      if (writer !== undefined) writer.end(destroy)
      else {
        socket.end()
        if (destroy) socket.destroySoon()
      }
    }
    const flush = () => {
      flushQueued = false
      if (out.length === 0) return
      const b = out.length === 1 ? out[0]! : Buffer.concat(out, outLength)
      out.length = 0
      outLength = 0
      if (dead || socket.destroyed || socket.writableEnded) return
      if (writer !== undefined) {
        writer.write(b)
        if (writer.needDrain() && socket.writableLength + writer.queuedBytes() > WRITE_HIGH_WATER) socket.pause()
      } else if (!socket.write(b) && socket.writableLength > WRITE_HIGH_WATER) socket.pause()
    }
    const push = (b: Buffer) => {
      out.push(b)
      outLength += b.length
      if (!inData && !flushQueued) {
        flushQueued = true
        queueMicrotask(flush)
      }
    }
    const control = (type: number, flags: number, id: number, value: number) => {
      const b = Buffer.allocUnsafe(FRAME_HEADER + 4)
      writeFrameHeader(b, 0, 4, type, flags, id)
      b.writeUInt32BE(value, FRAME_HEADER)
      push(b)
    }
    const goawayFrame = (code: number) => {
      const b = Buffer.allocUnsafe(FRAME_HEADER + 8)
      writeFrameHeader(b, 0, 8, FrameType.GOAWAY, 0, 0)
      b.writeUInt32BE(lastStreamId, FRAME_HEADER)
      b.writeUInt32BE(code, FRAME_HEADER + 4)
      push(b)
    }

    const closeStream = (s: H2Stream) => {
      if (s.closed) return
      s.closed = true
      s.pending = undefined
      disarm(s)
      streams.delete(s.id)
      if (goawayId >= 0 && streams.size === 0) endSoon()
    }
    const reset = (s: H2Stream, code: number) => {
      control(FrameType.RST_STREAM, 0, s.id, code)
      closeStream(s)
    }
    /** our response is complete */
    const finished = (s: H2Stream) => {
      if (s.remoteClosed) return closeStream(s)
      if (s.resetWhenDone) {
        // a body over the limit: tell the client to stop uploading (RFC 9113 §8.1)
        control(FrameType.RST_STREAM, 0, s.id, ErrorCode.NO_ERROR)
        return closeStream(s)
      }
      // the client is still sending a body nobody reads (a rejected POST): let it finish, as node:http2 does
      // (curl 7.88 fails a request whose stream is reset before its upload is done), within the idle time
      s.done = true
      arm(s)
    }
    /** streams with a deadline: the sweep looks at this connection only while there are some */
    let timed = 0
    const arm = (s: H2Stream) => {
      if (s.deadline >= 0) return
      s.deadline = env.now() + env.idleMs
      timed++
    }
    const disarm = (s: H2Stream) => {
      if (s.deadline < 0) return
      s.deadline = -1
      timed--
    }
    const sweepStreams = (now: number) => {
      if (timed === 0 || dead) return
      let cut = false
      for (const s of streams.values()) {
        if (s.deadline >= 0 && now >= s.deadline && !s.closed) {
          env.countTimeout()
          reset(s, ErrorCode.CANCEL)
          cut = true
        }
      }
      if (cut) flush()
    }

    /** sends what window allows of `s.pending`; true once all of it is out */
    const sendPending = (s: H2Stream): boolean => {
      const body = s.pending!
      let at = s.pendingAt
      while (at < body.length) {
        const n = Math.min(body.length - at, sendWindow, s.sendWindow, peerMaxFrame)
        if (n <= 0) {
          s.pendingAt = at
          return false
        }
        const last = at + n === body.length
        const h = Buffer.allocUnsafe(FRAME_HEADER)
        writeFrameHeader(h, 0, n, FrameType.DATA, last ? Flag.END_STREAM : 0, s.id)
        push(h)
        push(at === 0 && last ? body : body.subarray(at, at + n))
        at += n
        sendWindow -= n
        s.sendWindow -= n
      }
      s.pending = undefined
      finished(s)
      return true
    }
    const sendBody = (s: H2Stream, body: Buffer) => {
      s.pending = body
      s.pendingAt = 0
      if (!sendPending(s)) blocked.push(s)
    }
    const unblock = () => {
      let i = 0
      while (i < blocked.length && sendWindow > 0) {
        const s = blocked[i]!
        if (s.closed || s.pending === undefined || sendPending(s)) blocked.splice(i, 1)
        else i++
      }
    }

    /** the table size updates owed (0, then the new size: the table is emptied), or nothing */
    const takeTableSizeUpdate = (): Buffer | undefined => {
      if (tableSizeUpdate < 0) return undefined
      const out: Array<number> = [0x20]
      encodeInt(out, 0x20, 5, tableSizeUpdate)
      tableSizeUpdate = -1
      return Buffer.from(out)
    }
    const headersFrame = (s: H2Stream, block: Buffer, endStream: boolean) => {
      const update = takeTableSizeUpdate()
      if (update !== undefined) block = Buffer.concat([update, block])
      const b = Buffer.allocUnsafe(FRAME_HEADER + block.length)
      writeFrameHeader(
        b,
        0,
        block.length,
        FrameType.HEADERS,
        Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0),
        s.id
      )
      block.copy(b, FRAME_HEADER)
      push(b)
      s.responded = true
    }

    const sendStatic = (s: H2Stream, response: StaticResponse, ctx: QueryContext) => {
      if (response.reason !== undefined) env.rejected(response, ctx)
      countStatus(response.status)
      if (s.closed || dead || s.responded) return
      disarm(s)
      const block = staticBlocks.get(response) ?? encodeResponse(response.status, response.headers)
      if (response.body.length === 0) {
        headersFrame(s, block, true)
        finished(s)
      } else {
        headersFrame(s, block, false)
        sendBody(s, response.body)
      }
    }

    const sendAnswer = (s: H2Stream, answer: Buffer | null, ttl: number, malformed: boolean) => {
      if (answer === null || malformed) return sendStatic(s, Responses.UnusableMessage, s.ctx)
      if (s.closed || dead || s.responded) {
        dohStats.abandoned++
        return
      }
      dohStats.answers++
      countStatus(200)
      const length = answer.length
      const age = ttl > 0 ? Math.floor(ttl) : 0
      const lengthDigits = digits(length)
      const ageDigits = digits(age)
      const update = takeTableSizeUpdate()
      const prefix = answerFieldsIndexed
        ? ANSWER_PREFIX_INDEXED
        : peerTableSize >= INDEXED_OCTETS
        ? ANSWER_PREFIX_INDEXING
        : ANSWER_PREFIX_LITERAL
      if (prefix === ANSWER_PREFIX_INDEXING) answerFieldsIndexed = true
      const blockLength = (update === undefined ? 0 : update.length) + prefix.length + 3 + lengthDigits + 3 +
        MAX_AGE.length + ageDigits
      // HEADERS, and the header of the one DATA frame when the whole answer fits the windows
      const whole = length <= sendWindow && length <= s.sendWindow && length <= peerMaxFrame
      const b = Buffer.allocUnsafe(FRAME_HEADER + blockLength + (whole ? FRAME_HEADER : 0))
      writeFrameHeader(b, 0, blockLength, FrameType.HEADERS, Flag.END_HEADERS, s.id)
      let at = FRAME_HEADER
      if (update !== undefined) at += update.copy(b, at)
      at += prefix.copy(b, at)
      b[at++] = 0x0f // content-length (static 28)
      b[at++] = 0x0d
      b[at++] = lengthDigits
      writeDigits(b, at, length, lengthDigits)
      at += lengthDigits
      b[at++] = 0x0f // cache-control (static 24)
      b[at++] = 0x09
      b[at++] = MAX_AGE.length + ageDigits
      at += MAX_AGE.copy(b, at)
      writeDigits(b, at, age, ageDigits)
      s.responded = true
      if (whole) {
        writeFrameHeader(b, at + ageDigits, length, FrameType.DATA, Flag.END_STREAM, s.id)
        push(b)
        push(answer)
        sendWindow -= length
        s.sendWindow -= length
        finished(s)
      } else {
        push(b)
        sendBody(s, answer)
      }
    }

    const replyTo = (s: H2Stream): Reply => (answer, ttl, malformed) => sendAnswer(s, answer, ttl, malformed)

    const bodyDone = (s: H2Stream) => {
      const r = s.reader!
      s.reader = undefined
      disarm(s)
      const message = bodyMessage(r)
      if (Buffer.isBuffer(message)) env.handle(message, s.ctx, replyTo(s))
      else sendStatic(s, message, s.ctx)
    }

    /** a connection error: GOAWAY with `code`, then close (RFC 9113 §5.4.1) */
    const fail = (code: number, why: string): false => {
      if (dead) return false
      dohStats.sessionErrors++
      if (env.logDebug !== undefined) {
        env.logDebug(`HTTP/2 session from ${peer.remoteAddress ?? "?"} failed: ${why} (error ${code})`)
      }
      goawayFrame(code)
      flush()
      dead = true
      for (const s of streams.values()) s.closed = true
      streams.clear()
      endSocket(true)
      return false
    }
    const streamError = (id: number, code: number, why: string) => {
      dohStats.streamErrors++
      if (env.logDebug !== undefined) env.logDebug(`HTTP/2 stream ${id} failed: ${why}`)
      control(FrameType.RST_STREAM, 0, id, code)
      const s = streams.get(id)
      if (s !== undefined) closeStream(s)
    }

    /** the graceful close: no new streams, those in flight still answered, then the socket ends */
    const goaway = () => {
      if (goawayId >= 0 || dead) return
      goawayId = lastStreamId
      goawayFrame(ErrorCode.NO_ERROR)
      if (streams.size === 0) endSoon()
    }
    const endSoon = () => {
      if (closing || dead) return
      closing = true
      flush()
      endSocket(false)
    }

    const onHeaderBlock = (id: number, endStream: boolean, block: Buffer): boolean => {
      const r = decodeBlock(decoder, block, fields, H2_MAX_HEADER_LIST_SIZE, H2_MAX_HEADER_PAIRS)
      if (r === HPACK_ERROR) return fail(ErrorCode.COMPRESSION_ERROR, "HPACK decoding failed")
      const existing = streams.get(id)
      if (existing !== undefined) {
        // trailers: they must end the stream; their fields are ignored
        if (existing.remoteClosed) streamError(id, ErrorCode.STREAM_CLOSED, "HEADERS on a half-closed stream")
        else if (!endStream) streamError(id, ErrorCode.PROTOCOL_ERROR, "trailers without END_STREAM")
        else {
          existing.remoteClosed = true
          if (existing.done) closeStream(existing)
          else if (existing.reader !== undefined) bodyDone(existing)
        }
        return true
      }
      if (id <= lastStreamId) return fail(ErrorCode.PROTOCOL_ERROR, `HEADERS on closed stream ${id}`)
      lastStreamId = id
      if (goawayId >= 0 || closing) {
        control(FrameType.RST_STREAM, 0, id, ErrorCode.REFUSED_STREAM)
        return true
      }
      if (streams.size >= H2_MAX_CONCURRENT_STREAMS) {
        dohStats.streamErrors++
        control(FrameType.RST_STREAM, 0, id, ErrorCode.REFUSED_STREAM)
        return true
      }
      const s: H2Stream = {
        id,
        ctx: peer,
        remoteClosed: endStream,
        closed: false,
        responded: false,
        done: false,
        resetWhenDone: false,
        sendWindow: peerInitialWindow,
        recvWindow: H2_STREAM_WINDOW,
        recvUnacked: 0,
        reader: undefined,
        pending: undefined,
        pendingAt: 0,
        deadline: -1
      }
      if (r === HPACK_TOO_LARGE) {
        dohStats.requests++
        streams.set(id, s)
        sendStatic(s, HeadersTooLarge, peer)
        return true
      }
      // pseudo-headers first, each once, the ones a request needs (RFC 9113 §8.3.1); lower-case names
      let method: string | undefined
      let path: string | undefined
      let scheme: string | undefined
      let authority: string | undefined
      let contentType: string | undefined
      let contentLength: string | undefined
      let xff: string | Array<string> | undefined
      let regular = false
      let bad: string | undefined
      for (let i = 0; i < fields.length && bad === undefined; i += 2) {
        const name = fields[i]!
        const value = fields[i + 1]!
        for (let k = 0; k < value.length; k++) {
          const c = value.charCodeAt(k)
          if (c === 0 || c === 10 || c === 13) bad = `bad value of ${name}`
        }
        if (name.charCodeAt(0) === 58) {
          if (regular) bad = `${name} after regular fields`
          else if (name === ":method") {
            if (method !== undefined) bad = "two :method"
            method = value
          } else if (name === ":path") {
            if (path !== undefined) bad = "two :path"
            path = value
          } else if (name === ":scheme") {
            if (scheme !== undefined) bad = "two :scheme"
            scheme = value
          } else if (name === ":authority") {
            if (authority !== undefined) bad = "two :authority"
            authority = value
          } else bad = `pseudo-header ${name}`
          continue
        }
        regular = true
        if (name.length === 0) bad = "empty field name"
        for (let k = 0; k < name.length; k++) {
          const c = name.charCodeAt(k)
          if (c <= 32 || c >= 127 || (c >= 65 && c <= 90)) bad = `bad field name`
        }
        if (name === "content-type") contentType = value
        else if (name === "content-length") {
          if (contentLength !== undefined && contentLength !== value) bad = "two content-length"
          contentLength = value
        } else if (name === "x-forwarded-for") {
          xff = xff === undefined ? value : typeof xff === "string" ? [xff, value] : (xff.push(value), xff)
        } else if (CONNECTION_SPECIFIC.has(name)) bad = `connection-specific field ${name}`
        else if (name === "te" && value !== "trailers") bad = "te other than trailers"
      }
      if (bad === undefined) {
        if (method === undefined) bad = "no :method"
        else if (method === "CONNECT") {
          if (authority === undefined || scheme !== undefined || path !== undefined) bad = "malformed CONNECT"
        } else if (scheme === undefined || path === undefined || path.length === 0) bad = "no :scheme or :path"
      }
      if (bad !== undefined) {
        streamError(id, ErrorCode.PROTOCOL_ERROR, `malformed request: ${bad}`)
        return true
      }
      dohStats.requests++
      requests++
      streams.set(id, s)
      try {
        const d = dispatch(env, peer, method, path, contentType, contentLength, xff)
        s.ctx = d.ctx
        if (d._tag === "Query") env.handle(d.message, d.ctx, replyTo(s))
        else if (d._tag === "Reply") sendStatic(s, d.response, d.ctx)
        else {
          s.reader = bodyReader(d.expected)
          if (s.remoteClosed) bodyDone(s)
          // a POST whose body never comes must not hold its stream (and a draining connection) forever: its
          // deadline is set after this chunk, if the body has not come with it (it usually has)
          else awaitingBody.push(s)
        }
      } catch (e) {
        env.logDefect("HTTP/2 request handler failed", e)
        if (!s.closed) reset(s, ErrorCode.INTERNAL_ERROR)
      }
      return true
    }

    const onHeaders = (flags: number, id: number, payload: Buffer): boolean => {
      if (id === 0 || (id & 1) === 0) return fail(ErrorCode.PROTOCOL_ERROR, `HEADERS on stream ${id}`)
      let start = 0
      let end = payload.length
      if (flags & Flag.PADDED) {
        if (end < 1) return fail(ErrorCode.FRAME_SIZE_ERROR, "HEADERS too short")
        end -= payload[0]!
        start = 1
      }
      if (flags & Flag.PRIORITY) {
        if (end - start < 5) return fail(ErrorCode.FRAME_SIZE_ERROR, "HEADERS too short")
        start += 5
      }
      if (end < start) return fail(ErrorCode.PROTOCOL_ERROR, "padding longer than the frame")
      const fragment = payload.subarray(start, end)
      const endStream = (flags & Flag.END_STREAM) !== 0
      if (flags & Flag.END_HEADERS) return onHeaderBlock(id, endStream, fragment)
      contStream = id
      contEndStream = endStream
      contParts = [fragment]
      contSize = fragment.length
      return true
    }

    const onContinuation = (flags: number, id: number, payload: Buffer): boolean => {
      contSize += payload.length
      // bounded in bytes and in frames (a flood of empty CONTINUATION frames, CVE-2024-27316)
      if (contSize > H2_MAX_HEADER_BLOCK || contParts.length >= MAX_CONTINUATIONS) {
        return fail(ErrorCode.ENHANCE_YOUR_CALM, "header block too large")
      }
      contParts.push(payload)
      if ((flags & Flag.END_HEADERS) === 0) return true
      const block = Buffer.concat(contParts, contSize)
      contParts = []
      contStream = 0
      return onHeaderBlock(id, contEndStream, block)
    }

    const onDataFrame = (flags: number, id: number, payload: Buffer): boolean => {
      if (id === 0) return fail(ErrorCode.PROTOCOL_ERROR, "DATA on stream 0")
      const length = payload.length
      let end = length
      if (flags & Flag.PADDED) {
        if (length < 1 || payload[0]! >= length) return fail(ErrorCode.PROTOCOL_ERROR, "bad DATA padding")
        end -= payload[0]!
      }
      // the whole frame counts against the windows (padding included); the connection's is returned at once
      recvWindow -= length
      if (recvWindow < 0) return fail(ErrorCode.FLOW_CONTROL_ERROR, "connection window exceeded")
      recvUnacked += length
      if (recvUnacked >= H2_CONNECTION_WINDOW / 2) {
        control(FrameType.WINDOW_UPDATE, 0, 0, recvUnacked)
        recvWindow += recvUnacked
        recvUnacked = 0
      }
      const s = streams.get(id)
      if (s === undefined) {
        if (id > lastStreamId) return fail(ErrorCode.PROTOCOL_ERROR, `DATA on idle stream ${id}`)
        return true // a stream we closed or refused: its data may still be in flight
      }
      if (s.remoteClosed) {
        streamError(id, ErrorCode.STREAM_CLOSED, "DATA after END_STREAM")
        return true
      }
      s.recvWindow -= length
      if (s.recvWindow < 0) {
        streamError(id, ErrorCode.FLOW_CONTROL_ERROR, "stream window exceeded")
        return true
      }
      if (flags & Flag.END_STREAM) s.remoteClosed = true
      if (s.done) {
        // the unread body of an answered request: discarded, its window given back
        if (s.remoteClosed) closeStream(s)
        else if (length > 0) {
          control(FrameType.WINDOW_UPDATE, 0, id, length)
          s.recvWindow += length
        }
        return true
      }
      const r = s.reader
      if (r !== undefined) {
        if (end > (flags & Flag.PADDED ? 1 : 0)) {
          const chunk = payload.subarray(flags & Flag.PADDED ? 1 : 0, end)
          if (!addChunk(r, chunk)) {
            s.reader = undefined
            s.resetWhenDone = true
            // 413, then RST_STREAM(NO_ERROR) once it is out: the client stops uploading
            sendStatic(s, Responses.TooLarge, s.ctx)
            return true
          }
        }
        if (s.remoteClosed) bodyDone(s)
        else {
          s.recvUnacked += length
          if (s.recvUnacked >= H2_STREAM_WINDOW / 2) {
            control(FrameType.WINDOW_UPDATE, 0, id, s.recvUnacked)
            s.recvWindow += s.recvUnacked
            s.recvUnacked = 0
          }
        }
      }
      return true
    }

    const onSettings = (flags: number, id: number, payload: Buffer): boolean => {
      if (id !== 0) return fail(ErrorCode.PROTOCOL_ERROR, "SETTINGS on a stream")
      if (flags & Flag.ACK) {
        return payload.length === 0 ? true : fail(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload")
      }
      if (payload.length % 6 !== 0) return fail(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS length")
      for (let at = 0; at < payload.length; at += 6) {
        const key = payload.readUInt16BE(at)
        const value = payload.readUInt32BE(at + 2)
        switch (key) {
          case Setting.ENABLE_PUSH:
            if (value > 1) return fail(ErrorCode.PROTOCOL_ERROR, "ENABLE_PUSH")
            break
          case Setting.INITIAL_WINDOW_SIZE: {
            if (value > MAX_WINDOW) return fail(ErrorCode.FLOW_CONTROL_ERROR, "INITIAL_WINDOW_SIZE")
            const delta = value - peerInitialWindow
            peerInitialWindow = value
            for (const s of streams.values()) {
              s.sendWindow += delta
              if (s.sendWindow > MAX_WINDOW) return fail(ErrorCode.FLOW_CONTROL_ERROR, "stream window overflow")
            }
            break
          }
          case Setting.MAX_FRAME_SIZE:
            if (value < DEFAULT_MAX_FRAME || value > 0xffffff) return fail(ErrorCode.PROTOCOL_ERROR, "MAX_FRAME_SIZE")
            peerMaxFrame = value
            break
          case Setting.HEADER_TABLE_SIZE:
            // a new limit for our encoder: the next header block empties the table and adopts it (at most
            // 4096, what we would use anyway); the answer fields are indexed again if they fit
            if (value !== peerTableSize) {
              peerTableSize = value
              tableSizeUpdate = Math.min(value, 4096)
              answerFieldsIndexed = false
            }
            break
            // MAX_CONCURRENT_STREAMS: we open none; MAX_HEADER_LIST_SIZE: our header blocks are tiny
        }
      }
      settingsSeen = true
      push(settingsAck)
      unblock()
      return true
    }

    const onWindowUpdate = (id: number, payload: Buffer): boolean => {
      if (payload.length !== 4) return fail(ErrorCode.FRAME_SIZE_ERROR, "WINDOW_UPDATE length")
      const increment = payload.readUInt32BE(0) & MAX_WINDOW
      if (id === 0) {
        if (increment === 0) return fail(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0")
        sendWindow += increment
        if (sendWindow > MAX_WINDOW) return fail(ErrorCode.FLOW_CONTROL_ERROR, "connection window overflow")
        unblock()
        return true
      }
      const s = streams.get(id)
      if (s === undefined) {
        return id > lastStreamId ? fail(ErrorCode.PROTOCOL_ERROR, `WINDOW_UPDATE on idle stream ${id}`) : true
      }
      if (increment === 0) {
        streamError(id, ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0")
        return true
      }
      s.sendWindow += increment
      if (s.sendWindow > MAX_WINDOW) {
        streamError(id, ErrorCode.FLOW_CONTROL_ERROR, "stream window overflow")
        return true
      }
      if (s.pending !== undefined) unblock()
      return true
    }

    const onFrame = (type: number, flags: number, id: number, payload: Buffer): boolean => {
      if (dead) return false
      if (contStream !== 0 && (type !== FrameType.CONTINUATION || id !== contStream)) {
        return fail(ErrorCode.PROTOCOL_ERROR, "expected CONTINUATION")
      }
      if (!settingsSeen && (type !== FrameType.SETTINGS || (flags & Flag.ACK) !== 0)) {
        return fail(ErrorCode.PROTOCOL_ERROR, "the preface is not followed by SETTINGS")
      }
      switch (type) {
        case FrameType.DATA:
          return onDataFrame(flags, id, payload)
        case FrameType.HEADERS:
          return onHeaders(flags, id, payload)
        case FrameType.PRIORITY:
          if (id === 0) return fail(ErrorCode.PROTOCOL_ERROR, "PRIORITY on stream 0")
          if (payload.length !== 5) streamError(id, ErrorCode.FRAME_SIZE_ERROR, "PRIORITY length")
          return true
        case FrameType.RST_STREAM: {
          if (id === 0) return fail(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on stream 0")
          if (payload.length !== 4) return fail(ErrorCode.FRAME_SIZE_ERROR, "RST_STREAM length")
          if (id > lastStreamId) return fail(ErrorCode.PROTOCOL_ERROR, `RST_STREAM on idle stream ${id}`)
          const s = streams.get(id)
          if (s !== undefined) {
            const code = payload.readUInt32BE(0)
            if (code !== ErrorCode.NO_ERROR) {
              dohStats.streamErrors++
              if (env.logDebug !== undefined) env.logDebug(`HTTP/2 stream ${id} reset by the client (error ${code})`)
            }
            closeStream(s)
            if (++clientResets > MAX_CLIENT_RESETS && clientResets * 2 > requests) {
              return fail(ErrorCode.ENHANCE_YOUR_CALM, "too many streams reset by the client")
            }
          }
          return true
        }
        case FrameType.SETTINGS:
          return onSettings(flags, id, payload)
        case FrameType.PUSH_PROMISE:
          return fail(ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE from a client")
        case FrameType.PING: {
          if (id !== 0) return fail(ErrorCode.PROTOCOL_ERROR, "PING on a stream")
          if (payload.length !== 8) return fail(ErrorCode.FRAME_SIZE_ERROR, "PING length")
          if ((flags & Flag.ACK) === 0) push(frame(FrameType.PING, Flag.ACK, 0, payload))
          return true
        }
        case FrameType.GOAWAY:
          if (id !== 0) return fail(ErrorCode.PROTOCOL_ERROR, "GOAWAY on a stream")
          if (payload.length < 8) return fail(ErrorCode.FRAME_SIZE_ERROR, "GOAWAY length")
          // the client starts no new stream: answer those in flight, then close
          goaway()
          return true
        case FrameType.WINDOW_UPDATE:
          return onWindowUpdate(id, payload)
        case FrameType.CONTINUATION:
          if (contStream === 0) return fail(ErrorCode.PROTOCOL_ERROR, "CONTINUATION without HEADERS")
          return onContinuation(flags, id, payload)
        default:
          return true // unknown frame types are ignored (RFC 9113 §4.1)
      }
    }

    const onData = (chunk: Buffer) => {
      if (dead) return
      inData = true
      try {
        if (preface < PREFACE.length) {
          const n = Math.min(PREFACE.length - preface, chunk.length)
          for (let i = 0; i < n; i++) {
            if (chunk[i] !== PREFACE[preface + i]) {
              fail(ErrorCode.PROTOCOL_ERROR, "bad connection preface")
              return
            }
          }
          preface += n
          if (n === chunk.length) return
          chunk = chunk.subarray(n)
        }
        const e = readFrames(reader, chunk, DEFAULT_MAX_FRAME, onFrame)
        if (e !== 0) fail(e, "frame larger than our MAX_FRAME_SIZE")
      } catch (e) {
        env.logDefect("HTTP/2 connection handler failed", e)
        fail(ErrorCode.INTERNAL_ERROR, "internal error")
      } finally {
        inData = false
        for (const s of awaitingBody) {
          if (s.reader !== undefined && !s.closed) arm(s)
        }
        awaitingBody.length = 0
        flush()
      }
    }

    const connection: Connection = {
      socket,
      goaway: () => {
        goaway()
        flush()
      },
      sweep: sweepStreams
    }
    connections.add(connection)
    sweeper.start()
    socket.setNoDelay(true)
    socket.setTimeout(env.idleMs)
    socket.on("timeout", () => {
      if (closing || dead || goawayId >= 0) {
        socket.destroy()
        return
      }
      env.countTimeout()
      goaway()
      flush()
    })
    socket.on("data", onData)
    socket.on("drain", () => {
      if (socket.isPaused()) socket.resume()
    })
    socket.on("end", () => {
      // the client is done: nothing more can be answered
      flush()
      dead = true
      for (const s of streams.values()) s.closed = true
      streams.clear()
      timed = 0
      endSocket(false)
    })
    socket.on("error", (e) => {
      if (env.logDebug !== undefined) env.logDebug(`HTTP/2 connection from ${peer.remoteAddress ?? "?"}: ${e.message}`)
    })
    socket.once("close", () => {
      dead = true
      for (const s of streams.values()) s.closed = true
      streams.clear()
      timed = 0
      connections.delete(connection)
    })
    push(hello)
    if (draining) goaway()
    flush()
    // a sniffing listener may have paused the socket and unshifted what it read
    socket.resume()
  }

  return {
    accept: serve,
    drain: () => {
      draining = true
      for (const c of connections) c.goaway()
    },
    open: () => connections.size,
    destroy: () => {
      for (const c of connections) c.socket.destroy()
      sweeper.stop()
    }
  }
}
