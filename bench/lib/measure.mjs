// Parsing and summaries shared by the benchmarks (bench/run.mjs, bench/misses.mjs).

export const percentile = (sorted, p) => {
  if (sorted.length === 0) return undefined
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

/** dnsperf -v: "> NOERROR name A 0.000123" per answer, then the statistics block */
export const parseDnsperf = (stdout) => {
  const num = (re) => {
    const m = re.exec(stdout)
    return m === null ? undefined : Number(m[1])
  }
  const latencies = []
  const rcodes = {}
  for (const m of stdout.matchAll(/^> (\S+) \S+ \S+ ([\d.]+)$/gm)) {
    latencies.push(Number(m[2]) * 1000)
    rcodes[m[1]] = (rcodes[m[1]] ?? 0) + 1
  }
  latencies.sort((a, b) => a - b)
  const avg = num(/Average Latency \(s\):\s+([\d.]+)/)
  return {
    sent: num(/Queries sent:\s+(\d+)/),
    completed: num(/Queries completed:\s+(\d+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    qps: num(/Queries per second:\s+([\d.]+)/),
    meanMs: avg === undefined ? undefined : avg * 1000,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    rcodes
  }
}

/**
 * One row from several rounds: the median run's q/s, mean and p99 (each taken separately), errors summed,
 * and every round kept under `rounds`. One 5 s run moves ±20 % on a shared 2-core machine; the median of
 * alternating rounds is what the ratios compare.
 */
export const medianOf = (runs) => {
  const median = (key) => {
    const v = runs.map((r) => r[key]).filter((x) => typeof x === "number").sort((a, b) => a - b)
    return v.length === 0 ? undefined : v[(v.length - 1) >> 1]
  }
  const sum = (key) => runs.reduce((n, r) => (typeof r[key] === "number" ? n + r[key] : n), 0)
  return {
    ...runs[0],
    qps: median("qps"),
    meanMs: median("meanMs"),
    p50Ms: median("p50Ms"),
    p99Ms: median("p99Ms"),
    lost: sum("lost"),
    failed: sum("failed"),
    statusOther: sum("statusOther"),
    rounds: runs.map((r) => ({ qps: r.qps, meanMs: r.meanMs, p50Ms: r.p50Ms, p99Ms: r.p99Ms }))
  }
}
