/**
 * Fuzzing the PROXY protocol header parser (`services/ProxyProtocol.ts`: v1 text, v2 binary, and the
 * `X-Forwarded-For` walk) with fast-check, over arbitrary bytes and mutated valid v1/v2 headers.
 * FUZZ_RUNS (default 1000) sets the runs per property, FUZZ_SEED replays a failure: see ./Fuzz.ts.
 * Corpus, replayed every run: test/fuzz/corpus/proxy.json (hex).
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as net from "node:net"
import {
  forwardedClient,
  ipv6,
  MAX_V1_HEADER,
  MAX_V2_HEADER,
  parseProxyHeader,
  PROXY_INVALID_REASONS,
  type ProxyParse
} from "../../src/services/ProxyProtocol.js"
import { parseCidr } from "../../src/services/ServerConfig.js"
import { type BytesEntry, bytesInput, bytesOf, corpus, fuzz, TEST_TIMEOUT_MS } from "./Fuzz.js"

const SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a])

/** RFC 5952 text of 16 bytes, as the WHATWG URL parser writes an IPv6 host (an independent encoder). */
const canonical6 = (b: Uint8Array): string => {
  const groups = Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16))
  return new URL(`http://[${groups.join(":")}]/`).hostname.slice(1, -1)
}

const isPort = (p: number) => Number.isInteger(p) && p >= 0 && p <= 65535

/** What holds of `parseProxyHeader` for any bytes. */
const checkParse = (bytes: Uint8Array): ProxyParse => {
  const result = parseProxyHeader(bytes)
  if (result._tag === "Invalid") expect(PROXY_INVALID_REASONS).toContain(result.reason)
  if (result._tag !== "Done") return result
  const { consumed, header } = result
  expect(consumed).toBeLessThanOrEqual(bytes.length)
  if (header.version === 1) {
    expect(consumed).toBeLessThanOrEqual(MAX_V1_HEADER)
    expect(Buffer.from(bytes.subarray(0, 6)).toString("latin1")).toBe("PROXY ")
    expect([bytes[consumed - 2], bytes[consumed - 1]]).toEqual([0x0d, 0x0a])
  } else {
    expect(consumed).toBeGreaterThanOrEqual(16)
    expect(consumed).toBeLessThanOrEqual(MAX_V2_HEADER)
    expect(consumed).toBe(16 + ((bytes[14]! << 8) | bytes[15]!))
  }
  expect(header.source === undefined).toBe(header.destination === undefined)
  for (const a of [header.source, header.destination]) {
    if (a === undefined) continue
    expect(net.isIP(a.address)).not.toBe(0)
    expect(isPort(a.port)).toBe(true)
  }
  return result
}

/** A header split anywhere reads as `Need` until the split holds what decided the whole. */
const checkPrefixes = (bytes: Uint8Array, cut: number) => {
  const whole = checkParse(bytes)
  const prefix = bytes.subarray(0, cut % (bytes.length + 1))
  const part = checkParse(prefix)
  if (part._tag !== "Need") expect(part).toEqual(whole)
}

// ---------------------------------------------------------------------------------------------------------
// Valid headers

interface Endpoints {
  readonly six: boolean
  readonly src: Uint8Array
  readonly dst: Uint8Array
  readonly sport: number
  readonly dport: number
}

const endpoints: fc.Arbitrary<Endpoints> = fc.boolean().chain((six) =>
  fc.record({
    six: fc.constant(six),
    src: fc.uint8Array({ minLength: six ? 16 : 4, maxLength: six ? 16 : 4 }),
    dst: fc.uint8Array({ minLength: six ? 16 : 4, maxLength: six ? 16 : 4 }),
    sport: fc.integer({ min: 0, max: 65535 }),
    dport: fc.integer({ min: 0, max: 65535 })
  })
)

const text = (e: Endpoints, b: Uint8Array) => (e.six ? canonical6(b) : [...b].join("."))

const v1Line = (e: Endpoints) =>
  Buffer.from(`PROXY ${e.six ? "TCP6" : "TCP4"} ${text(e, e.src)} ${text(e, e.dst)} ${e.sport} ${e.dport}\r\n`)

const v2Header = (e: Endpoints | undefined, local: boolean, tlvs: Uint8Array): Buffer => {
  const addresses = e === undefined
    ? Buffer.alloc(0)
    : Buffer.concat([e.src, e.dst, Buffer.from([e.sport >> 8, e.sport & 255, e.dport >> 8, e.dport & 255])])
  const length = addresses.length + tlvs.length
  return Buffer.concat([
    SIGNATURE,
    Buffer.from([local ? 0x20 : 0x21, e === undefined ? 0x00 : e.six ? 0x21 : 0x11, length >> 8, length & 255]),
    addresses,
    tlvs
  ])
}

const tlvs = fc.array(
  fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 40 })).map(([type, value]) =>
    Buffer.concat([Buffer.from([type, value.length >> 8, value.length & 255]), value])
  ),
  { maxLength: 4 }
).map((parts) => Buffer.concat(parts))

const tail = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.constant(Buffer.from("160301", "hex")) // the start of a TLS ClientHello
)

const validV1 = endpoints.map(v1Line)
const unknownV1 = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 110
})
  .map((rest) => Buffer.from(`PROXY UNKNOWN${rest}\r\n`))
