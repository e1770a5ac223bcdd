/**
 * HPACK (RFC 7541) for the DoH HTTP/2 transport: a decoder with the dynamic table, its size limit, Huffman
 * strings and a header-list limit, and the small encoder our responses need (literals without indexing,
 * so the peer's header table size never matters to us).
 *
 * Own code rather than `hpack.js`: its decompressor is a stream that allocates an object per header and
 * cannot stop storing headers at a list-size limit while keeping its table in sync; this one decodes a
 * block in one synchronous pass into a reused array of strings. The Huffman code table is RFC 7541
 * Appendix B (taken from hpack.js 2.1.6, checked against the RFC's first and last codes).
 */
/** What `decodeBlock` found. */
export declare const HPACK_OK = 0;
/** the block decoded, but the header list passed the size or pair limit (the table is still in sync) */
export declare const HPACK_TOO_LARGE = 1;
/** a COMPRESSION_ERROR: the connection cannot go on */
export declare const HPACK_ERROR = -1;
/** The decoding state of one connection. */
export interface HpackDecoder {
    /** SETTINGS_HEADER_TABLE_SIZE we advertised: the most a table size update may ask for */
    readonly limit: number;
    /** the table size in force (after the encoder's updates) */
    maxSize: number;
    /** octets in the dynamic table (RFC 7541 §4.1) */
    size: number;
    /** ring of entries, newest at `head - 1`; allocated on the first insertion */
    names: Array<string> | undefined;
    values: Array<string> | undefined;
    head: number;
    count: number;
}
export declare const makeDecoder: (limit?: number) => HpackDecoder;
/** The last string `huffman` or `huffmanBitwise` decoded (for the fuzz suite). */
export declare const lastString: () => string;
/** `huffman`, for the fuzz suite. */
export declare const huffmanDecode: (b: Uint8Array) => boolean;
/** The bit-at-a-time decoder the table-driven one is checked against (fuzz suite). */
export declare const huffmanBitwise: (b: Uint8Array, start: number, end: number) => boolean;
/**
 * Decodes one complete header block (a Buffer) into `out` as `name, value, name, value, …` (cleared
 * first). Stops storing fields once the list passes `maxListSize` octets (name + value + 32 each, RFC
 * 9113 §6.5.2) or `maxPairs` fields, yet decodes to the end so the dynamic table stays in sync.
 */
export declare const decodeBlock: (d: HpackDecoder, b: Buffer, out: Array<string>, maxListSize: number, maxPairs: number) => number;
/** An integer with an `n`-bit prefix whose high bits are `first`. */
declare const encodeInt: (out: Array<number>, first: number, n: number, v: number) => void;
/** A literal field without indexing (name from the static table when it is there). */
export declare const encodeField: (out: Array<number>, name: string, value: string) => void;
/** The header block of a response: `:status`, then `headers` (lower-case names). */
export declare const encodeResponse: (status: number, headers: Readonly<Record<string, string | number>>) => Buffer;
/** Huffman-encodes `bytes` (RFC 7541 §5.2, padded with ones): for tests and fuzzing of the decoder. */
export declare const huffmanEncode: (bytes: Uint8Array) => Buffer;
/** A string literal, Huffman-coded when `huffman` (for tests and fuzzing). */
export declare const encodeLiteral: (out: Array<number>, s: string, huffman: boolean) => void;
export { encodeInt };
