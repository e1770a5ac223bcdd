import { describe, expect, it } from "@effect/vitest"
import {
  forwardedClient,
  ipv6,
  MAX_V2_HEADER,
  parseProxyHeader,
  type ProxyParse
} from "../../src/services/ProxyProtocol.js"
import { parseCidr } from "../../src/services/ServerConfig.js"
import { SIGNATURE, v1, v2 } from "../fixtures/ProxyHeader.js"

const TLS_HELLO_START = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
const after = Buffer.concat([TLS_HELLO_START, Buffer.from("rest of the hello")])

/** Every prefix shorter than the header is Need; the whole header (with what follows) is the result. */
const everyBoundary = (header: Buffer): ProxyParse => {
  const stream = Buffer.concat([header, after])
  for (let n = 0; n < header.length; n++) {
    expect(parseProxyHeader(stream.subarray(0, n)), `prefix of ${n} bytes`).toEqual({ _tag: "Need" })
  }
  const done = parseProxyHeader(stream)
  expect(done._tag).toBe("Done")
  if (done._tag === "Done") {
    expect(done.consumed).toBe(header.length)
    // exactly the header and nothing more
    expect(parseProxyHeader(header)).toEqual(done)
  }
  return done
}

describe("PROXY protocol v1", () => {
  it("TCP4 split at every byte boundary", () => {
    const r = everyBoundary(v1("192.0.2.7", "198.51.100.1", 51234, 853))
    expect(r).toMatchObject({
      header: {
        version: 1,
        command: "PROXY",
        source: { address: "192.0.2.7", port: 51234 },
        destination: { address: "198.51.100.1", port: 853 }
      }
    })
  })

  it("TCP6 split at every byte boundary", () => {
    const r = everyBoundary(v1("2001:db8::7", "2001:db8::1", 40000, 853))
    expect(r).toMatchObject({ header: { source: { address: "2001:db8::7", port: 40000 } } })
  })

  it("UNKNOWN: no address, the peer's own is used", () => {
    const r = everyBoundary(Buffer.from("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"))
    expect(r).toMatchObject({ header: { version: 1, command: "PROXY" } })
    expect(r._tag === "Done" && r.header.source).toBe(undefined)
    expect(parseProxyHeader(Buffer.from("PROXY UNKNOWN\r\n"))._tag).toBe("Done")
  })

  it("malformed lines are Invalid", () => {
    for (
      const line of [
        "PROXY TCP4 192.0.2.7 198.51.100.1 51234\r\n",
        "PROXY TCP4 2001:db8::1 198.51.100.1 1 2\r\n",
        "PROXY TCP6 192.0.2.7 198.51.100.1 1 2\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 1 70000\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 -1 2\r\n",
        "PROXY UDP4 192.0.2.7 198.51.100.1 1 2\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 1 2\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 1 2\rX",
        "PROXY TCP4 192.0.2.7\u0000198.51.100.1 1 2\r\n"
      ]
    ) {
      expect(parseProxyHeader(Buffer.from(line, "latin1")), JSON.stringify(line)).toEqual({
        _tag: "Invalid",
        reason: "Malformed"
      })
    }
  })

  it("no CRLF within 107 bytes is Oversized", () => {
    const long = Buffer.from(`PROXY UNKNOWN ${"x".repeat(100)}`)
    expect(parseProxyHeader(long.subarray(0, 106))).toEqual({ _tag: "Need" })
    expect(parseProxyHeader(long.subarray(0, 107))).toEqual({ _tag: "Invalid", reason: "Oversized" })
    // 107 bytes with the CRLF is still a header
    const max = Buffer.from(`PROXY UNKNOWN ${"x".repeat(91)}\r\n`)
    expect(max.length).toBe(107)
    expect(parseProxyHeader(max)).toMatchObject({ _tag: "Done", consumed: 107 })
  })
})

