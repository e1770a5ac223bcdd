/**
 * Fuzzing the DoT framer (RFC 7766 two-byte length prefixes) with fast-check.
 * FUZZ_RUNS (default 1000) sets the runs per property, FUZZ_SEED replays a failure: see ./Fuzz.ts.
 * Corpus, replayed every run: test/fuzz/corpus/framing.json (byte streams, hex).
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { frame, type FramingError, makeFrameReader } from "../../src/services/QueryHandler/Framing.js"
import { type BytesEntry, bytesInput, bytesOf, corpus, fuzz, hex, splitAt, TEST_TIMEOUT_MS } from "./Fuzz.js"

interface Read {
  readonly messages: Array<string>
  readonly errors: Array<FramingError>
  readonly buffered: number
}

/** Feeds `chunks` to a fresh reader; messages are copied out at once (they may be views of a chunk). */
const read = (chunks: ReadonlyArray<Uint8Array>): Read => {
  const messages: Array<string> = []
  const errors: Array<FramingError> = []
  const reader = makeFrameReader((m) => messages.push(hex(m)), (e) => errors.push(e))
  for (const c of chunks) reader.push(Buffer.from(c))
  return { messages, errors, buffered: reader.buffered() }
}

/**
 * What any byte stream must give, however it is split: the frames read one after another until a
 * zero length (one error, nothing after it) or the end (the incomplete rest held).
 */
const expected = (stream: Uint8Array): Read => {
  const messages: Array<string> = []
  let off = 0
  while (off + 2 <= stream.length) {
    const len = (stream[off]! << 8) | stream[off + 1]!
    if (len === 0) return { messages, errors: ["ZeroLength"], buffered: -1 }
    if (off + 2 + len > stream.length) break
    messages.push(hex(stream.subarray(off + 2, off + 2 + len)))
    off += 2 + len
  }
  return { messages, errors: [], buffered: stream.length - off }
}

const same = (got: Read, want: Read) => {
  expect(got.messages).toEqual(want.messages)
  expect(got.errors).toEqual(want.errors)
  // after an error the reader holds whatever it held; without one it holds exactly the incomplete rest
  if (want.errors.length === 0) expect(got.buffered).toBe(want.buffered)
}

const message = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 300 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 65535 }).map((n) => new Uint8Array(n).fill(n & 0xff)) }
)
const validStream = fc.array(message, { minLength: 1, maxLength: 6 }).map((ms) => Buffer.concat(ms.map(frame)))
const cuts = fc.array(fc.nat(), { maxLength: 12 })

const seeds = corpus<BytesEntry>("framing").map(bytesOf)

describe("fuzz: DoT framer", () => {
  it("replays the corpus: any split gives what the whole stream gives", () => {
    for (const stream of seeds) {
      const want = expected(stream)
      same(read([stream]), want)
      for (let cut = 0; cut <= stream.length; cut++) same(read(splitAt(stream, [cut])), want)
      same(read([...stream].map((b) => Uint8Array.of(b))), want)
    }
  })

  it("gives back every framed message, however the stream is split", async () => {
    await fuzz(fc.tuple(fc.array(message, { minLength: 1, maxLength: 6 }), cuts), ([messages, at]) => {
      const got = read(splitAt(Buffer.concat(messages.map(frame)), at))
      expect(got.messages).toEqual(messages.map(hex))
      expect(got.errors).toEqual([])
      expect(got.buffered).toBe(0)
    })
  }, TEST_TIMEOUT_MS)

  it("reads arbitrary and mutated streams as their frames say, whatever the split, without throwing", async () => {
    await fuzz(fc.tuple(bytesInput(validStream, seeds, [0, 1]), cuts), ([stream, at]) => {
      same(read(splitAt(stream, at)), expected(stream))
    })
  }, TEST_TIMEOUT_MS)

  it("reads a stream fed one byte at a time as the whole stream", async () => {
    await fuzz(bytesInput(validStream.filter((s) => s.length < 4000), seeds, [0, 1]), (stream) => {
      same(read([...stream].map((b) => Uint8Array.of(b))), expected(stream))
    })
  }, TEST_TIMEOUT_MS)

  it("frames any message of 1 to 65535 bytes so that it reads back alone", async () => {
    await fuzz(message, (m) => {
      const framed = frame(m)
      expect(framed.length).toBe(m.length + 2)
      expect(read([framed])).toEqual({ messages: [hex(m)], errors: [], buffered: 0 })
    })
  }, TEST_TIMEOUT_MS)
})
