// Memory of a server started by a benchmark: its resident set from /proc, and its memory after a full
// collection, which the preload bench/lib/gc-on-signal.mjs reports on SIGUSR2.
import { readFileSync } from "node:fs"
import { startNodeOptions } from "./start-flags.mjs"

const TAG = "gc-on-signal "
const sleep = (ms) => new Promise((res) => setTimeout(res, ms))

/** node flags for a server whose memory `collected` can read: `npm start`'s, --expose-gc and the preload */
export const gcOnSignalNodeOptions = () =>
  `${startNodeOptions()} --expose-gc --import=${new URL("./gc-on-signal.mjs", import.meta.url).pathname}`

/** resident memory (bytes) of process `pid` now */
export const rssOf = (pid) => Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]) * 4096

/**
 * A full collection in `server` (started with `gcOnSignalNodeOptions()`; `stderr()` gives what it wrote),
 * then its memory: `{ rss, heapUsed, external }` in bytes.
 */
export const collected = async (server) => {
  const lines = () => server.stderr().split("\n").filter((l) => l.startsWith(TAG))
  const seen = lines().length
  process.kill(server.pid, "SIGUSR2")
  for (let i = 0; i < 200; i++) {
    await sleep(50)
    const now = lines()
    if (now.length > seen) return JSON.parse(now[now.length - 1].slice(TAG.length))
  }
  throw new Error("the server did not report its memory after SIGUSR2")
}
