import type * as net from "node:net"
import type { Admission } from "../../services/Admission.js"
import type { QueryContext, QueryHandler } from "../../services/QueryHandler.js"
import { frame, makeFrameReader } from "../../services/QueryHandler/Framing.js"
import { errorAnswer, MAX_MESSAGE, peekQuery, Rcode } from "../../services/QueryHandler/Wire.js"
import { makeRecordSizer, RECORD_SIZE } from "../../services/TlsSessions/RecordSize.js"

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
  /**
   * On TLS sockets: the clock (milliseconds) that TLS record sizing runs on (SPEC.md §5, see
   * TlsSessions/RecordSize.ts). Undefined on plain TCP, where answers are written as they come.
   */
  readonly recordClock: (() => number) | undefined
  /** the per-client rate limit (`admitQuery`); undefined: none */
  readonly admit: ((message: Buffer, address: string | undefined) => Buffer | undefined) | undefined
  /** the clock (milliseconds) that the completion of a started message is timed on */
  readonly now: () => number
}

/**
 * The rate-limit check of one DoT query: undefined when it may go on, else the REFUSED answer to send
 * (the question echoed when it can be read), counted in `Admission`.
 */
export const admitQuery = (admission: Admission) => (message: Buffer, address: string | undefined) => {
  const verdict = admission.rate(address)
  if (verdict === "ok") return undefined
  admission.refuse("dot", verdict === "limited" ? "rate_limited" : "client_blocked")
  const peek = peekQuery(message)
  return errorAnswer(message, Rcode.REFUSED, typeof peek === "number" ? undefined : peek.questionEnd)
}

/** Bytes an answer queue may hold before reading pauses (as a socket's `writableHighWaterMark`). */
const QUEUE_HIGH_WATER = 16_384

/**
 * Writes answers to a TLS socket in records of the size `makeRecordSizer` asks for (SPEC.md §5). The TLS
 * layer keeps its 16 KiB records; the writer decides what each `SSL_write` holds. While the connection is
 * small, one write is in flight at a time and holds at most `RECORD_SIZE` bytes (answers that came in the
 * meantime are packed together up to that size): one write, one record. In a burst, whatever is queued
 * goes at once and Node joins what it buffers (16 KiB records).
 */
const makeRecordWriter = (socket: net.Socket, now: () => number, drained: () => void) => {
  const sizer = makeRecordSizer()
  let queue: Array<Buffer> = []
  let queued = 0
  let writing = false
  let scheduled = false

  /** Takes the first `max` bytes of the queue (whole answers joined, the last one possibly split). */
  const take = (max: number): Buffer => {
    const first = queue[0]!
    if (first.length >= max || queue.length === 1) {
      const n = Math.min(max, first.length)
      if (n === first.length) queue.shift()
      else queue[0] = first.subarray(n)
      queued -= n
      return n === first.length ? first : first.subarray(0, n)
    }
    const parts: Array<Buffer> = []
    let n = 0
    while (queue.length > 0 && n < max) {
      const next = queue[0]!
      if (n + next.length <= max) {
        parts.push(next)
        n += next.length
        queue.shift()
      } else {
        parts.push(next.subarray(0, max - n))
        queue[0] = next.subarray(max - n)
        n = max
      }
    }
    queued -= n
    return Buffer.concat(parts, n)
  }

  const afterWrite = () => {
    writing = false
    pump()
  }

  const pump = () => {
    scheduled = false
    if (socket.destroyed) {
      queue = []
      queued = 0
      return
    }
    if (!writing && queued > 0) {
      const t = now()
      if (sizer.peek(t) === RECORD_SIZE) {
        const chunk = take(RECORD_SIZE)
        sizer.next(t, chunk.length)
        writing = true
        socket.write(chunk, afterWrite)
      } else {
        const all = queue.length === 1 ? queue[0]! : Buffer.concat(queue, queued)
        sizer.next(t, all.length)
        queue = []
        queued = 0
        socket.write(all)
      }
    }
    if (queued <= QUEUE_HIGH_WATER) drained()
  }

  return {
    write: (data: Buffer) => {
      queue.push(data)
      queued += data.length
      if (!writing && !scheduled) {
        scheduled = true
        queueMicrotask(pump)
      }
    },
    /** answers not yet handed to the socket */
    pending: () => queued > 0 || writing,
    /** reading should pause: the queue or the socket's buffer is full */
    needDrain: () => queued > QUEUE_HIGH_WATER || socket.writableNeedDrain
  }
}

