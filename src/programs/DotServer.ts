import { Duration, Effect, FiberSet, LogLevel } from "effect"
import type * as net from "node:net"
import * as tls from "node:tls"
import { QueryHandler } from "../services/QueryHandler.js"
import { frame, makeFrameReader } from "../services/QueryHandler/Framing.js"
import { errorAnswer, MAX_MESSAGE, Rcode } from "../services/QueryHandler/Wire.js"
import { ServerConfig } from "../services/ServerConfig.js"
import { listen, TlsServerRegistry } from "../services/TlsServerRegistry.js"

/** Queries one connection may have in flight; past it, reading pauses until answers go out. */
export const MAX_IN_FLIGHT_PER_CONNECTION = 128

/** Bad input seen on DoT connections (SPEC.md §8). */
export const dotBadInput = { zeroLength: 0, unreadable: 0, socketErrors: 0 }

/**
 * DNS over TLS (RFC 7858 over RFC 7766 framing) on `DOT_PORT`: split and pipelined queries, answers
 * written as soon as each is ready (out of order), a per-connection in-flight cap, ALPN `dot`, idle
 * timeout `WORKER_TIMEOUT`, half-close honoured (answers still go out after the client's FIN).
 */
export const DotServer = Effect.gen(function*() {
  const config = yield* ServerConfig
  const registry = yield* TlsServerRegistry
  const handler = yield* QueryHandler
  const options = yield* registry.tlsOptions(["dot"])
  const idleMs = Duration.toMillis(config.workerTimeout)
  const runFork = yield* FiberSet.makeRuntime<never, void, never>()
  const debug = LogLevel.lessThanEqual(config.logLevel, LogLevel.Debug)
  const logDebug = (msg: string) => runFork(Effect.logDebug(msg).pipe(Effect.annotateLogs({ service: "DotServer" })))

  const serve = (socket: tls.TLSSocket) => {
    const ctx = { transport: "dot" as const, remoteAddress: socket.remoteAddress }
    let inFlight = 0
    let paused = false
    let ended = false
    const backlog: Array<Buffer> = []

    const finishIfDone = () => {
      if (ended && inFlight === 0 && backlog.length === 0 && !socket.destroyed) socket.end()
    }
    const reply = (answer: Buffer | null) => {
      inFlight--
      if (socket.destroyed) return
      if (answer === null) {
        dotBadInput.unreadable++
        if (debug) logDebug(`closing ${ctx.remoteAddress}: unreadable message`)
        socket.destroy()
        return
      }
      if (!socket.write(frame(answer.length > MAX_MESSAGE ? errorAnswer(answer, Rcode.SERVFAIL) : answer))) {
        if (!paused) {
          paused = true
          socket.pause()
          socket.once("drain", resumeIfBelowCap)
        }
      }
      resumeIfBelowCap()
      finishIfDone()
    }
    const submit = (message: Buffer) => {
      inFlight++
      handler.handle(message, ctx, reply)
    }
    const resumeIfBelowCap = () => {
      while (backlog.length > 0 && inFlight < MAX_IN_FLIGHT_PER_CONNECTION) submit(backlog.shift()!)
      if (paused && inFlight < MAX_IN_FLIGHT_PER_CONNECTION && socket.writableNeedDrain === false) {
        paused = false
        socket.resume()
      }
    }
    const reader = makeFrameReader((message) => {
      if (inFlight >= MAX_IN_FLIGHT_PER_CONNECTION) {
        backlog.push(message)
        if (!paused) {
          paused = true
          socket.pause()
        }
        return
      }
      submit(message)
    }, (reason) => {
      dotBadInput.zeroLength++
      if (debug) logDebug(`closing ${ctx.remoteAddress}: framing error ${reason}`)
      socket.destroy()
    })

    socket.setNoDelay(true)
    socket.setTimeout(idleMs)
    socket.on("timeout", () => {
      if (inFlight > 0) return
      registry.countTimeout("dot")
      socket.destroy()
    })
    socket.on("data", reader.push)
    socket.on("end", () => {
      ended = true
      finishIfDone()
    })
    socket.on("error", (e) => {
      dotBadInput.socketErrors++
      if (debug) logDebug(`connection ${ctx.remoteAddress}: ${e.message}`)
    })
  }

  const server = yield* Effect.acquireRelease(
    Effect.sync(() =>
      tls.createServer({ ...options, allowHalfOpen: true, pauseOnConnect: false, noDelay: true, keepAlive: true })
    ),
    (server) => Effect.sync(() => server.close())
  )
  yield* registry.register("dot", server)
  server.on("secureConnection", serve)
  server.on("tlsClientError", (e: Error, socket: net.Socket) => {
    if (debug) logDebug(`TLS handshake from ${socket.remoteAddress} failed: ${e.message}`)
  })
  const address = yield* listen("DoT", server, config.listenHost, config.dotPort, config.tcpBacklog)
  return { address, server }
})
