import { Clock, Effect, Option } from "effect"
import { Admission } from "../services/Admission.js"
import { AnswerCache } from "../services/AnswerCache.js"
import { Blocklists, type BlocklistsReading } from "../services/Blocklists.js"
import { type CertStats, CertStore } from "../services/CertStore.js"
import { type LimitState, Metrics, type UpstreamCounters } from "../services/Metrics.js"
import { QueryHandler, type QueryStats, type Transport } from "../services/QueryHandler.js"
import { TlsServerRegistry } from "../services/TlsServerRegistry.js"
import { snapshotTlsSessionStats, type TlsSessionStats } from "../services/TlsSessions.js"
import { type DohStats, dohStats } from "./DohServer.js"
import { dotBadInput } from "./DotServer.js"
import { proxyAccepted, proxyRefused } from "./DotServer/ProxyListener.js"

/** The connection counters of the listeners of one kind ("dot", "doh", …). */
export interface ConnectionStats {
  readonly kind: string
  /** connections open now */
  readonly open: number
  readonly opened: number
  /** refused at the adaptive limit (`maxConnections`) */
  readonly dropped: number
  readonly timedOut: number
  /** failed TLS handshakes */
  readonly tlsErrors: number
}

/** Every counter of the server, read at one moment: what the heartbeat logs and `/metrics` shows. */
export interface Stats {
  /** Clock time of the reading, ms */
  readonly at: number
  /** since the server started (Clock) */
  readonly uptimeSeconds: number
  readonly startedAt: number
  readonly queries: QueryStats
  readonly inFlight: number
  /** answers sent by transport, indexed by rcode (0–15) */
  readonly answers: Readonly<Record<Transport, ReadonlyArray<number>>>
  readonly cache: {
    readonly hits: number
    readonly misses: number
    readonly expired: number
    readonly stored: number
    readonly size: number
  }
  readonly upstream: UpstreamCounters
  /** by listener kind, in registration order */
  readonly connections: ReadonlyArray<ConnectionStats>
  readonly limit: Readonly<LimitState>
  /** TLS handshakes (full, resumed by kind), session cache, PSK, ticket rotations, record sizing */
  readonly tls: TlsSessionStats
  /** undefined under TLS offload (no certificate) */
  readonly certificate:
    | CertStats & {
      readonly notAfter: Date
      /** seconds until the served certificate expires (negative once it has) */
      readonly secondsLeft: number
    }
    | undefined
  readonly doh: DohStats
  readonly dot: Readonly<typeof dotBadInput>
  /** `DOT_PROXY_PORT`: headers accepted by command, connections refused by reason */
  readonly dotProxy: { readonly accepted: typeof proxyAccepted; readonly refused: typeof proxyRefused }
  /** ACL, token and rate-limit refusals, dynamic blocks */
  readonly admission: ReturnType<Admission["read"]>
  /** lists, their sizes and loads, blocking counters */
  readonly blocklists: BlocklistsReading
  readonly rssBytes: number
  /** V8's heap in use, and the memory of C++ objects bound to JS objects (buffers) */
  readonly heapUsedBytes: number
  readonly externalBytes: number
}

/** Reads every counter once; nothing here runs on the query path. */
export const readStats = Effect.gen(function*() {
  const handler = yield* QueryHandler
  const cache = yield* AnswerCache
  const blocklists = yield* Blocklists
  const admission = yield* Admission
  const registry = yield* TlsServerRegistry
  const metrics = yield* Metrics
  const certs = yield* Effect.serviceOption(CertStore)
  const at = yield* Clock.currentTimeMillis
  const cert = Option.isSome(certs) ? yield* certs.value.current : undefined
  const servers = yield* registry.servers

  const byKind = new Map<string, { -readonly [K in keyof ConnectionStats]: ConnectionStats[K] }>()
  for (const s of servers) {
    const c = byKind.get(s.kind) ?? { kind: s.kind, open: 0, opened: 0, dropped: 0, timedOut: 0, tlsErrors: 0 }
    c.open += s.connections.size
    c.opened += s.counters.opened
    c.dropped += s.counters.dropped
    c.timedOut += s.counters.timedOut
    c.tlsErrors += s.counters.tlsErrors
    byKind.set(s.kind, c)
  }

  const stats: Stats = {
    at,
    startedAt: metrics.startedAt,
    uptimeSeconds: Math.max(0, (at - metrics.startedAt) / 1000),
    queries: handler.stats(),
    inFlight: handler.inFlight(),
    answers: handler.answers(),
    cache: { ...cache.stats(), size: cache.size() },
    upstream: metrics.upstream(),
    connections: [...byKind.values()],
    limit: metrics.limit(),
    tls: snapshotTlsSessionStats(),
    certificate: Option.isSome(certs) && cert !== undefined
      ? {
        ...certs.value.stats(),
        notAfter: cert.notAfter,
        secondsLeft: Math.floor((cert.notAfter.getTime() - at) / 1000)
      }
      : undefined,
    doh: { ...dohStats, status: { ...dohStats.status }, rejected: { ...dohStats.rejected } },
    dot: { ...dotBadInput },
    dotProxy: { accepted: { ...proxyAccepted }, refused: { ...proxyRefused } },
    admission: admission.read(),
    blocklists: (() => {
      const r = blocklists.read()
      return { ...r, stats: { ...r.stats, blockedByList: [...r.stats.blockedByList] } }
    })(),
    ...memory()
  }
  return stats
})

const memory = () => {
  const m = process.memoryUsage()
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, externalBytes: m.external }
}
