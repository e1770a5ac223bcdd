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
const STATIC_NAMES = [
    "",
    ":authority",
    ":method",
    ":method",
    ":path",
    ":path",
    ":scheme",
    ":scheme",
    ":status",
    ":status",
    ":status",
    ":status",
    ":status",
    ":status",
    ":status",
    "accept-charset",
    "accept-encoding",
    "accept-language",
    "accept-ranges",
    "accept",
    "access-control-allow-origin",
    "age",
    "allow",
    "authorization",
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "content-length",
    "content-location",
    "content-range",
    "content-type",
    "cookie",
    "date",
    "etag",
    "expect",
    "expires",
    "from",
    "host",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "if-range",
    "if-unmodified-since",
    "last-modified",
    "link",
    "location",
    "max-forwards",
    "proxy-authenticate",
    "proxy-authorization",
    "range",
    "referer",
    "refresh",
    "retry-after",
    "server",
    "set-cookie",
    "strict-transport-security",
    "transfer-encoding",
    "user-agent",
    "vary",
    "via",
    "www-authenticate"
];
const STATIC_VALUES = [
    "",
    "",
    "GET",
    "POST",
    "/",
    "/index.html",
    "http",
    "https",
    "200",
    "204",
    "206",
    "304",
    "400",
    "404",
    "500",
    "",
    "gzip, deflate",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    ""
];
const HUFFMAN_CODES = [
    0x1ff8,
    0x7fffd8,
    0xfffffe2,
    0xfffffe3,
    0xfffffe4,
    0xfffffe5,
    0xfffffe6,
    0xfffffe7,
    0xfffffe8,
    0xffffea,
    0x3ffffffc,
    0xfffffe9,
    0xfffffea,
    0x3ffffffd,
    0xfffffeb,
    0xfffffec,
    0xfffffed,
    0xfffffee,
    0xfffffef,
    0xffffff0,
    0xffffff1,
    0xffffff2,
    0x3ffffffe,
    0xffffff3,
    0xffffff4,
    0xffffff5,
    0xffffff6,
    0xffffff7,
    0xffffff8,
    0xffffff9,
    0xffffffa,
    0xffffffb,
    0x14,
    0x3f8,
    0x3f9,
    0xffa,
    0x1ff9,
    0x15,
    0xf8,
    0x7fa,
    0x3fa,
    0x3fb,
    0xf9,
    0x7fb,
    0xfa,
    0x16,
    0x17,
    0x18,
    0x0,
    0x1,
    0x2,
    0x19,
    0x1a,
    0x1b,
    0x1c,
    0x1d,
    0x1e,
    0x1f,
    0x5c,
    0xfb,
    0x7ffc,
    0x20,
    0xffb,
    0x3fc,
    0x1ffa,
    0x21,
    0x5d,
    0x5e,
    0x5f,
    0x60,
    0x61,
    0x62,
    0x63,
    0x64,
    0x65,
    0x66,
    0x67,
    0x68,
    0x69,
    0x6a,
    0x6b,
    0x6c,
    0x6d,
    0x6e,
    0x6f,
    0x70,
    0x71,
    0x72,
    0xfc,
    0x73,
    0xfd,
    0x1ffb,
    0x7fff0,
    0x1ffc,
    0x3ffc,
    0x22,
    0x7ffd,
    0x3,
    0x23,
    0x4,
    0x24,
    0x5,
    0x25,
    0x26,
    0x27,
    0x6,
    0x74,
    0x75,
    0x28,
    0x29,
    0x2a,
    0x7,
    0x2b,
    0x76,
    0x2c,
    0x8,
    0x9,
    0x2d,
    0x77,
    0x78,
    0x79,
    0x7a,
    0x7b,
    0x7ffe,
    0x7fc,
    0x3ffd,
    0x1ffd,
    0xffffffc,
    0xfffe6,
    0x3fffd2,
    0xfffe7,
    0xfffe8,
    0x3fffd3,
    0x3fffd4,
    0x3fffd5,
    0x7fffd9,
    0x3fffd6,
    0x7fffda,
    0x7fffdb,
    0x7fffdc,
    0x7fffdd,
    0x7fffde,
    0xffffeb,
    0x7fffdf,
    0xffffec,
    0xffffed,
    0x3fffd7,
    0x7fffe0,
    0xffffee,
    0x7fffe1,
    0x7fffe2,
    0x7fffe3,
    0x7fffe4,
    0x1fffdc,
    0x3fffd8,
    0x7fffe5,
    0x3fffd9,
    0x7fffe6,
    0x7fffe7,
    0xffffef,
    0x3fffda,
    0x1fffdd,
    0xfffe9,
    0x3fffdb,
    0x3fffdc,
    0x7fffe8,
    0x7fffe9,
    0x1fffde,
    0x7fffea,
    0x3fffdd,
    0x3fffde,
    0xfffff0,
    0x1fffdf,
    0x3fffdf,
    0x7fffeb,
    0x7fffec,
    0x1fffe0,
    0x1fffe1,
    0x3fffe0,
    0x1fffe2,
    0x7fffed,
    0x3fffe1,
    0x7fffee,
    0x7fffef,
    0xfffea,
    0x3fffe2,
    0x3fffe3,
    0x3fffe4,
    0x7ffff0,
    0x3fffe5,
    0x3fffe6,
    0x7ffff1,
    0x3ffffe0,
    0x3ffffe1,
    0xfffeb,
    0x7fff1,
    0x3fffe7,
    0x7ffff2,
    0x3fffe8,
    0x1ffffec,
    0x3ffffe2,
    0x3ffffe3,
    0x3ffffe4,
    0x7ffffde,
    0x7ffffdf,
    0x3ffffe5,
    0xfffff1,
    0x1ffffed,
    0x7fff2,
    0x1fffe3,
    0x3ffffe6,
    0x7ffffe0,
    0x7ffffe1,
    0x3ffffe7,
    0x7ffffe2,
    0xfffff2,
    0x1fffe4,
    0x1fffe5,
    0x3ffffe8,
    0x3ffffe9,
    0xffffffd,
    0x7ffffe3,
    0x7ffffe4,
    0x7ffffe5,
    0xfffec,
    0xfffff3,
    0xfffed,
    0x1fffe6,
    0x3fffe9,
    0x1fffe7,
    0x1fffe8,
    0x7ffff3,
    0x3fffea,
    0x3fffeb,
    0x1ffffee,
    0x1ffffef,
    0xfffff4,
    0xfffff5,
    0x3ffffea,
    0x7ffff4,
    0x3ffffeb,
    0x7ffffe6,
    0x3ffffec,
    0x3ffffed,
    0x7ffffe7,
    0x7ffffe8,
    0x7ffffe9,
    0x7ffffea,
    0x7ffffeb,
    0xffffffe,
    0x7ffffec,
    0x7ffffed,
    0x7ffffee,
    0x7ffffef,
    0x7fffff0,
    0x3ffffee,
    0x3fffffff
];
const HUFFMAN_LENGTHS = [
    13,
    23,
    28,
    28,
    28,
    28,
    28,
    28,
    28,
    24,
    30,
    28,
    28,
    30,
    28,
    28,
    28,
    28,
    28,
    28,
    28,
    28,
    30,
    28,
    28,
    28,
    28,
    28,
    28,
    28,
    28,
    28,
    6,
    10,
    10,
    12,
    13,
    6,
    8,
    11,
    10,
    10,
    8,
    11,
    8,
    6,
    6,
    6,
    5,
    5,
    5,
    6,
    6,
    6,
    6,
    6,
    6,
    6,
    7,
    8,
    15,
    6,
    12,
    10,
    13,
    6,
    7,
    7,
    7,
    7,
    7,
    7,
    7,
    7,
    7,
    7,
    7,
    7,
    7,
    7,
    7,
    7,
    7,
    7,
    7,
    7,
    7,
    7,
    8,
    7,
    8,
    13,
    19,
    13,
    14,
    6,
    15,
    5,
    6,
    5,
    6,
    5,
    6,
    6,
    6,
    5,
    7,
    7,
    6,
    6,
    6,
    5,
    6,
    7,
    6,
    5,
    5,
    6,
    7,
    7,
    7,
    7,
    7,
    15,
    11,
    14,
    13,
    28,
    20,
    22,
    20,
    20,
    22,
    22,
    22,
    23,
    22,
    23,
    23,
    23,
    23,
    23,
    24,
    23,
    24,
    24,
    22,
    23,
    24,
    23,
    23,
    23,
    23,
    21,
    22,
    23,
    22,
    23,
    23,
    24,
    22,
    21,
    20,
    22,
    22,
    23,
    23,
    21,
    23,
    22,
    22,
    24,
    21,
    22,
    23,
    23,
    21,
    21,
    22,
    21,
    23,
    22,
    23,
    23,
    20,
    22,
    22,
    22,
    23,
    22,
    22,
    23,
    26,
    26,
    20,
    19,
    22,
    23,
    22,
    25,
    26,
    26,
    26,
    27,
    27,
    26,
    24,
    25,
    19,
    21,
    26,
    27,
    27,
    26,
    27,
    24,
    21,
    21,
    26,
    26,
    28,
    27,
    27,
    27,
    20,
    24,
    20,
    21,
    22,
    21,
    21,
    23,
    22,
    22,
    25,
    25,
    24,
    24,
    26,
    23,
    26,
    27,
    26,
    26,
    27,
    27,
    27,
    27,
    27,
    28,
    27,
    27,
    27,
    27,
    27,
    26,
    30
];
// the Huffman decoding tree: node n has children at 2n and 2n + 1; a child >= 0 is a node, -1 - s is symbol s
const HUFFMAN_TREE = (() => {
    const tree = new Int32Array(2 * 512).fill(0);
    let nodes = 1;
    for (let sym = 0; sym < 257; sym++) {
        const code = HUFFMAN_CODES[sym];
        const len = HUFFMAN_LENGTHS[sym];
        let node = 0;
        for (let i = len - 1; i >= 0; i--) {
            const bit = (code >>> i) & 1;
            const at = 2 * node + bit;
            if (i === 0)
                tree[at] = -1 - sym;
            else {
                if (tree[at] === 0)
                    tree[at] = nodes++;
                node = tree[at];
            }
        }
    }
    return tree;
})();
/** What `decodeBlock` found. */
export const HPACK_OK = 0;
/** the block decoded, but the header list passed the size or pair limit (the table is still in sync) */
export const HPACK_TOO_LARGE = 1;
/** a COMPRESSION_ERROR: the connection cannot go on */
export const HPACK_ERROR = -1;
// at most limit / 32 entries: 4096 / 32 = 128
const RING = 128;
export const makeDecoder = (limit = 4096) => {
    if (limit > RING * 32)
        throw new Error(`HPACK table limit ${limit} > ${RING * 32}`);
    return { limit, maxSize: limit, size: 0, names: undefined, values: undefined, head: 0, count: 0 };
};
const evictTo = (d, max) => {
    while (d.size > max && d.count > 0) {
        const oldest = (d.head - d.count) & (RING - 1);
        d.size -= 32 + d.names[oldest].length + d.values[oldest].length;
        d.names[oldest] = "";
        d.values[oldest] = "";
        d.count--;
    }
};
const insert = (d, name, value) => {
    const size = 32 + name.length + value.length;
    if (size > d.maxSize) {
        evictTo(d, 0);
        return;
    }
    evictTo(d, d.maxSize - size);
    if (d.names === undefined) {
        d.names = new Array(RING).fill("");
        d.values = new Array(RING).fill("");
    }
    d.names[d.head] = name;
    d.values[d.head] = value;
    d.head = (d.head + 1) & (RING - 1);
    d.count++;
    d.size += size;
};
// decoding position and result of the helpers below (single-threaded, synchronous: module state is safe)
let pos = 0;
let str = "";
const scratch = Buffer.allocUnsafeSlow(131072);
/** An integer with an `n`-bit prefix at `pos`; -1 when truncated or larger than 2^28. */
const readInt = (b, end, n) => {
    const max = (1 << n) - 1;
    let v = b[pos++] & max;
    if (v < max)
        return v;
    let shift = 0;
    for (;;) {
        if (pos >= end || shift > 21)
            return -1;
        const c = b[pos++];
        v += (c & 0x7f) * 2 ** shift;
        shift += 7;
        if ((c & 0x80) === 0)
            return v;
    }
};
/** Huffman-decodes `b[start, end)` into `str`; false on an invalid code, EOS or bad padding. */
// The decoder proper reads 4 bits per step: for each internal node of the tree (256 of them) and each
// nibble, the node reached and the symbol completed on the way (at most one: no code is shorter than 5
// bits), or -1 when the nibble reaches EOS. A string may end on the root or on a node reached by at most 7
// one-bits from the root (padding with the high bits of EOS, RFC 7541 §5.2).
const { HUFFMAN_NIBBLES, HUFFMAN_ACCEPT } = (() => {
    const nibbles = new Int32Array(256 * 16);
    const accept = new Uint8Array(256);
    for (let n = 0; n < 256; n++) {
        for (let v = 0; v < 16; v++) {
            let cur = n;
            let sym = -1;
            let fail = false;
            for (let k = 3; k >= 0; k--) {
                const next = HUFFMAN_TREE[2 * cur + ((v >> k) & 1)];
                if (next < 0) {
                    if (next === -257)
                        fail = true;
                    sym = -1 - next;
                    cur = 0;
                }
                else
                    cur = next;
            }
            nibbles[n * 16 + v] = fail ? -1 : cur | ((sym + 1) << 8);
        }
    }
    accept[0] = 1;
    for (let node = HUFFMAN_TREE[1], depth = 1; depth <= 7 && node > 0; depth++) {
        accept[node] = 1;
        node = HUFFMAN_TREE[2 * node + 1];
    }
    return { HUFFMAN_NIBBLES: nibbles, HUFFMAN_ACCEPT: accept };
})();
/** Huffman-decodes `b[start, end)` into `str`; false on EOS or bad padding. */
const huffman = (b, start, end) => {
    if ((end - start) * 8 / 5 > scratch.length)
        return false;
    let state = 0;
    let o = 0;
    for (let i = start; i < end; i++) {
        const byte = b[i];
        let t = HUFFMAN_NIBBLES[(state << 4) | (byte >> 4)];
        if (t < 0)
            return false;
        if (t > 255)
            scratch[o++] = (t >> 8) - 1;
        t = HUFFMAN_NIBBLES[((t & 0xff) << 4) | (byte & 15)];
        if (t < 0)
            return false;
        if (t > 255)
            scratch[o++] = (t >> 8) - 1;
        state = t & 0xff;
    }
    if (HUFFMAN_ACCEPT[state] === 0)
        return false;
    str = scratch.latin1Slice(0, o);
    return true;
};
/** The last string `huffman` or `huffmanBitwise` decoded (for the fuzz suite). */
export const lastString = () => str;
/** `huffman`, for the fuzz suite. */
export const huffmanDecode = (b) => huffman(b, 0, b.length);
/** The bit-at-a-time decoder the table-driven one is checked against (fuzz suite). */
export const huffmanBitwise = (b, start, end) => {
    if ((end - start) * 8 / 5 > scratch.length)
        return false;
    let node = 0;
    let o = 0;
    // bits read since the last symbol, and whether they were all ones (the only valid padding)
    let pending = 0;
    let ones = true;
    for (let i = start; i < end; i++) {
        const byte = b[i];
        for (let k = 7; k >= 0; k--) {
            const bit = (byte >> k) & 1;
            const next = HUFFMAN_TREE[2 * node + bit];
            if (next < 0) {
                const sym = -1 - next;
                if (sym === 256)
                    return false;
                scratch[o++] = sym;
                node = 0;
                pending = 0;
                ones = true;
            }
            else if (next === 0)
                return false;
            else {
                node = next;
                pending++;
                if (bit === 0)
                    ones = false;
            }
        }
    }
    if (pending > 7 || !ones)
        return false;
    str = scratch.latin1Slice(0, o);
    return true;
};
/** A string literal at `pos` into `str`; false when truncated or invalid. */
const readString = (b, end) => {
    if (pos >= end)
        return false;
    const h = b[pos] & 0x80;
    const len = readInt(b, end, 7);
    if (len < 0 || pos + len > end)
        return false;
    const start = pos;
    pos += len;
    if (h !== 0)
        return huffman(b, start, pos);
    str = b.latin1Slice(start, pos);
    return true;
};
const nameAt = (d, index) => {
    if (index <= 0)
        return undefined;
    if (index <= 61)
        return STATIC_NAMES[index];
    const i = index - 62;
    return i < d.count ? d.names[(d.head - 1 - i) & (RING - 1)] : undefined;
};
const valueAt = (d, index) => index <= 61 ? STATIC_VALUES[index] : d.values[(d.head - 1 - (index - 62)) & (RING - 1)];
/**
 * Decodes one complete header block (a Buffer) into `out` as `name, value, name, value, …` (cleared
 * first). Stops storing fields once the list passes `maxListSize` octets (name + value + 32 each, RFC
 * 9113 §6.5.2) or `maxPairs` fields, yet decodes to the end so the dynamic table stays in sync.
 */
