/**
 * The DNS wire-format helpers of the per-query hot path.
 *
 * Full encode/decode of DNS messages uses `@dnsquery/dns-packet` (see `Codec.ts`); this module only
 * walks the bytes where the hot path needs offsets the library does not expose: the end of the question
 * (the cache key), the EDNS OPT record of a query, and the offsets of every TTL in an answer so that a
 * cached answer is served with its TTLs decremented in place, without a decode/encode round trip.
 */

export const HEADER_LEN = 12
export const MAX_MESSAGE = 65535

export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5
} as const

const TYPE_OPT = 41
const TYPE_SOA = 6

/** What the hot path knows about a query after a header-and-question peek. */
export interface QueryPeek {
  /** cache key: flags that change the answer + lower-cased question bytes */
  readonly key: string
  /** offset just past the question (QNAME + QTYPE + QCLASS) */
  readonly questionEnd: number
  readonly qtype: number
  /** the client sent an EDNS OPT record */
  readonly edns: boolean
  /** DNSSEC OK bit of the client's OPT record */
  readonly dnssecOk: boolean
}

/** Why a message could not be used as a query: the rcode to answer with, or -1 to answer nothing. */
export type PeekFailure = number

const lowerTable = (() => {
  const t = new Uint8Array(256)
  for (let i = 0; i < 256; i++) t[i] = i >= 65 && i <= 90 ? i + 32 : i
  return t
})()

/** Where cache keys are assembled: a flag byte, a name of at most 255 bytes, QTYPE and QCLASS. */
const keyScratch = Buffer.allocUnsafe(1 + 255 + 4)

/** Walks an uncompressed name (as in a question); returns the offset after it, or -1. */
const skipQuestionName = (msg: Uint8Array, start: number): number => {
  let off = start
  let total = 0
  for (;;) {
    if (off >= msg.length) return -1
    const len = msg[off]!
    if (len === 0) return off + 1
    if (len > 63) return -1 // compression pointers and extended labels are not valid in a question
    total += len + 1
    if (total > 254) return -1
    off += len + 1
  }
}

/** Walks a possibly compressed name inside a record; returns the offset after it, or -1. */
export const skipName = (msg: Uint8Array, start: number): number => {
  let off = start
  for (;;) {
    if (off >= msg.length) return -1
    const len = msg[off]!
    if (len === 0) return off + 1
    if ((len & 0xc0) === 0xc0) return off + 2 <= msg.length ? off + 2 : -1
    if (len > 63) return -1
    off += len + 1
  }
}

const u16 = (m: Uint8Array, o: number) => (m[o]! << 8) | m[o + 1]!
const u32 = (m: Uint8Array, o: number) => ((m[o]! << 24) >>> 0) + (m[o + 1]! << 16) + (m[o + 2]! << 8) + m[o + 3]!

/**
 * Header-and-question peek of a client query. Returns a `QueryPeek`, or the rcode to answer with
 * (FORMERR, NOTIMP), or -1 when the message is too short to answer at all.
 */
