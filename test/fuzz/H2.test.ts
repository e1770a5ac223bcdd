/**
 * Fuzzing the purpose-built HTTP/2 transport with fast-check: the frame splitter, the HPACK decoder
 * (round trips of every representation, and arbitrary or mutated blocks), and whole connections fed
 * arbitrary frame sequences through an in-memory socket (no handler defect, output always valid frames).
 * FUZZ_RUNS (default 1000) sets the runs per property, FUZZ_SEED replays a failure: see ./Fuzz.ts.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { EventEmitter } from "node:events"
import type * as net from "node:net"
import type { Env } from "../../src/programs/DohServer.js"
import { makeFastH2 } from "../../src/programs/DohServer/H2.js"
import {
  DEFAULT_MAX_FRAME,
  ErrorCode,
  frame,
  FrameType,
  makeFrameReader,
  PREFACE,
  readFrames
} from "../../src/programs/DohServer/H2/Frames.js"
import {
  decodeBlock,
  encodeInt,
  encodeLiteral,
  HPACK_ERROR,
  HPACK_OK,
  HPACK_TOO_LARGE,
  huffmanBitwise,
  huffmanDecode,
  huffmanEncode,
  lastString,
  makeDecoder
} from "../../src/programs/DohServer/H2/Hpack.js"
import { OPEN_ADMISSION } from "../../src/services/Admission.js"
import { answerTo, query } from "../fixtures/Dns.js"
import { bytesInput, fuzz, hex, mutated, splitAt, TEST_TIMEOUT_MS } from "./Fuzz.js"

// ---------------------------------------------------------------------------------------------------------
// Frames

interface Parsed {
  readonly frames: Array<string>
  readonly error: number
}

const parseAll = (chunks: ReadonlyArray<Buffer>, max = DEFAULT_MAX_FRAME): Parsed => {
  const frames: Array<string> = []
  const r = makeFrameReader()
  let error = 0
  for (const c of chunks) {
    error = readFrames(r, c, max, (type, flags, stream, payload) => {
      frames.push(`${type}/${flags}/${stream}/${hex(payload)}`)
      return true
    })
    if (error !== 0) break
  }
  return { frames, error }
}

const anyFrame = fc.record({
  type: fc.integer({ min: 0, max: 12 }),
  flags: fc.integer({ min: 0, max: 255 }),
  stream: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 0x7fffffff })),
  payload: fc.uint8Array({ maxLength: 64 })
})
const frameBytes = (f: { type: number; flags: number; stream: number; payload: Uint8Array }) =>
  frame(f.type, f.flags, f.stream, f.payload)
const validFrames = fc.array(anyFrame, { minLength: 1, maxLength: 8 }).map((fs) => Buffer.concat(fs.map(frameBytes)))
const cuts = fc.array(fc.nat(), { maxLength: 10 })

describe("fuzz: HTTP/2 frames", () => {
  it("any split of a stream gives the frames of the whole stream", async () => {
    await fuzz(fc.tuple(bytesInput(validFrames, [], [0, 1, 2, 3]), cuts), ([stream, at]) => {
      const whole = parseAll([stream])
      const split = parseAll(splitAt(stream, at))
      if (whole.error === 0) expect(split).toEqual(whole)
      else {
        // the size error is found as soon as the offending header is complete, whatever the split
        expect(split.error).toBe(ErrorCode.FRAME_SIZE_ERROR)
        expect(split.frames).toEqual(whole.frames)
      }
    })
  }, TEST_TIMEOUT_MS)
})

// ---------------------------------------------------------------------------------------------------------
// HPACK

const token = fc.string({
  unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-"),
  minLength: 1,
  maxLength: 20
})
const value = fc.oneof(
  fc.string({ maxLength: 40 }).map((s) => Buffer.from(s, "utf8").toString("latin1")),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString("latin1"))
)
const field = fc.tuple(token, value)

/** How one field is written: indexed static, literal (3 kinds) with a static or literal name, Huffman or not. */
const representation = fc.record({
  kind: fc.constantFrom("incremental", "without", "never"),
  staticName: fc.boolean(),
  huffmanName: fc.boolean(),
  huffmanValue: fc.boolean(),
  reuse: fc.boolean()
})

type Representation = typeof representation extends fc.Arbitrary<infer R> ? R : never

