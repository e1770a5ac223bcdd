/**
 * Fuzzing the HTTP/1.1 transport (`programs/DohServer/H1.ts`) with fast-check: arbitrary bytes, valid
 * request sequences (GET, POST by length or chunked, HEAD, OPTIONS, other paths, pipelined) and mutated
 * ones, fed to a connection in pieces split at random points. A synchronous query handler makes the
 * whole exchange synchronous (test/fixtures/H1.ts). What must hold:
 * - nothing throws, nothing reaches `logDefect`
 * - what the connection wrote is a sequence of complete responses with documented statuses; a
 *   `connection: close` response is the last one, and after it the connection is closed
 * - the same bytes split differently give the same bytes back (the `date` field aside)
 * FUZZ_RUNS (default 1000) sets the runs per property, FUZZ_SEED replays a failure: see ./Fuzz.ts.
 * Corpus, replayed every run: test/fuzz/corpus/h1.json (request bytes as latin1 text).
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { makeFastH1 } from "../../src/programs/DohServer/H1.js"
import { FakeSocket, parseResponses, syncEnv } from "../fixtures/H1.js"
import { bytesInput, corpus, fuzz, splitAt, TEST_TIMEOUT_MS } from "./Fuzz.js"
import { validQuery } from "./Messages.js"

interface TextEntry {
  readonly note: string
  readonly text: string
}

const SEEDS = corpus<TextEntry>("h1").map((e) => Buffer.from(e.text, "latin1"))

/** Every status the transport may answer with a synchronous handler and no admission rules. */
const DOCUMENTED = new Set([100, 200, 204, 400, 404, 405, 413, 415, 417, 431, 501, 505])

/** Feeds `pieces` to a fresh connection; what it wrote, and whether it was closed. */
const run = (pieces: ReadonlyArray<Buffer>) => {
  const { defects, env } = syncEnv()
  const transport = makeFastH1(env)
  const socket = new FakeSocket()
  transport.accept(socket.asSocket())
  for (const p of pieces) {
    if (socket.destroyed || socket.ended) break
    socket.emit("data", p)
  }
  const closed = socket.destroyed || socket.ended
  transport.destroy()
  return { out: socket.output(), defects, closed }
}

const withoutDate = (b: Buffer) => b.toString("latin1").replace(/\r\ndate: [^\r]*/g, "")

/** The documented outcomes: see the module comment. */
const check = (pieces: ReadonlyArray<Buffer>) => {
  const { closed, defects, out } = run(pieces)
  expect(defects).toEqual([])
  // HEAD responses carry no content-length (or 0), so no response needs to know its request
  const { responses, rest } = parseResponses(out)
  expect(rest.length).toBe(0)
  responses.forEach((r, i) => {
    expect(DOCUMENTED.has(r.status), `status ${r.status}`).toBe(true)
    if (r.status === 100) return
    const connection = r.headers["connection"]
    expect(["keep-alive", "close"]).toContain(connection)
    if (connection === "close") {
      expect(i).toBe(responses.length - 1)
      expect(closed).toBe(true)
    }
  })
  return out
}

const b64u = (b: Uint8Array) => Buffer.from(b).toString("base64url")

/** One valid request. */
const validRequest: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(validQuery, fc.constantFrom("", "/ads", "/t0k3n/ads+malware"), fc.boolean()).map(([q, sel, v10]) =>
    `GET /dns-query${sel}?dns=${b64u(q)} HTTP/1.${v10 ? "0\r\nconnection: keep-alive" : "1\r\nhost: x"}\r\n\r\n`
  ),
  fc.tuple(validQuery, fc.boolean()).map(([q, expect100]) =>
    `POST /dns-query HTTP/1.1\r\nHost: x\r\nContent-Type: application/dns-message\r\nContent-Length: ${q.length}\r\n` +
    `${expect100 ? "Expect: 100-continue\r\n" : ""}\r\n${q.toString("latin1")}`
  ),
  fc.tuple(validQuery, fc.array(fc.nat(), { maxLength: 4 })).map(([q, cuts]) =>
    "POST /dns-query HTTP/1.1\r\nhost: x\r\ncontent-type: application/dns-message\r\ntransfer-encoding: chunked\r\n\r\n" +
    splitAt(q, cuts).filter((c) => c.length > 0).map((c) => `${c.length.toString(16)}\r\n${c.toString("latin1")}\r\n`)
      .join("") +
    "0\r\n\r\n"
  ),
  fc.constantFrom(
    "HEAD /dns-query HTTP/1.1\r\nhost: x\r\n\r\n",
    "HEAD /other HTTP/1.1\r\nhost: x\r\n\r\n",
    "OPTIONS /dns-query HTTP/1.1\r\nhost: x\r\n\r\n",
    "GET /other HTTP/1.1\r\nhost: x\r\nuser-agent: fuzz\r\n\r\n",
    "DELETE /dns-query HTTP/1.1\r\nhost: x\r\n\r\n",
    "GET /dns-query?dns=AAAA HTTP/1.1\r\nhost: x\r\n\r\n",
    "GET /dns-query HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
  )
)

const validInput: fc.Arbitrary<Uint8Array> = fc.array(validRequest, { minLength: 1, maxLength: 4 }).map((rs) =>
  Buffer.from(rs.join(""), "latin1")
)

const input = bytesInput(validInput, SEEDS)
const cuts = fc.array(fc.nat(), { maxLength: 12 })

describe("fuzz: HTTP/1.1 transport", () => {
  it("the corpus: documented outcomes, the same whichever way it is split", () => {
    for (const seed of SEEDS) {
      const whole = check([seed])
      const bytewise = check(splitAt(seed, Array.from({ length: seed.length }, (_, i) => i)))
      expect(withoutDate(bytewise)).toBe(withoutDate(whole))
      // every request of the corpus but the last (Connection: close, …) is answered in full
      expect(whole.length).toBeGreaterThan(0)
    }
  })

  it("valid request sequences are all answered, whichever way they are split", async () => {
    await fuzz(fc.tuple(validInput, cuts), ([bytes, at]) => {
      const out = check(splitAt(bytes, at))
      const text = Buffer.from(bytes).toString("latin1")
      const requests = text.split(/(?=(?:GET|POST|HEAD|OPTIONS|DELETE) \/)/).length
      const { responses } = parseResponses(out)
      const finals = responses.filter((r) => r.status >= 200)
      // as many responses as requests, unless one closed the connection early
      if (!finals.some((r) => r.headers["connection"] === "close")) expect(finals.length).toBe(requests)
    })
  }, TEST_TIMEOUT_MS)

  it("arbitrary and mutated bytes: documented outcomes, the same for two different splits", async () => {
    await fuzz(fc.tuple(input, cuts, cuts), ([bytes, a, b]) => {
      const one = check(splitAt(bytes, a))
      const two = check(splitAt(bytes, b))
      expect(withoutDate(two)).toBe(withoutDate(one))
    })
  }, TEST_TIMEOUT_MS)
})
