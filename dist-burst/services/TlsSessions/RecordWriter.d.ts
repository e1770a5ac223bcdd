import type * as net from "node:net";
/** Bytes the queue may hold before `needDrain` says to stop reading (as a socket's `writableHighWaterMark`). */
export declare const QUEUE_HIGH_WATER = 16384;
/**
 * Writes to a TLS socket (DoT answers, DoH responses) in records of the size `makeRecordSizer` asks for (SPEC.md §5). The TLS
 * layer keeps its 16 KiB records; the writer decides what each `SSL_write` holds. While the connection is
 * small, one write is in flight at a time and holds at most `RECORD_SIZE` bytes (answers that came in the
 * meantime are packed together up to that size): one write, one record. In a burst, whatever is queued
 * goes at once and Node joins what it buffers (16 KiB records).
 */
export declare const makeRecordWriter: (socket: net.Socket, now: () => number, drained: () => void) => {
    write: (data: Buffer) => void;
    /** answers not yet handed to the socket */
    pending: () => boolean;
    /** reading should pause: the queue or the socket's buffer is full */
    needDrain: () => boolean;
    /** bytes queued, not yet handed to the socket */
    queuedBytes: () => number;
    /** ends the socket once everything queued is written (`destroy`: and destroys it after that write) */
    end: (destroy?: boolean) => void;
};
/** What `makeRecordWriter` gives. */
export type RecordWriter = ReturnType<typeof makeRecordWriter>;
