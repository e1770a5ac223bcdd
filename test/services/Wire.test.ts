import { describe, expect, it } from "@effect/vitest"
import {
  errorAnswer,
  inspectAnswer,
  peekQuery,
  type QueryPeek,
  Rcode,
  upstreamQuery
} from "../../src/services/QueryHandler/Wire.js"
import { a, answerTo, decode, idOf, query, rcodeOf, soa } from "../fixtures/Dns.js"

const peek = (b: Uint8Array) => {
  const p = peekQuery(b)
  if (typeof p === "number") throw new Error(`peek failed: ${p}`)
  return p as QueryPeek
}

describe("Wire: query peek", () => {
  it("keys a question case-insensitively and by type", () => {
    expect(peek(query("Example.COM")).key).toBe(peek(query("example.com")).key)
    expect(peek(query("example.com", "AAAA")).key).not.toBe(peek(query("example.com")).key)
    expect(peek(query("example.org")).key).not.toBe(peek(query("example.com")).key)
  })

  it("keys EDNS and the DO bit apart", () => {
    const plain = peek(query("example.com"))
    const edns = peek(query("example.com", "A", { edns: true }))
    const dnssec = peek(query("example.com", "A", { edns: true, dnssecOk: true }))
    expect(edns.edns).toBe(true)
    expect(dnssec.dnssecOk).toBe(true)
    expect(new Set([plain.key, edns.key, dnssec.key]).size).toBe(3)
  })

  it("answers nothing to a message shorter than a header or to a response", () => {
    expect(peekQuery(Buffer.alloc(11))).toBe(-1)
    const response = query("example.com")
    response[2] = response[2]! | 0x80
    expect(peekQuery(response)).toBe(-1)
  })

  it("answers FORMERR to a bad question and NOTIMP to another opcode", () => {
    const q = query("example.com")
    expect(peekQuery(q.subarray(0, q.length - 2))).toBe(Rcode.FORMERR)
    const two = Buffer.from(q)
    two[5] = 2
    expect(peekQuery(two)).toBe(Rcode.FORMERR)
    const pointer = Buffer.concat([q.subarray(0, 12), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1])])
    expect(peekQuery(pointer)).toBe(Rcode.FORMERR)
    const update = Buffer.from(q)
    update[2] = (5 << 3) | 1
    expect(peekQuery(update)).toBe(Rcode.NOTIMP)
  })

  it("builds the upstream query with our ID, the client's question, and no client options", () => {
    const q = query("Example.com", "AAAA", { id: 7, edns: true, dnssecOk: true })
    const up = decode(upstreamQuery(q, peek(q), 0xbeef))
    expect(up.id).toBe(0xbeef)
    expect(up.questions).toEqual([{ name: "Example.com", type: "AAAA", class: "IN" }])
    expect(up.flag_rd).toBe(true)
    const opt = up.additionals?.[0] as unknown as {
      type: string
      udpPayloadSize: number
      flags: number
      options: Array<unknown>
    }
    expect(opt.type).toBe("OPT")
    expect(opt.udpPayloadSize).toBe(1232)
    expect(opt.flags & 0x8000).toBe(0x8000)
    expect(opt.options).toEqual([])
    expect(decode(upstreamQuery(query("x.org"), peek(query("x.org")), 1)).additionals).toEqual([])
  })
})

describe("Wire: answers", () => {
  it("finds every TTL and the lowest answer TTL", () => {
    const q = query("example.com")
    const ans = answerTo(q, [a("example.com", "192.0.2.1", 300), a("example.com", "192.0.2.2", 120)])
    const info = inspectAnswer(ans)!
    expect(info.ttls).toEqual([300, 120])
    expect(info.cacheTtl).toBe(120)
    expect(info.ttlOffsets.map((o) => ans.readUInt32BE(o))).toEqual([300, 120])
  })

  it("takes the negative TTL from the SOA (RFC 2308: min of SOA TTL and MINIMUM)", () => {
    const q = query("nope.example.com")
    const nx = answerTo(q, [], { rcode: "NXDOMAIN", authorities: [soa("example.com", 3600, 60)] })
    expect(inspectAnswer(nx)!.cacheTtl).toBe(60)
    const nodata = answerTo(q, [], { authorities: [soa("example.com", 30, 900)] })
    expect(inspectAnswer(nodata)!.cacheTtl).toBe(30)
    const bare = answerTo(q, [], { rcode: "NXDOMAIN" })
    expect(inspectAnswer(bare)!.cacheTtl).toBe(0)
  })

  it("does not cache SERVFAIL or a truncated answer, and rejects malformed answers", () => {
    const q = query("example.com")
    expect(inspectAnswer(answerTo(q, [], { rcode: "SERVFAIL" }))!.cacheTtl).toBe(0)
    const tc = answerTo(q, [a("example.com", "192.0.2.1", 300)])
    tc[2] = tc[2]! | 0x02
    expect(inspectAnswer(tc)!.cacheTtl).toBe(0)
    const good = answerTo(q, [a("example.com", "192.0.2.1", 300)])
    expect(inspectAnswer(good.subarray(0, good.length - 1))).toBeNull()
    expect(inspectAnswer(Buffer.concat([good, Buffer.from([0])]))).toBeNull()
    expect(inspectAnswer(q)).toBeNull()
  })

  it("makes an error answer with the client's ID and question", () => {
    const q = query("example.com", "A", { id: 0x4242 })
    const e = errorAnswer(q, Rcode.SERVFAIL, peek(q).questionEnd)
    expect(idOf(e)).toBe(0x4242)
    expect(rcodeOf(e)).toBe(Rcode.SERVFAIL)
    expect(decode(e).questions).toEqual([{ name: "example.com", type: "A", class: "IN" }])
    expect(decode(e).flag_qr).toBe(true)
    const bare = errorAnswer(q, Rcode.FORMERR)
    expect(bare.length).toBe(12)
    expect(rcodeOf(bare)).toBe(Rcode.FORMERR)
  })
})
