import { describe, expect, it } from "@effect/vitest"
import { frame, makeFrameReader } from "../../src/services/QueryHandler/Framing.js"

const messages = [Buffer.from("first message"), Buffer.alloc(300, 7), Buffer.from([1]), Buffer.from("last")]
const stream = Buffer.concat(messages.map(frame))

const collect = () => {
  const got: Array<string> = []
  const errors: Array<string> = []
  const reader = makeFrameReader((m) => got.push(m.toString("hex")), (e) => errors.push(e))
  return { got, errors, reader }
}

describe("DoT framing (RFC 7766)", () => {
  it("reads many queries from one segment (pipelining)", () => {
    const { errors, got, reader } = collect()
    reader.push(stream)
    expect(got).toEqual(messages.map((m) => m.toString("hex")))
    expect(errors).toEqual([])
    expect(reader.buffered()).toBe(0)
  })

  it("reads the same messages split at every byte boundary", () => {
    for (let cut = 1; cut < stream.length; cut++) {
      const { errors, got, reader } = collect()
      reader.push(stream.subarray(0, cut))
      reader.push(stream.subarray(cut))
      expect(got).toEqual(messages.map((m) => m.toString("hex")))
      expect(errors).toEqual([])
    }
  })

  it("reads the stream fed one byte at a time", () => {
    const { got, reader } = collect()
    for (let i = 0; i < stream.length; i++) reader.push(stream.subarray(i, i + 1))
    expect(got).toEqual(messages.map((m) => m.toString("hex")))
    expect(reader.buffered()).toBe(0)
  })

  it("splits in three at every pair of boundaries of a short stream", () => {
    const short = Buffer.concat([frame(Buffer.from("ab")), frame(Buffer.from("cde"))])
    for (let a = 1; a < short.length; a++) {
      for (let b = a + 1; b < short.length; b++) {
        const { got, reader } = collect()
        reader.push(short.subarray(0, a))
        reader.push(short.subarray(a, b))
        reader.push(short.subarray(b))
        expect(got).toEqual([Buffer.from("ab").toString("hex"), Buffer.from("cde").toString("hex")])
      }
    }
  })

  it("takes the largest message (65535 bytes) in small pieces", () => {
    const big = Buffer.alloc(65535, 0xab)
    const framed = frame(big)
    const { got, reader } = collect()
    for (let i = 0; i < framed.length; i += 1000) reader.push(framed.subarray(i, i + 1000))
    expect(got).toHaveLength(1)
    expect(got[0]).toBe(big.toString("hex"))
  })

  it("holds an incomplete message without handing it on", () => {
    const { got, reader } = collect()
    reader.push(frame(Buffer.alloc(100)).subarray(0, 50))
    expect(got).toEqual([])
    expect(reader.buffered()).toBe(50)
  })

  it("rejects a zero-length frame and reads nothing after it", () => {
    const { errors, got, reader } = collect()
    reader.push(Buffer.concat([frame(Buffer.from("ok")), Buffer.from([0, 0]), frame(Buffer.from("never"))]))
    expect(got).toEqual([Buffer.from("ok").toString("hex")])
    expect(errors).toEqual(["ZeroLength"])
    reader.push(frame(Buffer.from("later")))
    expect(got).toHaveLength(1)
  })

  it("rejects a zero-length frame split across reads", () => {
    const { errors, reader } = collect()
    reader.push(Buffer.from([0]))
    reader.push(Buffer.from([0, 1, 2]))
    expect(errors).toEqual(["ZeroLength"])
  })

  it("frames a message with its two-byte length", () => {
    expect(frame(Buffer.alloc(258)).subarray(0, 2)).toEqual(Buffer.from([1, 2]))
  })
})
