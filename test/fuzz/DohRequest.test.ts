/**
 * Fuzzing the DoH request parser (`programs/DohServer/Request.ts`: routing, base64url, content type and
 * length, POST body reading) with fast-check, over arbitrary requests and mutated valid GET/POST requests.
 * FUZZ_RUNS (default 1000) sets the runs per property, FUZZ_SEED replays a failure: see ./Fuzz.ts.
 * Corpus, replayed every run: test/fuzz/corpus/doh.json (method, path, content type, content length).
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import {
  addChunk,
  bodyMessage,
  bodyReader,
  decodeBase64url,
  DNS_MESSAGE_TYPE,
  isDnsMessageType,
  MAX_DNS_MESSAGE,
  MAX_SELECTOR,
  parseContentLength,
  Responses,
  type Route,
  route
} from "../../src/programs/DohServer/Request.js"
import { corpus, fuzz, splitAt, TEST_TIMEOUT_MS } from "./Fuzz.js"
import { validQuery } from "./Messages.js"

interface Request {
  readonly method: string | undefined
  readonly path: string | undefined
  readonly contentType: string | undefined
  readonly contentLength: string | undefined
}

interface RequestEntry extends Request {
  readonly note: string
}

const STATUSES = [200, 204, 400, 404, 405, 413, 415]
const RESPONSES = new Set(Object.values(Responses))
const BASE64URL = /^[A-Za-z0-9_-]*$/
// one segment, or two (`<token>/<lists>`, the second possibly empty), 255 characters at most
const SELECTOR = new RegExp(`^(?=.{1,${MAX_SELECTOR}}$)[A-Za-z0-9+\\-_.~]+(/[A-Za-z0-9+\\-_.~]*)?$`)

/** What holds of `route` for any request: one of the documented outcomes. */
const checkRoute = (r: Request): Route => {
  const result = route(r.method, r.path, r.contentType, r.contentLength)
  switch (result._tag) {
    case "Reply": {
      expect(RESPONSES.has(result.response)).toBe(true)
      expect(STATUSES).toContain(result.response.status)
      if (r.method === "HEAD") expect(result.response.body.length).toBe(0)
      break
    }
    case "Query": {
      expect(r.method).toBe("GET")
      expect(result.message.length).toBeLessThanOrEqual(MAX_DNS_MESSAGE)
      // the message is what the one `dns=` parameter says, as Node's own decoder reads it
      const params = r.path!.slice(r.path!.indexOf("?") + 1).split("&").filter((p) => p.startsWith("dns="))
      expect(params).toHaveLength(1)
      const value = params[0]!.slice(4)
      expect(value).toMatch(BASE64URL)
      expect(value.length % 4).not.toBe(1)
      expect(result.message).toEqual(Buffer.from(value, "base64url"))
      break
    }
    case "ReadBody": {
      expect(r.method).toBe("POST")
      expect(isDnsMessageType(r.contentType)).toBe(true)
      if (r.contentLength === undefined) expect(result.expected).toBe(-1)
      else {
        expect(result.expected).toBe(Number(r.contentLength))
        expect(result.expected).toBeGreaterThan(0)
        expect(result.expected).toBeLessThanOrEqual(MAX_DNS_MESSAGE)
      }
      break
    }
  }
  if (result._tag !== "Reply") {
    const selector = result.selector
    if (selector !== undefined) {
      expect(selector).toMatch(SELECTOR)
      expect(r.path!.startsWith(`/dns-query/${selector}`)).toBe(true)
    }
  }
  return result
}

// ---------------------------------------------------------------------------------------------------------
// Inputs

