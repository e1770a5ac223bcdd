// Preload for bench/rss-rounds.mjs (node --expose-gc --import=<this>): on SIGUSR2, a full collection,
// then one line of JSON with the process's memory (bytes) on stderr, tagged "gc-on-signal".
process.on("SIGUSR2", () => {
  globalThis.gc?.()
  // a moment for the native memory the collected wrappers held (sockets, TLS state) to be freed
  setTimeout(() => {
    const m = process.memoryUsage()
    process.stderr.write(`gc-on-signal ${JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, external: m.external })}\n`)
  }, 500)
})
