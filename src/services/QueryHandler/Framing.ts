/**
 * RFC 7766 §8 framing: every message is preceded by its length as two bytes. Messages may arrive split
 * across reads at any byte, or many in one read (pipelining); they are handed on as zero-copy views of
 * the read buffer whenever a message lies whole in one read, and joined only when it does not.
 */
export interface FrameReader {
  /** feeds one chunk read from the connection */
  readonly push: (chunk: Buffer) => void
  /** bytes held of a message not yet complete */
  readonly buffered: () => number
}

export type FramingError = "ZeroLength"

export const makeFrameReader = (
  onMessage: (message: Buffer) => void,
  onError: (reason: FramingError) => void
): FrameReader => {
  let chunks: Array<Buffer> = []
  let held = 0
  let failed = false

  /** Hands on every whole message of `buf`; returns the offset of the first incomplete byte. */
  const drain = (buf: Buffer): number => {
    let off = 0
    while (!failed && off + 2 <= buf.length) {
      const len = (buf[off]! << 8) | buf[off + 1]!
      if (len === 0) {
        failed = true
        onError("ZeroLength")
        return buf.length
      }
      if (off + 2 + len > buf.length) break
      onMessage(buf.subarray(off + 2, off + 2 + len))
      off += 2 + len
    }
    return off
  }

  const keep = (buf: Buffer, from: number) => {
    if (from < buf.length) {
      chunks = [buf.subarray(from)]
      held = buf.length - from
    } else {
      chunks = []
      held = 0
    }
  }

  const push = (chunk: Buffer) => {
    if (failed || chunk.length === 0) return
    if (held === 0) return keep(chunk, drain(chunk))
    chunks.push(chunk)
    held += chunk.length
    if (held < 2) return
    const first = chunks[0]!
    const len = first.length >= 2 ? (first[0]! << 8) | first[1]! : (first[0]! << 8) | chunks[1]![0]!
    if (held < len + 2 && len !== 0) return
    const all = Buffer.concat(chunks, held)
    keep(all, drain(all))
  }

  return { push, buffered: () => held }
}

/** A message with its two-byte length prefix, ready to write. */
export const frame = (message: Uint8Array): Buffer => {
  const out = Buffer.allocUnsafe(message.length + 2)
  out[0] = message.length >> 8
  out[1] = message.length & 0xff
  out.set(message, 2)
  return out
}
