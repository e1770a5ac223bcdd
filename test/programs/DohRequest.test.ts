import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  addChunk,
  answerHeaders,
  bodyMessage,
  bodyReader,
  decodeBase64url,
  isDnsMessageType,
  MAX_DNS_MESSAGE,
  parseContentLength,
  Responses,
  type Route,
  route
} from "../../src/programs/DohServer/Request.js"
import { query } from "../fixtures/Dns.js"

const b64u = (b: Uint8Array) => Buffer.from(b).toString("base64url")

const statusOf = (r: Route) => (r._tag === "Reply" ? r.response.status : r._tag)
const reasonOf = (r: Route) => (r._tag === "Reply" ? r.response.reason : undefined)

describe("DoH request routing", () => {
  it.effect("GET /dns-query?dns= decodes the message", () =>
    Effect.sync(() => {
      const q = query("example.test")
      const r = route("GET", `/dns-query?dns=${b64u(q)}`, undefined, undefined)
      expect(r._tag).toBe("Query")
      if (r._tag !== "Query") return
      expect(Buffer.compare(r.message, q)).toBe(0)
      expect(r.selector).toBeUndefined()
    }))

  it.effect("GET ignores ct= and unknown parameters, in any order", () =>
    Effect.sync(() => {
      const q = query("www.example.test", "AAAA", { id: 0 })
      for (
        const path of [
          `/dns-query?ct=application/dns-message&dns=${b64u(q)}`,
          `/dns-query?dns=${b64u(q)}&ct=application/dns-message`,
          `/dns-query?x=1&dns=${b64u(q)}&y`
        ]
      ) {
        const r = route("GET", path, undefined, undefined)
        expect(r._tag, path).toBe("Query")
        if (r._tag === "Query") expect(Buffer.compare(r.message, q)).toBe(0)
      }
    }))

  it.effect("GET parses a /dns-query/<selector> path", () =>
    Effect.sync(() => {
      const q = query("example.test")
      const r = route("GET", `/dns-query/ads+malware?dns=${b64u(q)}`, undefined, undefined)
      expect(r._tag).toBe("Query")
      if (r._tag === "Query") expect(r.selector).toBe("ads+malware")
      const empty = route("GET", `/dns-query/?dns=${b64u(q)}`, undefined, undefined)
      expect(empty._tag === "Query" && empty.selector === undefined).toBe(true)
    }))

  it.effect("GET rejects padding, characters outside base64url, a missing or repeated dns= with 400", () =>
    Effect.sync(() => {
      const q = b64u(query("example.test")) // 30 bytes: 40 characters, no padding needed
      const odd = b64u(query("ab.test")) // 25 bytes → 34 chars, standard base64 would add "=="
      expect(odd.length % 4).toBe(2)
      expect(reasonOf(route("GET", `/dns-query?dns=${odd}==`, undefined, undefined))).toBe("BadBase64url")
      expect(reasonOf(route("GET", `/dns-query?dns=${odd}%3D%3D`, undefined, undefined))).toBe("BadBase64url")
      expect(reasonOf(route("GET", `/dns-query?dns=${q.slice(0, 10)}+/${q.slice(12)}`, undefined, undefined))).toBe(
        "BadBase64url"
      )
      expect(reasonOf(route("GET", `/dns-query?dns=${q}é`, undefined, undefined))).toBe("BadBase64url")
      expect(reasonOf(route("GET", `/dns-query?dns=${q}A`, undefined, undefined))).toBe("BadBase64url") // 4n+1 chars
      expect(reasonOf(route("GET", "/dns-query", undefined, undefined))).toBe("MissingDns")
      expect(reasonOf(route("GET", "/dns-query?dns=", undefined, undefined))).toBe("MissingDns")
      expect(reasonOf(route("GET", "/dns-query?dnsx=AAAA", undefined, undefined))).toBe("MissingDns")
      expect(reasonOf(route("GET", `/dns-query?dns=${q}&dns=${q}`, undefined, undefined))).toBe("DuplicateDns")
      for (const r of ["BadBase64url", "MissingDns", "DuplicateDns"] as const) expect(Responses[r].status).toBe(400)
    }))

  it.effect("other paths are 404, HEAD of them without a body", () =>
    Effect.sync(() => {
      // two segments (`<token>/<lists>`) are the most a path has
      for (
        const p of [
          "/",
          "/dns",
          "/dns-queryx",
          "/dns-query/a/b/c",
          "/dns-query//b",
          "/dns-query/a b",
          "/DNS-QUERY",
          "/dns-query#x"
        ]
      ) {
        expect(statusOf(route("GET", p, undefined, undefined)), p).toBe(404)
      }
      expect(statusOf(route("GET", `/dns-query/${"a".repeat(256)}`, undefined, undefined))).toBe(404)
      expect(statusOf(route("GET", undefined, undefined, undefined))).toBe(404)
      const head = route("HEAD", "/x", undefined, undefined)
      expect(head._tag === "Reply" && head.response.status === 404 && head.response.body.length === 0).toBe(true)
    }))

  it.effect("a path of two segments (`<token>/<lists>`) is one selector, split later", () =>
    Effect.sync(() => {
      const r = route("GET", "/dns-query/tok/ads+malware?dns=AAABAAABAAAAAAAAA2NvbQAAAQAB", undefined, undefined)
      expect(r._tag === "Query" && r.selector).toBe("tok/ads+malware")
    }))

  it.effect("other methods are 405 with allow", () =>
    Effect.sync(() => {
      for (const m of ["PUT", "DELETE", "PATCH", "CONNECT", "get", undefined]) {
        const r = route(m, "/dns-query", undefined, undefined)
        expect(statusOf(r)).toBe(405)
        if (r._tag === "Reply") expect(r.response.headers["allow"]).toBe("GET, POST, HEAD, OPTIONS")
      }
    }))

  it.effect("HEAD is 200 without a body, OPTIONS is 204 with CORS", () =>
    Effect.sync(() => {
      const head = route("HEAD", "/dns-query", undefined, undefined)
      expect(head._tag === "Reply" && head.response).toMatchObject({ status: 200, reason: undefined })
      const options = route("OPTIONS", "/dns-query/ads", undefined, undefined)
      expect(options._tag === "Reply" && options.response).toMatchObject({
        status: 204,
        headers: {
          "access-control-allow-origin": "*",
          "access-control-allow-methods": "GET, POST, HEAD, OPTIONS",
          "access-control-allow-headers": "content-type",
          "access-control-max-age": 86400
        }
      })
    }))

  it.effect("POST needs application/dns-message (415) and a content length within bounds (413/400)", () =>
    Effect.sync(() => {
      expect(route("POST", "/dns-query", "application/dns-message", "30")).toEqual({
        _tag: "ReadBody",
        expected: 30,
        selector: undefined
      })
      expect(route("POST", "/dns-query/x", "Application/DNS-Message; charset=binary", undefined)).toEqual({
        _tag: "ReadBody",
        expected: -1,
        selector: "x"
      })
      expect(statusOf(route("POST", "/dns-query", undefined, "30"))).toBe(415)
      expect(statusOf(route("POST", "/dns-query", "application/json", "30"))).toBe(415)
      expect(statusOf(route("POST", "/dns-query", "application/dns-messagex", "30"))).toBe(415)
      expect(statusOf(route("POST", "/dns-query", "application/dns-message", "65536"))).toBe(413)
      expect(statusOf(route("POST", "/dns-query", "application/dns-message", "65535"))).toBe("ReadBody")
      expect(reasonOf(route("POST", "/dns-query", "application/dns-message", "0"))).toBe("EmptyBody")
      expect(reasonOf(route("POST", "/dns-query", "application/dns-message", "1e3"))).toBe("BadContentLength")
      expect(reasonOf(route("POST", "/dns-query", "application/dns-message", "-1"))).toBe("BadContentLength")
    }))
})

