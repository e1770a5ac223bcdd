/**
 * The purpose-built HTTP/2 transport (`src/programs/DohServer/H2.ts`) over real sockets (h2c on
 * 127.0.0.1), with frames and header blocks written by hand: what node's client never sends
 * (CONTINUATION, padding, tiny windows, garbage) and what it hides (the exact frames coming back).
 */
import { afterEach, beforeEach, describe, expect, it } from "@effect/vitest"
import * as http2 from "node:http2"
import * as net from "node:net"
import { dohStats, type Env, makeH2, type Transport } from "../../src/programs/DohServer.js"
import { H2_STREAM_WINDOW, makeFastH2 } from "../../src/programs/DohServer/H2.js"
import {
  ErrorCode,
  Flag,
  frame,
  FrameType,
  makeFrameReader,
  PREFACE,
  readFrames,
  Setting
} from "../../src/programs/DohServer/H2/Frames.js"
import { decodeBlock, encodeInt, encodeLiteral, makeDecoder } from "../../src/programs/DohServer/H2/Hpack.js"
import { OPEN_ADMISSION } from "../../src/services/Admission.js"
import type { QueryContext, Reply } from "../../src/services/QueryHandler.js"
import { a, answerTo, query } from "../fixtures/Dns.js"

interface Frame {
  readonly type: number
  readonly flags: number
  readonly stream: number
  readonly payload: Buffer
  /** HEADERS: the decoded fields (one decoder per connection, frames decoded in order) */
  readonly fields?: Array<string>
}

/** The answer of the stub handler: `slow.test` after 150 ms, `big.test` with many records, others at once. */
const answerFor = (q: Uint8Array) => {
  const name = q.length > 20 ? Buffer.from(q).toString("latin1") : ""
  if (name.includes("big")) {
    return answerTo(q, Array.from({ length: 40 }, (_, i) => a("big.test", `192.0.2.${i + 1}`, 60)))
  }
  return answerTo(q, [a("example.test", "192.0.2.1", 300)])
}

let transport: Transport
let server: net.Server
let port: number
const contexts: Array<QueryContext> = []
const timeouts = { count: 0 }
/** the transport's clock (`env.now`): real time unless a test sets `clock.frozen` */
const clock: { frozen: number | undefined } = { frozen: undefined }

beforeEach(async () => {
  contexts.length = 0
  timeouts.count = 0
  clock.frozen = undefined
  const env: Env = {
    handle: (q: Uint8Array, ctx: QueryContext, reply: Reply) => {
      contexts.push(ctx)
      const answer = answerFor(q)
      if (Buffer.from(q).includes(Buffer.from("\x04slow"))) setTimeout(() => reply(answer, 60, false), 150)
      else reply(answer, 300, false)
    },
    idleMs: 400,
    rejected: () => {},
    logDebug: undefined,
    logDefect: (msg, e) => console.error(msg, e),
    countTimeout: () => timeouts.count++,
    select: () => 0,
    isPsk: () => false,
    admission: OPEN_ADMISSION,
    now: () => clock.frozen ?? Date.now()
  }
  transport = makeFastH2(env)
  server = net.createServer((s) => transport.accept(s))
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  port = (server.address() as net.AddressInfo).port
})

