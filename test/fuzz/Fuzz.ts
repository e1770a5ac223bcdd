/**
 * Shared machinery of the fuzz suite (test/fuzz/*.test.ts): run counts from the environment, a deadline
 * that turns a hang into a failure naming its input, byte-level mutations of valid inputs, and the corpus
 * of interesting inputs replayed on every run.
 *
 *   FUZZ_RUNS  runs per property (default 1000: the whole suite in about 10 s on 2 cores, as CI runs it);
 *              a long run: `FUZZ_RUNS=200000 npx vitest run test/fuzz` (about 20 minutes)
 *   FUZZ_SEED  every run draws a new seed; a failure prints the seed of its batch: replay it with
 *              `FUZZ_SEED=<seed> npx vitest run test/fuzz -t "<test name>"`
 *
 * A failure prints the shrunk input; once the parser is fixed, that input goes into
 * `test/fuzz/corpus/<target>.json` (and a named regression test) so that every later run replays it.
 */
import * as fc from "fast-check"
import * as fs from "node:fs"
import * as path from "node:path"
import * as vm from "node:vm"

const positive = (value: string | undefined, fallback: number): number => {
  const n = value === undefined || value === "" ? fallback : Number(value)
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`not a positive integer: ${value}`)
  return n
}

/** Runs per property. */
export const RUNS = positive(process.env.FUZZ_RUNS, 1000)

const SEED = process.env.FUZZ_SEED === undefined || process.env.FUZZ_SEED === ""
  ? undefined
  : Number(process.env.FUZZ_SEED)

/** Runs checked in one synchronous stretch; between batches the event loop runs (vitest's RPC needs it). */
const BATCH = 1000

/** Time one batch may take: generous, yet a hang fails the test instead of stalling CI. */
export const BATCH_DEADLINE_MS = 20_000

/** The vitest timeout of a fuzz test. */
export const TEST_TIMEOUT_MS = 30_000 + Math.ceil(RUNS / BATCH) * BATCH_DEADLINE_MS

/**
 * Checks `predicate` over `arbitrary` (it throws or returns false on a failure), `runs` times, in batches
 * of `BATCH` runs with seeds `seed, seed + 1, …` (a failure prints the seed of its batch: given as
 * FUZZ_SEED, that batch runs first). Each batch runs under a `node:vm` timeout, which interrupts even a
 * synchronous endless loop inside the parser; the input that was running then is reported.
 */
export const fuzz = async <T>(
  arbitrary: fc.Arbitrary<T>,
  predicate: (input: T) => boolean | void,
  runs = RUNS
): Promise<void> => {
  let current: { value: T } | undefined
  const property = fc.property(arbitrary, (input) => {
    current = { value: input }
    return predicate(input)
  })
  const base = SEED ?? ((Date.now() ^ (Math.random() * 0x100000000)) | 0)
  for (let done = 0, batch = 0; done < runs; done += BATCH, batch++) {
    const seed = (base + batch) | 0
    const run = () => fc.assert(property, { numRuns: Math.min(BATCH, runs - done), seed })
    try {
      vm.runInContext("run()", vm.createContext({ run }), { timeout: BATCH_DEADLINE_MS })
    } catch (e) {
      if ((e as { code?: string }).code === "ERR_SCRIPT_EXECUTION_TIMEOUT" && current !== undefined) {
        throw new Error(
          `no result within ${BATCH_DEADLINE_MS} ms (a hang?), seed ${seed}, input: ${fc.stringify(current.value)}`
        )
      }
      throw e
    }
    await new Promise((resolve) => setImmediate(resolve))
  }
}

// ---------------------------------------------------------------------------------------------------------
// Corpus

const CORPUS_DIR = path.join(import.meta.dirname, "corpus")

/** The entries of `test/fuzz/corpus/<target>.json`: an array of objects, each with a `note`. */
export const corpus = <T extends { readonly note: string }>(target: string): ReadonlyArray<T> =>
  JSON.parse(fs.readFileSync(path.join(CORPUS_DIR, `${target}.json`), "utf8")) as Array<T>

/** A corpus entry of bytes, as hex. */
export interface BytesEntry {
  readonly note: string
  readonly hex: string
}

export const bytesOf = (entry: BytesEntry): Buffer => Buffer.from(entry.hex.replace(/\s+/g, ""), "hex")

// ---------------------------------------------------------------------------------------------------------
// Mutations of valid inputs