describe("PROXY protocol v2", () => {
  it("TCP over IPv4 split at every byte boundary", () => {
    const r = everyBoundary(v2({ address: "192.0.2.7", port: 51234 }, { address: "198.51.100.1", port: 853 }))
    expect(r).toMatchObject({
      header: {
        version: 2,
        command: "PROXY",
        source: { address: "192.0.2.7", port: 51234 },
        destination: { address: "198.51.100.1", port: 853 }
      }
    })
  })

  it("TCP over IPv6 split at every byte boundary", () => {
    const r = everyBoundary(v2({ address: "2001:db8::7", port: 1 }, { address: "::1", port: 65535 }))
    expect(r).toMatchObject({
      header: { source: { address: "2001:db8::7", port: 1 }, destination: { address: "::1", port: 65535 } }
    })
  })

  it("TLVs are skipped, at every byte boundary", () => {
    const header = v2({ address: "192.0.2.7", port: 5 }, { address: "192.0.2.8", port: 853 }, {
      tlvs: [[0x01, Buffer.from("dot")], [0x02, Buffer.from("dns.example")], [0x04, Buffer.alloc(0)], [
        0x20,
        Buffer.alloc(120, 1)
      ]]
    })
    expect(header.length).toBeGreaterThan(16 + 12 + 120)
    expect(everyBoundary(header)).toMatchObject({ header: { source: { address: "192.0.2.7", port: 5 } } })
  })

  it("LOCAL: no address, even with an address block and TLVs", () => {
    expect(everyBoundary(v2(undefined, undefined, { command: "LOCAL" }))).toMatchObject({
      header: { version: 2, command: "LOCAL" }
    })
    const withAddr = everyBoundary(
      v2({ address: "192.0.2.7", port: 5 }, { address: "192.0.2.8", port: 6 }, {
        command: "LOCAL",
        tlvs: [[0x05, Buffer.from("id")]]
      })
    )
    expect(withAddr).toMatchObject({ header: { command: "LOCAL" } })
    expect(withAddr._tag === "Done" && withAddr.header.source).toBe(undefined)
  })

  it("oversized length is refused as soon as the length field is in", () => {
    const big = v2({ address: "192.0.2.7", port: 5 }, { address: "192.0.2.8", port: 6 }, {
      length: MAX_V2_HEADER - 16 + 1
    })
    expect(parseProxyHeader(big.subarray(0, 16))).toEqual({ _tag: "Invalid", reason: "Oversized" })
    const fits = v2({ address: "192.0.2.7", port: 5 }, { address: "192.0.2.8", port: 6 }, {
      tlvs: [[0xe0, Buffer.alloc(MAX_V2_HEADER - 16 - 12 - 3)]]
    })
    expect(fits.length).toBe(MAX_V2_HEADER)
    expect(parseProxyHeader(fits)).toMatchObject({ _tag: "Done", consumed: MAX_V2_HEADER })
  })

  it("bad version, command, family or a length shorter than the addresses is Malformed", () => {
    const good = v2({ address: "192.0.2.7", port: 5 }, { address: "192.0.2.8", port: 6 })
    const patch = (at: number, value: number) => {
      const b = Buffer.from(good)
      b[at] = value
      return parseProxyHeader(b)
    }
    expect(patch(12, 0x11)).toEqual({ _tag: "Invalid", reason: "Malformed" })
    expect(patch(12, 0x22)).toEqual({ _tag: "Invalid", reason: "Malformed" })
    expect(patch(13, 0x41)).toEqual({ _tag: "Invalid", reason: "Malformed" })
    expect(patch(15, 11)).toEqual({ _tag: "Invalid", reason: "Malformed" })
    // UDP and UNIX sockets are no DoT clients
    expect(patch(13, 0x12)).toEqual({ _tag: "Invalid", reason: "Unsupported" })
  })
})

