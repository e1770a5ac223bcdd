/**
 * Fuzzing the DNS decode path of the hot path (`QueryHandler/Wire.ts`: the query peek, the upstream query
 * built from it, the answer walk, error answers) and the upstream answer check (`Upstream/Tcp.ts`) with
 * fast-check, over arbitrary bytes and mutated valid messages encoded by `@dnsquery/dns-packet`.
 * FUZZ_RUNS (default 1000) sets the runs per property, FUZZ_SEED replays a failure: see ./Fuzz.ts.
 * Corpus, replayed every run: test/fuzz/corpus/queries.json and test/fuzz/corpus/answers.json (hex).
 */
import * as dnsPacket from "@dnsquery/dns-packet"
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import {
  errorAnswer,
  HEADER_LEN,
  inspectAnswer,
  peekQuery,
  type QueryPeek,
  Rcode,
  upstreamQuery,
  writeTtls
} from "../../src/services/QueryHandler/Wire.js"
import { isAnswerTo, questionEndOf } from "../../src/services/Upstream/Tcp.js"
import { type BytesEntry, bytesInput, bytesOf, corpus, fuzz, TEST_TIMEOUT_MS } from "./Fuzz.js"
import { answerSpec, DNS_HOT, encodeAnswer, encodeQuery, querySpec, validAnswer, validQuery } from "./Messages.js"

const u16 = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!

/** Walks the question name the way RFC 1035 writes it; the offset after it, or -1. */
const questionNameEnd = (msg: Uint8Array): number => {
  let off = HEADER_LEN
  while (off < msg.length && msg[off]! !== 0) {
    if (msg[off]! > 63) return -1
    off += msg[off]! + 1
  }
  return off < msg.length ? off + 1 : -1
}

/** What holds of `peekQuery(msg)` for any bytes: a documented failure, or a question inside the buffer. */
const checkPeek = (msg: Uint8Array): QueryPeek | number => {
  const peek = peekQuery(msg)
  if (typeof peek === "number") {
    expect([-1, Rcode.FORMERR, Rcode.NOTIMP]).toContain(peek)
    if (msg.length < HEADER_LEN || (msg[2]! & 0x80) !== 0) expect(peek).toBe(-1)
    // the answer sent back for a FORMERR/NOTIMP: a bare header with the client's ID and that rcode
    if (peek > 0) {
      const answer = errorAnswer(msg, peek)
      expect(answer.length).toBe(HEADER_LEN)
      const decoded = dnsPacket.packet.decode(answer)
      expect(decoded.id).toBe(u16(msg, 0))
      expect(decoded.rcode).toBe(peek === Rcode.FORMERR ? "FORMERR" : "NOTIMP")
    }
    return peek
  }
  // the question lies inside the buffer, ends where its name (at most 255 octets) plus type and class end
  const nameEnd = questionNameEnd(msg)
  expect(nameEnd).toBeGreaterThan(HEADER_LEN)
  expect(nameEnd - HEADER_LEN).toBeLessThanOrEqual(255)
  expect(peek.questionEnd).toBe(nameEnd + 4)
  expect(peek.questionEnd).toBeLessThanOrEqual(msg.length)
  expect(peek.qtype).toBe(u16(msg, nameEnd))
  expect(questionEndOf(msg)).toBe(peek.questionEnd)
  if (peek.dnssecOk) expect(peek.edns).toBe(true)

  // the query sent upstream is itself a query with the same key, and the codec reads it
  const up = upstreamQuery(msg, peek, 0xabcd)
  const again = peekQuery(up)
  if (typeof again === "number") throw new Error(`upstream query unreadable: ${again}`)
  expect(again).toEqual(peek)
  const decoded = dnsPacket.packet.decode(up)
  expect(decoded.id).toBe(0xabcd)
  expect(decoded.questions).toHaveLength(1)
  expect((decoded.additionals ?? []).length).toBe(peek.edns ? 1 : 0)

  // SERVFAIL for it: the header and the question, readable by the codec
  const fail = errorAnswer(msg, Rcode.SERVFAIL, peek.questionEnd)
  expect(fail.length).toBe(peek.questionEnd)
  const failed = dnsPacket.packet.decode(fail)
  expect(failed.id).toBe(u16(msg, 0))
  expect(failed.rcode).toBe("SERVFAIL")
  expect(failed.questions).toHaveLength(1)
  expect(Buffer.from(fail.subarray(HEADER_LEN))).toEqual(Buffer.from(msg.subarray(HEADER_LEN, peek.questionEnd)))
  return peek
}

