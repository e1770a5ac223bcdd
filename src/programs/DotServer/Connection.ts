import type * as net from "node:net"
import type { QueryContext, QueryHandler } from "../../services/QueryHandler.js"
import { frame, makeFrameReader } from "../../services/QueryHandler/Framing.js"
import { errorAnswer, MAX_MESSAGE, Rcode } from "../../services/QueryHandler/Wire.js"

/** Queries one connection may have in flight; past it, reading pauses until answers go out. */
export const MAX_IN_FLIGHT_PER_CONNECTION = 128

/** Bad input seen on DoT connections (SPEC.md §8). */
export const dotBadInput = { zeroLength: 0, unreadable: 0, socketErrors: 0 }

/** What one DoT connection needs from its listener. */
export interface DotConnectionEnv {
  readonly handle: QueryHandler["handle"]
  readonly idleMs: number
  /** counts a connection closed for idling */
  readonly countTimeout: () => void
  /** set when debug logging is on */
  readonly logDebug: ((msg: string) => void) | undefined
}

/**
 * One RFC 7766 connection, on a TLS socket (DoT) or a plain TCP socket (cleartext DoT under TLS
 * offload): split and pipelined queries, answers written as soon as each is ready (out of order), a
 * per-connection in-flight cap, idle timeout, half-close honoured (answers still go out after the FIN).
 */
export const serveDotConnection = (socket: net.Socket, ctx: QueryContext, env: DotConnectionEnv): void => {
  const { logDebug } = env
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
      if (logDebug !== undefined) logDebug(`closing ${ctx.remoteAddress}: unreadable message`)
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
    env.handle(message, ctx, reply)
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
    if (logDebug !== undefined) logDebug(`closing ${ctx.remoteAddress}: framing error ${reason}`)
    socket.destroy()
  })

  socket.setNoDelay(true)
  socket.setTimeout(env.idleMs)
  socket.on("timeout", () => {
    if (inFlight > 0) return
    env.countTimeout()
    socket.destroy()
  })
  socket.on("data", reader.push)
  socket.on("end", () => {
    ended = true
    finishIfDone()
  })
  socket.on("error", (e) => {
    dotBadInput.socketErrors++
    if (logDebug !== undefined) logDebug(`connection ${ctx.remoteAddress}: ${e.message}`)
  })
}
