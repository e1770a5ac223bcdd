export const makeFrameReader = (onMessage, onError) => {
    let chunks = [];
    let held = 0;
    let failed = false;
    /** Hands on every whole message of `buf`; returns the offset of the first incomplete byte. */
    const drain = (buf) => {
        let off = 0;
        while (!failed && off + 2 <= buf.length) {
            const len = (buf[off] << 8) | buf[off + 1];
            if (len === 0) {
                failed = true;
                onError("ZeroLength");
                return buf.length;
            }
            if (off + 2 + len > buf.length)
                break;
            onMessage(buf.subarray(off + 2, off + 2 + len));
            off += 2 + len;
        }
        return off;
    };
    const keep = (buf, from) => {
        if (from < buf.length) {
            chunks = [buf.subarray(from)];
            held = buf.length - from;
        }
        else {
            chunks = [];
            held = 0;
        }
    };
    const push = (chunk) => {
        if (failed || chunk.length === 0)
            return;
        if (held === 0)
            return keep(chunk, drain(chunk));
        chunks.push(chunk);
        held += chunk.length;
        if (held < 2)
            return;
        const first = chunks[0];
        const len = first.length >= 2 ? (first[0] << 8) | first[1] : (first[0] << 8) | chunks[1][0];
        if (held < len + 2 && len !== 0)
            return;
        const all = Buffer.concat(chunks, held);
        keep(all, drain(all));
    };
    return { push, buffered: () => held };
};
/** A message with its two-byte length prefix, ready to write. */
export const frame = (message) => {
    const out = Buffer.allocUnsafe(message.length + 2);
    out[0] = message.length >> 8;
    out[1] = message.length & 0xff;
    out.set(message, 2);
    return out;
};
//# sourceMappingURL=Framing.js.map