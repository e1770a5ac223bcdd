/**
 * RFC 7766 §8 framing: every message is preceded by its length as two bytes. Messages may arrive split
 * across reads at any byte, or many in one read (pipelining); they are handed on as zero-copy views of
 * the read buffer whenever a message lies whole in one read, and joined only when it does not.
 */
export interface FrameReader {
    /** feeds one chunk read from the connection */
    readonly push: (chunk: Buffer) => void;
    /** bytes held of a message not yet complete */
    readonly buffered: () => number;
}
export type FramingError = "ZeroLength";
export declare const makeFrameReader: (onMessage: (message: Buffer) => void, onError: (reason: FramingError) => void) => FrameReader;
/** A message with its two-byte length prefix, ready to write. */
export declare const frame: (message: Uint8Array) => Buffer;
