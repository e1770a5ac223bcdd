import { type Aggregator, Counter, Gauge, type Histogram, Registry } from "prom-client"
import { REFUSAL_REASONS } from "../../services/Admission.js"
import type { ListInfo } from "../../services/Blocklists.js"
import type { Stats } from "../Stats.js"

type Labels = Readonly<Record<string, string>>
/** One series: its labels and value. */
type Sample = readonly [Labels, number]
type Read = (s: Stats) => number | ReadonlyArray<Sample> | undefined

const RCODE_NAMES = [
  "NOERROR",
  "FORMERR",
  "SERVFAIL",
  "NXDOMAIN",
  "NOTIMP",
  "REFUSED",
  "YXDOMAIN",
  "YXRRSET",
  "NXRRSET",
  "NOTAUTH",
  "NOTZONE",
  "DSOTYPENI"
]
/** rcodes whose series exist from the start (0 until seen); the rest appear when first seen */
const ALWAYS_SHOWN = 6

const rcodeName = (rcode: number) => RCODE_NAMES[rcode] ?? `RCODE${rcode}`

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/^_/, "")

const samplesOf = (read: Read, s: Stats): ReadonlyArray<Sample> => {
  const v = read(s)
  if (v === undefined) return []
  return typeof v === "number" ? [[{}, v]] : v
}

/**
 * The `/metrics` text (Prometheus exposition format 0.0.4, by `prom-client`) of a `Stats` reading. Every
 * series but the upstream latency histogram is computed at scrape time from the reading by a `collect`
 * callback, so the query path only bumps plain numbers. One exposition per health listener, on its own
 * registry (never prom-client's global one).
 */
