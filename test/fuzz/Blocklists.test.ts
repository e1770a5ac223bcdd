/**
 * Fuzzing the blocklist parser (`services/Blocklists/Parse.ts`: hosts, plain and adblock lines, chunked
 * text) and the compiled lookups (`services/Blocklists/Compiled.ts`: names as text and on the wire) with
 * fast-check, over arbitrary text, mutated valid lists, arbitrary names and arbitrary wire bytes.
 * FUZZ_RUNS (default 1000) sets the runs per property, FUZZ_SEED replays a failure: see ./Fuzz.ts.
 * Corpus, replayed every run: test/fuzz/corpus/blocklists.json (list text, and names to look up).
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { isIP } from "node:net"
import { compile } from "../../src/services/Blocklists/Compiled.js"
import {
  isNormalizedName,
  makeListParser,
  normalizeName,
  parseLine,
  parseList,
  type ParseResult
} from "../../src/services/Blocklists/Parse.js"
import { peekQuery } from "../../src/services/QueryHandler/Wire.js"
import { bytesInput, corpus, fuzz, RUNS, TEST_TIMEOUT_MS } from "./Fuzz.js"
import { DNS_HOT, hostName, validQuery } from "./Messages.js"

interface ListEntry {
  readonly note: string
  readonly text: string
  /** names to look up in the list compiled from `text` */
  readonly lookups: ReadonlyArray<string>
}

/** What holds of a parse of any text: valid names only, and the same result however the text is chunked. */
const checkList = (text: string, cuts: ReadonlyArray<number> = []): ParseResult => {
  const whole = parseList(text)
  for (const name of whole.names) {
    expect(isNormalizedName(name)).toBe(true)
    expect(normalizeName(name)).toBe(name)
  }
  // line by line gives the same
  const lines: Array<string> = []
  let invalid = 0
  let skipped = 0
  for (const line of text.split("\n")) {
    parseLine(line, {
      name: (n) => lines.push(n),
      invalid: () => invalid++,
      skipped: () => skipped++
    })
  }
  expect(whole).toEqual({ names: lines, invalid, skipped })
  // and so does any chunking
  const parser = makeListParser()
  let from = 0
  for (const cut of [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)) {
    parser.push(text.slice(from, cut))
    from = cut
  }
  parser.push(text.slice(from))
  expect(parser.end()).toEqual(whole)
  return whole
}

const lowerAscii = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase())

/** The lists `lookup` should report for `qname`: every suffix (after a dot) of its normalized form. */
const model = (sets: ReadonlyArray<ReadonlySet<string>>, qname: string): number => {
  let s = qname.endsWith(".") ? qname.slice(0, -1) : qname
  if ([...s].some((c) => c.charCodeAt(0) > 0x7f)) {
    const ascii = normalizeName(qname)
    if (ascii === undefined) return 0
    s = ascii
  }
  s = lowerAscii(s)
  const suffixes = [s, ...[...s].flatMap((c, i) => (c === "." ? [s.slice(i + 1)] : []))]
  let mask = 0
  sets.forEach((set, i) => {
    if (suffixes.some((x) => set.has(x))) mask |= 1 << i
  })
  return mask >>> 0
}

/** `labels` in wire form, ending with the root label. */
const wire = (labels: ReadonlyArray<string>): Buffer =>
  Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "latin1")])),
    Buffer.of(0)
  ])

// ---------------------------------------------------------------------------------------------------------
// Inputs

const name = hostName.filter((n) => isIP(n) === 0)
const space = fc.constantFrom(" ", "\t", "  ", " \t ", "\u00a0")
const casing = fc.array(fc.boolean(), { maxLength: 16 })
const recase = (s: string, flips: ReadonlyArray<boolean>) =>
  [...s].map((c, i) => (flips[i % Math.max(flips.length, 1)] ? c.toUpperCase() : c)).join("")