export const peekQuery = (msg: Uint8Array): QueryPeek | PeekFailure => {
  if (msg.length < HEADER_LEN) return -1
  const flags = u16(msg, 2)
  if (flags & 0x8000) return -1 // a response: never answer it (no reflection loops)
  const opcode = (flags >> 11) & 0xf
  if (opcode !== 0) return Rcode.NOTIMP
  const qd = u16(msg, 4)
  const an = u16(msg, 6)
  const ns = u16(msg, 8)
  const ar = u16(msg, 10)
  if (qd !== 1 || an !== 0 || ns !== 0) return Rcode.FORMERR
  const nameEnd = skipQuestionName(msg, HEADER_LEN)
  if (nameEnd < 0 || nameEnd + 4 > msg.length) return Rcode.FORMERR
  const questionEnd = nameEnd + 4
  const qtype = u16(msg, nameEnd)
  let edns = false
  let dnssecOk = false
  let off = questionEnd
  for (let i = 0; i < ar; i++) {
    const n = skipName(msg, off)
    if (n < 0 || n + 10 > msg.length) return Rcode.FORMERR
    const type = u16(msg, n)
    const rdlen = u16(msg, n + 8)
    if (type === TYPE_OPT) {
      if (edns) return Rcode.FORMERR // RFC 6891 §6.1.1: more than one OPT
      edns = true
      dnssecOk = (msg[n + 6]! & 0x80) !== 0
    }
    off = n + 10 + rdlen
    if (off > msg.length) return Rcode.FORMERR
  }
  // key: RD, CD, EDNS and DO change what upstream answers; the name is compared case-insensitively,
  // QTYPE and QCLASS byte for byte (lower-casing them made HTTPS, 0x0041, the same key as type 0x0061)
  const keyFlags = ((flags >> 8) & 1) | ((flags >> 3) & 2) | (edns ? 4 : 0) | (dnssecOk ? 8 : 0)
  // built in a scratch buffer and turned into one flat string (appending a character at a time made a
  // rope of ~30 strings per query: most of the garbage of a cache hit)
  let k = 0
  keyScratch[k++] = 65 + keyFlags
  for (let i = HEADER_LEN; i < nameEnd; i++) keyScratch[k++] = lowerTable[msg[i]!]!
  for (let i = nameEnd; i < questionEnd; i++) keyScratch[k++] = msg[i]!
  const key = keyScratch.toString("latin1", 0, k)
  return { key, questionEnd, qtype, edns, dnssecOk }
}

/**
 * The query sent upstream: the client's RD and CD bits and question, our own ID, and an OPT record
 * only when the client sent one (with its DO bit, none of its options: no client cookie, padding or
 * subnet leaves this server).
 */
export const upstreamQuery = (msg: Uint8Array, peek: QueryPeek, id: number): Uint8Array => {
  const qlen = peek.questionEnd - HEADER_LEN
  const out = new Uint8Array(HEADER_LEN + qlen + (peek.edns ? 11 : 0))
  out[0] = id >> 8
  out[1] = id & 0xff
  out[2] = msg[2]! & 0x01 // RD
  out[3] = msg[3]! & 0x10 // CD
  out[5] = 1
  out[11] = peek.edns ? 1 : 0
  out.set(msg.subarray(HEADER_LEN, peek.questionEnd), HEADER_LEN)
  if (peek.edns) {
    const o = HEADER_LEN + qlen
    // root name, TYPE OPT, CLASS = UDP payload 1232, TTL = ext-rcode 0, version 0, DO, rdlen 0
    out[o + 1] = 0
    out[o + 2] = TYPE_OPT
    out[o + 3] = 1232 >> 8
    out[o + 4] = 1232 & 0xff
    out[o + 7] = peek.dnssecOk ? 0x80 : 0
  }
  return out
}

/** What the cache keeps about an answer so that it can serve it again with only bytes patched. */
export interface AnswerInfo {
  readonly rcode: number
  readonly truncated: boolean
  /** offsets of the TTL field of every record except OPT */
  readonly ttlOffsets: ReadonlyArray<number>
  /** the TTLs found at `ttlOffsets` */
  readonly ttls: ReadonlyArray<number>
  /** how long the answer may be cached, in seconds (RFC 2308 for negative answers); 0 = not cacheable */
  readonly cacheTtl: number
  /** offset just past the question */
  readonly questionEnd: number
}

