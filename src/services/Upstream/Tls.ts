/**
 * DNS over TLS to an upstream (RFC 7858): the pipelined stream transport of `Tcp.ts` over node:tls, with
 * SNI, ALPN "dot", certificate verification (always on; tests give their own trust anchor as `ca`) and
 * session resumption when the connection is made again.
 */
import { Effect, type Scope } from "effect"
import * as net from "node:net"
import * as tls from "node:tls"
import type { UpstreamShape } from "../Upstream.js"
import { connectSocket, makeStream, type StreamOptions } from "./Tcp.js"

export interface TlsOptions extends StreamOptions {
  /** trust anchors (PEM) instead of Node's bundled CA store */
  readonly ca?: string | ReadonlyArray<string> | undefined
}

export interface TlsSpec {
  readonly host: string
  readonly port: number
  /** SNI and the name the certificate must carry; default: `host` when it is a name */
  readonly servername: string | undefined
  readonly text: string
}

/** The `ca` option of node:tls for a trust-anchor setting. */
export const caOption = (ca: string | ReadonlyArray<string> | undefined): { ca?: string | Array<string> } =>
  ca === undefined ? {} : { ca: typeof ca === "string" ? ca : [...ca] }

/** A DoT transport to `spec` (one persistent, pipelined connection), closed with the scope. */
export const make = (spec: TlsSpec, options: TlsOptions = {}): Effect.Effect<UpstreamShape, never, Scope.Scope> =>
  Effect.suspend(() => {
    const servername = spec.servername ?? (net.isIP(spec.host) === 0 ? spec.host : undefined)
    // the last session ticket the server gave us: a reconnect resumes instead of a full handshake
    let session: Buffer | undefined
    const create = () => {
      const socket = tls.connect({
        host: spec.host,
        port: spec.port,
        ...(servername === undefined ? {} : { servername }),
        ALPNProtocols: ["dot"],
        minVersion: "TLSv1.2",
        ...caOption(options.ca),
        ...(session === undefined ? {} : { session })
      })
      socket.on("session", (s: Buffer) => {
        session = s
      })
      return socket
    }
    return makeStream({
      upstream: spec.text,
      connect: connectSocket(spec.text, create, "secureConnect"),
      idleTimeoutMs: options.idleTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs
    })
  })