/** What holds of `inspectAnswer(msg)` for any bytes: null, or offsets and TTLs inside the message. */
const checkAnswer = (msg: Uint8Array) => {
  const info = inspectAnswer(msg)
  if (info === null) return null
  expect(msg.length).toBeGreaterThanOrEqual(HEADER_LEN)
  expect(msg[2]! & 0x80).toBe(0x80)
  expect(info.rcode).toBe(msg[3]! & 0x0f)
  expect(info.questionEnd).toBeGreaterThanOrEqual(HEADER_LEN)
  expect(info.questionEnd).toBeLessThanOrEqual(msg.length)
  expect(info.ttls.length).toBe(info.ttlOffsets.length)
  let previous = info.questionEnd
  for (let i = 0; i < info.ttlOffsets.length; i++) {
    const at = info.ttlOffsets[i]!
    expect(at).toBeGreaterThan(previous)
    expect(at + 4).toBeLessThanOrEqual(msg.length)
    expect(info.ttls[i]!).toBeGreaterThanOrEqual(0)
    expect(info.ttls[i]!).toBeLessThanOrEqual(0x7fffffff)
    previous = at + 4
  }
  expect(Number.isInteger(info.cacheTtl)).toBe(true)
  expect(info.cacheTtl).toBeGreaterThanOrEqual(0)
  expect(info.cacheTtl).toBeLessThanOrEqual(0x7fffffff)
  if (info.truncated) expect(info.cacheTtl).toBe(0)
  // patching TTLs touches only the TTL fields
  const patched = Buffer.from(msg)
  writeTtls(patched, info, 1)
  expect(patched.length).toBe(msg.length)
  const untouched = Buffer.from(patched)
  for (const o of info.ttlOffsets) untouched.set(msg.subarray(o, o + 4), o)
  expect(untouched.equals(msg)).toBe(true)
  return info
}

const queryCorpus = corpus<BytesEntry>("queries")
const querySeeds = queryCorpus.map(bytesOf)
const answerSeeds = corpus<BytesEntry>("answers").map(bytesOf)