afterEach(async () => {
  transport.destroy()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

/** A hand-driven client: writes bytes, collects the frames that come back. */
const connect = async (opts: { preface?: boolean } = {}) => {
  const socket = net.connect(port, "127.0.0.1")
  await new Promise<void>((resolve) => socket.once("connect", resolve))
  const frames: Array<Frame> = []
  const reader = makeFrameReader()
  const decoder = makeDecoder()
  let closed = false
  let waiters: Array<() => void> = []
  const wake = () => {
    const w = waiters
    waiters = []
    for (const f of w) f()
  }
  socket.on("data", (chunk: Buffer) => {
    readFrames(reader, chunk, 1 << 24, (type, flags, stream, payload) => {
      if (type === FrameType.HEADERS) {
        const fields: Array<string> = []
        expect(decodeBlock(decoder, payload, fields, 1 << 20, 1000)).toBe(0)
        frames.push({ type, flags, stream, payload: Buffer.from(payload), fields })
      } else frames.push({ type, flags, stream, payload: Buffer.from(payload) })
      return true
    })
    wake()
  })
  socket.on("error", () => {})
  socket.on("close", () => {
    closed = true
    wake()
  })
  const until = <A>(find: () => A | undefined, what: string, ms = 3000): Promise<A> =>
    new Promise<A>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)
      const check = () => {
        const found = find()
        if (found !== undefined) {
          clearTimeout(timer)
          resolve(found)
        } else if (closed && what !== "close") {
          clearTimeout(timer)
          reject(new Error(`closed while waiting for ${what}`))
        } else waiters.push(check)
      }
      check()
    })
  const client = {
    socket,
    frames,
    send: (...bufs: Array<Buffer>) => socket.write(Buffer.concat(bufs)),
    until,
    frame: (pred: (f: Frame) => boolean, what: string) => until(() => frames.find(pred), what),
    closed: () => until(() => (closed ? true : undefined), "close"),
    isClosed: () => closed,
    /** the response of `stream`: status, headers, body (waits for END_STREAM) */
    response: async (stream: number) => {
      await until(
        () =>
          frames.find((f) =>
            f.stream === stream &&
            ((f.type === FrameType.DATA || f.type === FrameType.HEADERS) && (f.flags & Flag.END_STREAM) !== 0)
          ),
        `the end of stream ${stream}`
      )
      const headers = frames.find((f) => f.stream === stream && f.type === FrameType.HEADERS)!
      const fields = headers.fields!
      const map: Record<string, string> = {}
      for (let i = 0; i < fields.length; i += 2) map[fields[i]!] = fields[i + 1]!
      const data = frames.filter((f) => f.stream === stream && f.type === FrameType.DATA)
      return {
        status: Number(map[":status"]),
        headers: map,
        body: Buffer.concat(data.map((f) => f.payload)),
        data,
        block: headers.payload
      }
    }
  }
  if (opts.preface !== false) client.send(PREFACE, frame(FrameType.SETTINGS, 0, 0))
  return client
}

/** A header block of literals without indexing (Huffman-coded strings when `huffman`). */
const block = (fields: ReadonlyArray<readonly [string, string]>, huffman = false) => {
  const out: Array<number> = []
  for (const [name, value] of fields) {
    out.push(0)
    encodeLiteral(out, name, huffman)
    encodeLiteral(out, value, huffman)
  }
  return Buffer.from(out)
}

const b64u = (q: Uint8Array) => Buffer.from(q).toString("base64url")
const getFields = (q: Uint8Array, extra: ReadonlyArray<readonly [string, string]> = []) =>
  [
    [":method", "GET"],
    [":scheme", "http"],
    [":authority", "localhost"],
    [":path", `/dns-query?dns=${b64u(q)}`],
    ...extra
  ] as const
const postFields = (length?: number) =>
  [
    [":method", "POST"],
    [":scheme", "http"],
    [":path", "/dns-query"],
    ["content-type", "application/dns-message"],
    ...(length === undefined ? [] : [["content-length", String(length)] as const])
  ] as const

const headers = (stream: number, b: Buffer, flags = Flag.END_HEADERS | Flag.END_STREAM) =>
  frame(FrameType.HEADERS, flags, stream, b)
const u32 = (v: number) => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(v)
  return b
}
const settings = (pairs: ReadonlyArray<readonly [number, number]>) => {
  const b = Buffer.alloc(6 * pairs.length)
  pairs.forEach(([k, v], i) => {
    b.writeUInt16BE(k, 6 * i)
    b.writeUInt32BE(v, 6 * i + 2)
  })
  return frame(FrameType.SETTINGS, 0, 0, b)
}
const goawayOf = (f: Frame) => ({ last: f.payload.readUInt32BE(0), code: f.payload.readUInt32BE(4) })

