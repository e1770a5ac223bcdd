/**
 * Arbitraries of valid DNS messages, encoded by `@dnsquery/dns-packet` (not by the code under test): the
 * starting points that the fuzz tests mutate.
 */
import * as dnsPacket from "@dnsquery/dns-packet"
import * as fc from "fast-check"
import { soa } from "../fixtures/Dns.js"

const LABEL_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"

/** A host-name label: letters of both cases, digits, `-`, `_`; mostly short, sometimes the longest. */
export const label: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom(...LABEL_CHARS), minLength: 1, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...LABEL_CHARS), minLength: 60, maxLength: 63 }) }
)

/** A name of 1–6 labels that fits a DNS message (at most 253 characters). */
export const hostName: fc.Arbitrary<string> = fc.array(label, { minLength: 1, maxLength: 6 })
  .map((labels) => {
    const out: Array<string> = []
    let length = -1
    for (const l of labels) {
      if (length + 1 + l.length > 253) break
      out.push(l)
      length += 1 + l.length
    }
    return out.join(".")
  })

/** Types as the codec names them; numbers it does not know are `UNKNOWN_<n>`. */
// HTTPS (65) and SVCB (64) are newer than the codec's table: written as numbers
const KNOWN_TYPES = [
  "A",
  "AAAA",
  "CNAME",
  "MX",
  "NS",
  "PTR",
  "SOA",
  "SRV",
  "TXT",
  "UNKNOWN_65",
  "UNKNOWN_64",
  "DS",
  "ANY"
]

export const qtype: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...KNOWN_TYPES) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((n) => `UNKNOWN_${n}`) }
)

export interface QuerySpec {
  readonly id: number
  readonly name: string
  readonly type: string
  readonly rd: boolean
  readonly cd: boolean
  readonly edns: boolean
  readonly dnssecOk: boolean
}

export const querySpec: fc.Arbitrary<QuerySpec> = fc.record({
  id: fc.integer({ min: 0, max: 0xffff }),
  name: hostName,
  type: qtype,
  rd: fc.boolean(),
  cd: fc.boolean(),
  edns: fc.boolean(),
  dnssecOk: fc.boolean()
})

const opt = (dnssecOk: boolean): dnsPacket.Answer =>
  ({
    type: "OPT",
    name: ".",
    udpPayloadSize: 1232,
    flags: dnssecOk ? dnsPacket.DNSSEC_OK : 0,
    options: []
  }) as unknown as dnsPacket.Answer

export const encodeQuery = (q: QuerySpec): Buffer =>
  Buffer.from(dnsPacket.packet.encode({
    type: "query",
    id: q.id,
    flags: (q.rd ? dnsPacket.RECURSION_DESIRED : 0) | (q.cd ? dnsPacket.CHECKING_DISABLED : 0),
    questions: [{ type: q.type as dnsPacket.Question["type"], name: q.name, class: "IN" }],
    ...(q.edns ? { additionals: [opt(q.dnssecOk)] } : {})
  }))

export const validQuery: fc.Arbitrary<Buffer> = querySpec.map(encodeQuery)

/** A record of an answer; `ttl` up to 2^32 - 1 (over 2^31 - 1 counts as 0). */
const record = (name: string): fc.Arbitrary<dnsPacket.Answer> => {
  const ttl = fc.oneof(fc.integer({ min: 0, max: 86_400 }), fc.constantFrom(0x7fffffff, 0x80000000, 0xffffffff))
  return fc.oneof(
    fc.record({ ttl, data: fc.ipV4() }).map(({ data, ttl }) => ({ type: "A", name, class: "IN", ttl, data })),
    fc.record({ ttl, data: fc.ipV6() }).map(({ data, ttl }) => ({ type: "AAAA", name, class: "IN", ttl, data })),
    fc.record({ ttl, data: hostName }).map(({ data, ttl }) => ({ type: "CNAME", name, class: "IN", ttl, data })),
    fc.record({ ttl, data: fc.string({ maxLength: 40 }) }).map(({ data, ttl }) => ({
      type: "TXT",
      name,
      class: "IN",
      ttl,
      data
    })),
    fc.record({ ttl, preference: fc.integer({ min: 0, max: 0xffff }), exchange: hostName }).map((
      { exchange, preference, ttl }
    ) => ({ type: "MX", name, class: "IN", ttl, data: { preference, exchange } }))
  ) as fc.Arbitrary<dnsPacket.Answer>
}

export const RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"] as const

export interface AnswerSpec {
  readonly query: QuerySpec
  readonly rcode: number
  readonly truncated: boolean
  readonly answers: ReadonlyArray<dnsPacket.Answer>
  readonly authorities: ReadonlyArray<dnsPacket.Answer>
}

export const answerSpec: fc.Arbitrary<AnswerSpec> = querySpec.chain((query) =>
  fc.record({
    query: fc.constant(query),
    rcode: fc.integer({ min: 0, max: 5 }),
    truncated: fc.boolean(),
    answers: fc.array(record(query.name), { maxLength: 4 }),
    authorities: fc.oneof(
      fc.constant([]),
      fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff })).map(([ttl, min]) => [
        soa(query.name.split(".").slice(-1)[0]!, ttl, min)
      ])
    )
  })
)

export const encodeAnswer = (a: AnswerSpec): Buffer =>
  Buffer.from(dnsPacket.packet.encode({
    type: "response",
    id: a.query.id,
    flags: (a.query.rd ? dnsPacket.RECURSION_DESIRED : 0) | dnsPacket.RECURSION_AVAILABLE |
      (a.truncated ? dnsPacket.TRUNCATED_RESPONSE : 0) | a.rcode,
    questions: [{ type: a.query.type as dnsPacket.Question["type"], name: a.query.name, class: "IN" }],
    answers: [...a.answers],
    authorities: [...a.authorities],
    ...(a.query.edns ? { additionals: [opt(a.query.dnssecOk)] } : {})
  }))

export const validAnswer: fc.Arbitrary<Buffer> = answerSpec.map(encodeAnswer)

/** Offsets of the DNS header's flag and count fields: where mutations hurt most. */
export const DNS_HOT = [2, 3, 4, 6, 8, 10, 12]
