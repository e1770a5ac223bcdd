// Client limiter benchmark (issue 8): pushes distinct client addresses through the per-client rate limiter
// (src/services/ClientLimiter) and reports checks per second and the heap the limiter retains.
//
//   node --expose-gc --import tsx bench/limiter.mjs          (BENCH_CLIENTS=100000 by default)
//
// Without --expose-gc the memory figures include garbage and mean little.
import { clientKey, makeLimiter } from "../src/services/ClientLimiter.ts"

const N = Number(process.env.BENCH_CLIENTS ?? 100_000)
const gc = globalThis.gc ?? (() => {})
if (globalThis.gc === undefined) console.log("(run with --expose-gc for meaningful memory figures)")

// typed-array backing stores are released after a GC, by a sweeper: give it a moment, then collect again
const heap = async () => {
  for (let i = 0; i < 3; i++) {
    gc()
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const { heapUsed, arrayBuffers } = process.memoryUsage()
  return heapUsed + arrayBuffers
}
const mb = (bytes) => `${(bytes / 1048576).toFixed(1)} MB`
const rate = (n, ns) => `${((n / Number(ns)) * 1e9 / 1e6).toFixed(2)} M checks/s`

// one address per /24 (IPv4) or per /56 (IPv6): every address is a new client key, the worst case
const v4 = (i) => `${10 + (i >>> 16)}.${(i >>> 8) & 0xff}.${i & 0xff}.${1 + (i % 250)}`
const v6 = (i) => `2001:db8:${(i >>> 8).toString(16)}:${((i & 0xff) << 8).toString(16)}::${(i % 9999).toString(16)}`

// every limiter stays alive to the end, so that nothing freed from one run is counted in the next
const kept = []
const run = async (title, addresses, options) => {
  const before = await heap()
  const limiter = makeLimiter(options)
  let start = process.hrtime.bigint()
  for (let i = 0; i < addresses.length; i++) limiter.check(addresses[i], i)
  const firstPass = process.hrtime.bigint() - start
  const after = await heap()
  // the same clients again (all known when they fit): the per-query path of a busy server
  start = process.hrtime.bigint()
  for (let i = 0; i < addresses.length; i++) limiter.check(addresses[i], addresses.length + i)
  const secondPass = process.hrtime.bigint() - start
  const grown = after - before
  console.log(
    `${title}: ${addresses.length} distinct clients, ${limiter.size()} buckets held` +
      ` | heap growth ${grown} bytes (${mb(grown)}, ${Math.round(grown / limiter.size())} B per client)` +
      ` | new clients ${rate(addresses.length, firstPass)}, known clients ${rate(addresses.length, secondPass)}`
  )
  kept.push(limiter)
}

const v4Addresses = Array.from({ length: N }, (_, i) => v4(i))
const v6Addresses = Array.from({ length: N }, (_, i) => v6(i))
const mapped = v4Addresses.map((a) => `::ffff:${a}`)
// a string built by concatenation is flattened on first read, which allocates: read them all now
for (const list of [v4Addresses, v6Addresses, mapped]) for (const a of list) clientKey(a)

// warm the JIT on another set so the measured passes are optimized code
await run("warm-up", Array.from({ length: 20_000 }, (_, i) => v4(i + 5_000_000)), { qps: 20, burst: 40 })

await run("IPv4 /24", v4Addresses, { qps: 20, burst: 40 })
await run("IPv4-mapped", mapped, { qps: 20, burst: 40 })
await run("IPv6 /56", v6Addresses, { qps: 20, burst: 40 })
await run(`IPv4, ${N} clients into maxClients ${Math.floor(N / 10)}`, v4Addresses, {
  qps: 20,
  burst: 40,
  maxClients: Math.floor(N / 10)
})

// ten times as many distinct clients as the default bound holds: the heap stays where 100,000 put it
{
  const before = await heap()
  const limiter = makeLimiter({ qps: 20, burst: 40 })
  const start = process.hrtime.bigint()
  for (let i = 0; i < 10 * N; i++) limiter.check(v4(i), i)
  const ns = process.hrtime.bigint() - start
  const grown = (await heap()) - before
  kept.push(limiter)
  console.log(
    `IPv4, ${10 * N} distinct clients into the default maxClients: ${limiter.size()} buckets held` +
      ` | heap growth ${grown} bytes (${mb(grown)}) | ${rate(10 * N, ns)} (address strings built in the loop)`
  )
}

// clientKey alone
for (const [title, addresses] of [["IPv4", v4Addresses], ["IPv6", v6Addresses]]) {
  let sink = 0
  const start = process.hrtime.bigint()
  for (let r = 0; r < 5; r++) for (let i = 0; i < addresses.length; i++) sink += clientKey(addresses[i]).length
  console.log(`clientKey ${title}: ${rate(addresses.length * 5, process.hrtime.bigint() - start)} (${sink > 0})`)
}

// off: the cost when RATE_LIMIT_QPS is unset
const off = makeLimiter({})
const start = process.hrtime.bigint()
for (let r = 0; r < 10; r++) for (let i = 0; i < N; i++) off.check(v4Addresses[i], i)
console.log(`disabled: ${rate(N * 10, process.hrtime.bigint() - start)}`)