describe("HTTP/2 transport: connection setup", () => {
  it("sends its SETTINGS and a connection WINDOW_UPDATE, acknowledges the client's", async () => {
    const c = await connect()
    const s = await c.frame((f) => f.type === FrameType.SETTINGS && f.flags === 0, "server SETTINGS")
    const values: Record<number, number> = {}
    for (let i = 0; i < s.payload.length; i += 6) values[s.payload.readUInt16BE(i)] = s.payload.readUInt32BE(i + 2)
    expect(values).toEqual({
      [Setting.MAX_CONCURRENT_STREAMS]: 256,
      [Setting.INITIAL_WINDOW_SIZE]: H2_STREAM_WINDOW,
      [Setting.MAX_HEADER_LIST_SIZE]: 16384,
      [Setting.ENABLE_PUSH]: 0
    })
    await c.frame((f) => f.type === FrameType.WINDOW_UPDATE && f.stream === 0, "connection WINDOW_UPDATE")
    await c.frame((f) => f.type === FrameType.SETTINGS && f.flags === Flag.ACK, "SETTINGS ACK")
    c.socket.destroy()
  })

  it("a bad preface: GOAWAY(PROTOCOL_ERROR) and the connection closes; others are still served", async () => {
    const good = await connect()
    const before = dohStats.sessionErrors
    const bad = await connect({ preface: false })
    bad.send(Buffer.from("GET / HTTP/1.1\r\nhost: x\r\n\r\n"))
    const g = await bad.frame((f) => f.type === FrameType.GOAWAY, "GOAWAY")
    expect(goawayOf(g).code).toBe(ErrorCode.PROTOCOL_ERROR)
    await bad.closed()
    expect(dohStats.sessionErrors).toBe(before + 1)
    const q = query("example.test", "A", { id: 7 })
    good.send(headers(1, block(getFields(q))))
    const res = await good.response(1)
    expect(res.status).toBe(200)
    expect(res.body.readUInt16BE(0)).toBe(7)
    good.socket.destroy()
  })

  it.each(
    [
      ["DATA on stream 0", frame(FrameType.DATA, 0, 0, Buffer.from("x")), ErrorCode.PROTOCOL_ERROR],
      ["a frame over 16384 bytes", frame(FrameType.DATA, 0, 1, Buffer.alloc(16385)), ErrorCode.FRAME_SIZE_ERROR],
      ["PING of 7 bytes", frame(FrameType.PING, 0, 0, Buffer.alloc(7)), ErrorCode.FRAME_SIZE_ERROR],
      ["HEADERS on an even stream", headers(2, block(getFields(query("example.test")))), ErrorCode.PROTOCOL_ERROR],
      [
        "an undecodable header block",
        headers(1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f])),
        ErrorCode.COMPRESSION_ERROR
      ],
      [
        "CONTINUATION without HEADERS",
        frame(FrameType.CONTINUATION, Flag.END_HEADERS, 1, Buffer.alloc(0)),
        ErrorCode.PROTOCOL_ERROR
      ],
      [
        "WINDOW_UPDATE overflowing the connection window",
        frame(FrameType.WINDOW_UPDATE, 0, 0, u32(0x7fffffff)),
        ErrorCode.FLOW_CONTROL_ERROR
      ],
      ["PUSH_PROMISE", frame(FrameType.PUSH_PROMISE, Flag.END_HEADERS, 1, Buffer.alloc(4)), ErrorCode.PROTOCOL_ERROR],
      ["SETTINGS with a bad MAX_FRAME_SIZE", settings([[Setting.MAX_FRAME_SIZE, 100]]), ErrorCode.PROTOCOL_ERROR]
    ] as const
  )("garbage (%s): GOAWAY with its error code, only that connection closes", async (_, bytes, code) => {
    const good = await connect()
    const bad = await connect()
    bad.send(bytes)
    const g = await bad.frame((f) => f.type === FrameType.GOAWAY, "GOAWAY")
    expect(goawayOf(g).code).toBe(code)
    await bad.closed()
    good.send(headers(1, block(getFields(query("example.test")))))
    expect((await good.response(1)).status).toBe(200)
    expect(good.isClosed()).toBe(false)
    good.socket.destroy()
  })
})