/** A valid line and the names it lists. */
const validLine: fc.Arbitrary<{ readonly line: string; readonly names: ReadonlyArray<string> }> = fc.oneof(
  fc.tuple(name, casing, fc.boolean(), space).map(([n, c, dot, sp]) => ({
    line: `${sp}${recase(n, c)}${dot ? "." : ""}`,
    names: [n.toLowerCase()]
  })),
  fc.tuple(
    fc.constantFrom("0.0.0.0", "127.0.0.1", "::", "::1"),
    fc.array(name, { minLength: 1, maxLength: 3 }),
    space,
    fc.boolean()
  )
    .map(([ip, ns, sp, comment]) => ({
      line: `${ip}${sp}${ns.join(" ")}${comment ? " # a comment" : ""}`,
      names: ns.map((n) => n.toLowerCase())
    })),
  fc.tuple(name, casing).map(([n, c]) => ({ line: `||${recase(n, c)}^`, names: [n.toLowerCase()] })),
  fc.constantFrom(
    "# comment",
    "! adblock comment",
    "",
    "   ",
    "[Adblock Plus 2.0]",
    "@@||example.com^",
    "example.com##.ad"
  )
    .map((line) => ({ line, names: [] }))
)

const validList = fc.array(validLine, { maxLength: 12 }).map((lines) => ({
  text: lines.map((l) => l.line).join("\n"),
  names: lines.flatMap((l) => l.names)
}))

const TEXT_PIECES = [
  "\n",
  "\r\n",
  " ",
  "\t",
  "#",
  "!",
  "|",
  "||",
  "^",
  "$",
  "@@",
  "##",
  ".",
  "..",
  "/",
  "*",
  "0.0.0.0",
  "::",
  "é",
  "xn--",
  "\u00a0",
  "\u2028",
  "\ud800"
]

type TextEdit = { readonly at: number; readonly delete: number; readonly insert: string }

const textEdit: fc.Arbitrary<TextEdit> = fc.record({
  at: fc.nat(),
  delete: fc.integer({ min: 0, max: 6 }),
  insert: fc.oneof(fc.constantFrom(...TEXT_PIECES), fc.string({ maxLength: 4, unit: "binary" }))
})

const mutatedList = fc.tuple(validList, fc.array(textEdit, { minLength: 1, maxLength: 6 })).map(([l, edits]) =>
  edits.reduce((acc, e) => {
    const at = e.at % (acc.length + 1)
    return acc.slice(0, at) + e.insert + acc.slice(at + e.delete)
  }, l.text)
)

const anyText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.array(fc.constantFrom(...TEXT_PIECES, "a", "b", "com", "Ex"), { maxLength: 40 }).map((ps) => ps.join("")),
  mutatedList
)

/** Names drawn from a small set of labels, so that lists and queries share names and suffixes. */
const smallName = fc.array(fc.constantFrom("a", "b", "com", "Ex", "xn--bcher-kva", "bücher", "-", "_x"), {
  minLength: 1,
  maxLength: 4
}).map((ls) => ls.join("."))

const listNames = fc.oneof(
  { weight: 4, arbitrary: smallName },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("", ".", "a..b", "a.", "A.B.")) }
)

const lists = fc.array(fc.array(listNames, { maxLength: 8 }), { minLength: 1, maxLength: 4 })

const queryName = fc.tuple(
  fc.array(fc.constantFrom("www", "a", "B", "x"), { maxLength: 2 }),
  smallName,
  casing,
  fc.boolean()
).map(([pre, n, c, dot]) => `${[...pre, recase(n, c)].join(".")}${dot ? "." : ""}`)

const entries = corpus<ListEntry>("blocklists")