const METHODS = ["GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "get", "", "CONNECT"]
const method = fc.oneof(fc.constantFrom(...METHODS), fc.string({ maxLength: 8 }), fc.constant(undefined))
const segment = fc.string({ unit: fc.constantFrom(..."abcXYZ019+-_.~"), minLength: 1, maxLength: 20 })
// `<lists>`, or `<token>/<lists>` (issue 8)
const selector = fc.oneof(segment, fc.tuple(segment, segment).map(([a, b]) => `${a}/${b}`))
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64url")

const otherParam = fc.oneof(
  fc.constantFrom("ct=application/dns-message", "ct", "dnsx=AAAA", "xdns=AAAA", "dns", "DNS=AAAA", ""),
  fc.string({ maxLength: 10 }).map((s) => s.replace(/[&]/g, ""))
)

const validGet: fc.Arbitrary<Request> = fc.record({
  selector: fc.option(selector, { nil: undefined }),
  message: fc.oneof(validQuery, fc.uint8Array({ minLength: 1, maxLength: 100 })),
  before: fc.array(otherParam, { maxLength: 2 }),
  after: fc.array(otherParam, { maxLength: 2 })
}).map(({ after, before, message, selector }) => ({
  method: "GET",
  path: `/dns-query${selector === undefined ? "" : `/${selector}`}?${
    [...before, `dns=${b64(message)}`, ...after].join("&")
  }`,
  contentType: undefined,
  contentLength: undefined
}))

const contentType = fc.oneof(
  fc.constantFrom(
    DNS_MESSAGE_TYPE,
    "Application/DNS-Message",
    "application/dns-message; charset=x",
    "application/dns-message \t",
    "application/dns-messages",
    "text/plain",
    ""
  ),
  fc.string({ maxLength: 30 }),
  fc.constant(undefined)
)

const contentLength = fc.oneof(
  fc.integer({ min: 0, max: 70_000 }).map(String),
  fc.constantFrom("65535", "65536", "0", "00012", "-1", "+5", "1e3", " 12", "999999999999999", "9999999999999999"),
  fc.string({ maxLength: 17 }),
  fc.constant(undefined)
)

const validPost: fc.Arbitrary<Request> = fc.record({
  selector: fc.option(selector, { nil: undefined }),
  contentType,
  contentLength
}).map(({ contentLength, contentType, selector }) => ({
  method: "POST",
  path: `/dns-query${selector === undefined ? "" : `/${selector}`}`,
  contentType,
  contentLength
}))

/** Characters that matter to the parser, and some that should not. */
const PATH_CHARS = [..."/?&=+-_.~%#", "dns=", "/dns-query", "é", "\u0000", "\uffff", "\ud800", " ", "A", "a", "0"]

type StringEdit = { readonly at: number; readonly delete: number; readonly insert: string }

const stringEdit: fc.Arbitrary<StringEdit> = fc.record({
  at: fc.nat(),
  delete: fc.integer({ min: 0, max: 4 }),
  insert: fc.oneof(fc.constantFrom(...PATH_CHARS), fc.string({ maxLength: 3, unit: "binary" }))
})

const edit = (s: string, edits: ReadonlyArray<StringEdit>): string =>
  edits.reduce((acc, e) => {
    const at = e.at % (acc.length + 1)
    return acc.slice(0, at) + e.insert + acc.slice(at + e.delete)
  }, s)

const mutatedRequest = fc.tuple(
  fc.oneof(validGet, validPost),
  fc.array(stringEdit, { minLength: 1, maxLength: 4 }),
  method
).map(([r, edits, m]) => ({ ...r, path: edit(r.path!, edits), method: edits.length % 2 === 0 ? m : r.method }))

const arbitraryRequest: fc.Arbitrary<Request> = fc.record({
  method,
  path: fc.oneof(
    fc.string({ unit: "binary", maxLength: 60 }),
    fc.string({ maxLength: 40 }).map((s) => `/dns-query${s}`),
    fc.constant(undefined)
  ),
  contentType,
  contentLength
})

/** JSON has no `undefined`: the corpus writes an absent field as null. */
interface RequestJson {
  readonly note: string
  readonly method: string | null
  readonly path: string | null
  readonly contentType: string | null
  readonly contentLength: string | null
}

const requests = corpus<RequestJson>("doh").map((e): RequestEntry => ({
  note: e.note,
  method: e.method ?? undefined,
  path: e.path ?? undefined,
  contentType: e.contentType ?? undefined,
  contentLength: e.contentLength ?? undefined
}))

describe("fuzz: DoH request parser", () => {
  it("replays the corpus", () => {
    for (const entry of requests) checkRoute(entry)
  })

  it("routes a valid GET to its DNS message and selector", async () => {
    await fuzz(validGet, (r) => {
      const result = checkRoute(r)
      expect(result._tag).toBe("Query")
    })
  }, TEST_TIMEOUT_MS)

  it("routes valid POST requests to read the body or to the documented rejection", async () => {
    await fuzz(validPost, (r) => {
      const result = checkRoute(r)
      const length = parseContentLength(r.contentLength)
      const accepted = isDnsMessageType(r.contentType) && length !== -2 && length <= MAX_DNS_MESSAGE && length !== 0
      expect(result._tag).toBe(accepted ? "ReadBody" : "Reply")
    })
  }, TEST_TIMEOUT_MS)

  it("routes arbitrary and mutated requests to one of the documented outcomes, without throwing", async () => {
    await fuzz(fc.oneof(arbitraryRequest, mutatedRequest), (r) => {
      checkRoute(r)
    })
  }, TEST_TIMEOUT_MS)

  it("decodes base64url as Node does, and refuses anything else", async () => {
    const alphabet = fc.string({
      unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      maxLength: 80
    })
    await fuzz(fc.oneof(alphabet, fc.string({ unit: "binary", maxLength: 40 })), (s) => {
      const decoded = decodeBase64url(s, 0, s.length)
      if (BASE64URL.test(s) && s.length % 4 !== 1) expect(decoded).toEqual(Buffer.from(s, "base64url"))
      else expect(decoded).toBeNull()
    })
  }, TEST_TIMEOUT_MS)

  it("reads a content length as a number of at most 15 digits, and nothing else", async () => {
    await fuzz(contentLength, (value) => {
      const n = parseContentLength(value)
      if (value === undefined) expect(n).toBe(-1)
      else if (/^[0-9]{1,15}$/.test(value)) expect(n).toBe(Number(value))
      else expect(n).toBe(-2)
    })
  }, TEST_TIMEOUT_MS)

  it("reads a POST body in any chunks as the whole, and stops at its limits", async () => {
    const body = fc.oneof(
      { weight: 9, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 300 }) },
      { weight: 1, arbitrary: fc.integer({ min: 65530, max: 65540 }).map((n) => new Uint8Array(n).fill(n)) }
    )
    const declared = fc.oneof(fc.constant(-1), fc.integer({ min: 1, max: 400 }), fc.constant(MAX_DNS_MESSAGE))
    await fuzz(fc.tuple(body, declared, fc.array(fc.nat(), { maxLength: 6 })), ([bytes, expected, cuts]) => {
      const reader = bodyReader(expected)
      const limit = expected < 0 ? MAX_DNS_MESSAGE : Math.min(expected, MAX_DNS_MESSAGE)
      let size = 0
      let stopped = false
      for (const chunk of splitAt(bytes, cuts)) {
        const ok = addChunk(reader, chunk)
        if (size + chunk.length > limit) {
          expect(ok).toBe(false)
          stopped = true
          break
        }
        expect(ok).toBe(true)
        size += chunk.length
      }
      if (stopped) return
      const message = bodyMessage(reader)
      if (bytes.length === 0) expect(message).toBe(Responses.EmptyBody)
      else expect(Buffer.isBuffer(message) && message.equals(bytes)).toBe(true)
    })
  }, TEST_TIMEOUT_MS)
})