describe("HTTP/2 transport: requests", () => {
  it("HEADERS + CONTINUATION, PADDED and PRIORITY flags, Huffman strings: answered like any GET", async () => {
    const c = await connect()
    const q = query("example.test", "A", { id: 0x1234 })
    const b = block(getFields(q), true)
    // HEADERS with 3 bytes of padding and a priority, then two CONTINUATION frames
    const first = Buffer.concat([Buffer.from([3]), Buffer.from([0, 0, 0, 0, 16]), b.subarray(0, 5), Buffer.alloc(3)])
    c.send(
      frame(FrameType.PRIORITY, 0, 1, Buffer.from([0, 0, 0, 0, 7])),
      frame(FrameType.HEADERS, Flag.END_STREAM | Flag.PADDED | Flag.PRIORITY, 1, first),
      frame(FrameType.CONTINUATION, 0, 1, b.subarray(5, 20)),
      frame(FrameType.CONTINUATION, Flag.END_HEADERS, 1, b.subarray(20))
    )
    const res = await c.response(1)
    expect(res.status).toBe(200)
    expect(res.headers["content-type"]).toBe("application/dns-message")
    expect(res.headers["content-length"]).toBe(String(res.body.length))
    expect(res.headers["cache-control"]).toBe("max-age=300")
    expect(res.headers["access-control-allow-origin"]).toBe("*")
    expect(res.body.toString("hex")).toBe(answerTo(q, [a("example.test", "192.0.2.1", 300)]).toString("hex"))
    c.socket.destroy()
  })

  it("HPACK dynamic table: a field indexed by one request is referenced by the next", async () => {
    const c = await connect()
    const q1 = query("example.test", "A", { id: 1 })
    // :path with incremental indexing (0x40 | name index 4 = ":path"), the rest as literals
    const out: Array<number> = [0x82, 0x86] // :method GET, :scheme http
    encodeInt(out, 0x40, 6, 4)
    encodeLiteral(out, `/dns-query?dns=${b64u(q1)}`, false)
    c.send(headers(1, Buffer.from(out)))
    expect((await c.response(1)).body.readUInt16BE(0)).toBe(1)
    // the same :path again, as dynamic index 62
    c.send(headers(3, Buffer.from([0x82, 0x86, 0x80 | 62])))
    const res = await c.response(3)
    expect(res.status).toBe(200)
    expect(res.body.readUInt16BE(0)).toBe(1)
    c.socket.destroy()
  })

  it("answers index content-type and access-control-allow-origin in the client's table, unless it has none", async () => {
    const answerHeaders = (r: { headers: Record<string, string> }) => ({ ...r.headers })
    const c = await connect()
    c.send(headers(1, block(getFields(query("example.test")))))
    const first = await c.response(1)
    c.send(headers(3, block(getFields(query("example.test")))))
    const second = await c.response(3)
    expect(answerHeaders(second)).toEqual(answerHeaders(first))
    expect(second.block.length).toBeLessThan(first.block.length - 20)
    c.socket.destroy()
    // SETTINGS_HEADER_TABLE_SIZE 0: a table size update, then literals only
    const d = await connect({ preface: false })
    d.send(PREFACE, settings([[Setting.HEADER_TABLE_SIZE, 0]]))
    d.send(headers(1, block(getFields(query("example.test")))))
    const r1 = await d.response(1)
    d.send(headers(3, block(getFields(query("example.test")))))
    const r2 = await d.response(3)
    expect(r1.block[0]! & 0xe0).toBe(0x20)
    expect(answerHeaders(r1)).toEqual(answerHeaders(first))
    expect(answerHeaders(r2)).toEqual(answerHeaders(first))
    expect(r2.block.length).toBeGreaterThan(second.block.length + 20)
    d.socket.destroy()
  })

  it("POST: a body in padded DATA frames, then the answer; PING is acknowledged with its payload", async () => {
    const c = await connect()
    const q = query("example.test", "A", { id: 0x4242 })
    c.send(
      headers(1, block(postFields(q.length)), Flag.END_HEADERS),
      frame(FrameType.DATA, Flag.PADDED, 1, Buffer.concat([Buffer.from([4]), q.subarray(0, 10), Buffer.alloc(4)])),
      frame(FrameType.PING, 0, 0, Buffer.from("12345678")),
      frame(FrameType.DATA, Flag.END_STREAM, 1, q.subarray(10))
    )
    const res = await c.response(1)
    expect(res.status).toBe(200)
    expect(res.body.readUInt16BE(0)).toBe(0x4242)
    const ping = await c.frame((f) => f.type === FrameType.PING, "PING ACK")
    expect(ping.flags).toBe(Flag.ACK)
    expect(ping.payload.toString()).toBe("12345678")
    c.socket.destroy()
  })

  it("trailers end a POST body; a rejected POST's unread body is let through, the stream closed at its end", async () => {
    const c = await connect()
    const q = query("example.test", "A", { id: 0x5151 })
    c.send(
      headers(1, block(postFields(q.length)), Flag.END_HEADERS),
      frame(FrameType.DATA, 0, 1, q),
      headers(1, block([["x-trailer", "1"]]))
    )
    expect((await c.response(1)).body.readUInt16BE(0)).toBe(0x5151)
    // 415 at once, the body still comes (no reset: curl 7.88 fails on one), then trailers end the stream
    c.send(headers(3, block([[":method", "POST"], [":scheme", "http"], [":path", "/dns-query"]]), Flag.END_HEADERS))
    expect((await c.response(3)).status).toBe(415)
    c.send(frame(FrameType.DATA, 0, 3, Buffer.alloc(100)), headers(3, block([["x-trailer", "1"]])))
    c.send(headers(5, block(getFields(q))))
    expect((await c.response(5)).status).toBe(200)
    expect(c.frames.some((f) => f.type === FrameType.RST_STREAM)).toBe(false)
    c.socket.destroy()
  })

  it("a POST body over 65535 bytes: 413, then RST_STREAM(NO_ERROR)", async () => {
    const c = await connect()
    c.send(headers(1, block(postFields()), Flag.END_HEADERS))
    for (let i = 0; i < 5; i++) c.send(frame(FrameType.DATA, 0, 1, Buffer.alloc(16000, 1)))
    const res = await c.until(() => c.frames.find((f) => f.type === FrameType.RST_STREAM && f.stream === 1), "RST")
    expect(res.payload.readUInt32BE(0)).toBe(ErrorCode.NO_ERROR)
    const h = c.frames.find((f) => f.type === FrameType.HEADERS && f.stream === 1)!
    expect(h.fields!.slice(0, 2)).toEqual([":status", "413"])
    c.socket.destroy()
  })

  it("malformed requests are stream errors (RST_STREAM(PROTOCOL_ERROR)); the connection goes on", async () => {
    const c = await connect()
    const q = query("example.test")
    const before = dohStats.streamErrors
    c.send(headers(1, block([[":method", "GET"], [":scheme", "http"]])))
    c.send(headers(3, block([...getFields(q), ["Upper", "x"]])))
    c.send(headers(5, block([["x", "y"], ...getFields(q)])))
    c.send(headers(7, block([...getFields(q), ["connection", "keep-alive"]])))
    c.send(headers(9, block([...getFields(q), [":path", "/again"]])))
    for (const id of [1, 3, 5, 7, 9]) {
      const r = await c.frame((f) => f.type === FrameType.RST_STREAM && f.stream === id, `RST ${id}`)
      expect(r.payload.readUInt32BE(0)).toBe(ErrorCode.PROTOCOL_ERROR)
    }
    expect(dohStats.streamErrors - before).toBe(5)
    c.send(headers(11, block(getFields(q))))
    expect((await c.response(11)).status).toBe(200)
    c.socket.destroy()
  })

  it("a header list over 16384 bytes or 64 fields: 431 (the table stays in sync: the next request is answered)", async () => {
    const c = await connect()
    const q = query("example.test")
    const b = block([...getFields(q), ["x-big", "v".repeat(17000)]])
    c.send(
      frame(FrameType.HEADERS, Flag.END_STREAM, 1, b.subarray(0, 16000)),
      frame(FrameType.CONTINUATION, Flag.END_HEADERS, 1, b.subarray(16000))
    )
    expect((await c.response(1)).status).toBe(431)
    c.send(headers(3, block(getFields(q))))
    expect((await c.response(3)).status).toBe(200)
    // more than 64 fields (H2_MAX_HEADER_PAIRS, as makeH2's maxHeaderListPairs)
    const many = Array.from({ length: 61 }, (_, i) => [`x-${i}`, "1"] as const)
    c.send(headers(5, block([...getFields(q), ...many])))
    expect((await c.response(5)).status).toBe(431)
    c.send(headers(7, block([...getFields(q), ...many.slice(1)])))
    expect((await c.response(7)).status).toBe(200)
    c.socket.destroy()
  })
})

