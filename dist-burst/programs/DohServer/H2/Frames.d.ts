/**
 * HTTP/2 framing (RFC 9113 §4, §6): frame types, flags, error codes, settings identifiers, and the
 * splitting of a byte stream into frames. Pure code, no I/O: the transport (`../H2.ts`) feeds it socket
 * chunks; the fuzz suite feeds it anything.
 */
export declare const FrameType: {
    readonly DATA: 0;
    readonly HEADERS: 1;
    readonly PRIORITY: 2;
    readonly RST_STREAM: 3;
    readonly SETTINGS: 4;
    readonly PUSH_PROMISE: 5;
    readonly PING: 6;
    readonly GOAWAY: 7;
    readonly WINDOW_UPDATE: 8;
    readonly CONTINUATION: 9;
};
export declare const Flag: {
    readonly END_STREAM: 1;
    readonly ACK: 1;
    readonly END_HEADERS: 4;
    readonly PADDED: 8;
    readonly PRIORITY: 32;
};
export declare const ErrorCode: {
    readonly NO_ERROR: 0;
    readonly PROTOCOL_ERROR: 1;
    readonly INTERNAL_ERROR: 2;
    readonly FLOW_CONTROL_ERROR: 3;
    readonly SETTINGS_TIMEOUT: 4;
    readonly STREAM_CLOSED: 5;
    readonly FRAME_SIZE_ERROR: 6;
    readonly REFUSED_STREAM: 7;
    readonly CANCEL: 8;
    readonly COMPRESSION_ERROR: 9;
    readonly CONNECT_ERROR: 10;
    readonly ENHANCE_YOUR_CALM: 11;
    readonly INADEQUATE_SECURITY: 12;
    readonly HTTP_1_1_REQUIRED: 13;
};
export declare const Setting: {
    readonly HEADER_TABLE_SIZE: 1;
    readonly ENABLE_PUSH: 2;
    readonly MAX_CONCURRENT_STREAMS: 3;
    readonly INITIAL_WINDOW_SIZE: 4;
    readonly MAX_FRAME_SIZE: 5;
    readonly MAX_HEADER_LIST_SIZE: 6;
};
/** The client connection preface (RFC 9113 §3.4). */
export declare const PREFACE: Buffer<ArrayBuffer>;
export declare const FRAME_HEADER = 9;
/** SETTINGS_MAX_FRAME_SIZE's initial value: we never advertise more, so no peer frame may be larger. */
export declare const DEFAULT_MAX_FRAME = 16384;
export declare const DEFAULT_WINDOW = 65535;
export declare const MAX_WINDOW = 2147483647;
/** Writes a frame header at `at`. */
export declare const writeFrameHeader: (b: Buffer, at: number, length: number, type: number, flags: number, stream: number) => void;
/** A whole frame with `payload` copied in. */
export declare const frame: (type: number, flags: number, stream: number, payload?: Uint8Array) => Buffer;
/** Receives each complete frame; returns false to stop reading (the connection is closing). */
export type OnFrame = (type: number, flags: number, stream: number, payload: Buffer) => boolean;
/** Bytes of an incomplete frame kept between chunks. */
export interface FrameReader {
    rest: Buffer | undefined;
}
export declare const makeFrameReader: () => FrameReader;
/**
 * Splits `chunk` (after what was kept from earlier chunks) into frames, calling `onFrame` with payloads
 * that are views of the input (no copy). Returns 0, or FRAME_SIZE_ERROR as soon as a frame header
 * announces more than `maxFrameSize` (before its payload is buffered).
 */
export declare const readFrames: (r: FrameReader, chunk: Buffer, maxFrameSize: number, onFrame: OnFrame) => number;