/** Walks a whole response; returns null when it is malformed. */
export const inspectAnswer = (msg: Uint8Array): AnswerInfo | null => {
  if (msg.length < HEADER_LEN) return null
  const flags = u16(msg, 2)
  if ((flags & 0x8000) === 0) return null
  const rcode = flags & 0xf
  const truncated = (flags & 0x0200) !== 0
  const qd = u16(msg, 4)
  const an = u16(msg, 6)
  const ns = u16(msg, 8)
  const ar = u16(msg, 10)
  let off = HEADER_LEN
  for (let i = 0; i < qd; i++) {
    const n = skipName(msg, off)
    if (n < 0 || n + 4 > msg.length) return null
    off = n + 4
  }
  const questionEnd = off
  const ttlOffsets: Array<number> = []
  const ttls: Array<number> = []
  let minAnswerTtl = Infinity
  let negativeTtl = -1
  const total = an + ns + ar
  for (let i = 0; i < total; i++) {
    const n = skipName(msg, off)
    if (n < 0 || n + 10 > msg.length) return null
    const type = u16(msg, n)
    const rdlen = u16(msg, n + 8)
    const end = n + 10 + rdlen
    if (end > msg.length) return null
    if (type !== TYPE_OPT) {
      const raw = u32(msg, n + 4)
      const effective = raw > 0x7fffffff ? 0 : raw // RFC 2181 §8: a TTL over 2^31-1 counts as 0
      ttlOffsets.push(n + 4)
      ttls.push(effective)
      if (i < an) minAnswerTtl = Math.min(minAnswerTtl, effective)
      else if (i < an + ns && type === TYPE_SOA && end - 4 >= n + 10) {
        // RFC 2308 §5: the negative TTL is min(SOA TTL, SOA MINIMUM)
        const minimum = u32(msg, end - 4)
        const soaTtl = Math.min(effective, minimum)
        negativeTtl = negativeTtl < 0 ? soaTtl : Math.min(negativeTtl, soaTtl)
        // served with the negative TTL, so that a downstream cache keeps it no longer than we do
        ttls[ttls.length - 1] = soaTtl
      } else if (i < an + ns) minAnswerTtl = Math.min(minAnswerTtl, effective)
    }
    off = end
  }
  if (off !== msg.length) return null
  let cacheTtl = 0
  if (!truncated) {
    if (rcode === Rcode.NOERROR && an > 0) cacheTtl = Number.isFinite(minAnswerTtl) ? minAnswerTtl : 0
    else if (rcode === Rcode.NXDOMAIN || (rcode === Rcode.NOERROR && an === 0)) {
      // negative answers without an SOA are not cached (RFC 2308 §5)
      cacheTtl = negativeTtl < 0 ? 0 : negativeTtl
    }
  }
  // copies of exactly their length: what `push` grew has room for 17 numbers, and the cache keeps these
  // two arrays per answer (~280 bytes of heap saved per cached answer)
  return { rcode, truncated, ttlOffsets: ttlOffsets.slice(), ttls: ttls.slice(), cacheTtl, questionEnd }
}

/** An answer carrying only a header (and the question when it could be read) with the given rcode. */
export const errorAnswer = (query: Uint8Array, rcode: number, questionEnd?: number): Buffer => {
  const withQuestion = questionEnd !== undefined && questionEnd <= query.length
  const len = withQuestion ? questionEnd : HEADER_LEN
  const out = Buffer.alloc(len)
  out[0] = query[0] ?? 0
  out[1] = query[1] ?? 0
  // QR, opcode and RD copied, RA set
  out[2] = 0x80 | ((query[2] ?? 0) & 0x79)
  out[3] = 0x80 | (rcode & 0xf)
  if (withQuestion) {
    out[5] = 1
    out.set(query.subarray(HEADER_LEN, questionEnd), HEADER_LEN)
  }
  return out
}

/** Writes the TTLs of `info`, decremented by `elapsed` seconds (never below 0), into `out`. */
export const writeTtls = (out: Buffer, info: AnswerInfo, elapsed: number): void => {
  const { ttlOffsets, ttls } = info
  for (let i = 0; i < ttlOffsets.length; i++) out.writeUInt32BE(Math.max(0, ttls[i]! - elapsed), ttlOffsets[i]!)
}

export const readU16 = u16
export const readU32 = u32