describe("DoH request helpers", () => {
  it.effect("decodeBase64url agrees with Buffer on every length and rejects what Buffer would accept", () =>
    Effect.sync(() => {
      const bytes = Buffer.from(Array.from({ length: 70 }, (_, i) => (i * 37 + 11) & 0xff))
      for (let n = 0; n <= bytes.length; n++) {
        const s = bytes.subarray(0, n).toString("base64url")
        const decoded = decodeBase64url(`x=${s}&`, 2, 2 + s.length)
        expect(decoded && Buffer.compare(decoded, bytes.subarray(0, n)), `length ${n}`).toBe(0)
      }
      expect(decodeBase64url("ab+/", 0, 4)).toBeNull()
      expect(decodeBase64url("abc=", 0, 4)).toBeNull()
      expect(decodeBase64url("ab.c", 0, 4)).toBeNull()
      expect(decodeBase64url("abcde", 0, 5)).toBeNull()
    }))

  it.effect("content type and length parsing", () =>
    Effect.sync(() => {
      expect(isDnsMessageType("application/dns-message")).toBe(true)
      expect(isDnsMessageType("application/dns-message ;q=1")).toBe(true)
      expect(isDnsMessageType("application/dns-message  ")).toBe(true)
      expect(isDnsMessageType(undefined)).toBe(false)
      expect(isDnsMessageType("application/dns")).toBe(false)
      expect(parseContentLength(undefined)).toBe(-1)
      expect(parseContentLength("")).toBe(-2)
      expect(parseContentLength(" 5")).toBe(-2)
      expect(parseContentLength("512")).toBe(512)
    }))

  it.effect("a body is collected in chunks and refused as soon as it passes 65535 bytes", () =>
    Effect.sync(() => {
      const known = bodyReader(6)
      expect(addChunk(known, Buffer.from("abc"))).toBe(true)
      expect(addChunk(known, Buffer.from("def"))).toBe(true)
      expect(bodyMessage(known)).toEqual(Buffer.from("abcdef"))
      expect(addChunk(known, Buffer.from("g"))).toBe(false)

      const unknown = bodyReader(-1)
      expect(addChunk(unknown, Buffer.alloc(MAX_DNS_MESSAGE - 1))).toBe(true)
      expect(addChunk(unknown, Buffer.alloc(1))).toBe(true)
      expect((bodyMessage(unknown) as Buffer).length).toBe(MAX_DNS_MESSAGE)
      expect(addChunk(unknown, Buffer.alloc(1))).toBe(false)

      expect(bodyMessage(bodyReader(-1))).toBe(Responses.EmptyBody)
    }))

  it.effect("answer headers carry the TTL as max-age, never negative", () =>
    Effect.sync(() => {
      expect(answerHeaders(40, 120)).toEqual({
        "content-type": "application/dns-message",
        "content-length": 40,
        "cache-control": "max-age=120",
        "access-control-allow-origin": "*"
      })
      expect(answerHeaders(40, -5)["cache-control"]).toBe("max-age=0")
    }))
})