const validV2 = fc.tuple(fc.option(endpoints, { nil: undefined }), fc.boolean(), tlvs).map(([e, local, t]) =>
  v2Header(e, local, t)
)

const seeds = corpus<BytesEntry>("proxy").map(bytesOf)
const anyHeader = fc.oneof(validV1, unknownV1, validV2)

describe("fuzz: PROXY header parser", () => {
  it("replays the corpus, split at every byte", () => {
    for (const bytes of seeds) for (let cut = 0; cut <= bytes.length; cut++) checkPrefixes(bytes, cut)
  })

  it("regression: a v1 line of 108 bytes (its CR at index 106) is Oversized, not a header", () => {
    // found by the fuzzer: the CR was looked for up to index 106, so a line one byte over the limit passed
    const over = Buffer.from(`PROXY UNKNOWN ${"x".repeat(92)}\r\n`)
    expect(over.length).toBe(MAX_V1_HEADER + 1)
    expect(parseProxyHeader(over)).toEqual({ _tag: "Invalid", reason: "Oversized" })
    expect(parseProxyHeader(over.subarray(0, 107))).toEqual({ _tag: "Invalid", reason: "Oversized" })
    expect(parseProxyHeader(over.subarray(0, 106))).toEqual({ _tag: "Need" })
    const max = Buffer.from(`PROXY UNKNOWN ${"x".repeat(91)}\r\n`)
    expect(parseProxyHeader(max)).toMatchObject({ _tag: "Done", consumed: MAX_V1_HEADER })
  })

  it("reads a valid v1 line with what follows it: addresses, ports, and where the stream goes on", async () => {
    await fuzz(fc.tuple(endpoints, tail, fc.nat()), ([e, rest, cut]) => {
      const line = v1Line(e)
      const bytes = Buffer.concat([line, rest])
      expect(checkParse(bytes)).toEqual({
        _tag: "Done",
        consumed: line.length,
        header: {
          version: 1,
          command: "PROXY",
          source: { address: text(e, e.src), port: e.sport },
          destination: { address: text(e, e.dst), port: e.dport }
        }
      })
      expect(checkParse(line.subarray(0, cut % line.length))).toEqual({ _tag: "Need" })
    })
  }, TEST_TIMEOUT_MS)

  it("reads a valid v2 header with TLVs and what follows it", async () => {
    await fuzz(
      fc.tuple(fc.option(endpoints, { nil: undefined }), fc.boolean(), tlvs, tail, fc.nat()),
      ([e, local, t, rest, cut]) => {
        const header = v2Header(e, local, t)
        const bytes = Buffer.concat([header, rest])
        const result = checkParse(bytes)
        const fits = header.length <= MAX_V2_HEADER
        if (!fits) {
          expect(result).toEqual({ _tag: "Invalid", reason: "Oversized" })
          return
        }
        expect(result).toEqual({
          _tag: "Done",
          consumed: header.length,
          header: local
            ? { version: 2, command: "LOCAL" }
            : e === undefined
            ? { version: 2, command: "PROXY" }
            : {
              version: 2,
              command: "PROXY",
              source: { address: text(e, e.src), port: e.sport },
              destination: { address: text(e, e.dst), port: e.dport }
            }
        })
        expect(checkParse(header.subarray(0, cut % header.length))).toEqual({ _tag: "Need" })
      }
    )
  }, TEST_TIMEOUT_MS)

  it("parses arbitrary and mutated headers to a documented result, the same for any prefix that decides", async () => {
    await fuzz(fc.tuple(bytesInput(anyHeader, seeds, [6, 12, 13, 14, 15]), fc.nat()), ([bytes, cut]) => {
      checkPrefixes(bytes, cut)
    })
  }, TEST_TIMEOUT_MS)

  it("writes any 16 bytes as RFC 5952 IPv6 text", async () => {
    await fuzz(
      fc.oneof(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        // runs of zero groups of every length and place
        fc.array(fc.constantFrom(0, 0, 0, 1, 0xffff), { minLength: 8, maxLength: 8 }).map((groups) =>
          Uint8Array.from(groups.flatMap((g) => [g >> 8, g & 255]))
        )
      ),
      (bytes) => {
        expect(ipv6(bytes)).toBe(canonical6(bytes))
      }
    )
  }, TEST_TIMEOUT_MS)

  it("takes the X-Forwarded-For client from a readable entry or the peer, never from made-up text", async () => {
    const trusted = ["10.0.0.0/8", "::1/128", "127.0.0.1/32"].map((c) => parseCidr(c)!)
    const entry = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.ipV4().map((a) => `${a}:443`),
      fc.ipV6().map((a) => `[${a}]:443`),
      fc.constantFrom("10.1.2.3", "unknown", "", " ", "[::1", "1.2.3.4:x", "[::1]:"),
      fc.string({ maxLength: 20 })
    )
    const header = fc.oneof(
      fc.array(entry, { maxLength: 5 }).map((es) => es.join(",")),
      fc.array(fc.array(entry, { maxLength: 3 }).map((es) => es.join(", ")), { maxLength: 3 })
    )
    await fuzz(
      fc.tuple(fc.constantFrom("10.0.0.1", "127.0.0.1", "192.0.2.1", undefined), header),
      ([peer, xff]) => {
        const client = forwardedClient(peer, xff, trusted)
        if (client !== peer) expect(net.isIP(client!)).not.toBe(0)
      }
    )
  }, TEST_TIMEOUT_MS)
})