describe("fuzz: DNS decode path", () => {
  it("replays the query corpus", () => {
    for (const q of querySeeds) checkPeek(q)
  })

  it("regression: keys HTTPS (type 65 = 0x0041) apart from type 97 (0x0061), its byte lower-cased", () => {
    // found by the key property below: the key lower-cased QTYPE and QCLASS along with the name, so an
    // answer cached for type 97 was served (its question patched) to HTTPS queries for the same name
    const https = peekQuery(Buffer.from("000000000001000000000000016100004100 01".replace(/ /g, ""), "hex"))
    const type97 = peekQuery(Buffer.from("000000000001000000000000016100006100 01".replace(/ /g, ""), "hex"))
    expect((https as QueryPeek).key).not.toBe((type97 as QueryPeek).key)
    const [named65, named97] = ["example.com HTTPS", "example.com type 97"].map((note) =>
      peekQuery(bytesOf(queryCorpus.find((e) => e.note.startsWith(note))!)) as QueryPeek
    )
    expect(named65!.qtype).toBe(65)
    expect(named97!.qtype).toBe(97)
    expect(named65!.key).not.toBe(named97!.key)
  })

  it("replays the answer corpus", () => {
    for (const a of answerSeeds) checkAnswer(a)
  })

  it("peeks valid queries as the codec wrote them", async () => {
    await fuzz(querySpec, (spec) => {
      const msg = encodeQuery(spec)
      const peek = checkPeek(msg)
      if (typeof peek === "number") throw new Error(`valid query refused: ${peek}`)
      expect(peek.edns).toBe(spec.edns)
      expect(peek.dnssecOk).toBe(spec.edns && spec.dnssecOk)
      expect(peek.qtype).toBe(u16(msg, peek.questionEnd - 4))
    })
  }, TEST_TIMEOUT_MS)

  it("peeks arbitrary and mutated queries: a documented failure or a question inside the buffer", async () => {
    await fuzz(bytesInput(validQuery, querySeeds, DNS_HOT), (msg) => {
      checkPeek(msg)
    })
  }, TEST_TIMEOUT_MS)

  it("keys a question by name case-insensitively, and apart by any other change to type or class", async () => {
    const change = fc.record({ bit: fc.integer({ min: 0, max: 31 }), cases: fc.array(fc.nat(), { maxLength: 8 }) })
    await fuzz(fc.tuple(validQuery, change), ([msg, { bit, cases }]) => {
      const peek = peekQuery(msg) as QueryPeek
      // flipping the case of letters of the name keeps the key
      const recased = Buffer.from(msg)
      for (const c of cases) {
        const at = HEADER_LEN + (c % (peek.questionEnd - 4 - HEADER_LEN))
        const b = recased[at]!
        if ((b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)) recased[at] = b ^ 0x20
      }
      expect((peekQuery(recased) as QueryPeek).key).toBe(peek.key)
      // any one bit of QTYPE or QCLASS is another question
      const other = Buffer.from(msg)
      const at = peek.questionEnd - 4 + (bit >> 3)
      other[at] = other[at]! ^ (1 << (bit & 7))
      expect((peekQuery(other) as QueryPeek).key).not.toBe(peek.key)
    })
  }, TEST_TIMEOUT_MS)

  it("inspects valid answers as the codec wrote them", async () => {
    await fuzz(answerSpec, (spec) => {
      const msg = encodeAnswer(spec)
      const info = checkAnswer(msg)
      if (info === null) throw new Error("valid answer refused")
      expect(info.rcode).toBe(spec.rcode)
      expect(info.truncated).toBe(spec.truncated)
      expect(info.ttlOffsets).toHaveLength(spec.answers.length + spec.authorities.length)
      const effective = (ttl: number) => ttl > 0x7fffffff ? 0 : ttl
      spec.answers.forEach((a, i) => expect(info.ttls[i]).toBe(effective(a.ttl ?? 0)))
      if (!spec.truncated && spec.rcode === 0 && spec.answers.length > 0) {
        expect(info.cacheTtl).toBe(Math.min(...spec.answers.map((a) => effective(a.ttl ?? 0))))
      }
      // the answer checks as an answer to the query it answers, and not to another ID
      const query = encodeQuery(spec.query)
      const questionEnd = questionEndOf(query)
      expect(isAnswerTo(msg, query, questionEnd)).toBe(true)
      const otherId = Buffer.from(query)
      otherId[1] = otherId[1]! ^ 1
      expect(isAnswerTo(msg, otherId, questionEnd)).toBe(false)
    })
  }, TEST_TIMEOUT_MS)

  it("inspects arbitrary and mutated answers: null, or offsets and TTLs inside the message", async () => {
    await fuzz(bytesInput(validAnswer, answerSeeds, DNS_HOT), (msg) => {
      checkAnswer(msg)
    })
  }, TEST_TIMEOUT_MS)

  it("checks arbitrary and mutated upstream answers against a query without throwing", async () => {
    await fuzz(fc.tuple(validQuery, bytesInput(validAnswer, answerSeeds, DNS_HOT)), ([query, answer]) => {
      const questionEnd = questionEndOf(query)
      if (isAnswerTo(answer, query, questionEnd)) {
        expect(answer.length).toBeGreaterThanOrEqual(questionEnd)
        expect(u16(answer, 0)).toBe(u16(query, 0))
        expect(answer[2]! & 0x80).toBe(0x80)
        expect(Buffer.from(answer.subarray(questionEnd - 4, questionEnd))).toEqual(
          Buffer.from(query.subarray(questionEnd - 4, questionEnd))
        )
      }
    })
  }, TEST_TIMEOUT_MS)
})
