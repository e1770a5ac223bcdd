/**
 * TLS record sizing (SPEC.md §5): 1149 bytes of payload per record at the start of a connection, so
 * the first record of an answer fits the first TCP segments and the client can decrypt it at once;
 * 16 KiB records during a burst (more than ~1.1 MB written within one second), where fewer, larger
 * records cost less; back to small records after one second without writes.
 *
 * Node (OpenSSL 3.0) cannot do this with `setMaxSendFragment`: lowering it also lowers OpenSSL's
 * `split_send_fragment`, which records are cut at and which only ever goes down, so a connection once
 * at 1149 never grows again. The sizing is therefore done by the writer: the TLS layer keeps its
 * default 16 KiB, and while a connection is "small" one write at a time is in flight, holding at most
 * 1149 bytes (one `SSL_write`, one record). `makeRecordSizer` is the policy; the DoT connection writer
 * (`DotServer/Connection.ts`) applies it.
 */
/** Payload bytes per record while a connection is small. */
export const RECORD_SIZE = 1149;
/** Payload bytes per record during a burst (TLS's maximum). */
export const BURST_RECORD_SIZE = 16_384;
/** Bytes written within `BURST_WINDOW_MS` that make a burst. */
export const BURST_BYTES = 0;
/** The window bursts are measured over, and the idle time after which records are small again. */
export const BURST_WINDOW_MS = 1_000;
/** The per-connection policy. A fresh connection is small. */
export const makeRecordSizer = () => {
    let burst = false;
    let windowStart = Number.NEGATIVE_INFINITY;
    let windowBytes = 0;
    let lastWrite = Number.NEGATIVE_INFINITY;
    return {
        peek: (now) => (now - lastWrite >= BURST_WINDOW_MS || !burst ? RECORD_SIZE : BURST_RECORD_SIZE),
        next: (now, bytes) => {
            if (now - lastWrite >= BURST_WINDOW_MS) {
                // idle for a second (or the first write): small again, a new window
                burst = false;
                windowStart = now;
                windowBytes = 0;
            }
            else if (now - windowStart >= BURST_WINDOW_MS) {
                windowStart = now;
                windowBytes = 0;
            }
            lastWrite = now;
            // the bytes that cross the threshold already go out in large records
            windowBytes += bytes;
            if (windowBytes > BURST_BYTES)
                burst = true;
            return burst ? BURST_RECORD_SIZE : RECORD_SIZE;
        }
    };
};
//# sourceMappingURL=RecordSize.js.map