/**
 * One RFC 7766 connection, on a TLS socket (DoT) or a plain TCP socket (cleartext DoT under TLS
 * offload): split and pipelined queries, answers written as soon as each is ready (out of order), a
 * per-connection in-flight cap, idle timeout, a started message to be completed within the idle timeout
 * (a client dribbling bytes is cut), half-close honoured (answers still go out after the FIN).
 */
export const serveDotConnection = (socket: net.Socket, ctx: QueryContext, env: DotConnectionEnv): void => {
  const { logDebug } = env
  let inFlight = 0
  let paused = false
  let ended = false
  const backlog: Array<Buffer> = []

  const finishIfDone = () => {
    if (ended && inFlight === 0 && backlog.length === 0 && !writer?.pending() && !socket.destroyed) socket.end()
  }
  const writer = env.recordClock === undefined ? undefined : makeRecordWriter(socket, env.recordClock, () => {
    resumeIfBelowCap()
    finishIfDone()
  })
  const needDrain = () => (writer === undefined ? socket.writableNeedDrain : writer.needDrain())
  // the socket's own buffer (plain TCP, or a burst on TLS) says when it drained; the writer's queue calls
  // back by itself
  let awaitingDrain = false
  const onSocketDrain = () => {
    awaitingDrain = false
    resumeIfBelowCap()
  }
  const awaitSocketDrain = () => {
    if (!awaitingDrain && socket.writableNeedDrain) {
      awaitingDrain = true
      socket.once("drain", onSocketDrain)
    }
  }
  const pauseIfNeedDrain = () => {
    if (!paused && needDrain()) {
      paused = true
      socket.pause()
    }
    if (paused) awaitSocketDrain()
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
    const framed = frame(answer.length > MAX_MESSAGE ? errorAnswer(answer, Rcode.SERVFAIL) : answer)
    if (writer !== undefined) writer.write(framed)
    else socket.write(framed)
    pauseIfNeedDrain()
    resumeIfBelowCap()
    finishIfDone()
  }
  const submit = (message: Buffer) => {
    inFlight++
    const refused = env.admit === undefined ? undefined : env.admit(message, ctx.remoteAddress)
    if (refused !== undefined) reply(refused)
    else env.handle(message, ctx, reply)
  }
  const resumeIfBelowCap = () => {
    while (backlog.length > 0 && inFlight < MAX_IN_FLIGHT_PER_CONNECTION) submit(backlog.shift()!)
    if (paused && inFlight < MAX_IN_FLIGHT_PER_CONNECTION) {
      if (needDrain()) awaitSocketDrain()
      else {
        paused = false
        socket.resume()
      }
    }
  }
  // slow-loris guard: the idle timer restarts on every byte, so a message once started must be
  // completed (or another one completed) within `idleMs`, else the connection is cut as timed out
  let partialSince = -1
  let completed = false
  const reader = makeFrameReader((message) => {
    completed = true
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
  socket.on("data", (chunk: Buffer) => {
    const t = env.now()
    if (partialSince >= 0 && t - partialSince > env.idleMs) {
      env.countTimeout()
      if (logDebug !== undefined) logDebug(`closing ${ctx.remoteAddress}: a message not completed in ${env.idleMs} ms`)
      socket.destroy()
      return
    }
    completed = false
    reader.push(chunk)
    if (reader.buffered() === 0) partialSince = -1
    else if (completed || partialSince < 0) partialSince = t
  })
  socket.on("end", () => {
    ended = true
    finishIfDone()
  })
  socket.on("error", (e) => {
    dotBadInput.socketErrors++
    if (logDebug !== undefined) logDebug(`connection ${ctx.remoteAddress}: ${e.message}`)
  })
}
