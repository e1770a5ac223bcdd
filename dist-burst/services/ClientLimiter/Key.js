/**
 * The key a client is counted under: its address aggregated to a network (IPv4 /24, IPv6 /56 by default),
 * so that one host cannot dodge its limit by hopping addresses inside its own allocation.
 *
 * Runs once per query: a hand-written parser over char codes, no regular expression, no split, no array;
 * IPv6 groups go through one module-level scratch buffer (the code is synchronous, so it is never shared).
 * Keying a `Map` by a freshly built text such as "192.0.2.0/24" costs more than everything else in a
 * check (the string is built, flattened and hashed each time), hence `limiterKey`'s cheaper forms.
 */
/** Default aggregation of IPv4 clients. */
export const DEFAULT_V4_PREFIX = 24;
/** Default aggregation of IPv6 clients (a typical end-site allocation). */
export const DEFAULT_V6_PREFIX = 56;
const DOT = 46;
const COLON = 58;
const groups = new Uint16Array(8);
/**
 * The dotted quad in `s[start, end)` as an unsigned 32-bit number, or -1 when it is not one (four decimal
 * octets 0-255 without leading zeros, as `net.isIPv4` accepts).
 */
const parseV4 = (s, start, end) => {
    let value = 0;
    let octet = 0;
    let digits = 0;
    let dots = 0;
    for (let i = start; i < end; i++) {
        const c = s.charCodeAt(i);
        if (c === DOT) {
            if (digits === 0 || dots === 3)
                return -1;
            value = value * 256 + octet;
            octet = 0;
            digits = 0;
            dots++;
            continue;
        }
        const d = c - 48;
        if (d < 0 || d > 9 || (digits > 0 && octet === 0))
            return -1;
        octet = octet * 10 + d;
        if (octet > 255)
            return -1;
        digits++;
    }
    if (dots !== 3 || digits === 0)
        return -1;
    return value * 256 + octet;
};
const hexValue = (c) => {
    if (c >= 48 && c <= 57)
        return c - 48;
    const l = c | 0x20; // A-F → a-f
    if (l >= 97 && l <= 102)
        return l - 87;
    return -1;
};
/** Parses the IPv6 address `s[0, end)` into `groups`; false when it is not one. */
const parseV6 = (s, end) => {
    let n = 0;
    let gap = -1;
    let i = 0;
    if (end >= 2 && s.charCodeAt(0) === COLON) {
        if (s.charCodeAt(1) !== COLON)
            return false;
        gap = 0;
        i = 2;
    }
    while (i < end) {
        if (n === 8)
            return false;
        let v = 0;
        let digits = 0;
        let j = i;
        while (j < end) {
            const h = hexValue(s.charCodeAt(j));
            if (h < 0)
                break;
            if (++digits > 4)
                return false;
            v = v * 16 + h;
            j++;
        }
        if (j < end && s.charCodeAt(j) === DOT) {
            // an embedded IPv4 tail (::ffff:1.2.3.4) is the last two groups
            if (n > 6)
                return false;
            const v4 = parseV4(s, i, end);
            if (v4 < 0)
                return false;
            groups[n++] = v4 >>> 16;
            groups[n++] = v4 & 0xffff;
            break;
        }
        if (digits === 0)
            return false;
        groups[n++] = v;
        if (j === end)
            break;
        if (s.charCodeAt(j) !== COLON)
            return false;
        j++;
        if (j < end && s.charCodeAt(j) === COLON) {
            if (gap >= 0)
                return false;
            gap = n;
            j++;
        }
        else if (j === end) {
            return false; // a trailing single colon
        }
        i = j;
    }
    if (gap < 0)
        return n === 8;
    if (n > 7)
        return false; // "::" stands for at least one group
    const tail = n - gap;
    for (let k = 0; k < tail; k++)
        groups[7 - k] = groups[n - 1 - k];
    for (let k = gap; k < 8 - tail; k++)
        groups[k] = 0;
    return true;
};
const v4Text = (network, prefix) => {
    const n = network >>> 0;
    return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}/${prefix}`;
};
const v4Mask = (prefix) => (prefix === 0 ? 0 : 0xffffffff << (32 - prefix));
const v6Mask = (g, prefix) => {
    const bits = prefix - g * 16;
    return bits >= 16 ? 0xffff : bits <= 0 ? 0 : (0xffff << (16 - bits)) & 0xffff;
};
/** Keys of strings that are not addresses start with this (longer than the 8 characters of an IPv6 key). */
const NOT_AN_ADDRESS = "not an address: ";
/**
 * The limiter's internal key of `address` (the same aggregation as `clientKey`, cheaper to build and to
 * hash in a `Map`): an IPv4 network (IPv4-mapped included) is its masked address as a signed 32-bit
 * integer (a small integer to V8: no allocation, hashed as a number); an IPv6 network is a string of its 8
 * masked 16-bit groups as UTF-16 code units (one short string, cheap to hash); anything else is
 * `"not an address: " + address`. The three kinds never collide. `keyText` turns one into `clientKey`'s form.
 */
export const limiterKey = (address, v4Prefix, v6Prefix) => {
    const len = address.length;
    // IPv6 has a colon among its first 5 characters ("1234:", "::"), IPv4 never has one
    let colon = false;
    for (let i = 0; i < 5 && i < len; i++) {
        if (address.charCodeAt(i) === COLON) {
            colon = true;
            break;
        }
    }
    if (!colon) {
        const v4 = parseV4(address, 0, len);
        return v4 < 0 ? NOT_AN_ADDRESS + address : v4 & v4Mask(v4Prefix);
    }
    const zone = address.indexOf("%");
    const end = zone < 0 ? len : zone;
    if (zone === 0 || !parseV6(address, end))
        return NOT_AN_ADDRESS + address;
    if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 &&
        groups[5] === 0xffff) {
        return (groups[6] * 65536 + groups[7]) & v4Mask(v4Prefix);
    }
    return String.fromCharCode(groups[0] & v6Mask(0, v6Prefix), groups[1] & v6Mask(1, v6Prefix), groups[2] & v6Mask(2, v6Prefix), groups[3] & v6Mask(3, v6Prefix), groups[4] & v6Mask(4, v6Prefix), groups[5] & v6Mask(5, v6Prefix), groups[6] & v6Mask(6, v6Prefix), groups[7] & v6Mask(7, v6Prefix));
};
/** The readable form of a `limiterKey`, as `clientKey` gives it (for logs and metrics labels). */
export const keyText = (key, v4Prefix, v6Prefix) => {
    if (typeof key === "number")
        return v4Text(key, v4Prefix);
    if (key.startsWith(NOT_AN_ADDRESS))
        return key.slice(NOT_AN_ADDRESS.length);
    const shown = (v6Prefix + 15) >>> 4;
    let text = "";
    for (let g = 0; g < shown; g++)
        text += (g === 0 ? "" : ":") + key.charCodeAt(g).toString(16);
    return `${shown === 8 ? text : text + "::"}/${v6Prefix}`;
};
/**
 * The client key of `address`:
 * - IPv4 `a.b.c.d`, and IPv4-mapped IPv6 (`::ffff:a.b.c.d`, `::ffff:0102:0304`), give the IPv4 network of
 *   `v4Prefix` bits in CIDR form: `clientKey("192.0.2.77")` is `"192.0.2.0/24"`;
 * - IPv6 gives the network of `v6Prefix` bits, written as its leading groups (lowercase hex, no leading
 *   zeros) and `::`: `clientKey("2001:db8:1:2345::1")` is `"2001:db8:1:2300::/56"`; a zone (`%eth0`) is
 *   ignored;
 * - anything else is its own key, unchanged (an exact match; there is nothing to aggregate).
 *
 * Prefixes must be integers in 0..32 and 0..128 (checked once by the limiter, not here). The limiter
 * itself counts by `limiterKey`, the same networks in a form that costs less per query.
 */
export const clientKey = (address, v4Prefix = DEFAULT_V4_PREFIX, v6Prefix = DEFAULT_V6_PREFIX) => keyText(limiterKey(address, v4Prefix, v6Prefix), v4Prefix, v6Prefix);
//# sourceMappingURL=Key.js.map