export const decodeBlock = (d, b, out, maxListSize, maxPairs) => {
    out.length = 0;
    const end = b.length;
    pos = 0;
    let listSize = 0;
    let pairs = 0;
    let over = false;
    let fields = false;
    while (pos < end) {
        const c = b[pos];
        let name;
        let value;
        if (c & 0x80) {
            // indexed field
            const index = readInt(b, end, 7);
            const n = nameAt(d, index);
            if (n === undefined)
                return HPACK_ERROR;
            name = n;
            value = valueAt(d, index);
        }
        else if ((c & 0xe0) === 0x20) {
            // dynamic table size update: only before the first field
            if (fields)
                return HPACK_ERROR;
            const size = readInt(b, end, 5);
            if (size < 0 || size > d.limit)
                return HPACK_ERROR;
            d.maxSize = size;
            evictTo(d, size);
            continue;
        }
        else {
            // literal: with incremental indexing (01), without indexing (0000) or never indexed (0001)
            const indexing = (c & 0xc0) === 0x40;
            const index = readInt(b, end, indexing ? 6 : 4);
            if (index < 0)
                return HPACK_ERROR;
            if (index === 0) {
                if (!readString(b, end))
                    return HPACK_ERROR;
                name = str;
            }
            else {
                const n = nameAt(d, index);
                if (n === undefined)
                    return HPACK_ERROR;
                name = n;
            }
            if (!readString(b, end))
                return HPACK_ERROR;
            value = str;
            if (indexing)
                insert(d, name, value);
        }
        fields = true;
        if (over)
            continue;
        listSize += name.length + value.length + 32;
        if (listSize > maxListSize || ++pairs > maxPairs) {
            over = true;
            out.length = 0;
            continue;
        }
        out.push(name, value);
    }
    return over ? HPACK_TOO_LARGE : HPACK_OK;
};
// ---------------------------------------------------------------------------------------------------------
// Encoding (responses only)
const STATIC_NAME_INDEX = (() => {
    const m = new Map();
    for (let i = STATIC_NAMES.length - 1; i >= 1; i--)
        m.set(STATIC_NAMES[i], i);
    return m;
})();
const STATUS_INDEX = { 200: 8, 204: 9, 206: 10, 304: 11, 400: 12, 404: 13, 500: 14 };
/** An integer with an `n`-bit prefix whose high bits are `first`. */
const encodeInt = (out, first, n, v) => {
    const max = (1 << n) - 1;
    if (v < max) {
        out.push(first | v);
        return;
    }
    out.push(first | max);
    v -= max;
    while (v >= 128) {
        out.push((v & 0x7f) | 0x80);
        v = Math.floor(v / 128);
    }
    out.push(v);
};
const encodeString = (out, s) => {
    const bytes = Buffer.from(s, "latin1");
    encodeInt(out, 0, 7, bytes.length);
    for (const x of bytes)
        out.push(x);
};
/** A literal field without indexing (name from the static table when it is there). */
export const encodeField = (out, name, value) => {
    const index = STATIC_NAME_INDEX.get(name);
    if (index === undefined) {
        out.push(0);
        encodeString(out, name);
    }
    else
        encodeInt(out, 0, 4, index);
    encodeString(out, value);
};
/** The header block of a response: `:status`, then `headers` (lower-case names). */
export const encodeResponse = (status, headers) => {
    const out = [];
    const index = STATUS_INDEX[status];
    if (index !== undefined)
        out.push(0x80 | index);
    else
        encodeField(out, ":status", String(status));
    for (const [name, value] of Object.entries(headers))
        encodeField(out, name, String(value));
    return Buffer.from(out);
};
/** Huffman-encodes `bytes` (RFC 7541 §5.2, padded with ones): for tests and fuzzing of the decoder. */
export const huffmanEncode = (bytes) => {
    const out = [];
    let acc = 0;
    let bits = 0;
    for (const x of bytes) {
        const code = HUFFMAN_CODES[x];
        let len = HUFFMAN_LENGTHS[x];
        while (len > 0) {
            const take = Math.min(len, 8 - bits);
            acc = (acc << take) | ((code >>> (len - take)) & ((1 << take) - 1));
            bits += take;
            len -= take;
            if (bits === 8) {
                out.push(acc);
                acc = 0;
                bits = 0;
            }
        }
    }
    if (bits > 0)
        out.push((acc << (8 - bits)) | ((1 << (8 - bits)) - 1));
    return Buffer.from(out);
};
/** A string literal, Huffman-coded when `huffman` (for tests and fuzzing). */
export const encodeLiteral = (out, s, huffman) => {
    const raw = Buffer.from(s, "latin1");
    const bytes = huffman ? huffmanEncode(raw) : raw;
    encodeInt(out, huffman ? 0x80 : 0, 7, bytes.length);
    for (const x of bytes)
        out.push(x);
};
export { encodeInt };
//# sourceMappingURL=Hpack.js.map