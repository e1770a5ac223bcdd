/**
 * PROXY protocol v1 (text) and v2 (binary) headers, as HAProxy and cloud load balancers send them before
 * the TLS handshake, and the client address of a cleartext DoH request behind a proxy (`X-Forwarded-For`).
 *
 * Written here rather than taken from npm: `proxy-protocol-js` (the maintained one) parses a complete
 * header and throws on a partial one, so it cannot say "need more bytes" nor reject a TLS ClientHello at
 * its first byte, and it puts no bound on the header size; the others are unmaintained or v1-only.
 *
 * `parseProxyHeader` is pure and restartable: give it every byte received so far (a header is at most
 * `MAX_V2_HEADER` bytes, so re-parsing is cheap) and it answers `Need`, `Done` or `Invalid`.
 */
import * as net from "node:net";
import { inCidrs } from "./ServerConfig.js";
export const PROXY_INVALID_REASONS = [
    "NoHeader",
    "Malformed",
    "Oversized",
    "Unsupported"
];
/** The longest v1 line, CRLF included (the protocol's own limit). */
export const MAX_V1_HEADER = 107;
/** The longest v2 header accepted: 16 fixed bytes + 216 (UNIX addresses) + room for TLVs. */
export const MAX_V2_HEADER = 536;
const V1_PREFIX = Buffer.from("PROXY ", "latin1");
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const NEED = { _tag: "Need" };
const invalid = (reason) => ({ _tag: "Invalid", reason });
/** Does `bytes` start like `prefix` as far as it goes? */
const startsLike = (bytes, prefix) => {
    const n = Math.min(bytes.length, prefix.length);
    for (let i = 0; i < n; i++)
        if (bytes[i] !== prefix[i])
            return false;
    return true;
};
/** Parses the PROXY header at the start of `bytes` (everything received so far). */
export const parseProxyHeader = (bytes) => {
    if (bytes.length === 0)
        return NEED;
    if (startsLike(bytes, V2_SIGNATURE))
        return bytes.length < 16 ? NEED : parseV2(bytes);
    if (startsLike(bytes, V1_PREFIX))
        return bytes.length < V1_PREFIX.length ? NEED : parseV1(bytes);
    return invalid("NoHeader");
};
const isPort = (s) => s !== undefined && /^\d{1,5}$/.test(s) && Number(s) <= 65535;
const parseV1 = (bytes) => {
    const limit = Math.min(bytes.length, MAX_V1_HEADER);
    let end = -1;
    for (let i = V1_PREFIX.length; i < limit; i++) {
        const b = bytes[i];
        if (b === 0x0d) {
            // a CR at the last byte within the limit would end a line one byte over it (108 with the LF)
            if (i + 2 > MAX_V1_HEADER)
                return invalid("Oversized");
            if (i + 1 >= bytes.length)
                return NEED;
            if (bytes[i + 1] !== 0x0a)
                return invalid("Malformed");
            end = i;
            break;
        }
        // printable ASCII only: a binary stream is not a header
        if (b < 0x20 || b > 0x7e)
            return invalid("Malformed");
    }
    if (end < 0)
        return bytes.length >= MAX_V1_HEADER ? invalid("Oversized") : NEED;
    const consumed = end + 2;
    const fields = Buffer.from(bytes.buffer, bytes.byteOffset, end).toString("latin1").split(" ");
    const proto = fields[1];
    if (proto === "UNKNOWN")
        return { _tag: "Done", header: { version: 1, command: "PROXY" }, consumed };
    if ((proto !== "TCP4" && proto !== "TCP6") || fields.length !== 6)
        return invalid("Malformed");
    const [, , src, dst, sport, dport] = fields;
    const isIp = proto === "TCP4" ? net.isIPv4 : net.isIPv6;
    if (src === undefined || dst === undefined || !isIp(src) || !isIp(dst) || !isPort(sport) || !isPort(dport)) {
        return invalid("Malformed");
    }
    return {
        _tag: "Done",
        header: {
            version: 1,
            command: "PROXY",
            source: { address: src, port: Number(sport) },
            destination: { address: dst, port: Number(dport) }
        },
        consumed
    };
};
const parseV2 = (bytes) => {
    const verCmd = bytes[12];
    if (verCmd >> 4 !== 2)
        return invalid("Malformed");
    const cmd = verCmd & 0x0f;
    if (cmd > 1)
        return invalid("Malformed");
    const family = bytes[13] >> 4;
    const transport = bytes[13] & 0x0f;
    const length = (bytes[14] << 8) | bytes[15];
    if (16 + length > MAX_V2_HEADER)
        return invalid("Oversized");
    if (family > 3 || transport > 2)
        return invalid("Malformed");
    const addrLength = family === 1 ? 12 : family === 2 ? 36 : family === 3 ? 216 : 0;
    if (length < addrLength)
        return invalid("Malformed");
    if (bytes.length < 16 + length)
        return NEED;
    const consumed = 16 + length;
    // LOCAL: the proxy speaking for itself; the address block (and TLVs) are skipped
    if (cmd === 0)
        return { _tag: "Done", header: { version: 2, command: "LOCAL" }, consumed };
    if (family === 0)
        return { _tag: "Done", header: { version: 2, command: "PROXY" }, consumed };
    if (family === 3 || transport !== 1)
        return invalid("Unsupported");
    const at = 16;
    const header = family === 1
        ? {
            version: 2,
            command: "PROXY",
            source: { address: ipv4(bytes, at), port: port(bytes, at + 8) },
            destination: { address: ipv4(bytes, at + 4), port: port(bytes, at + 10) }
        }
        : {
            version: 2,
            command: "PROXY",
            source: { address: ipv6(bytes, at), port: port(bytes, at + 32) },
            destination: { address: ipv6(bytes, at + 16), port: port(bytes, at + 34) }
        };
    // TLVs (ALPN, authority, CRC32C, unique id, SSL…) after the addresses carry nothing used here: skipped
    return { _tag: "Done", header, consumed };
};
const port = (b, at) => (b[at] << 8) | b[at + 1];
const ipv4 = (b, at) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
/** RFC 5952 text of 16 bytes: lower case, the longest run (>= 2) of zero groups as `::`. */
export const ipv6 = (b, at = 0) => {
    const groups = [];
    for (let i = 0; i < 8; i++)
        groups.push((b[at + 2 * i] << 8) | b[at + 2 * i + 1]);
    let bestAt = -1;
    let bestLen = 1;
    for (let i = 0; i < 8;) {
        if (groups[i] !== 0) {
            i++;
            continue;
        }
        let j = i;
        while (j < 8 && groups[j] === 0)
            j++;
        if (j - i > bestLen) {
            bestAt = i;
            bestLen = j - i;
        }
        i = j;
    }
    const hex = (g) => g.map((x) => x.toString(16)).join(":");
    if (bestAt < 0)
        return hex(groups);
    return `${hex(groups.slice(0, bestAt))}::${hex(groups.slice(bestAt + bestLen))}`;
};
/** One `X-Forwarded-For` entry as an address: `[v6]:port`, `[v6]` and `v4:port` lose the decoration. */
const forwardedAddress = (entry) => {
    const s = entry.trim();
    const bracketed = s.match(/^\[([^\]]+)\](?::\d+)?$/);
    const candidate = bracketed !== null ? bracketed[1] : /^\d+\.\d+\.\d+\.\d+:\d+$/.test(s) ? s.split(":")[0] : s;
    return net.isIP(candidate) === 0 ? undefined : candidate;
};
/**
 * The client address of an HTTP request: the TCP peer, unless the peer is in `trusted` and the request
 * carries `X-Forwarded-For`; then the right-most address of the header that is not in `trusted` (every
 * proxy appends the address it received from, so the entries left of it could be made up by the client).
 * When every entry is trusted, the left-most; an unreadable entry stops the walk at the last trusted hop.
 */
export const forwardedClient = (peer, xForwardedFor, trusted) => {
    if (xForwardedFor === undefined || !inCidrs(peer, trusted))
        return peer;
    const entries = (typeof xForwardedFor === "string" ? [xForwardedFor] : xForwardedFor)
        .flatMap((v) => v.split(","))
        .filter((e) => e.trim() !== "");
    let client = peer;
    for (let i = entries.length - 1; i >= 0; i--) {
        const address = forwardedAddress(entries[i]);
        if (address === undefined)
            return client;
        client = address;
        if (!inCidrs(address, trusted))
            return address;
    }
    return client;
};
/** `ctx` with the `X-Forwarded-For` client as its `remoteAddress` (`forwardedClient`); as is without `trusted`. */
export const forwardedContext = (ctx, xForwardedFor, trusted) => {
    if (xForwardedFor === undefined || trusted === undefined)
        return ctx;
    const client = forwardedClient(ctx.remoteAddress, xForwardedFor, trusted);
    return client === ctx.remoteAddress ? ctx : { ...ctx, remoteAddress: client };
};
//# sourceMappingURL=ProxyProtocol.js.map