describe("fuzz: blocklist parser", () => {
  it("replays the corpus", () => {
    for (const entry of entries) {
      const parsed = checkList(entry.text, [1, 7, 20])
      const compiled = compile([{ name: "corpus", names: parsed.names }])
      const sets = [new Set(parsed.names)]
      for (const q of entry.lookups) expect(compiled.lookup(q), q).toBe(model(sets, q))
    }
  })

  it("reads valid lines of every format as the names they list", async () => {
    await fuzz(fc.tuple(validList, fc.array(fc.nat(), { maxLength: 5 })), ([list, cuts]) => {
      const parsed = checkList(list.text, cuts)
      expect(parsed.names).toEqual(list.names)
      expect(parsed.invalid).toBe(0)
    })
  }, TEST_TIMEOUT_MS)

  it("reads arbitrary and mutated text into valid names only, the same however it is chunked", async () => {
    await fuzz(fc.tuple(anyText, fc.array(fc.nat(), { maxLength: 5 })), ([text, cuts]) => {
      checkList(text, cuts)
    })
  }, TEST_TIMEOUT_MS)

  it("normalizes any token to a valid name or to nothing, and a second time changes nothing", async () => {
    await fuzz(fc.oneof(fc.string({ unit: "binary", maxLength: 30 }), smallName, name), (token) => {
      const n = normalizeName(token)
      if (n === undefined) return
      expect(isNormalizedName(n)).toBe(true)
      expect(normalizeName(n)).toBe(n)
      const ascii = [...token].every((c) => c.charCodeAt(0) <= 0x7f)
      if (ascii) expect(n).toBe(token.toLowerCase().replace(/\.$/, ""))
    })
  }, TEST_TIMEOUT_MS)

  it("stays linear on long hostile lines", async () => {
    const piece = fc.array(fc.constantFrom(...TEXT_PIECES.filter((p) => !p.includes("\n")), "a", "||a", "#@#"), {
      minLength: 1,
      maxLength: 4
    }).map((ps) => ps.join(""))
    await fuzz(fc.tuple(piece, fc.integer({ min: 10_000, max: 200_000 })), ([p, n]) => {
      const line = p.repeat(Math.ceil(n / p.length))
      const started = performance.now()
      parseList(`${line}\n${line}`)
      // about a millisecond a line; a quadratic walk takes seconds
      expect(performance.now() - started).toBeLessThan(1000)
    }, Math.min(RUNS, 50))
  }, TEST_TIMEOUT_MS)
})

describe("fuzz: compiled blocklists", () => {
  it("looks any name up as the suffix model says, and the same name on the wire the same way", async () => {
    await fuzz(fc.tuple(lists, fc.array(queryName, { minLength: 1, maxLength: 6 })), ([names, queries]) => {
      const compiled = compile(names.map((ns, i) => ({ name: `list${i}`, names: ns })))
      const sets = names.map((ns) => new Set(ns.flatMap((n) => normalizeName(n) ?? [])))
      expect(compiled.size).toBe(new Set(sets.flatMap((s) => [...s])).size)
      expect(compiled.listSizes).toEqual(sets.map((s) => s.size))
      expect(compiled.invalid).toBe(names.flat().filter((n) => normalizeName(n) === undefined).length)
      for (const q of queries) {
        const mask = compiled.lookup(q)
        expect(mask, q).toBe(model(sets, q))
        const labels = (q.endsWith(".") ? q.slice(0, -1) : q).split(".")
        const ascii = [...q].every((c) => c.charCodeAt(0) <= 0x7f)
        if (ascii && labels.every((l) => l.length > 0 && l.length <= 63)) {
          const w = wire(labels)
          expect(compiled.lookupWire(w, 0), q).toBe(mask)
          // behind a compression pointer: `www` then a pointer to the name
          const packed = Buffer.concat([w, Buffer.from([3, 0x77, 0x77, 0x77, 0xc0, 0x00])])
          expect(compiled.lookupWire(packed, w.length), `www.${q}`).toBe(compiled.lookup(`www.${q}`))
        }
      }
    })
  }, TEST_TIMEOUT_MS)

  it("looks up arbitrary and mutated wire bytes at any offset without throwing, within the lists' bits", async () => {
    const compiled = compile([
      { name: "one", names: ["a", "example.com", "ads.example.net"] },
      { name: "two", names: ["com", "x.y.z"] }
    ])
    await fuzz(fc.tuple(bytesInput(validQuery, [], DNS_HOT), fc.nat()), ([msg, at]) => {
      const offset = at % (msg.length + 2)
      const mask = compiled.lookupWire(msg, offset)
      expect(mask & ~0b11).toBe(0)
      // a query the peek accepts has a plain question name: the wire lookup agrees with the text lookup
      const peek = peekQuery(msg)
      if (typeof peek !== "number") {
        const labels: Array<string> = []
        for (let o = 12; msg[o]! !== 0; o += msg[o]! + 1) {
          labels.push(Buffer.from(msg.subarray(o + 1, o + 1 + msg[o]!)).toString("latin1"))
        }
        const plain = labels.every((l) => /^[\x21-\x7e]+$/.test(l) && !l.includes("."))
        if (plain && labels.length > 0) expect(compiled.lookupWire(msg, 12)).toBe(compiled.lookup(labels.join(".")))
      }
    })
  }, TEST_TIMEOUT_MS)
})
