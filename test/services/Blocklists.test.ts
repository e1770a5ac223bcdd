import * as dnsPacket from "@dnsquery/dns-packet"
import { describe, expect, it } from "vitest"
import { compile, MAX_LISTS } from "../../src/services/Blocklists/Compiled.js"
import { makeListParser, normalizeName, parseList } from "../../src/services/Blocklists/Parse.js"

describe("Blocklist parsing", () => {
  it("reads hosts files: any address first, several names a line, inline comments", () => {
    const result = parseList(
      [
        "# a hosts file",
        "127.0.0.1 localhost",
        "0.0.0.0 ads.example.com",
        "0.0.0.0\ttracker.example.net   pixel.example.net # inline comment",
        ":: v6.example.org",
        "::1 ip6-localhost ip6-loopback",
        "0.0.0.0 commented.example#no space",
        "",
        "   ",
        "0.0.0.0"
      ].join("\n")
    )
    expect(result.names).toEqual([
      "localhost",
      "ads.example.com",
      "tracker.example.net",
      "pixel.example.net",
      "v6.example.org",
      "ip6-localhost",
      "ip6-loopback",
      "commented.example"
    ])
    expect(result.invalid).toBe(1)
    expect(result.skipped).toBe(0)
  })

  it("reads one domain a line, with CRLF line ends", () => {
    const result = parseList("ads.example.com\r\n! comment\r\nTracker.Example.NET.\r\nlast.example")
    expect(result.names).toEqual(["ads.example.com", "tracker.example.net", "last.example"])
    expect(result.invalid).toBe(0)
  })

  it("reads adblock `||name^` and skips every other adblock rule", () => {
    const result = parseList(
      [
        "[Adblock Plus 2.0]",
        "! Title: test",
        "||ads.example.com^",
        "||UPPER.example.org^",
        "@@||allowed.example.com^",
        "example.com##.banner",
        "##div > a.ad",
        "example.com#@#.ad",
        "||example.com/ads/*",
        "||third.example^$third-party",
        "|https://example.com/x",
        "/banner[0-9]+/",
        "ads.example^",
        "||bad_char!.example^"
      ].join("\n")
    )
    expect(result.names).toEqual(["ads.example.com", "upper.example.org"])
    // a line starting `#` is a comment even when it is a cosmetic rule (`##div`): ignored, not counted
    expect(result.skipped).toBe(9)
    expect(result.invalid).toBe(1)
  })

  it("normalizes case, trailing dots, IDN and punycode; rejects what is not a host name", () => {
    expect(normalizeName("WWW.Example.COM.")).toBe("www.example.com")
    expect(normalizeName("bücher.example")).toBe("xn--bcher-kva.example")
    expect(normalizeName("BÜCHER.example.")).toBe("xn--bcher-kva.example")
    expect(normalizeName("xn--bcher-kva.example")).toBe("xn--bcher-kva.example")
    expect(normalizeName("例え.テスト")).toBe("xn--r8jz45g.xn--zckzah")
    expect(normalizeName("a..b")).toBeUndefined()
    expect(normalizeName(".a")).toBeUndefined()
    expect(normalizeName("a.b..")).toBeUndefined()
    expect(normalizeName("*.example.com")).toBeUndefined()
    expect(normalizeName("bad/char.example")).toBeUndefined()
    expect(normalizeName(`${"a".repeat(64)}.example`)).toBeUndefined()
    expect(normalizeName(`${"a".repeat(63)}.example`)).toBe(`${"a".repeat(63)}.example`)
    const long = Array.from({ length: 4 }, () => "a".repeat(63)).join(".") // 255 characters
    expect(normalizeName(long)).toBeUndefined()
    expect(normalizeName(long.slice(0, 253))).toBe(long.slice(0, 253))
    expect(normalizeName("")).toBeUndefined()
    expect(normalizeName(".")).toBeUndefined()
  })

  it("counts hostile lines as invalid without failing: non-ASCII junk, 1 MB lines", () => {
    const huge = "a".repeat(1 << 20)
    const manyNames = `0.0.0.0 ${"x.example ".repeat(100_000)}`
    const result = parseList(
      [
        "ok.example",
        huge,
        `0.0.0.0 ${huge}`,
        `||${huge}^`,
        `# ${huge}`,
        "\u0000\u0001.example",
        "💩💩💩", // valid IDNA (xn--ls8haa) for Node's UTS #46: kept
        "two words",
        manyNames,
        "after.example"
      ].join("\n")
    )
    expect(result.names[0]).toBe("ok.example")
    expect(result.names.at(-1)).toBe("after.example")
    expect(result.names).toContain("xn--ls8haa")
    expect(result.names.length).toBe(3 + 100_000)
    // huge ×3, control characters, "two words"; the emoji name is valid IDN punycode or invalid, either is fine
    expect(result.invalid).toBeGreaterThanOrEqual(5)
  })

  it("parses the same when the text arrives in chunks split anywhere", () => {
    const text = "0.0.0.0 a.example b.example\n||c.example^\n# c\nd.example\r\ne.example"
    const whole = parseList(text)
    for (const size of [1, 2, 3, 7]) {
      const parser = makeListParser()
      for (let i = 0; i < text.length; i += size) parser.push(text.slice(i, i + size))
      expect(parser.end()).toEqual(whole)
    }
    expect(whole.names).toEqual(["a.example", "b.example", "c.example", "d.example", "e.example"])
  })
})

const wire = (name: string): { readonly message: Uint8Array; readonly offset: number } => {
  const message = dnsPacket.encode({ type: "query", id: 1, questions: [{ type: "A", class: "IN", name }] })
  return { message, offset: 12 }
}