/** Encodes `fields` as a simple encoder would, tracking its own copy of the dynamic table. */
const encodeBlocks = (
  blocks: ReadonlyArray<ReadonlyArray<readonly [readonly [string, string], Representation]>>,
  sizeUpdate: number | undefined
): Array<Buffer> => {
  const table: Array<readonly [string, string]> = [] // newest first
  let size = 0
  const max = sizeUpdate ?? 4096
  return blocks.map((fields, i) => {
    const out: Array<number> = []
    if (i === 0 && sizeUpdate !== undefined) encodeInt(out, 0x20, 5, sizeUpdate)
    for (const [[name, val], r] of fields) {
      // static name: "user-agent" (58); it stands in for the generated one
      const n = r.staticName ? "user-agent" : name
      const existing = table.findIndex(([tn, tv]) => tn === n && tv === val)
      if (r.reuse && existing >= 0) {
        encodeInt(out, 0x80, 7, 62 + existing)
        continue
      }
      const [prefix, bits] = r.kind === "incremental" ? [0x40, 6] : r.kind === "without" ? [0, 4] : [0x10, 4]
      if (r.staticName) encodeInt(out, prefix, bits, 58)
      else {
        encodeInt(out, prefix, bits, 0)
        encodeLiteral(out, n, r.huffmanName)
      }
      encodeLiteral(out, val, r.huffmanValue)
      if (r.kind === "incremental") {
        const s = 32 + n.length + val.length
        if (s > max) {
          table.length = 0
          size = 0
        } else {
          table.unshift([n, val])
          size += s
          while (size > max) {
            const [on, ov] = table.pop()!
            size -= 32 + on.length + ov.length
          }
        }
      }
    }
    return Buffer.from(out)
  })
}

describe("fuzz: HPACK decoder", () => {
  it("decodes what an encoder wrote, in every representation, with the dynamic table in sync", async () => {
    const blocks = fc.array(fc.array(fc.tuple(field, representation), { maxLength: 8 }), { minLength: 1, maxLength: 4 })
    const sizeUpdate = fc.option(fc.constantFrom(0, 64, 200, 4096), { nil: undefined })
    await fuzz(fc.tuple(blocks, sizeUpdate), ([bs, update]) => {
      const encoded = encodeBlocks(bs, update)
      const d = makeDecoder()
      const out: Array<string> = []
      encoded.forEach((b, i) => {
        expect(decodeBlock(d, b, out, 1 << 20, 1000)).toBe(HPACK_OK)
        const want = bs[i]!.flatMap(([[name, val], r]) => [r.staticName ? "user-agent" : name, val])
        expect(out).toEqual(want)
        expect(d.size).toBeLessThanOrEqual(d.maxSize)
      })
    })
  }, TEST_TIMEOUT_MS)

  it("Huffman: the table-driven decoder agrees with the bit-at-a-time one, and decodes what was encoded", async () => {
    const encoded = fc.uint8Array({ maxLength: 60 }).map((b) => huffmanEncode(b))
    await fuzz(fc.oneof(encoded, fc.uint8Array({ maxLength: 40 }), mutated(encoded)), (bytes) => {
      const fast = huffmanDecode(bytes)
      const fastString = lastString()
      const slow = huffmanBitwise(bytes, 0, bytes.length)
      expect(fast).toBe(slow)
      if (fast) expect(fastString).toBe(lastString())
    })
    await fuzz(fc.uint8Array({ maxLength: 60 }), (raw) => {
      expect(huffmanDecode(huffmanEncode(raw))).toBe(true)
      expect(lastString()).toBe(Buffer.from(raw).toString("latin1"))
    })
  }, 2 * TEST_TIMEOUT_MS)

  it("arbitrary and mutated blocks: a result, never a throw; limits hold", async () => {
    const valid = fc.array(fc.tuple(field, representation), { maxLength: 6 }).map((fs) =>
      encodeBlocks([fs], undefined)[0]!
    )
    await fuzz(fc.array(bytesInput(valid, []), { minLength: 1, maxLength: 3 }), (blocks) => {
      const d = makeDecoder()
      const out: Array<string> = []
      for (const b of blocks) {
        const r = decodeBlock(d, b, out, 200, 4)
        expect([HPACK_OK, HPACK_TOO_LARGE, HPACK_ERROR]).toContain(r)
        expect(d.size).toBeLessThanOrEqual(d.maxSize)
        expect(d.maxSize).toBeLessThanOrEqual(4096)
        if (r === HPACK_OK) {
          expect(out.length / 2).toBeLessThanOrEqual(4)
          let size = 0
          for (let i = 0; i < out.length; i += 2) size += 32 + out[i]!.length + out[i + 1]!.length
          expect(size).toBeLessThanOrEqual(200)
        }
        if (r === HPACK_ERROR) break
      }
    })
  }, TEST_TIMEOUT_MS)
})

// ---------------------------------------------------------------------------------------------------------
// Whole connections

