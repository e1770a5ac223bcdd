/**
 * DNS over HTTPS/1.1 on a purpose-built parser (RFC 9112), in place of `node:http`: the request line and
 * header fields are read straight off the socket's bytes, the answer's response head is assembled from
 * pre-encoded parts, and the responses ready in one event-loop turn leave in one socket write.
 *
 * What a connection does:
 * - requests are parsed as they arrive (pipelining) and handed to `dispatch` / `env.handle` at once; the
 *   answers may complete in any order, the responses are written in request order (a queue of slots);
 *   at most `H1_MAX_IN_FLIGHT` requests wait per connection, reading pauses beyond (like DoT)
 * - keep-alive by default in HTTP/1.1; `Connection: close` and HTTP/1.0 without `Connection: keep-alive`
 *   close after their response; nothing after such a request is read
 * - POST bodies by `Content-Length` or `Transfer-Encoding: chunked` (other codings: 501);
 *   `Expect: 100-continue` answered with `100 Continue` (other expectations: 417)
 * - a request that cannot be framed safely gets a status and the connection closes: bad request line,
 *   obs-fold, bare CR/LF or invalid characters, HTTP/1.1 without exactly one Host, both Content-Length and
 *   Transfer-Encoding, conflicting Content-Length values (smuggling) → 400; a head over `H1_MAX_HEAD`
 *   bytes or more than `H1_MAX_HEADERS` fields → 431; an HTTP version other than 1.0/1.1 → 505
 * - timeouts (`env.idleMs`): an unfinished request (head or body) is cut with 408, an idle keep-alive
 *   connection is closed silently; a connection waiting for answers has no timeout (the query handler
 *   has its own deadline). One sweep per transport checks them (no timer per request).
 * - a request with a body that is not read (a rejected POST, …) closes the connection after its
 *   response, as `makeH1` does; a GET/HEAD/OPTIONS with a Content-Length body has it skipped.
 *
 * Responses carry the same status codes, headers and bodies as `makeH1` (node:http) gives, plus `date`
 * (cached per second) and `connection: keep-alive` / `keep-alive: timeout=…` or `connection: close`.
 */
import * as http from "node:http"
import type * as net from "node:net"
import * as tls from "node:tls"
import type { QueryContext, Reply } from "../../services/QueryHandler.js"
import { makeRecordWriter, type RecordWriter } from "../../services/TlsSessions/RecordWriter.js"
import { countStatus, dispatch, dohStats, type Env, type Transport } from "../DohServer.js"
import {
  addChunk,
  bodyMessage,
  type BodyReader,
  bodyReader,
  MAX_DNS_MESSAGE,
  Responses,
  type StaticResponse
} from "./Request.js"
import { makeSweeper } from "./Sweep.js"

/** The most bytes of a request line plus its header fields (the blank line included). */
export const H1_MAX_HEAD = 16384
/** The most header fields in one request. */
export const H1_MAX_HEADERS = 64
/** The most requests of one connection waiting for their responses; reading pauses beyond. */
export const H1_MAX_IN_FLIGHT = 128
/** The most bytes of chunk extensions per chunk and of trailer fields per body. */
const MAX_CHUNK_EXT = 4096
const MAX_TRAILERS = H1_MAX_HEAD

const CR = 13
const LF = 10
const SP = 32
const HT = 9
const COLON = 58
const SEMI = 59

const latin1 = (s: string) => Buffer.from(s, "latin1")
const CRLFCRLF = latin1("\r\n\r\n")

// token characters (RFC 9110 §5.6.2)
const TCHAR = (() => {
  const t = new Uint8Array(256)
  const s = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
  for (let i = 0; i < s.length; i++) t[s.charCodeAt(i)] = 1
  return t
})()

// field-value characters: HTAB, SP, VCHAR, obs-text (RFC 9110 §5.5)
const FIELD_CHAR = (() => {
  const t = new Uint8Array(256)
  t[HT] = 1
  for (let c = 0x20; c < 0x7f; c++) t[c] = 1
  for (let c = 0x80; c < 0x100; c++) t[c] = 1
  return t
})()

// hex digit → value, -1 otherwise
const HEX = (() => {
  const t = new Int8Array(256).fill(-1)
  for (let i = 0; i < 10; i++) t[48 + i] = i
  for (let i = 0; i < 6; i++) {
    t[65 + i] = 10 + i
    t[97 + i] = 10 + i
  }
  return t
})()

// ------------------------------------------------------------------------------------- pre-encoded parts

