import * as dnsPacket from "@dnsquery/dns-packet"
import { describe, expect, it } from "@effect/vitest"
import { blockAnswer, EDE_BLOCKED, EDE_FILTERED, forEachChainName } from "../../src/services/Blocklists/Answer.js"
import { peekQuery, type QueryPeek } from "../../src/services/QueryHandler/Wire.js"
import { a, decode, encode, query } from "../fixtures/Dns.js"

const peekOf = (q: Uint8Array): QueryPeek => {
  const p = peekQuery(q)
  if (typeof p === "number") throw new Error(`not a query: ${p}`)
  return p
}

const optionsOf = (p: dnsPacket.Packet) => ((p.additionals ?? []).find((r) => r.type === "OPT") as unknown as
  | { options: ReadonlyArray<{ code: number; data: Buffer }>; flags: number; udpPayloadSize: number }
  | undefined)

describe("block answers (SPEC.md §7)", () => {
  it("A → 0.0.0.0 and AAAA → :: with the block TTL, the client's ID, RD, CD and question spelling", () => {
    const q = query("Ads.Example", "A", { id: 0xbeef })
    q[3] = q[3]! | 0x10 // CD
    const p = decode(blockAnswer(q, peekOf(q), 42, EDE_FILTERED, "on the blocklist ads"))
    expect(p.id).toBe(0xbeef)
    expect(p.type).toBe("response")
    expect(p.flags! & dnsPacket.RECURSION_DESIRED).toBe(dnsPacket.RECURSION_DESIRED)
    expect(p.flags! & dnsPacket.RECURSION_AVAILABLE).toBe(dnsPacket.RECURSION_AVAILABLE)
    expect(p.flags! & dnsPacket.CHECKING_DISABLED).toBe(dnsPacket.CHECKING_DISABLED)
    expect(p.rcode).toBe("NOERROR")
    expect(p.questions).toEqual([{ name: "Ads.Example", type: "A", class: "IN" }])
    expect(p.answers?.map((r) => [r.name, r.type, r.ttl, r.data])).toEqual([["Ads.Example", "A", 42, "0.0.0.0"]])
    const six = query("ads.example", "AAAA")
    expect(decode(blockAnswer(six, peekOf(six), 7, EDE_FILTERED, "")).answers?.map((r) => r.data)).toEqual(["::"])
  })

  it("other types and classes get NODATA", () => {
    for (const type of ["MX", "TXT", "HTTPS", "CNAME"] as const) {
      const q = query("ads.example", type)
      const p = decode(blockAnswer(q, peekOf(q), 60, EDE_FILTERED, ""))
      expect([p.rcode, p.answers ?? []], type).toEqual(["NOERROR", []])
    }
    const ch = encode({ type: "query", id: 1, questions: [{ type: "A", name: "ads.example", class: "CH" }] })
    expect(decode(blockAnswer(ch, peekOf(ch), 60, EDE_FILTERED, "")).answers ?? []).toEqual([])
  })

  it("a client with EDNS gets an OPT record with the Extended DNS Error and its text, DO echoed", () => {
    const q = query("evil.example", "A", { edns: true, dnssecOk: true })
    const p = decode(blockAnswer(q, peekOf(q), 60, EDE_BLOCKED, "on the denylist"))
    const opt = optionsOf(p)!
    expect(opt.udpPayloadSize).toBe(1232)
    expect(opt.flags & dnsPacket.DNSSEC_OK).toBe(dnsPacket.DNSSEC_OK)
    const ede = opt.options.find((o) => o.code === 15)!
    expect(ede.data.readUInt16BE(0)).toBe(EDE_BLOCKED)
    expect(ede.data.subarray(2).toString("utf8")).toBe("on the denylist")
    const plain = query("evil.example", "A")
    expect(optionsOf(decode(blockAnswer(plain, peekOf(plain), 60, EDE_BLOCKED, "x")))).toBeUndefined()
  })
})

describe("the names of a CNAME chain", () => {
  const names = (msg: Uint8Array) => {
    const out: Array<string> = []
    forEachChainName(msg, (offset) => {
      const labels: Array<string> = []
      let at = offset
      for (let hops = 0; hops < 20; hops++) {
        const len = msg[at]!
        if (len === 0) break
        if ((len & 0xc0) === 0xc0) {
          at = ((len & 0x3f) << 8) | msg[at + 1]!
          continue
        }
        labels.push(Buffer.from(msg.subarray(at + 1, at + 1 + len)).toString("latin1"))
        at += len + 1
      }
      out.push(labels.join("."))
    })
    return out
  }

  it("visits every owner and every CNAME/DNAME target of the answer section, compressed names followed", () => {
    const answer = encode({
      type: "response",
      id: 1,
      questions: [{ type: "A", name: "metrics.shop.example" }],
      answers: [
        { type: "CNAME", name: "metrics.shop.example", ttl: 60, data: "edge.tracker.test" },
        { type: "CNAME", name: "edge.tracker.test", ttl: 60, data: "x.cdn.test" },
        a("x.cdn.test", "192.0.2.1", 60)
      ],
      authorities: [{ type: "NS", name: "cdn.test", ttl: 60, data: "ns.hidden.test" }]
    })
    expect(names(answer)).toEqual([
      "metrics.shop.example",
      "edge.tracker.test",
      "edge.tracker.test",
      "x.cdn.test",
      "x.cdn.test"
    ])
  })

  it("stops quietly at a malformed record", () => {
    const answer = encode({
      type: "response",
      id: 1,
      questions: [{ type: "A", name: "a.test" }],
      answers: [a("a.test", "192.0.2.1", 60), a("b.test", "192.0.2.2", 60)]
    })
    for (let cut = 0; cut < answer.length; cut++) {
      expect(() => forEachChainName(answer.subarray(0, cut), () => {})).not.toThrow()
    }
    expect(names(answer.subarray(0, answer.length - 3))).toEqual(["a.test"])
  })
})
