import type * as net from "node:net"
import { makeRecordSizer, RECORD_SIZE } from "./RecordSize.js"

/** Bytes the queue may hold before `needDrain` says to stop reading (as a socket's `writableHighWaterMark`). */
export const QUEUE_HIGH_WATER = 16_384

/**
 * Writes to a TLS socket (DoT answers, DoH responses) in records of the size `makeRecordSizer` asks for (SPEC.md §5). The TLS
 * layer keeps its 16 KiB records; the writer decides what each `SSL_write` holds. While the connection is
 * small, one write is in flight at a time and holds at most `RECORD_SIZE` bytes (answers that came in the
 * meantime are packed together up to that size): one write, one record. In a burst, whatever is queued
 * goes at once and Node joins what it buffers (16 KiB records).
 *
 * `defer` is when queued data goes to the socket: by default once the current callback is done (a
 * microtask), which suits DoH, where one read holds whole requests. `immediate` (DoH, whose transports
 * join the responses of a read before writing): data that finds nothing queued and nothing being
 * written, and fits one record of the current size, goes to the socket at once, as `pump` would write it. A DoT connection passes
 * `afterThisTurn`: a DoT client's pipelined queries come one TLS record each, and Node hands every
 * record over as its own `data` event, so a microtask would write the first answer alone and the others
 * only after that write completed (two `SSL_write`s and two send calls per read). Written at the end of
 * the event-loop turn, every answer of the turn goes out in one write.
 */
export const makeRecordWriter = (
  socket: net.Socket,
  now: () => number,
  drained: () => void,
  defer: (pump: () => void) => void = queueMicrotask,
  immediate = false
) => {
  const sizer = makeRecordSizer()
  let queue: Array<Buffer> = []
  let queued = 0
  let writing = false
  let scheduled = false
  let ending = false
  let destroyAfter = false

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
    // copied straight into the one buffer written (no list of parts, no views)
    const n = Math.min(max, queued)
    const out = Buffer.allocUnsafe(n)
    let at = 0
    while (at < n) {
      const next = queue[0]!
      const room = n - at
      if (next.length <= room) {
        next.copy(out, at)
        at += next.length
        queue.shift()
      } else {
        next.copy(out, at, 0, room)
        queue[0] = next.subarray(room)
        at = n
      }
    }
    queued -= n
    return out
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
    if (ending && queued === 0 && !writing && !socket.destroyed) {
      ending = false
      socket.end()
      if (destroyAfter) socket.destroySoon()
    }
    if (queued <= QUEUE_HIGH_WATER) drained()
  }

  return {
    write: (data: Buffer) => {
      // immediate: with nothing queued and nothing being written, data that fits one record of the
      // current size goes now, as `pump` would write it (the caller has joined what it had)
      if (immediate && !writing && !scheduled && queued === 0 && socket.writableLength === 0 && !socket.destroyed) {
        const t = now()
        if (data.length <= sizer.peek(t)) {
          sizer.next(t, data.length)
          socket.write(data)
          return
        }
      }
      queue.push(data)
      queued += data.length
      if (!writing && !scheduled) {
        scheduled = true
        defer(pump)
      }
    },
    /** answers not yet handed to the socket */
    pending: () => queued > 0 || writing,
    /** reading should pause: the queue or the socket's buffer is full */
    needDrain: () => queued > QUEUE_HIGH_WATER || socket.writableNeedDrain,
    /** bytes queued, not yet handed to the socket */
    queuedBytes: () => queued,
    /** ends the socket once everything queued is written (`destroy`: and destroys it after that write) */
    end: (destroy = false) => {
      ending = true
      destroyAfter ||= destroy
      if (queued === 0 && !writing) pump()
      else if (!writing && !scheduled) {
        scheduled = true
        defer(pump)
      }
    }
  }
}

/** What `makeRecordWriter` gives. */
export type RecordWriter = ReturnType<typeof makeRecordWriter>

/**
 * Runs `pump` at the end of this event-loop turn (Node's check phase, right after the I/O callbacks of
 * the turn): the `defer` of a DoT connection's writer.
 */
export const afterThisTurn = (pump: () => void): void => {
  setImmediate(pump)
}
