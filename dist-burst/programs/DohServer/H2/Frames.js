/**
 * HTTP/2 framing (RFC 9113 §4, §6): frame types, flags, error codes, settings identifiers, and the
 * splitting of a byte stream into frames. Pure code, no I/O: the transport (`../H2.ts`) feeds it socket
 * chunks; the fuzz suite feeds it anything.
 */
export const FrameType = {
    DATA: 0x0,
    HEADERS: 0x1,
    PRIORITY: 0x2,
    RST_STREAM: 0x3,
    SETTINGS: 0x4,
    PUSH_PROMISE: 0x5,
    PING: 0x6,
    GOAWAY: 0x7,
    WINDOW_UPDATE: 0x8,
    CONTINUATION: 0x9
};
export const Flag = {
    END_STREAM: 0x1,
    ACK: 0x1,
    END_HEADERS: 0x4,
    PADDED: 0x8,
    PRIORITY: 0x20
};
export const ErrorCode = {
    NO_ERROR: 0x0,
    PROTOCOL_ERROR: 0x1,
    INTERNAL_ERROR: 0x2,
    FLOW_CONTROL_ERROR: 0x3,
    SETTINGS_TIMEOUT: 0x4,
    STREAM_CLOSED: 0x5,
    FRAME_SIZE_ERROR: 0x6,
    REFUSED_STREAM: 0x7,
    CANCEL: 0x8,
    COMPRESSION_ERROR: 0x9,
    CONNECT_ERROR: 0xa,
    ENHANCE_YOUR_CALM: 0xb,
    INADEQUATE_SECURITY: 0xc,
    HTTP_1_1_REQUIRED: 0xd
};
export const Setting = {
    HEADER_TABLE_SIZE: 0x1,
    ENABLE_PUSH: 0x2,
    MAX_CONCURRENT_STREAMS: 0x3,
    INITIAL_WINDOW_SIZE: 0x4,
    MAX_FRAME_SIZE: 0x5,
    MAX_HEADER_LIST_SIZE: 0x6
};
/** The client connection preface (RFC 9113 §3.4). */
export const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
export const FRAME_HEADER = 9;
/** SETTINGS_MAX_FRAME_SIZE's initial value: we never advertise more, so no peer frame may be larger. */
export const DEFAULT_MAX_FRAME = 16384;
export const DEFAULT_WINDOW = 65535;
export const MAX_WINDOW = 0x7fffffff;
/** Writes a frame header at `at`. */
export const writeFrameHeader = (b, at, length, type, flags, stream) => {
    b[at] = length >>> 16;
    b[at + 1] = (length >>> 8) & 0xff;
    b[at + 2] = length & 0xff;
    b[at + 3] = type;
    b[at + 4] = flags;
    b.writeUInt32BE(stream & MAX_WINDOW, at + 5);
};
/** A whole frame with `payload` copied in. */
export const frame = (type, flags, stream, payload) => {
    const n = payload === undefined ? 0 : payload.length;
    const b = Buffer.allocUnsafe(FRAME_HEADER + n);
    writeFrameHeader(b, 0, n, type, flags, stream);
    if (payload !== undefined)
        b.set(payload, FRAME_HEADER);
    return b;
};
export const makeFrameReader = () => ({ rest: undefined });
/**
 * Splits `chunk` (after what was kept from earlier chunks) into frames, calling `onFrame` with payloads
 * that are views of the input (no copy). Returns 0, or FRAME_SIZE_ERROR as soon as a frame header
 * announces more than `maxFrameSize` (before its payload is buffered).
 */
export const readFrames = (r, chunk, maxFrameSize, onFrame) => {
    let b = chunk;
    if (r.rest !== undefined) {
        b = Buffer.concat([r.rest, chunk]);
        r.rest = undefined;
    }
    const n = b.length;
    let at = 0;
    while (n - at >= FRAME_HEADER) {
        const length = (b[at] << 16) | (b[at + 1] << 8) | b[at + 2];
        if (length > maxFrameSize)
            return ErrorCode.FRAME_SIZE_ERROR;
        const end = at + FRAME_HEADER + length;
        if (end > n)
            break;
        const type = b[at + 3];
        const flags = b[at + 4];
        const stream = ((b[at + 5] & 0x7f) << 24 | (b[at + 6] << 16) | (b[at + 7] << 8) | b[at + 8]) >>> 0;
        if (!onFrame(type, flags, stream, b.subarray(at + FRAME_HEADER, end)))
            return 0;
        at = end;
    }
    if (at < n)
        r.rest = at === 0 ? b : b.subarray(at);
    return 0;
};
//# sourceMappingURL=Frames.js.map