/** Just enough of a socket for the transport, in memory and synchronous. */
class FakeSocket extends EventEmitter {
  remoteAddress = "127.0.0.1"
  destroyed = false
  writableLength = 0
  readonly written: Array<Buffer> = []
  setNoDelay() {
    return this
  }
  setTimeout() {
    return this
  }
  write(b: Buffer) {
    if (this.destroyed) throw new Error("write after destroy")
    this.written.push(Buffer.from(b))
    return true
  }
  end() {
    return this
  }
  destroySoon() {
    this.destroy()
  }
  destroy() {
    if (!this.destroyed) {
      this.destroyed = true
      this.emit("close")
    }
    return this
  }
  pause() {
    return this
  }
  resume() {
    return this
  }
  isPaused() {
    return false
  }
}

const requestBlock = (i: number) => {
  const out: Array<number> = [0x82, 0x86] // GET, http
  encodeInt(out, 0, 4, 4) // :path, literal without indexing
  encodeLiteral(out, `/dns-query?dns=${Buffer.from(query(`n${i}.test`)).toString("base64url")}`, i % 2 === 0)
  return Buffer.from(out)
}

/** Frames a client might send, valid or not: requests, bodies, windows, resets, settings, pings, junk. */
const clientFrame = fc.oneof(
  fc.integer({ min: 0, max: 6 }).map((i) => frame(FrameType.HEADERS, 0x5, 2 * i + 1, requestBlock(i))),
  fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 0x2d })).map(([i, flags]) =>
    frame(FrameType.HEADERS, flags, 2 * i + 1, requestBlock(i))
  ),
  fc.tuple(fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 40 })).map((
    [s, flags, p]
  ) => frame(FrameType.DATA, flags, s, p)),
  fc.tuple(fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 0x7fffffff })).map(([s, inc]) => {
    const b = Buffer.alloc(4)
    b.writeUInt32BE(inc)
    return frame(FrameType.WINDOW_UPDATE, 0, s, b)
  }),
  fc.tuple(fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 13 })).map(([s, code]) => {
    const b = Buffer.alloc(4)
    b.writeUInt32BE(code)
    return frame(FrameType.RST_STREAM, 0, s, b)
  }),
  fc.array(fc.tuple(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 0x1000000 })), { maxLength: 4 }).map(
    (pairs) => {
      const b = Buffer.alloc(6 * pairs.length)
      pairs.forEach(([k, v], i) => {
        b.writeUInt16BE(k, 6 * i)
        b.writeUInt32BE(v, 6 * i + 2)
      })
      return frame(FrameType.SETTINGS, 0, 0, b)
    }
  ),
  fc.uint8Array({ minLength: 8, maxLength: 8 }).map((p) => frame(FrameType.PING, 0, 0, p)),
  anyFrame.map(frameBytes)
)

describe("fuzz: HTTP/2 connections", () => {
  it("any frame sequence, however split: no defect, only well-formed frames written back", async () => {
    const answer = answerTo(query("x.test"), [])
    const sequences = fc.array(clientFrame, { minLength: 1, maxLength: 12 }).map((fs) =>
      Buffer.concat([PREFACE, frame(FrameType.SETTINGS, 0, 0), ...fs])
    )
    const input = fc.oneof({ weight: 4, arbitrary: sequences }, {
      weight: 1,
      arbitrary: mutated(sequences, [24, 27, 36])
    })
    await fuzz(fc.tuple(input, cuts), ([bytes, at]) => {
      const defects: Array<unknown> = []
      const env: Env = {
        handle: (q, _ctx, reply) => {
          const a = Buffer.from(answer)
          if (q.length >= 2) a.writeUInt16BE((q[0]! << 8) | q[1]!, 0)
          reply(a, 60, q.length < 12)
        },
        idleMs: 60_000,
        rejected: () => {},
        logDebug: undefined,
        logDefect: (_msg, e) => defects.push(e),
        countTimeout: () => {},
        select: () => 0,
        isPsk: () => false,
        admission: OPEN_ADMISSION,
        now: () => Date.now()
      }
      const t = makeFastH2(env)
      const socket = new FakeSocket()
      t.accept(socket as unknown as net.Socket)
      for (const chunk of splitAt(bytes, at)) socket.emit("data", chunk)
      t.destroy()
      expect(defects).toEqual([])
      // everything written parses as frames within the default frame size
      const parsed = parseAll(socket.written)
      expect(parsed.error).toBe(0)
      expect(parsed.frames.length).toBeGreaterThan(0)
    })
  }, TEST_TIMEOUT_MS)
})