export const makeExposition = (upstreamLatency: Histogram) => {
  const registry = new Registry()
  let current: Stats | undefined

  const counter = (name: string, help: string, labelNames: ReadonlyArray<string>, read: Read) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect(this: Counter) {
        this.reset()
        if (current === undefined) return
        for (const [labels, value] of samplesOf(read, current)) {
          if (Number.isFinite(value) && value >= 0) this.inc(labels, value)
        }
      }
    })
  // `aggregator`: how the primary of WORKERS=N combines the workers' values (counters are summed)
  const gauge = (name: string, help: string, labelNames: ReadonlyArray<string>, read: Read, aggregator?: Aggregator) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      ...(aggregator === undefined ? {} : { aggregator }),
      collect(this: Gauge) {
        this.reset()
        if (current === undefined) return
        for (const [labels, value] of samplesOf(read, current)) if (Number.isFinite(value)) this.set(labels, value)
      }
    })
  const byKind = (pick: (c: Stats["connections"][number]) => number): Read => (s) =>
    s.connections.map((c) => [{ kind: c.kind }, pick(c)] as const)

  // queries
  counter("vigil_queries_total", "DNS queries received, all transports.", [], (s) => s.queries.queries)
  counter(
    "vigil_answers_total",
    "DNS answers sent, by transport and response code.",
    ["transport", "rcode"],
    (s) =>
      Object.entries(s.answers).flatMap(([transport, counts]) =>
        counts.flatMap((n, rcode) => rcode < ALWAYS_SHOWN || n > 0 ? [[{ transport, rcode: rcodeName(rcode) }, n]] : [])
      ) as ReadonlyArray<Sample>
  )
  counter(
    "vigil_queries_unreadable_total",
    "Messages that could not be read as a query at all (DoT closes, DoH answers 400).",
    [],
    (s) => s.queries.unreadable
  )
  counter(
    "vigil_queries_coalesced_total",
    "Queries that joined an identical question already in flight upstream.",
    [],
    (s) => s.queries.coalesced
  )
  gauge("vigil_queries_in_flight", "Queries received and not yet answered.", [], (s) => s.inFlight)

  // cache
  counter("vigil_cache_hits_total", "Answer cache lookups answered from the cache.", [], (s) => s.cache.hits)
  counter("vigil_cache_misses_total", "Answer cache lookups that missed (expired included).", [], (s) => s.cache.misses)
  counter("vigil_cache_expired_total", "Cache entries found expired on lookup.", [], (s) => s.cache.expired)
  counter("vigil_cache_stored_total", "Answers put into the cache.", [], (s) => s.cache.stored)
  gauge("vigil_cache_entries", "Answers in the cache now.", [], (s) => s.cache.size)

  // upstream
  counter(
    "vigil_upstream_queries_total",
    "Queries sent upstream (cache misses after coalescing).",
    [],
    (s) => s.queries.upstreamQueries
  )
  counter(
    "vigil_upstream_errors_total",
    "Upstream queries that failed after failover, by reason (Interrupted: query deadline or shutdown).",
    ["reason"],
    (s) => Object.entries(s.upstream.errors).map(([reason, n]) => [{ reason }, n] as const)
  )
  registry.registerMetric(upstreamLatency)

  // connections and the adaptive limit
  counter("vigil_connections_opened_total", "Connections accepted.", ["kind"], byKind((c) => c.opened))
  gauge("vigil_connections_open", "Connections open now.", ["kind"], byKind((c) => c.open))
  counter(
    "vigil_connections_dropped_total",
    "Connections refused at the adaptive connection limit.",
    ["kind"],
    byKind((c) => c.dropped)
  )
  counter(
    "vigil_connections_timed_out_total",
    "Connections (and DoH streams) closed for idling.",
    ["kind"],
    byKind((c) => c.timedOut)
  )
  counter("vigil_tls_client_errors_total", "TLS handshakes that failed.", ["kind"], byKind((c) => c.tlsErrors))
  gauge("vigil_connection_limit", "maxConnections applied to every listener.", [], (s) => s.limit.limit, "max")
  gauge(
    "vigil_overloaded",
    "1 while the machine is overloaded (/ready is 503).",
    [],
    (s) => (s.limit.overloaded ? 1 : 0),
    "max"
  )
  gauge("vigil_load_pressure", "Accumulated load pressure of the adaptive limit.", [], (s) => s.limit.adj, "max")
  gauge(
    "vigil_system_load_ratio",
    "Load average per CPU at the last sample of the adaptive limit.",
    ["window"],
    (s) => {
      const l = s.limit.sample
      if (l === undefined) return undefined
      const cpus = Math.max(1, l.cpus)
      return [[{ window: "1m" }, l.loadavg[0] / cpus], [{ window: "5m" }, l.loadavg[1] / cpus], [
        { window: "15m" },
        l.loadavg[2] / cpus
      ]]
    },
    "max"
  )
  gauge(
    "vigil_system_memory_bytes",
    "Free and total memory at the last sample of the adaptive limit.",
    ["state"],
    (s) => {
      const l = s.limit.sample
      return l === undefined ? undefined : [[{ state: "free" }, l.freeMem], [{ state: "total" }, l.totalMem]]
    },
    "max"
  )

  // TLS sessions
  counter(
    "vigil_tls_handshakes_total",
    "TLS handshakes completed: full, or resumed by ticket, session id or PSK.",
    ["type"],
    (s) => [
      [{ type: "full" }, s.tls.fullHandshakes],
      [{ type: "ticket" }, s.tls.resumed.ticket],
      [{ type: "session_id" }, s.tls.resumed.sessionId],
      [{ type: "psk" }, s.tls.resumed.psk]
    ]
  )
  counter("vigil_tls_psk_refused_total", "TLS-PSK handshakes refused.", [], (s) => s.tls.pskRefused)
  counter("vigil_tls_ticket_rotations_total", "Session-ticket key rotations.", [], (s) => s.tls.ticketRotations)
  counter(
    "vigil_tls_session_cache_lookups_total",
    "TLS session-id lookups, by result.",
    ["result"],
    (s) => [[{ result: "hit" }, s.tls.sessionCacheHits], [{ result: "miss" }, s.tls.sessionCacheMisses]]
  )
  counter(
    "vigil_tls_session_cache_stored_total",
    "TLS 1.2 sessions put into the session cache.",
    [],
    (s) => s.tls.sessionCacheStored
  )

  // DoH and DoT bad input
  counter("vigil_doh_requests_total", "DoH HTTP requests received.", [], (s) => s.doh.requests)
  counter(
    "vigil_doh_responses_total",
    "DoH HTTP responses sent, by status.",
    ["status"],
    (s) => Object.entries(s.doh.status).map(([status, n]) => [{ status }, n] as const)
  )
  counter(
    "vigil_doh_rejected_total",
    "DoH requests answered without a DNS answer, by reason.",
    ["reason"],
    (s) => Object.entries(s.doh.rejected).map(([reason, n]) => [{ reason: snake(reason) }, n] as const)
  )
  counter(
    "vigil_doh_abandoned_total",
    "DoH answers whose stream or connection was gone.",
    [],
    (s) => s.doh.abandoned
  )
  counter(
    "vigil_doh_errors_total",
    "DoH failures: HTTP/2 sessions and streams, HTTP/1.1 client errors, TLS handshakes.",
    ["type"],
    (s) => [
      [{ type: "session" }, s.doh.sessionErrors],
      [{ type: "stream" }, s.doh.streamErrors],
      [{ type: "client" }, s.doh.clientErrors],
      [{ type: "tls" }, s.doh.tlsErrors]
    ]
  )
  counter(
    "vigil_dot_bad_input_total",
    "DoT connections closed for bad input, and socket errors.",
    ["reason"],
    (s) => [
      [{ reason: "zero_length" }, s.dot.zeroLength],
      [{ reason: "unreadable" }, s.dot.unreadable],
      [{ reason: "socket_error" }, s.dot.socketErrors]
    ]
  )
  counter(
    "vigil_dot_proxy_connections_total",
    "Connections of DOT_PROXY_PORT by the fate of their PROXY header: accepted (proxy, local) or refused.",
    ["result"],
    (s) => [
      [{ result: "proxy" }, s.dotProxy.accepted.proxy],
      [{ result: "local" }, s.dotProxy.accepted.local],
      ...Object.entries(s.dotProxy.refused).map(([reason, n]) => [{ result: reason.toLowerCase() }, n] as const)
    ]
  )

  // certificate
  gauge(
    "vigil_certificate_expiry_seconds",
    "Seconds until the served certificate expires (negative once it has).",
    [],
    (s) => s.certificate?.secondsLeft,
    "min"
  )
  gauge(
    "vigil_certificate_not_after_timestamp_seconds",
    "Expiry of the served certificate, Unix time.",
    [],
    (s) => s.certificate === undefined ? undefined : Math.floor(s.certificate.notAfter.getTime() / 1000),
    "min"
  )
  counter(
    "vigil_certificate_renewals_total",
    "Certificates replaced by a newer one.",
    [],
    (s) => s.certificate?.renewals
  )
  counter(
    "vigil_certificate_renewal_failures_total",
    "Renewal attempts that failed.",
    [],
    (s) => s.certificate?.renewalFailures
  )
  counter(
    "vigil_certificate_rejected_total",
    "Candidate certificates rejected by a check.",
    [],
    (s) => s.certificate?.rejected
  )

  // who may use the resolver
  counter(
    "vigil_refused_total",
    "Connections or queries turned away, by transport and reason (acl, token_missing, token_wrong, rate_limited, client_blocked).",
    ["transport", "reason"],
    (s) =>
      (["dot", "doh"] as const).flatMap((transport) =>
        REFUSAL_REASONS.map((reason) => [{ transport, reason }, s.admission.refused[transport][reason]] as const)
      )
  )
  counter(
    "vigil_rate_limited_queries_total",
    "Queries refused by the per-client rate limit (over the limit, or during a dynamic block).",
    [],
    (s) => s.admission.limiter.limited + s.admission.limiter.blocked
  )
  counter(
    "vigil_client_blocks_total",
    "Dynamic blocks started (a client over its limit for BLOCK_AFTER_S).",
    [],
    (s) => s.admission.limiter.blocksStarted
  )
  gauge("vigil_clients_blocked", "Client networks in a dynamic block now.", [], (s) => s.admission.currentlyBlocked)
  gauge(
    "vigil_rate_limit_clients",
    "Client networks whose rate is tracked (bounded).",
    [],
    (s) => s.admission.clientsTracked
  )

  // blocklists
  const listSamples = (s: Stats, read: (l: ListInfo) => number): ReadonlyArray<Sample> =>
    [
      ...s.blocklists.lists,
      ...(s.blocklists.allowlist ? [s.blocklists.allowlist] : []),
      ...(s.blocklists.denylist ? [s.blocklists.denylist] : [])
    ].map((l) => [{ list: l.name }, read(l)])
  counter(
    "vigil_blocked_queries_total",
    "Queries answered blocked, by the list that blocked them (`denylist` for DENYLIST).",
    ["list"],
    (s) => [
      ...s.blocklists.lists.map((l, i) => [{ list: l.name }, s.blocklists.stats.blockedByList[i] ?? 0] as const),
      [{ list: "denylist" }, s.blocklists.stats.denied]
    ]
  )
  counter(
    "vigil_blocked_cname_total",
    "Queries blocked because the upstream answer's CNAME chain runs through a blocked name.",
    [],
    (s) => s.blocklists.stats.cnameBlocked
  )
  counter("vigil_allowlisted_queries_total", "Queries for names on ALLOWLIST.", [], (s) => s.blocklists.stats.allowed)
  counter(
    "vigil_blocklist_unknown_selectors_total",
    "List names in DoH paths or DoT SNIs that are no configured list (ignored).",
    [],
    (s) => s.blocklists.stats.unknownSelectors
  )
  gauge("vigil_blocklist_names", "Distinct names per list.", ["list"], (s) => listSamples(s, (l) => l.names), "max")
  gauge(
    "vigil_blocklist_invalid_lines",
    "Lines of the last load of each list that could not be read as a host name.",
    ["list"],
    (s) => listSamples(s, (l) => l.invalid),
    "max"
  )
  gauge(
    "vigil_blocklist_load_ok",
    "1 when the last load of the list succeeded (a failed download keeping the stored copy is 0).",
    ["list"],
    (s) => listSamples(s, (l) => (l.error === undefined ? 1 : 0)),
    "min"
  )
  gauge(
    "vigil_blocklist_last_load_timestamp_seconds",
    "When the lists were last loaded (start-up or refresh), Unix time.",
    [],
    (s) => (s.blocklists.generation === 0 ? undefined : s.blocklists.lastLoadAt / 1000),
    "min"
  )
  gauge(
    "vigil_blocklist_last_load_success",
    "1 when every list loaded at the last load, 0 when one failed.",
    [],
    (s) => (s.blocklists.generation === 0 ? undefined : s.blocklists.lastLoadOk ? 1 : 0),
    "min"
  )
  counter("vigil_blocklist_refreshes_total", "Scheduled list refreshes.", [], (s) => s.blocklists.stats.refreshes)
  counter(
    "vigil_blocklist_refresh_failures_total",
    "Refreshes in which a list could not be fetched.",
    [],
    (s) => s.blocklists.stats.refreshFailures
  )
  gauge(
    "vigil_blocklist_memory_bytes",
    "Bytes held by the compiled lists.",
    [],
    (s) => s.blocklists.memoryBytes
  )

  // process
  gauge("vigil_uptime_seconds", "Seconds since the server started.", [], (s) => s.uptimeSeconds, "max")
  gauge("vigil_start_time_seconds", "Start of the server, Unix time.", [], (s) => s.startedAt / 1000, "min")
  gauge("process_resident_memory_bytes", "Resident memory size in bytes.", [], (s) => s.rssBytes)
  gauge("nodejs_heap_size_used_bytes", "JavaScript heap in use, bytes.", [], (s) => s.heapUsedBytes)
  gauge(
    "nodejs_external_memory_bytes",
    "Memory of C++ objects bound to JavaScript objects (buffers), bytes.",
    [],
    (s) => s.externalBytes
  )

  // one reading at a time: `current` is what every collect callback of a render reads
  let queue: Promise<unknown> = Promise.resolve()
  const render = (s: Stats): Promise<string> => {
    const out = queue.then(() => {
      current = s
      return registry.metrics()
    })
    queue = out.catch(() => undefined)
    return out
  }

  /** the same reading as prom-client JSON, for the primary of WORKERS=N to aggregate */
  const json = (s: Stats) => {
    const out = queue.then(() => {
      current = s
      return registry.getMetricsAsJSON()
    })
    queue = out.catch(() => undefined)
    return out
  }

  return { contentType: registry.contentType, render, json }
}
