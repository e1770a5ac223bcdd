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
export declare const DEFAULT_V4_PREFIX = 24;
/** Default aggregation of IPv6 clients (a typical end-site allocation). */
export declare const DEFAULT_V6_PREFIX = 56;
/**
 * The limiter's internal key of `address` (the same aggregation as `clientKey`, cheaper to build and to
 * hash in a `Map`): an IPv4 network (IPv4-mapped included) is its masked address as a signed 32-bit
 * integer (a small integer to V8: no allocation, hashed as a number); an IPv6 network is a string of its 8
 * masked 16-bit groups as UTF-16 code units (one short string, cheap to hash); anything else is
 * `"not an address: " + address`. The three kinds never collide. `keyText` turns one into `clientKey`'s form.
 */
export declare const limiterKey: (address: string, v4Prefix: number, v6Prefix: number) => number | string;
/** The readable form of a `limiterKey`, as `clientKey` gives it (for logs and metrics labels). */
export declare const keyText: (key: number | string, v4Prefix: number, v6Prefix: number) => string;
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
export declare const clientKey: (address: string, v4Prefix?: number, v6Prefix?: number) => string;
