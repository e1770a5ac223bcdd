// The node flags `npm start` runs our server with (package.json "start": "node <flags> dist/main.js"):
// the benchmarks start the built server the way operators do. BENCH_NODE_OPTIONS replaces them.
import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..")

export const startNodeOptions = () => {
  if (process.env["BENCH_NODE_OPTIONS"] !== undefined) return process.env["BENCH_NODE_OPTIONS"]
  const start = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts.start
  const m = /^node\s+(.*?)\s*dist\/main\.js\s*$/.exec(start)
  if (m === null) throw new Error(`package.json "start" is not "node [flags] dist/main.js": ${start}`)
  return m[1]
}

/**
 * Server settings for holding `conns` connections at once (bench/connections.mjs, bench/rss-rounds.mjs):
 * a connection limit above them, a deep listen backlog, and an idle timeout of at least `idleMs`.
 */
export const manyConnectionsEnv = (conns, idleMs = 120_000) => ({
  MAXCONNS: String(conns + 1000),
  MINCONNS: String(conns + 1000),
  TCP_BACKLOG: "4096",
  WORKER_TIMEOUT: String(Math.max(120_000, idleMs))
})