describe("HTTP/2 transport: flow control, limits, closing", () => {
  it("a tiny window: the answer is split into DATA frames that each wait for a WINDOW_UPDATE", async () => {
    const c = await connect()
    c.send(settings([[Setting.INITIAL_WINDOW_SIZE, 100]]))
    const q = query("big.test", "A", { id: 9 })
    c.send(headers(1, block(getFields(q))))
    await c.frame((f) => f.type === FrameType.DATA && f.stream === 1, "first DATA")
    for (let i = 0; i < 50 && !c.frames.some((f) => f.type === FrameType.DATA && (f.flags & Flag.END_STREAM)); i++) {
      const seen = c.frames.filter((f) => f.type === FrameType.DATA).length
      c.send(frame(FrameType.WINDOW_UPDATE, 0, 1, u32(100)))
      await c.until(() => (c.frames.filter((f) => f.type === FrameType.DATA).length > seen ? true : undefined), "DATA")
    }
    const res = await c.response(1)
    expect(res.data.length).toBeGreaterThan(3)
    for (const d of res.data) expect(d.payload.length).toBeLessThanOrEqual(100)
    expect(res.body.toString("hex")).toBe(answerFor(q).toString("hex"))
    expect(Number(res.headers["content-length"])).toBe(res.body.length)
    c.socket.destroy()
  })

  it("RST_STREAM from the client: the later answer is counted as abandoned", async () => {
    const c = await connect()
    const before = dohStats.abandoned
    c.send(headers(1, block(getFields(query("slow.test")))))
    c.send(frame(FrameType.RST_STREAM, 0, 1, u32(ErrorCode.CANCEL)))
    await new Promise((r) => setTimeout(r, 250))
    expect(dohStats.abandoned).toBe(before + 1)
    expect(c.frames.some((f) => f.stream === 1)).toBe(false)
    c.socket.destroy()
  })

  it("more than 256 streams at once: REFUSED_STREAM beyond the limit", async () => {
    const c = await connect()
    const slow = block(getFields(query("slow.test")))
    const frames: Array<Buffer> = []
    for (let i = 0; i < 257; i++) frames.push(headers(2 * i + 1, slow))
    c.send(...frames)
    const r = await c.frame((f) => f.type === FrameType.RST_STREAM, "RST_STREAM")
    expect(r.stream).toBe(2 * 256 + 1)
    expect(r.payload.readUInt32BE(0)).toBe(ErrorCode.REFUSED_STREAM)
    expect((await c.response(1)).status).toBe(200)
    c.socket.destroy()
  })

  it("floods end the connection with ENHANCE_YOUR_CALM: empty CONTINUATION frames, rapid resets", async () => {
    const c = await connect()
    const conts = Array.from({ length: 100 }, () => frame(FrameType.CONTINUATION, 0, 1, Buffer.alloc(0)))
    c.send(frame(FrameType.HEADERS, 0, 1, Buffer.from([0x82])), ...conts)
    expect(goawayOf(await c.frame((f) => f.type === FrameType.GOAWAY, "GOAWAY")).code).toBe(
      ErrorCode.ENHANCE_YOUR_CALM
    )
    await c.closed()
    const d = await connect()
    const slow = block(getFields(query("slow.test")))
    const frames: Array<Buffer> = []
    for (let i = 0; i < 300; i++) {
      frames.push(headers(2 * i + 1, slow), frame(FrameType.RST_STREAM, 0, 2 * i + 1, u32(ErrorCode.CANCEL)))
    }
    d.send(...frames)
    const g = goawayOf(await d.frame((f) => f.type === FrameType.GOAWAY, "GOAWAY"))
    expect(g.code).toBe(ErrorCode.ENHANCE_YOUR_CALM)
    expect(g.last).toBeLessThan(2 * 300)
    await d.closed()
  })

  it("drain: GOAWAY(NO_ERROR) naming the last stream, the stream in flight answered, then the close", async () => {
    const c = await connect()
    c.send(headers(1, block(getFields(query("slow.test", "A", { id: 77 })))))
    await new Promise((r) => setTimeout(r, 30))
    transport.drain()
    const g = await c.frame((f) => f.type === FrameType.GOAWAY, "GOAWAY")
    expect(goawayOf(g)).toEqual({ last: 1, code: ErrorCode.NO_ERROR })
    // a stream opened after the GOAWAY is refused
    c.send(headers(3, block(getFields(query("example.test")))))
    const res = await c.response(1)
    expect(res.body.readUInt16BE(0)).toBe(77)
    await c.closed()
    expect(c.frames.some((f) => f.stream === 3 && f.type !== FrameType.RST_STREAM)).toBe(false)
    for (let i = 0; i < 100 && transport.open() > 0; i++) await new Promise((r) => setTimeout(r, 10))
    expect(transport.open()).toBe(0)
  })

  it("idle: GOAWAY after idleMs, then the connection closes; a POST body that never comes is cancelled", async () => {
    const c = await connect()
    c.send(headers(1, block(postFields(30)), Flag.END_HEADERS))
    const rst = await c.frame((f) => f.type === FrameType.RST_STREAM && f.stream === 1, "RST of the POST")
    expect(rst.payload.readUInt32BE(0)).toBe(ErrorCode.CANCEL)
    const g = await c.frame((f) => f.type === FrameType.GOAWAY, "GOAWAY")
    expect(goawayOf(g).code).toBe(ErrorCode.NO_ERROR)
    await c.closed()
    expect(timeouts.count).toBeGreaterThanOrEqual(2)
  })

  it("a stream's timeout is decided by env.now (the Effect Clock), not by real time", async () => {
    clock.frozen = 1_000_000
    const c = await connect()
    c.send(headers(1, block(postFields(30)), Flag.END_HEADERS))
    // past idleMs (400) of real time, the clock standing still: the stream is still open (a PING keeps the
    // connection itself from idling)
    await new Promise((r) => setTimeout(r, 250))
    c.send(frame(FrameType.PING, 0, 0, Buffer.from("12345678")))
    await new Promise((r) => setTimeout(r, 300))
    expect(c.frames.filter((f) => f.type === FrameType.RST_STREAM || f.type === FrameType.GOAWAY)).toEqual([])
    expect(timeouts.count).toBe(0)
    // the clock moves past the deadline: the next sweep cancels the stream
    clock.frozen += 400
    const rst = await c.frame((f) => f.type === FrameType.RST_STREAM && f.stream === 1, "RST of the POST")
    expect(rst.payload.readUInt32BE(0)).toBe(ErrorCode.CANCEL)
    expect(timeouts.count).toBe(1)
  })

  it("a rejected POST whose client keeps uploading is answered at once, then cut when env.now passes idleMs", async () => {
    clock.frozen = 1_000_000
    const c = await connect()
    const fields = postFields(30).map(([k, v]) => (k === "content-type" ? [k, "text/plain"] as const : [k, v] as const))
    c.send(headers(1, block(fields), Flag.END_HEADERS))
    // the 415 goes out at once; the stream stays open for the rest of the body (curl fails otherwise)
    const res = await c.response(1)
    expect(res.status).toBe(415)
    await new Promise((r) => setTimeout(r, 250))
    c.send(frame(FrameType.PING, 0, 0, Buffer.from("12345678")))
    await new Promise((r) => setTimeout(r, 300))
    expect(c.frames.filter((f) => f.type === FrameType.RST_STREAM || f.type === FrameType.GOAWAY)).toEqual([])
    clock.frozen += 400
    const rst = await c.frame((f) => f.type === FrameType.RST_STREAM && f.stream === 1, "RST of the upload")
    expect(rst.payload.readUInt32BE(0)).toBe(ErrorCode.CANCEL)
    expect(timeouts.count).toBe(1)
  })
})