const ANSWER_1 = latin1("HTTP/1.1 200 OK\r\ncontent-type: application/dns-message\r\ncontent-length: ")
const ANSWER_2 = latin1("\r\ncache-control: max-age=")
const ANSWER_3 = latin1("\r\naccess-control-allow-origin: *\r\n")
const CONNECTION_CLOSE = latin1("connection: close\r\n\r\n")
const CONTINUE = latin1("HTTP/1.1 100 Continue\r\n\r\n")

/** The status line and header fields of a ready-made response (without `date`, `connection`, the blank line). */
const staticHeads = new Map<StaticResponse, Buffer>()
const staticHead = (r: StaticResponse): Buffer => {
  let head = staticHeads.get(r)
  if (head === undefined) {
    let s = `HTTP/1.1 ${r.status} ${http.STATUS_CODES[r.status] ?? "Unknown"}\r\n`
    for (const [k, v] of Object.entries(r.headers)) s += `${k}: ${v}\r\n`
    head = latin1(s)
    staticHeads.set(r, head)
  }
  return head
}
for (const r of Object.values(Responses)) staticHead(r)

/** What a connection-level error writes before closing (the same bytes as `makeH1`'s `clientError`). */
const errorResponses = new Map<number, Buffer>()
const errorResponse = (status: number): Buffer => {
  let b = errorResponses.get(status)
  if (b === undefined) {
    b = latin1(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`)
    errorResponses.set(status, b)
  }
  return b
}

let dateLine = Buffer.alloc(0)
let dateUntil = 0
/** `date: <IMF-fixdate>\r\n`, rebuilt once a second. */
const currentDate = (now: number): Buffer => {
  if (now >= dateUntil) {
    dateLine = latin1(`date: ${new Date(now).toUTCString()}\r\n`)
    dateUntil = now - (now % 1000) + 1000
  }
  return dateLine
}

const digitsOf = (n: number): number => {
  let d = 1
  while (n >= 10) {
    n = Math.floor(n / 10)
    d++
  }
  return d
}

/** Writes the decimal digits of the non-negative integer `n` at `off`; returns the offset after them. */
const writeDigits = (buf: Buffer, off: number, n: number): number => {
  const end = off + digitsOf(n)
  let i = end
  do {
    buf[--i] = 48 + (n % 10)
    n = Math.floor(n / 10)
  } while (n > 0)
  return end
}

// ------------------------------------------------------------------------------------- request parsing

/** `d[s, e)` equals the lower-case ASCII `lit`, case-insensitively (`d` holds token characters only). */
const nameIs = (d: Buffer, s: number, lit: string): boolean => {
  for (let i = 0; i < lit.length; i++) if ((d[s + i]! | 0x20) !== lit.charCodeAt(i)) return false
  return true
}

const bytesAre = (d: Buffer, s: number, e: number, lit: string): boolean => {
  if (e - s !== lit.length) return false
  for (let i = 0; i < lit.length; i++) if (d[s + i] !== lit.charCodeAt(i)) return false
  return true
}

/** The method, interned for the usual ones. */
const methodOf = (d: Buffer, s: number, e: number): string =>
  bytesAre(d, s, e, "GET")
    ? "GET"
    : bytesAre(d, s, e, "POST")
    ? "POST"
    : bytesAre(d, s, e, "HEAD")
    ? "HEAD"
    : bytesAre(d, s, e, "OPTIONS")
    ? "OPTIONS"
    : d.toString("latin1", s, e)

/** The comma-separated tokens of a `Connection` value: bit 1 `close`, bit 2 `keep-alive`. */
const connectionTokens = (value: string): number => {
  let flags = 0
  for (const part of value.split(",")) {
    const t = part.trim().toLowerCase()
    if (t === "close") flags |= 1
    else if (t === "keep-alive") flags |= 2
  }
  return flags
}

// ------------------------------------------------------------------------------------- connections

/** One request's place in its connection's response order. */
interface Slot {
  readonly conn: Conn
  ctx: QueryContext | undefined
  ready: boolean
  /** close the connection after this response */
  close: boolean
  answer: Buffer | undefined
  ttl: number
  response: StaticResponse | undefined
  /** bytes written as they are (connection-level errors, `100 Continue`) */
  raw: Buffer | undefined
}

const enum State {
  Head,
  BodyLength,
  BodyChunked,
  Skip
}

const enum Chunk {
  Size,
  Ext,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  Trailer,
  TrailerLine,
  TrailerLf,
  EndLf
}

interface Conn {
  readonly socket: net.Socket
  /** TLS: the writer that sizes records (SPEC.md §5); plain TCP: none */
  writer: RecordWriter | undefined
  readonly peer: QueryContext
  /** unparsed bytes kept from earlier reads: `acc[0, accLen)` */
  acc: Buffer | undefined
  accLen: number
  /** where the search for the end of the head resumes in the kept bytes */
  scanFrom: number
  /** responses in request order: `q[qHead…]` */
  q: Array<Slot | undefined>
  qHead: number
  state: State
  /** the request whose body is being read or skipped */
  slot: Slot | undefined
  reader: BodyReader | undefined
  remaining: number
  chunk: Chunk
  chunkSize: number
  chunkDigits: number
  chunkExtra: number
  /** when the unfinished request began (ms), -1 when none */
  partialSince: number
  /** when the connection last became idle (ms) */
  idleSince: number
  /** no further request is read (a `close` response is due, the peer ended, a framing error) */
  stop: boolean
  closed: boolean
  inData: boolean
  flushScheduled: boolean
  pausedWrite: boolean
  pausedInFlight: boolean
}

const inFlight = (c: Conn) => c.q.length - c.qHead

/** DNS over HTTPS/1.1 on its own parser: see the module comment. */
export const makeFastH1 = (env: Env): Transport => {
  const connections = new Set<Conn>()
  let draining = false
  const idleMs = env.idleMs
  const timeoutS = Math.floor(idleMs / 1000)
  const KEEP_ALIVE = latin1(
    timeoutS >= 1
      ? `connection: keep-alive\r\nkeep-alive: timeout=${timeoutS}\r\n\r\n`
      : "connection: keep-alive\r\n\r\n"
  )

  const logDebug = (c: Conn, msg: string) => {
    if (env.logDebug !== undefined) env.logDebug(`HTTP/1.1 connection from ${c.peer.remoteAddress ?? "?"} ${msg}`)
  }

  // ----------------------------------------------------------------------------------- responses

  const newSlot = (c: Conn, ctx: QueryContext | undefined): Slot => {
    const slot: Slot = {
      conn: c,
      ctx,
      ready: false,
      close: false,
      answer: undefined,
      ttl: 0,
      response: undefined,
      raw: undefined
    }
    c.q.push(slot)
    return slot
  }

  const ready = (slot: Slot) => {
    slot.ready = true
    const c = slot.conn
    if (c.closed || c.inData || c.flushScheduled || c.q[c.qHead] !== slot) return
    c.flushScheduled = true
    process.nextTick(flush, c)
  }

  const sendStatic = (slot: Slot, response: StaticResponse, ctx: QueryContext) => {
    if (response.reason !== undefined) env.rejected(response, ctx)
    countStatus(response.status)
    slot.response = response
    ready(slot)
  }

  const replyTo = (slot: Slot): Reply => (answer, ttl, malformed) => {
    if (slot.ready) return
    if (answer === null || malformed) return sendStatic(slot, Responses.UnusableMessage, slot.ctx!)
    if (slot.conn.closed) {
      dohStats.abandoned++
      return
    }
    dohStats.answers++
    countStatus(200)
    slot.answer = answer
    slot.ttl = ttl > 0 ? Math.floor(ttl) : 0
    ready(slot)
  }

  /** Writes the ready responses at the head of the queue in one write. */
  const flush = (c: Conn) => {
    c.flushScheduled = false
    if (c.closed) return
    const q = c.q
    const now = env.now()
    const date = currentDate(now)
    let total = 0
    let end = c.qHead
    let close = false
    while (end < q.length) {
      const s = q[end]!
      if (!s.ready) break
      // draining: the last response due closes the connection
      if (draining && end === q.length - 1 && c.partialSince < 0) s.close = true
      if (s.raw !== undefined) total += s.raw.length
      else {
        const conn = s.close ? CONNECTION_CLOSE.length : KEEP_ALIVE.length
        if (s.answer !== undefined) {
          total += ANSWER_1.length + digitsOf(s.answer.length) + ANSWER_2.length + digitsOf(s.ttl) +
            ANSWER_3.length + date.length + conn + s.answer.length
        } else {
          const r = s.response!
          total += staticHead(r).length + date.length + conn + r.body.length
        }
      }
      end++
      if (s.close) {
        close = true
        break
      }
    }
    if (end === c.qHead) return
    const out = Buffer.allocUnsafe(total)
    let o = 0
    for (let i = c.qHead; i < end; i++) {
      const s = q[i]!
      q[i] = undefined
      if (s.raw !== undefined) {
        o += s.raw.copy(out, o)
        continue
      }
      if (s.answer !== undefined) {
        o += ANSWER_1.copy(out, o)
        o = writeDigits(out, o, s.answer.length)
        o += ANSWER_2.copy(out, o)
        o = writeDigits(out, o, s.ttl)
        o += ANSWER_3.copy(out, o)
        o += date.copy(out, o)
        o += (s.close ? CONNECTION_CLOSE : KEEP_ALIVE).copy(out, o)
        o += s.answer.copy(out, o)
      } else {
        const r = s.response!
        o += staticHead(r).copy(out, o)
        o += date.copy(out, o)
        o += (s.close ? CONNECTION_CLOSE : KEEP_ALIVE).copy(out, o)
        if (r.body.length > 0) o += r.body.copy(out, o)
      }
    }
    c.qHead = end
    if (end === q.length) {
      q.length = 0
      c.qHead = 0
      c.idleSince = now
    }
    const socket = c.socket
    const writer = c.writer
    if (close) {
      c.stop = true
      if (writer !== undefined) {
        writer.write(out)
        writer.end(true)
      } else {
        socket.write(out)
        socket.destroySoon()
      }
      return
    }
    if (writer !== undefined) {
      writer.write(out)
      if (writer.needDrain()) {
        c.pausedWrite = true
        socket.pause()
      }
    } else if (!socket.write(out)) {
      c.pausedWrite = true
      socket.pause()
    }
    if (c.pausedInFlight && inFlight(c) < H1_MAX_IN_FLIGHT) {
      c.pausedInFlight = false
      if (c.accLen > 0 && !c.stop) {
        c.inData = true
        try {
          parseKept(c)
        } catch (e) {
          env.logDefect("HTTP/1.1 request handler failed", e)
          socket.destroy()
          return
        } finally {
          c.inData = false
        }
        afterParse(c, now)
        if (c.q[c.qHead]?.ready === true && !c.flushScheduled) {
          c.flushScheduled = true
          process.nextTick(flush, c)
        }
      }
      if (!c.pausedWrite && !c.pausedInFlight) socket.resume()
    }
    // the peer ended its side: once everything is answered, end ours
    if (c.stop && inFlight(c) === 0 && !socket.destroyed) endSocket(c)
  }

  /** Ends our side once every response is out. */
  const endSocket = (c: Conn) => {
    if (c.writer !== undefined) c.writer.end()
    else c.socket.end()
  }

  /** A connection-level error: `status` (after the responses due before it), then close. */
  const fail = (c: Conn, status: number, why: string) => {
    dohStats.clientErrors++
    countStatus(status)
    if (status === 408) env.countTimeout()
    logDebug(c, `closed with ${status}: ${why}`)
    // the request whose body was being read gets the error in its place
    const slot = c.state !== State.Head && c.slot !== undefined && !c.slot.ready ? c.slot : newSlot(c, undefined)
    slot.raw = errorResponse(status)
    slot.close = true
    c.stop = true
    c.slot = undefined
    c.reader = undefined
    c.state = State.Head
    c.partialSince = -1
    ready(slot)
  }

  // ----------------------------------------------------------------------------------- parsing

  const finishBody = (c: Conn) => {
    const slot = c.slot!
    const reader = c.reader!
    c.state = State.Head
    c.slot = undefined
    c.reader = undefined
    c.partialSince = -1
    if (slot.close) c.stop = true
    const message = bodyMessage(reader)
    if (Buffer.isBuffer(message)) env.handle(message, slot.ctx!, replyTo(slot))
    else sendStatic(slot, message, slot.ctx!)
  }

  /** The body grew past its limit: 413, and the rest is not read. */
  const bodyTooLarge = (c: Conn) => {
    const slot = c.slot!
    slot.close = true
    c.stop = true
    c.state = State.Head
    c.slot = undefined
    c.reader = undefined
    c.partialSince = -1
    sendStatic(slot, Responses.TooLarge, slot.ctx!)
  }

  /**
   * One request head in `d[start, end + 4)` (`end` is where its `\r\n\r\n` starts); false when the
   * connection failed.
   */
  const request = (c: Conn, d: Buffer, start: number, end: number): boolean => {
    // request-line = method SP request-target SP HTTP-version CRLF
    let p = start
    while (TCHAR[d[p]!] === 1) p++
    if (p === start || d[p] !== SP) {
      fail(c, 400, "bad request line")
      return false
    }
    const methodEnd = p++
    const targetStart = p
    while (p < end) {
      const b = d[p]!
      if (b <= SP || b >= 0x7f) break
      p++
    }
    if (p === targetStart || d[p] !== SP) {
      fail(c, 400, "bad request target")
      return false
    }
    const targetEnd = p++
    if (
      p + 8 > end || d[p] !== 72 || d[p + 1] !== 84 || d[p + 2] !== 84 || d[p + 3] !== 80 || d[p + 4] !== 47 ||
      d[p + 6] !== 46 || d[p + 8] !== CR || d[p + 9] !== LF
    ) {
      fail(c, 400, "bad HTTP version")
      return false
    }
    const major = d[p + 5]! - 48
    const minor = d[p + 7]! - 48
    if (major < 0 || major > 9 || minor < 0 || minor > 9) {
      fail(c, 400, "bad HTTP version")
      return false
    }
    if (major !== 1 || minor > 1) {
      fail(c, 505, "HTTP version not supported")
      return false
    }
    const v11 = minor === 1
    p += 10

    // header fields
    let fields = 0
    let hosts = 0
    let contentType: string | undefined
    let contentLength: string | undefined
    let xff: string | Array<string> | undefined
    let connection = 0
    let te = 0 // 0 none, 1 chunked, 2 anything else
    let expect = 0 // 0 none, 1 100-continue, 2 anything else
    const headEnd = end + 2
    while (p < headEnd) {
      if (++fields > H1_MAX_HEADERS) {
        fail(c, 431, "too many header fields")
        return false
      }
      const nameStart = p
      while (TCHAR[d[p]!] === 1) p++
      const nameLen = p - nameStart
      // an empty name, obs-fold (a line starting with SP/HTAB), whitespace before the colon, …
      if (nameLen === 0 || d[p] !== COLON) {
        fail(c, 400, nameLen === 0 && (d[p] === SP || d[p] === HT) ? "obs-fold" : "bad header field")
        return false
      }
      p++
      while (d[p] === SP || d[p] === HT) p++
      const valueStart = p
      while (FIELD_CHAR[d[p]!] === 1) p++
      if (d[p] !== CR || d[p + 1] !== LF) {
        fail(c, 400, "bad header field value")
        return false
      }
      let valueEnd = p
      while (valueEnd > valueStart && (d[valueEnd - 1] === SP || d[valueEnd - 1] === HT)) valueEnd--
      p += 2
      switch (nameLen) {
        case 4:
          if (nameIs(d, nameStart, "host")) hosts++
          break
        case 6:
          if (nameIs(d, nameStart, "expect")) {
            expect = expect === 0 && d.toString("latin1", valueStart, valueEnd).toLowerCase() === "100-continue"
              ? 1
              : 2
          }
          break
        case 10:
          if (nameIs(d, nameStart, "connection")) {
            connection |= connectionTokens(d.toString("latin1", valueStart, valueEnd))
          }
          break
        case 12:
          if (contentType === undefined && nameIs(d, nameStart, "content-type")) {
            contentType = d.toString("latin1", valueStart, valueEnd)
          }
          break
        case 14:
          if (nameIs(d, nameStart, "content-length")) {
            const v = d.toString("latin1", valueStart, valueEnd)
            if (contentLength !== undefined && contentLength !== v) {
              fail(c, 400, "conflicting content-length")
              return false
            }
            contentLength = v
          }
          break
        case 15:
          if (nameIs(d, nameStart, "x-forwarded-for")) {
            const v = d.toString("latin1", valueStart, valueEnd)
            if (xff === undefined) xff = v
            else if (typeof xff === "string") xff = [xff, v]
            else xff.push(v)
          }
          break
        case 17:
          if (nameIs(d, nameStart, "transfer-encoding")) {
            te = te === 0 && d.toString("latin1", valueStart, valueEnd).toLowerCase() === "chunked" ? 1 : 2
          }
          break
      }
    }

    // framing (RFC 9112 §6.1, §6.3): anything ambiguous closes the connection
    let length = 0
    if (contentLength !== undefined) {
      length = -1
      if (contentLength.length > 0 && contentLength.length <= 15) {
        length = 0
        for (let i = 0; i < contentLength.length; i++) {
          const digit = contentLength.charCodeAt(i) - 48
          if (digit < 0 || digit > 9) {
            length = -1
            break
          }
          length = length * 10 + digit
        }
      }
      if (length < 0) {
        fail(c, 400, "invalid content-length")
        return false
      }
    }
    if (te !== 0 && (contentLength !== undefined || !v11)) {
      fail(c, 400, !v11 ? "transfer-encoding in HTTP/1.0" : "both content-length and transfer-encoding")
      return false
    }
    if (te === 2) {
      fail(c, 501, "transfer coding not implemented")
      return false
    }
    if (v11 ? hosts !== 1 : hosts > 1) {
      fail(c, 400, hosts === 0 ? "no host" : "more than one host")
      return false
    }
    if (expect === 2) {
      fail(c, 417, "unsupported expectation")
      return false
    }

    dohStats.requests++
    const method = methodOf(d, start, methodEnd)
    const target = d.toString("latin1", targetStart, targetEnd)
    const dispatched = dispatch(env, c.peer, method, target, contentType, contentLength, xff)
    const slot = newSlot(c, dispatched.ctx)
    slot.close = (connection & 1) !== 0 || (!v11 && (connection & 2) === 0) || draining
    const chunked = te === 1
    const hasBody = chunked || length > 0
    if (dispatched._tag === "ReadBody") {
      if (!hasBody) {
        c.slot = slot
        c.reader = bodyReader(dispatched.expected)
        finishBody(c)
        return true
      }
      c.slot = slot
      c.reader = bodyReader(dispatched.expected)
      if (chunked) {
        c.state = State.BodyChunked
        c.chunk = Chunk.Size
        c.chunkSize = 0
        c.chunkDigits = 0
        c.chunkExtra = 0
      } else {
        c.state = State.BodyLength
        c.remaining = length
      }
      // 100 Continue, in its place among the responses (after those of earlier requests)
      if (expect === 1 && v11) {
        const interim = newSlot(c, undefined)
        interim.raw = CONTINUE
        interim.ready = true
        c.q[c.q.length - 2] = interim
        c.q[c.q.length - 1] = slot
      }
      return true
    }
    // a body nobody reads: skipped when its length is known and the method has no use for one, else the
    // connection closes after the response (as `makeH1` does)
    const mayHaveBody = method !== "GET" && method !== "HEAD" && method !== "OPTIONS"
    if (mayHaveBody || chunked) slot.close = true
    else if (length > 0) {
      c.state = State.Skip
      c.remaining = length
    }
    if (slot.close && c.state === State.Head) c.stop = true
    if (dispatched._tag === "Query") env.handle(dispatched.message, dispatched.ctx, replyTo(slot))
    else sendStatic(slot, dispatched.response, dispatched.ctx)
    return true
  }

  /** Decodes chunked body bytes from `d[pos…]`; returns the position after what it consumed. */
  const chunked = (c: Conn, d: Buffer, pos: number): number => {
    const len = d.length
    while (pos < len && c.state === State.BodyChunked) {
      const b = d[pos]!
      switch (c.chunk) {
        case Chunk.Size: {
          const h = HEX[b]!
          if (h >= 0) {
            c.chunkSize = c.chunkSize * 16 + h
            if (c.chunkSize > MAX_DNS_MESSAGE || ++c.chunkDigits > 16) {
              bodyTooLarge(c)
              return len
            }
          } else if (c.chunkDigits > 0 && (b === SEMI || b === SP || b === HT)) c.chunk = Chunk.Ext
          else if (c.chunkDigits > 0 && b === CR) c.chunk = Chunk.SizeLf
          else {
            fail(c, 400, "bad chunk size")
            return len
          }
          pos++
          break
        }
        case Chunk.Ext: {
          if (b === CR) c.chunk = Chunk.SizeLf
          else if (FIELD_CHAR[b] !== 1 || ++c.chunkExtra > MAX_CHUNK_EXT) {
            fail(c, 400, "bad chunk extension")
            return len
          }
          pos++
          break
        }
        case Chunk.SizeLf: {
          if (b !== LF) {
            fail(c, 400, "bad chunk size line")
            return len
          }
          pos++
          c.chunkExtra = 0
          if (c.chunkSize === 0) c.chunk = Chunk.Trailer
          else {
            c.chunk = Chunk.Data
            c.remaining = c.chunkSize
          }
          break
        }
        case Chunk.Data: {
          const n = Math.min(c.remaining, len - pos)
          // copied: `d` may be the connection's reusable buffer
          if (!addChunk(c.reader!, Buffer.from(d.subarray(pos, pos + n)))) {
            bodyTooLarge(c)
            return len
          }
          c.remaining -= n
          pos += n
          if (c.remaining === 0) c.chunk = Chunk.DataCr
          break
        }
        case Chunk.DataCr:
        case Chunk.DataLf: {
          if (b !== (c.chunk === Chunk.DataCr ? CR : LF)) {
            fail(c, 400, "bad chunk end")
            return len
          }
          pos++
          if (c.chunk === Chunk.DataLf) {
            c.chunk = Chunk.Size
            c.chunkSize = 0
            c.chunkDigits = 0
          } else c.chunk = Chunk.DataLf
          break
        }
        case Chunk.Trailer: {
          if (b === CR) {
            c.chunk = Chunk.EndLf
            pos++
          } else c.chunk = Chunk.TrailerLine
          break
        }
        case Chunk.TrailerLine: {
          if (b === CR) c.chunk = Chunk.TrailerLf
          else if (FIELD_CHAR[b] !== 1 || ++c.chunkExtra > MAX_TRAILERS) {
            fail(c, 400, "bad trailer field")
            return len
          }
          pos++
          break
        }
        case Chunk.TrailerLf:
        case Chunk.EndLf: {
          if (b !== LF) {
            fail(c, 400, "bad trailer line")
            return len
          }
          pos++
          if (c.chunk === Chunk.EndLf) finishBody(c)
          else c.chunk = Chunk.Trailer
          break
        }
      }
    }
    return pos
  }

  /**
   * Parses `d` (a new read, or the kept bytes) as far as it goes; returns the position of the first byte
   * not consumed (kept by the caller).
   */
  const parse = (c: Conn, d: Buffer): number => {
    const len = d.length
    let pos = 0
    while (pos < len && !c.stop) {
      switch (c.state) {
        case State.Head: {
          if (c.scanFrom === 0) {
            // empty lines before a request line are ignored (RFC 9112 §2.2)
            while (pos + 1 < len && d[pos] === CR && d[pos + 1] === LF) pos += 2
            if (pos === len - 1 && d[pos] === CR) return pos
            if (pos >= len) return pos
          }
          if (inFlight(c) >= H1_MAX_IN_FLIGHT) {
            c.pausedInFlight = true
            c.socket.pause()
            return pos
          }
          const end = d.indexOf(CRLFCRLF, pos + c.scanFrom)
          if (end < 0 || end + 4 - pos > H1_MAX_HEAD) {
            if (len - pos > H1_MAX_HEAD || end >= 0) {
              fail(c, 431, "request head too large")
              return len
            }
            c.scanFrom = Math.max(0, len - pos - 3)
            return pos
          }
          c.scanFrom = 0
          if (!request(c, d, pos, end)) return len
          pos = end + 4
          if (c.state === State.Head) c.partialSince = -1
          break
        }
        case State.BodyLength: {
          const n = Math.min(c.remaining, len - pos)
          if (!addChunk(c.reader!, d.subarray(pos, pos + n))) {
            bodyTooLarge(c)
            return len
          }
          c.remaining -= n
          pos += n
          if (c.remaining === 0) finishBody(c)
          break
        }
        case State.BodyChunked:
          pos = chunked(c, d, pos)
          break
        case State.Skip: {
          const n = Math.min(c.remaining, len - pos)
          c.remaining -= n
          pos += n
          if (c.remaining === 0) {
            c.state = State.Head
            c.slot = undefined
            c.partialSince = -1
          }
          break
        }
      }
    }
    return c.stop ? len : pos
  }

  /** Keeps `d[pos…]` for the next read. */
  const keep = (c: Conn, d: Buffer, pos: number, fromAcc: boolean) => {
    const n = d.length - pos
    if (n === 0) {
      c.accLen = 0
      // a large buffer is not held by an idle connection
      if (c.acc !== undefined && c.acc.length > 4096) c.acc = undefined
      return
    }
    if (fromAcc) c.acc!.copyWithin(0, pos, d.length)
    else {
      if (c.acc === undefined || c.acc.length < n) c.acc = Buffer.allocUnsafe(Math.max(4096, n))
      d.copy(c.acc, 0, pos)
    }
    c.accLen = n
  }

  const parseKept = (c: Conn) => {
    const d = c.acc!.subarray(0, c.accLen)
    keep(c, d, parse(c, d), true)
  }

  /** Notes when an unfinished request began (for its timeout). */
  const afterParse = (c: Conn, now: number) => {
    if (c.stop) c.partialSince = -1
    else if ((c.state !== State.Head || c.accLen > 0) && !c.pausedInFlight) {
      if (c.partialSince < 0) c.partialSince = now
    } else c.partialSince = -1
  }

  const onData = (c: Conn, chunk: Buffer) => {
    if (c.stop || c.closed) return
    c.inData = true
    try {
      if (c.accLen === 0) keep(c, chunk, parse(c, chunk), false)
      else {
        const need = c.accLen + chunk.length
        if (c.acc!.length < need) {
          const grown = Buffer.allocUnsafe(Math.max(need, 2 * c.acc!.length))
          c.acc!.copy(grown, 0, 0, c.accLen)
          c.acc = grown
        }
        chunk.copy(c.acc!, c.accLen)
        c.accLen = need
        parseKept(c)
      }
    } catch (e) {
      env.logDefect("HTTP/1.1 request handler failed", e)
      c.socket.destroy()
      return
    } finally {
      c.inData = false
    }
    afterParse(c, env.now())
    if (c.q[c.qHead]?.ready === true) flush(c)
  }

  // ----------------------------------------------------------------------------------- timeouts

  const sweeper = makeSweeper(idleMs, () => connections.size, () => {
    const now = env.now()
    for (const c of connections) {
      if (c.closed) continue
      if (c.partialSince >= 0) {
        if (now - c.partialSince >= idleMs) {
          fail(c, 408, "request timeout")
          if (!c.inData && !c.flushScheduled) flush(c)
        }
      } else if (inFlight(c) === 0 && now - c.idleSince >= idleMs) {
        logDebug(c, "closed after idling")
        c.socket.destroy()
      }
    }
  })

  return {
    accept: (socket) => {
      // gone between the handshake and here: no "close" would ever remove it
      if (socket.destroyed) return
      const c: Conn = {
        socket,
        writer: undefined,
        peer: {
          transport: "doh",
          remoteAddress: socket.remoteAddress,
          selection: env.select(undefined),
          psk: socket instanceof tls.TLSSocket && env.isPsk(socket)
        },
        acc: undefined,
        accLen: 0,
        scanFrom: 0,
        q: [],
        qHead: 0,
        state: State.Head,
        slot: undefined,
        reader: undefined,
        remaining: 0,
        chunk: Chunk.Size,
        chunkSize: 0,
        chunkDigits: 0,
        chunkExtra: 0,
        partialSince: -1,
        idleSince: env.now(),
        stop: false,
        closed: false,
        inData: false,
        flushScheduled: false,
        pausedWrite: false,
        pausedInFlight: false
      }
      connections.add(c)
      if (socket instanceof tls.TLSSocket) {
        // `flush` joins the responses of a read itself: the writer writes them at once when it can
        c.writer = makeRecordWriter(
          socket,
          env.now,
          () => {
            if (c.pausedWrite && !c.writer!.needDrain()) {
              c.pausedWrite = false
              if (!c.pausedInFlight && !c.closed) socket.resume()
            }
          },
          queueMicrotask,
          true
        )
      }
      socket.on("data", (chunk: Buffer) => onData(c, chunk))
      socket.on("drain", () => {
        c.pausedWrite = false
        if (!c.pausedInFlight && !c.closed) socket.resume()
      })
      socket.on("end", () => {
        // the peer sent everything: answer what is due, then end our side
        c.stop = true
        c.partialSince = -1
        if (inFlight(c) === 0) endSocket(c)
      })
      socket.on("error", (e) => logDebug(c, `failed: ${e.message}`))
      socket.once("close", () => {
        c.closed = true
        c.q.length = 0
        c.qHead = 0
        c.acc = undefined
        connections.delete(c)
      })
      // one sweep per transport checks the timeouts by `env.now` (see Sweep.ts)
      sweeper.start()
    },
    drain: () => {
      draining = true
      for (const c of connections) {
        if (c.closed) continue
        if (inFlight(c) > 0) {
          // the last response due closes the connection; nothing after it is read (a body being read
          // is read to its end first)
          c.q[c.q.length - 1]!.close = true
          if (c.state === State.Head) c.stop = true
        } else if (c.partialSince < 0) c.socket.destroy()
        // else: the request being received gets `connection: close`
      }
    },
    open: () => connections.size,
    destroy: () => {
      for (const c of connections) c.socket.destroy()
      sweeper.stop()
    }
  }
}
