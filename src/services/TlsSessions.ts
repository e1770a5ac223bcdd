import { Effect, FiberSet, LogLevel, Option, Redacted, type Scope } from "effect"
import { LRUCache } from "lru-cache"
import type * as tls from "node:tls"
import { ServerConfig } from "./ServerConfig.js"
import { TicketKeys } from "./TicketKeys.js"
import { makePskKeys, PSK_IDENTITY_HINT, type PskKeys } from "./TlsSessions/Psk.js"
import { tlsSessionStats } from "./TlsSessions/Stats.js"

export { BURST_BYTES, BURST_RECORD_SIZE, makeRecordSizer, RECORD_SIZE } from "./TlsSessions/RecordSize.js"
export { snapshotTlsSessionStats, type TlsSessionStats, tlsSessionStats } from "./TlsSessions/Stats.js"

/** TLS 1.2 sessions kept for session-id resumption (a session is a few hundred bytes). */
export const SESSION_CACHE_MAX = 10_000

/**
 * The session-id context of every TLS listener. Node's default is a hash of `process.argv`: two
 * instances started differently would refuse each other's tickets, and DoT and DoH of one process
 * share the session cache, so it is one constant.
 */
export const SESSION_ID_CONTEXT = "vigil-dns"

const TLS1_3 = 0x0304

/**
 * The protocol version and session id of an OpenSSL session (`SSL_SESSION` in DER, as `newSession`
 * and `getSession()` give it): `SEQUENCE { version INTEGER, sslVersion INTEGER, cipher OCTET STRING,
 * sessionId OCTET STRING, … }`. Undefined when it does not parse.
 */
export const sessionInfo = (der: Uint8Array): { readonly version: number; readonly id: string } | undefined => {
  let p = 0
  const header = (tag: number): number | undefined => {
    if (p + 2 > der.length || der[p] !== tag) return undefined
    p++
    let len = der[p++]!
    if (len & 0x80) {
      const n = len & 0x7f
      if (n === 0 || n > 3 || p + n > der.length) return undefined
      len = 0
      for (let i = 0; i < n; i++) len = len * 256 + der[p++]!
    }
    return p + len <= der.length ? len : undefined
  }
  if (header(0x30) === undefined) return undefined
  const v = header(0x02)
  if (v === undefined) return undefined
  p += v
  const sv = header(0x02)
  if (sv === undefined || sv > 4) return undefined
  let version = 0
  for (let i = 0; i < sv; i++) version = version * 256 + der[p + i]!
  p += sv
  const cipher = header(0x04)
  if (cipher === undefined) return undefined
  p += cipher
  const id = header(0x04)
  if (id === undefined) return undefined
  return { version, id: Buffer.from(der.subarray(p, p + id)).toString("hex") }
}

type HandshakeKind = "full" | "ticket" | "sessionId" | "psk"

/**
 * TLS sessions of every TLS listener (SPEC.md §5): session-ticket keys (`TicketKeys`), the session-id
 * cache for TLS 1.2 clients without tickets (one bounded LRU shared by DoT and DoH), TLS-PSK
 * (PROTOCOLS.md §3) when `TLS_PSK` is set, the TLS record size, and the counters of `tlsSessionStats`.
 *
 * `TlsServerRegistry` puts `contextOptions` and `serverOptions` into every listener's options, calls
 * `attach` when a TLS server registers (in that server's scope) and `reapply` after each
 * `setSecureContext`.
 */
