// Blocklist benchmark: parse + compile 1,000,000 generated domains (a hosts-format list), then measure
// retained heap / RSS and lookups per second (random hits on subdomains of listed names, random misses).
// Compares the shipped typed-array design (src/services/Blocklists/Compiled.ts) with a plain
// Map<string, number> of the same names.
//
//   node --expose-gc --import tsx bench/blocklist.mjs          (BENCH_NAMES=1000000 by default)
//
// Without --expose-gc the memory figures include garbage and mean little.
import { compile } from "../src/services/Blocklists/Compiled.ts"
import { parseList } from "../src/services/Blocklists/Parse.ts"

const N = Number(process.env.BENCH_NAMES ?? 1_000_000)
const LOOKUPS = 2_000_000
const gc = globalThis.gc ?? (() => {})

let seed = 0x12345678
const random = () => {
  seed ^= seed << 13
  seed ^= seed >>> 17
  seed ^= seed << 5
  return (seed >>> 0) / 0x100000000
}
const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
const label = (min, max) => {
  const length = min + Math.floor(random() * (max - min + 1))
  let s = ""
  for (let i = 0; i < length; i++) s += alphabet[Math.floor(random() * alphabet.length)]
  return s
}
const tlds = ["com", "net", "org", "io", "info", "xyz", "de", "co.uk"]
const domain = () =>
  `${random() < 0.5 ? `${label(2, 8)}.` : ""}${label(4, 14)}.${tlds[Math.floor(random() * tlds.length)]}`

const mb = (bytes) => `${(bytes / 1048576).toFixed(1)} MB`
const memory = () => {
  gc()
  gc()
  const { heapUsed, rss, arrayBuffers } = process.memoryUsage()
  return { heap: heapUsed + arrayBuffers, rss }
}

const generated = Array.from({ length: N }, domain)
const text = generated.map((name) => `0.0.0.0 ${name}`).join("\n")
const hits = Array.from({ length: 4096 }, () => `${label(1, 6)}.${generated[Math.floor(random() * N)]}`)
const misses = Array.from({ length: 4096 }, domain)
console.log(`${N} names, list text ${mb(Buffer.byteLength(text))} (${mb(generated.join("\n").length)} of names)`)

const rate = (lookup, names) => {
  let found = 0
  const start = process.hrtime.bigint()
  for (let i = 0; i < LOOKUPS; i++) if (lookup(names[i & 4095]) !== 0) found++
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  return { perSecond: LOOKUPS / seconds, found }
}

const report = (title, build, lookupOf) => {
  const before = memory()
  const start = process.hrtime.bigint()
  const built = build()
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  const after = memory()
  const lookup = lookupOf(built)
  rate(lookup, hits) // warm up
  const hit = rate(lookup, hits)
  const miss = rate(lookup, misses)
  console.log(
    `${title.padEnd(34)} load ${ms.toFixed(0).padStart(5)} ms  retained heap+buffers ${
      mb(after.heap - before.heap).padStart(9)
    }  RSS +${mb(after.rss - before.rss).padStart(9)}  hits ${(hit.perSecond / 1e6).toFixed(2)} M/s (${
      (hit.found / LOOKUPS * 100).toFixed(0)
    }% found)  misses ${(miss.perSecond / 1e6).toFixed(2)} M/s (${(miss.found / LOOKUPS * 100).toFixed(0)}% found)`
  )
  return built
}

let keep = report(
  "parse + compile (typed arrays)",
  () => compile([{ name: "generated", names: parseList(text).names }]),
  (c) => c.lookup
)
console.log(`  compiled: ${keep.size} distinct names, typed arrays ${mb(keep.memoryBytes)}`)
const wire = hits.slice(0, 4096).map((name) => {
  const labels = name.split(".")
  return Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
    Buffer.from([0])
  ])
})
{
  const start = process.hrtime.bigint()
  let found = 0
  for (let i = 0; i < LOOKUPS; i++) if (keep.lookupWire(wire[i & 4095], 0) !== 0) found++
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  console.log(
    `  lookupWire hits ${(LOOKUPS / seconds / 1e6).toFixed(2)} M/s (${(found / LOOKUPS * 100).toFixed(0)}% found)`
  )
}
keep = undefined

keep = report("parse + Map<string, number>", () => {
  const map = new Map()
  for (const name of parseList(text).names) map.set(name, (map.get(name) ?? 0) | 1)
  return map
}, (map) => (qname) => {
  let name = qname.toLowerCase()
  if (name.endsWith(".")) name = name.slice(0, -1)
  let mask = 0
  for (let at = -1; at < name.length; at = name.indexOf(".", at + 1)) {
    mask |= map.get(at === -1 ? name : name.slice(at + 1)) ?? 0
    if (name.indexOf(".", at + 1) === -1) break
  }
  return mask
})
keep = undefined

const parseStart = process.hrtime.bigint()
const parsed = parseList(text)
console.log(
  `parse alone: ${
    (Number(process.hrtime.bigint() - parseStart) / 1e6).toFixed(0)
  } ms, ${parsed.names.length} names, ${parsed.invalid} invalid`
)