describe("both HTTP/2 transports (makeH2 on node:http2, makeFastH2) give node's client the same responses", () => {
  const serve = async (make: (env: Env) => Transport) => {
    const env: Env = {
      handle: (q, _ctx, reply) => (q.length < 12 ? reply(null, 0, true) : reply(answerFor(q), 300, false)),
      idleMs: 2000,
      rejected: () => {},
      logDebug: undefined,
      logDefect: (msg, e) => console.error(msg, e),
      countTimeout: () => {},
      select: () => 0,
      isPsk: () => false,
      admission: OPEN_ADMISSION,
      now: () => Date.now()
    }
    const t = make(env)
    const srv = net.createServer((s) => t.accept(s))
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve))
    const session = http2.connect(`http://127.0.0.1:${(srv.address() as net.AddressInfo).port}`)
    await new Promise((resolve) => session.once("remoteSettings", resolve))
    const request = (h: http2.OutgoingHttpHeaders, body?: Buffer) =>
      new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
        const req = session.request(h, { endStream: body === undefined })
        const chunks: Array<Buffer> = []
        let headers: http2.IncomingHttpHeaders = {}
        req.on("response", (r) => (headers = r))
        req.on("data", (c: Buffer) => chunks.push(c))
        req.on("close", () => {
          const { date: _date, ":status": status, ...rest } = headers
          resolve({ status: Number(status), headers: rest, body: Buffer.concat(chunks).toString("hex") })
        })
        req.on("error", reject)
        if (body !== undefined) req.end(body)
      })
    const q = query("example.test", "A", { id: 3 })
    const results = []
    for (
      const [h, body] of [
        [{ ":method": "GET", ":path": `/dns-query?dns=${b64u(q)}` }, undefined],
        [{ ":method": "POST", ":path": "/dns-query", "content-type": "application/dns-message" }, q],
        [{ ":method": "GET", ":path": "/dns-query?dns=AAAA=" }, undefined],
        [{ ":method": "GET", ":path": `/dns-query?dns=${b64u(q.subarray(0, 8))}` }, undefined],
        [{ ":method": "GET", ":path": "/other" }, undefined],
        [{ ":method": "PUT", ":path": "/dns-query" }, undefined],
        [{ ":method": "HEAD", ":path": "/dns-query" }, undefined],
        [{ ":method": "OPTIONS", ":path": "/dns-query" }, undefined],
        [{ ":method": "POST", ":path": "/dns-query", "content-type": "text/plain" }, q],
        [{ ":method": "POST", ":path": "/dns-query", "content-type": "application/dns-message" }, Buffer.alloc(70000)]
      ] as const
    ) results.push(await request(h, body as Buffer | undefined))
    session.destroy()
    t.destroy()
    await new Promise<void>((resolve) => srv.close(() => resolve()))
    return results
  }

  it("GET, POST, every rejection, HEAD, OPTIONS, 413: same statuses, headers (but date) and bodies", async () => {
    const node = await serve(makeH2)
    const fast = await serve(makeFastH2)
    expect(node.map((r) => r.status)).toEqual([200, 200, 400, 400, 404, 405, 200, 204, 415, 413])
    expect(fast).toEqual(node)
  })
})