describe("early rejection", () => {
  it("a TLS ClientHello is not a header from its first byte", () => {
    expect(parseProxyHeader(TLS_HELLO_START.subarray(0, 1))).toEqual({ _tag: "Invalid", reason: "NoHeader" })
  })

  it("garbage is rejected at the first byte that matches neither signature", () => {
    expect(parseProxyHeader(Buffer.from("GET / HTTP/1.1\r\n"))).toEqual({ _tag: "Invalid", reason: "NoHeader" })
    expect(parseProxyHeader(Buffer.from("PROX"))).toEqual({ _tag: "Need" })
    expect(parseProxyHeader(Buffer.from("PROXX"))).toEqual({ _tag: "Invalid", reason: "NoHeader" })
    expect(parseProxyHeader(Buffer.from("PROXYTCP4"))).toEqual({ _tag: "Invalid", reason: "NoHeader" })
    expect(parseProxyHeader(SIGNATURE.subarray(0, 11))).toEqual({ _tag: "Need" })
    const almost = Buffer.from(SIGNATURE)
    almost[11] = 0
    expect(parseProxyHeader(almost)).toEqual({ _tag: "Invalid", reason: "NoHeader" })
    expect(parseProxyHeader(Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x01]))).toEqual({
      _tag: "Invalid",
      reason: "NoHeader"
    })
  })

  it("random bytes never throw", () => {
    let seed = 7
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(Array.from({ length: 1 + (i % 600) }, next))
      if (i % 3 === 0) SIGNATURE.copy(b)
      if (i % 3 === 1) b.write("PROXY ", "latin1")
      expect(["Need", "Done", "Invalid"]).toContain(parseProxyHeader(b)._tag)
    }
  })
})

describe("ipv6 text", () => {
  it("is RFC 5952", () => {
    const b = (s: string) => Buffer.from(s.replaceAll(":", ""), "hex")
    expect(ipv6(b("2001:0db8:0000:0000:0000:0000:0000:0001"))).toBe("2001:db8::1")
    expect(ipv6(b("0000:0000:0000:0000:0000:0000:0000:0001"))).toBe("::1")
    expect(ipv6(b("0000:0000:0000:0000:0000:0000:0000:0000"))).toBe("::")
    expect(ipv6(b("2001:0db8:0000:0001:0000:0000:0000:0001"))).toBe("2001:db8:0:1::1")
    expect(ipv6(b("2001:0db8:0000:0001:0001:0001:0001:0001"))).toBe("2001:db8:0:1:1:1:1:1")
    expect(ipv6(b("fe80:0000:0000:0001:0000:0000:0000:0000"))).toBe("fe80:0:0:1::")
  })
})

describe("X-Forwarded-For", () => {
  const trusted = ["127.0.0.0/8", "10.0.0.0/8", "::1/128"].map((c) => parseCidr(c)!)
  const table: ReadonlyArray<
    readonly [string, string | undefined, string | ReadonlyArray<string> | undefined, string | undefined]
  > = [
    ["untrusted peer: header ignored", "203.0.113.9", "198.51.100.1", "203.0.113.9"],
    ["trusted peer, no header", "127.0.0.1", undefined, "127.0.0.1"],
    ["one hop", "127.0.0.1", "198.51.100.1", "198.51.100.1"],
    ["right-most untrusted wins over a spoofed left part", "127.0.0.1", "6.6.6.6, 198.51.100.1", "198.51.100.1"],
    ["trusted hops skipped", "127.0.0.1", "198.51.100.1, 10.1.2.3, 10.0.0.9", "198.51.100.1"],
    ["several header lines", "10.0.0.1", ["6.6.6.6", "198.51.100.1, 10.0.0.2"], "198.51.100.1"],
    ["all trusted: the left-most", "127.0.0.1", "10.0.0.5, 10.0.0.6", "10.0.0.5"],
    ["garbage stops at the last trusted hop", "127.0.0.1", "198.51.100.1, unknown, 10.0.0.6", "10.0.0.6"],
    ["garbage right-most: the peer", "127.0.0.1", "198.51.100.1, not-an-ip", "127.0.0.1"],
    ["IPv6 and ports", "::1", "[2001:db8::5]:443, 192.0.2.1:8080", "192.0.2.1"],
    ["bracketed IPv6", "::1", "[2001:db8::5]", "2001:db8::5"],
    ["IPv4-mapped peer is trusted", "::ffff:127.0.0.1", "192.0.2.1", "192.0.2.1"],
    ["empty header", "127.0.0.1", "", "127.0.0.1"],
    ["no peer", undefined, "192.0.2.1", undefined]
  ]
  for (const [name, peer, xff, expected] of table) {
    it(name, () => expect(forwardedClient(peer, xff, trusted)).toBe(expected))
  }
})