export class TlsSessions extends Effect.Service<TlsSessions>()("vigil/TlsSessions", {
  scoped: Effect.gen(function*() {
    const config = yield* ServerConfig
    const ticketKeys = yield* TicketKeys
    const runFork = yield* FiberSet.makeRuntime<never, void, never>()
    const debug = LogLevel.lessThanEqual(config.logLevel, LogLevel.Debug)
    const logDebug = (msg: string) => {
      if (debug) runFork(Effect.logDebug(msg).pipe(Effect.annotateLogs({ service: "TlsSessions" })))
    }

    const psk = Option.map(config.tlsPsk, (seed) => makePskKeys(Redacted.value(seed)))
    const sessions = new LRUCache<string, Buffer>({ max: SESSION_CACHE_MAX })
    // ids just served from the cache: tells a session-id resumption from a TLS 1.2 ticket one
    const servedIds = new LRUCache<string, true>({ max: 1024 })
    // sockets whose PSK identity was accepted in this handshake
    const pskSockets = new WeakSet<tls.TLSSocket>()

    const pskCallback = (keys: PskKeys) => (socket: tls.TLSSocket, identity: string) => {
      const key = keys.keyFor(identity)
      if (key === undefined) {
        // TLS 1.3 goes on with a certificate handshake after an unknown identity: not a refusal
        if (socket.getProtocol() !== "TLSv1.3") {
          tlsSessionStats.pskRefused++
          logDebug(`PSK identity from ${socket.remoteAddress ?? "?"} refused: not hex of at least 32 bytes`)
        }
        return null
      }
      pskSockets.add(socket)
      return key
    }
    const serverOptions: Pick<tls.TlsOptions, "pskCallback" | "pskIdentityHint"> = Option.match(psk, {
      onNone: () => ({}),
      onSome: (keys) => ({ pskCallback: pskCallback(keys), pskIdentityHint: PSK_IDENTITY_HINT })
    })

    const onNewSession = (id: Buffer, data: Buffer, done: () => void) => {
      // TLS 1.3 sessions are resumed from tickets only; their ids would just push TLS 1.2 ones out
      const info = sessionInfo(data)
      if (info !== undefined && info.version < TLS1_3) {
        sessions.set(id.toString("hex"), data)
        tlsSessionStats.sessionCacheStored++
      }
      done()
    }
    const onResumeSession = (id: Buffer, resume: (err: Error | null, data: Buffer | null) => void) => {
      const key = id.toString("hex")
      const data = sessions.get(key)
      if (data === undefined) tlsSessionStats.sessionCacheMisses++
      else {
        tlsSessionStats.sessionCacheHits++
        servedIds.set(key, true)
      }
      resume(null, data ?? null)
    }
    const kindOf = (socket: tls.TLSSocket): HandshakeKind => {
      if (pskSockets.has(socket)) return "psk"
      if (!socket.isSessionReused()) return "full"
      if (socket.getProtocol() === "TLSv1.2") {
        const session = socket.getSession()
        const info = session === undefined ? undefined : sessionInfo(session)
        if (info !== undefined && servedIds.delete(info.id)) return "sessionId"
      }
      return "ticket"
    }
    const countHandshake = (socket: tls.TLSSocket) => {
      const kind = kindOf(socket)
      if (kind === "full") tlsSessionStats.fullHandshakes++
      else tlsSessionStats.resumed[kind]++
    }
    const onClientError = (_e: Error, socket: tls.TLSSocket) => {
      // the identity was good but the client's key is not the one derived for it
      if (pskSockets.has(socket)) {
        pskSockets.delete(socket)
        tlsSessionStats.pskRefused++
        logDebug(`PSK handshake from ${socket.remoteAddress ?? "?"} failed: wrong key`)
      }
    }

    /**
     * Wires a TLS server in: session cache, handshake counters, record size, its ticket key and the
     * key's rotation fiber, which lives in the current scope (the server's) and ends with it.
     */
    const attach = (kind: string, server: tls.Server): Effect.Effect<void, never, Scope.Scope> =>
      Effect.gen(function*() {
        server.on("newSession", onNewSession)
        server.on("resumeSession", onResumeSession)
        // first, so that the handshake is counted before any listener sees the connection. Records are
        // sized by the listeners' writers (TlsSessions/RecordWriter.ts): OpenSSL cannot raise a lowered
        // record size again, so `setMaxSendFragment` is never called
        server.prependListener("secureConnection", countHandshake)
        server.on("tlsClientError", onClientError)
        yield* ticketKeys.manage(server, kind)
      })

    return {
      /** the handshake of `socket` was TLS-PSK (its identity is the client's credential) */
      isPsk: (socket: tls.TLSSocket): boolean => pskSockets.has(socket),
      /** TLS-PSK is on (a valid `TLS_PSK`): the cipher list keeps PSK suites and `serverOptions` has the callback */
      pskEnabled: Option.isSome(psk),
      /** secure-context options every listener shares (kept across `setSecureContext`) */
      contextOptions: { sessionIdContext: SESSION_ID_CONTEXT } satisfies tls.SecureContextOptions,
      /** server options: PSK callback and identity hint when PSK is on */
      serverOptions,
      attach,
      /** sets a server's ticket key again after `setSecureContext` (which replaces the ticket keys) */
      reapply: (server: tls.Server): void => ticketKeys.reapply(server),
      /** where the ticket-key seed came from */
      ticketSeed: ticketKeys.source,
      sessionCacheSize: () => sessions.size,
      stats: tlsSessionStats
    }
  }),
  dependencies: [TicketKeys.Default]
}) {}