/** One edit of a byte string; positions are taken modulo the length at the time of the edit. */
export type Mutation =
  | { readonly _tag: "Flip"; readonly at: number; readonly bit: number }
  | { readonly _tag: "Set"; readonly at: number; readonly byte: number }
  | { readonly _tag: "Truncate"; readonly at: number }
  | { readonly _tag: "Insert"; readonly at: number; readonly bytes: Uint8Array }
  | { readonly _tag: "Delete"; readonly at: number; readonly count: number }
  | { readonly _tag: "Repeat"; readonly at: number; readonly count: number }
  | { readonly _tag: "U16"; readonly at: number; readonly value: number }

/** Values that break length and count fields: limits, off-by-ones, compression-pointer and sign bits. */
const interestingU16 = fc.oneof(
  fc.constantFrom(0, 1, 2, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xff, 0x100, 0x7fff, 0x8000, 0xc000, 0xc00c, 0xfffe, 0xffff),
  fc.integer({ min: 0, max: 0xffff })
)

/**
 * Mutations; `hot` are offsets worth aiming at (length and count fields of the format): half of the
 * positioned edits land on one of them when given.
 */
export const mutation = (hot: ReadonlyArray<number> = []): fc.Arbitrary<Mutation> => {
  const at = hot.length === 0 ? fc.nat() : fc.oneof(fc.nat(), fc.constantFrom(...hot))
  return fc.oneof(
    fc.record({ _tag: fc.constant("Flip" as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ _tag: fc.constant("Set" as const), at, byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ _tag: fc.constant("Truncate" as const), at: fc.nat() }),
    fc.record({ _tag: fc.constant("Insert" as const), at, bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
    fc.record({ _tag: fc.constant("Delete" as const), at, count: fc.integer({ min: 1, max: 8 }) }),
    fc.record({ _tag: fc.constant("Repeat" as const), at, count: fc.integer({ min: 1, max: 16 }) }),
    fc.record({ _tag: fc.constant("U16" as const), at, value: interestingU16 })
  )
}

export const applyMutation = (input: Uint8Array, m: Mutation): Buffer => {
  const b = Buffer.from(input)
  const n = b.length
  const at = n === 0 ? 0 : m.at % n
  switch (m._tag) {
    case "Flip":
      if (n > 0) b[at] = b[at]! ^ (1 << m.bit)
      return b
    case "Set":
      if (n > 0) b[at] = m.byte
      return b
    case "Truncate":
      return b.subarray(0, m.at % (n + 1))
    case "Insert":
      return Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)])
    case "Delete":
      return Buffer.concat([b.subarray(0, at), b.subarray(at + m.count)])
    case "Repeat":
      return Buffer.concat([b.subarray(0, at + m.count), b.subarray(at)])
    case "U16":
      if (at + 1 < n) b.writeUInt16BE(m.value, at)
      return b
  }
}

/** `valid` inputs with one to four mutations applied. */
export const mutated = (valid: fc.Arbitrary<Uint8Array>, hot: ReadonlyArray<number> = []): fc.Arbitrary<Buffer> =>
  fc.tuple(valid, fc.array(mutation(hot), { minLength: 1, maxLength: 4 })).map(([input, mutations]) =>
    mutations.reduce<Buffer>((b, m) => applyMutation(b, m), Buffer.from(input))
  )

/** Arbitrary bytes, mutated valid inputs and the corpus entries as seeds of mutation, mixed. */
export const bytesInput = (
  valid: fc.Arbitrary<Uint8Array>,
  seeds: ReadonlyArray<Uint8Array>,
  hot: ReadonlyArray<number> = []
): fc.Arbitrary<Buffer> => {
  const sources: Array<fc.Arbitrary<Uint8Array>> = [valid]
  if (seeds.length > 0) sources.push(fc.constantFrom(...seeds))
  const base = fc.oneof(...sources)
  return fc.oneof(
    fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
    base.map((b) => Buffer.from(b)),
    mutated(base, hot)
  )
}

/** Splits `bytes` at the given cut points (any numbers; taken modulo the length, sorted, deduplicated). */
export const splitAt = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Array<Buffer> => {
  const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort((a, b) => a - b)
  const out: Array<Buffer> = []
  let from = 0
  for (const p of points) {
    out.push(Buffer.from(bytes.subarray(from, p)))
    from = p
  }
  out.push(Buffer.from(bytes.subarray(from)))
  return out
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex")
