import { HEADER_LEN, readU16, skipName } from "../QueryHandler/Wire.js";
/**
 * The wire side of blocking (SPEC.md §7): the answer given for a blocked name, and the walk over an
 * upstream answer's names that finds a CNAME chain running through a blocked name.
 */
/** RFC 8914 Extended DNS Error: blocked by the operator (`DENYLIST`). */
export const EDE_BLOCKED = 15;
/** RFC 8914 Extended DNS Error: filtered at the client's request (the blocklists it selected). */
export const EDE_FILTERED = 17;
const TYPE_A = 1;
const TYPE_CNAME = 5;
const TYPE_AAAA = 28;
const TYPE_DNAME = 39;
const TYPE_OPT = 41;
const CLASS_IN = 1;
/** The UDP payload size we advertise in the OPT record of our own answers. */
const EDNS_PAYLOAD = 1232;
/**
 * The answer to a blocked question: NOERROR with `0.0.0.0` for A and `::` for AAAA (class IN), no record
 * (NODATA) for any other type; the client's ID, RD and CD bits and question; TTL `ttl`. A client that
 * sent EDNS also gets an OPT record with an Extended DNS Error (`ede`, and `text` naming why).
 */
export const blockAnswer = (query, peek, ttl, ede, text) => {
    const question = query.subarray(HEADER_LEN, peek.questionEnd);
    const qclass = readU16(query, peek.questionEnd - 2);
    const rdlength = qclass !== CLASS_IN ? -1 : peek.qtype === TYPE_A ? 4 : peek.qtype === TYPE_AAAA ? 16 : -1;
    const extra = Buffer.from(text, "utf8").subarray(0, 200);
    const answerLength = rdlength < 0 ? 0 : 12 + rdlength;
    const optLength = peek.edns ? 11 + 6 + extra.length : 0;
    const out = Buffer.alloc(HEADER_LEN + question.length + answerLength + optLength);
    out[0] = query[0];
    out[1] = query[1];
    // QR, opcode and RD copied; RA, and CD copied; rcode NOERROR
    out[2] = 0x80 | (query[2] & 0x79);
    out[3] = 0x80 | (query[3] & 0x10);
    out[5] = 1;
    out[7] = rdlength < 0 ? 0 : 1;
    out[11] = peek.edns ? 1 : 0;
    out.set(question, HEADER_LEN);
    let at = HEADER_LEN + question.length;
    if (rdlength >= 0) {
        out[at] = 0xc0; // compression pointer to the question's name
        out[at + 1] = HEADER_LEN;
        out.writeUInt16BE(peek.qtype, at + 2);
        out.writeUInt16BE(CLASS_IN, at + 4);
        out.writeUInt32BE(ttl, at + 6);
        out.writeUInt16BE(rdlength, at + 10);
        at += 12 + rdlength; // the address stays all zeros
    }
    if (peek.edns) {
        at++; // root name
        out.writeUInt16BE(TYPE_OPT, at);
        out.writeUInt16BE(EDNS_PAYLOAD, at + 2);
        out[at + 6] = peek.dnssecOk ? 0x80 : 0;
        out.writeUInt16BE(6 + extra.length, at + 8);
        out.writeUInt16BE(15, at + 10); // EDNS option 15: Extended DNS Error
        out.writeUInt16BE(2 + extra.length, at + 12);
        out.writeUInt16BE(ede, at + 14);
        out.set(extra, at + 16);
    }
    return out;
};
/**
 * Calls `visit` with the offset of every name of the answer section that a CNAME chain runs through: each
 * record's owner, and the target of every CNAME and DNAME. Stops quietly at the first malformed record
 * (such an answer is not served anyway).
 */
export const forEachChainName = (answer, visit) => {
    if (answer.length < HEADER_LEN)
        return;
    const qd = readU16(answer, 4);
    const an = readU16(answer, 6);
    let off = HEADER_LEN;
    for (let i = 0; i < qd; i++) {
        const n = skipName(answer, off);
        if (n < 0)
            return;
        off = n + 4;
    }
    for (let i = 0; i < an; i++) {
        const n = skipName(answer, off);
        if (n < 0 || n + 10 > answer.length)
            return;
        const type = readU16(answer, n);
        const end = n + 10 + readU16(answer, n + 8);
        if (end > answer.length)
            return;
        visit(off);
        if (type === TYPE_CNAME || type === TYPE_DNAME)
            visit(n + 10);
        off = end;
    }
};
//# sourceMappingURL=Answer.js.map