describe("Compiled blocklists", () => {
  const lists = compile([
    { name: "ads", names: ["ads.example.com", "tracker.example.net", "shared.example"] },
    { name: "malware", names: parseList("0.0.0.0 evil.example\n0.0.0.0 shared.example\n||Bücher.example^").names },
    { name: "social", names: ["social.example", "shared.example", "com.invalid..", "SOCIAL.example."] }
  ])

  it("matches exact names and parent domains, not siblings or look-alikes", () => {
    const ads = lists.maskOf(["ads"])
    expect(lists.lookup("ads.example.com")).toBe(ads)
    expect(lists.lookup("x.ads.example.com")).toBe(ads)
    expect(lists.lookup("a.b.c.ads.example.com")).toBe(ads)
    expect(lists.lookup("example.com")).toBe(0)
    expect(lists.lookup("badads.example.com")).toBe(0)
    expect(lists.lookup("ads.example.com.evil")).toBe(0)
    expect(lists.lookup("com")).toBe(0)
    expect(lists.lookup("not-listed.example")).toBe(0)
    expect(lists.lookup("")).toBe(0)
    expect(lists.lookup(".")).toBe(0)
  })

  it("gives the mask of every list holding the name or a parent", () => {
    const all = lists.maskOf(["ads", "malware", "social"])
    expect(all).toBe(0b111)
    expect(lists.lookup("shared.example")).toBe(all)
    expect(lists.lookup("deep.in.shared.example")).toBe(all)
    expect(lists.lookup("evil.example")).toBe(lists.maskOf(["malware"]))
    expect(lists.lookup("social.example")).toBe(lists.maskOf(["social"]))
    expect(lists.listsOf(lists.lookup("x.shared.example"))).toEqual(["ads", "malware", "social"])
    expect(lists.maskOf(["social", "nope"])).toBe(0b100)
    expect(lists.unknownOf(["social", "nope"])).toEqual(["nope"])
    expect(lists.size).toBe(6)
    expect(lists.listSizes).toEqual([3, 3, 2])
    expect(lists.invalid).toBe(1)
  })

  it("ignores case and one trailing dot; finds IDN names in either form", () => {
    expect(lists.lookup("ADS.Example.COM.")).toBe(lists.maskOf(["ads"]))
    expect(lists.lookup("Sub.Tracker.Example.Net")).toBe(lists.maskOf(["ads"]))
    expect(lists.lookup("xn--bcher-kva.example")).toBe(lists.maskOf(["malware"]))
    expect(lists.lookup("www.bücher.example")).toBe(lists.maskOf(["malware"]))
  })

  it("looks names up in wire format, compression pointers included", () => {
    for (
      const name of ["x.ads.example.com", "ADS.EXAMPLE.COM", "shared.example", "example.com", "badads.example.com"]
    ) {
      const { message, offset } = wire(name)
      expect(lists.lookupWire(message, offset)).toBe(lists.lookup(name))
    }
    // a CNAME target written as `3 cdn` + a pointer to `ads.example.com` earlier in the message
    const owner = Buffer.from([3, ...Buffer.from("ads"), 7, ...Buffer.from("example"), 3, ...Buffer.from("com"), 0])
    const compressed = Buffer.concat([Buffer.alloc(12), owner, Buffer.from([3, ...Buffer.from("CDN"), 0xc0, 12])])
    const target = 12 + owner.length
    expect(lists.lookupWire(compressed, target)).toBe(lists.maskOf(["ads"]))
    expect(lists.lookupWire(compressed, 12 + 4)).toBe(0) // example.com
    // a pointer forward (or to itself) is refused, never followed round a loop
    expect(lists.lookupWire(Buffer.from([0xc0, 0x00]), 0)).toBe(0)
    expect(lists.lookupWire(Buffer.from([1, 0x61, 0xc0, 0x04, 0xc0, 0x00]), 0)).toBe(0)
    expect(lists.lookupWire(new Uint8Array([3, 0x61, 0x62]), 0)).toBe(0)
    expect(lists.lookupWire(new Uint8Array([0xc0, 0x00]), 0)).toBe(0)
    // a dot inside a wire label is not a label boundary
    const dotted = new Uint8Array([15, ...Buffer.from("ads.example.com"), 0])
    expect(lists.lookupWire(dotted, 0)).toBe(0)
  })

  it("refuses more than 32 lists and duplicate list names", () => {
    const many = Array.from({ length: MAX_LISTS + 1 }, (_, i) => ({ name: `l${i}`, names: [] }))
    expect(() => compile(many)).toThrow(RangeError)
    expect(() => compile([{ name: "a", names: [] }, { name: "a", names: [] }])).toThrow(RangeError)
    const top = compile(many.slice(0, MAX_LISTS).map((list, i) => ({ ...list, names: [`n${i}.example`] })))
    expect(top.lookup("n31.example")).toBe(0x80000000)
    expect(top.lookup("n0.example")).toBe(1)
  })

  it("compiles 1,000,000 generated names correctly", () => {
    const n = 1_000_000
    const name = (i: number): string => `h${(i * 2654435761) >>> 0}.d${i % 1000}.example`
    const names = Array.from({ length: n }, (_, i) => name(i))
    const big = compile([{ name: "big", names }, { name: "small", names: names.slice(0, 10) }])
    expect(big.size).toBe(n)
    for (const i of [0, 5, 9, 10, 123_456, n - 1]) {
      expect(big.lookup(name(i))).toBe(i < 10 ? 0b11 : 0b01)
      expect(big.lookup(`www.${name(i)}`)).toBe(i < 10 ? 0b11 : 0b01)
    }
    expect(big.lookup(`d0.example`)).toBe(0)
    expect(big.lookup(name(n))).toBe(0)
    expect(big.lookup("example")).toBe(0)
  })
})
