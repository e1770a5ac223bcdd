import { Cause, Config, ConfigError, ConfigProvider, Context, Data, Duration, Effect, Either, Layer, LogLevel, Option, Redacted } from "effect";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import { parseAccessKeys } from "./AccessKeys.js";
import { MAX_LISTS as MAX_BLOCKLISTS } from "./Blocklists/Compiled.js";
import { withoutStack } from "./OperatorError.js";
import { parseUpstreamList, upstreamsFromResolvConf } from "./Upstream/Spec.js";
/** Parses one CIDR; undefined when it is not one. */
export const parseCidr = (raw) => {
    const text = raw.trim();
    const [addr, len, ...rest] = text.split("/");
    if (addr === undefined || rest.length > 0)
        return undefined;
    const family = net.isIPv4(addr) ? 4 : net.isIPv6(addr) ? 6 : undefined;
    if (family === undefined)
        return undefined;
    const max = family === 4 ? 32 : 128;
    const prefix = len === undefined ? max : /^\d+$/.test(len) ? Number(len) : NaN;
    if (!(prefix >= 0 && prefix <= max))
        return undefined;
    const bytes = ipBytes(addr);
    if (bytes === undefined)
        return undefined;
    return { text, family, bytes, prefix };
};
/** The bytes of an IPv4 or IPv6 address (an IPv4-mapped IPv6 address gives its 4 IPv4 bytes). */
export const ipBytes = (addr) => {
    if (net.isIPv4(addr))
        return Uint8Array.from(addr.split(".").map(Number));
    if (!net.isIPv6(addr))
        return undefined;
    const mapped = addr.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i);
    if (mapped !== null)
        return ipBytes(mapped[1]);
    // an embedded IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) counts as two groups
    const v4 = addr.match(/(\d+\.\d+\.\d+\.\d+)$/);
    const text = v4 === null
        ? addr
        : addr.slice(0, -v4[1].length) +
            ipBytes(v4[1]).reduce((acc, b, i) => acc + (i % 2 === 0 ? (i ? ":" : "") + b.toString(16).padStart(2, "0") : b.toString(16).padStart(2, "0")), "");
    const [head = "", tail = ""] = text.split("::");
    const h = head === "" ? [] : head.split(":");
    const t = tail === "" ? [] : tail.split(":");
    const groups = text.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
    const out = new Uint8Array(16);
    groups.forEach((g, i) => {
        const v = parseInt(g, 16);
        out[i * 2] = v >> 8;
        out[i * 2 + 1] = v & 0xff;
    });
    return out;
};
/** Is `addr` inside one of the ranges? */
export const inCidrs = (addr, ranges) => {
    if (addr === undefined)
        return false;
    const bytes = ipBytes(addr);
    if (bytes === undefined)
        return false;
    return ranges.some((r) => {
        if (r.bytes.length !== bytes.length)
            return false;
        let bits = r.prefix;
        for (let i = 0; bits > 0; i++, bits -= 8) {
            const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
            if ((bytes[i] & mask) !== (r.bytes[i] & mask))
                return false;
        }
        return true;
    });
};
export class ServerConfig extends Context.Tag("vigil/ServerConfig")() {
    /** A config from values (for tests and embedding); unspecified fields take the defaults. */
    static layer = (overrides = {}) => Layer.succeed(ServerConfig, { ...defaults(), ...overrides });
}
/** TLS handshake timeout: `max(WORKER_TIMEOUT / 2, 3000)` ms. */
export const handshakeTimeoutMs = (c) => Math.max(Math.floor(Duration.toMillis(c.workerTimeout) / 2), 3000);
/** Per-query deadline: `clamp(WORKER_TIMEOUT, 4000, 30000)` ms. */
export const queryDeadlineMs = (c) => Math.min(Math.max(Duration.toMillis(c.workerTimeout), 4000), 30000);
const DEFAULT_UPSTREAM = "udp://1.1.1.1:53";
const defaults = () => ({
    listenHost: "::",
    dotPort: 10000,
    dohPort: 8080,
    healthPort: 8888,
    upstreams: Either.getOrThrow(parseUpstreamList(DEFAULT_UPSTREAM)),
    workerTimeout: Duration.millis(10000),
    tcpBacklog: 600,
    shutdownTimeout: Duration.millis(15000),
    tls: { _tag: "SelfSigned" },
    dataDir: "./.vigil",
    cacheSize: 30000,
    logLevel: LogLevel.Info,
    logFormat: "pretty",
    certServiceUrl: Option.none(),
    kdfSvc: Option.none(),
    hostIdentifier: os.hostname(),
    certRenewBefore: Duration.days(1),
    certMaxAttempts: 20,
    tlsPsk: Option.none(),
    ticketSecret: Option.none(),
    imageRef: "",
    ticketRotation: Duration.days(7),
    maxConns: 1000,
    minConns: 50,
    tlsOffload: false,
    dotCleartextPort: 10555,
    dohCleartextPort: 8055,
    dotHasProxyProto: false,
    dotProxyPort: 10001,
    proxyTrusted: ["127.0.0.0/8", "::1/128"].map((c) => parseCidr(c)),
    blocklists: [],
    blocklistDownloadOnly: false,
    defaultBlocklists: [],
    allowlist: Option.none(),
    denylist: Option.none(),
    blocklistRefresh: Duration.days(1),
    blockTtl: 60,
    allowClients: Option.none(),
    accessKeys: Option.none(),
    rateLimitQps: 0,
    rateLimitBurst: 0,
    blockAfterS: 10,
    blockForS: 60,
    rateLimitV4Prefix: 24,
    rateLimitV6Prefix: 56,
    profileDnsResolves: false,
    profileDuration: Duration.millis(60000),
    workers: 1
});
/** Every invalid or missing variable, reported together. */
export class ServerConfigError extends Data.TaggedError("ServerConfigError") {
    constructor(args) {
        super(args);
        withoutStack(this);
    }
    get message() {
        return `invalid configuration (${this.problems.length} problem${this.problems.length === 1 ? "" : "s"}):\n` +
            this.problems.map((p) => `  - ${p}`).join("\n");
    }
}
const millis = (name, fallback) => Config.integer(name).pipe(Config.validate({ message: "expected a whole number of milliseconds >= 0", validation: (n) => n >= 0 }), Config.withDefault(fallback), Config.map(Duration.millis));
const positiveInt = (name, fallback, min = 1, max = Number.MAX_SAFE_INTEGER) => Config.integer(name).pipe(Config.validate({
    message: `expected a whole number from ${min} to ${max}`,
    validation: (n) => n >= min && n <= max
}), Config.withDefault(fallback));
/** A duration such as `1 day`, `36 hours`, `90 minutes` or a number of milliseconds. */
const duration = (name, fallback) => Config.string(name).pipe(Config.mapOrFail((raw) => {
    const t = raw.trim();
    const d = /^\d+$/.test(t) ? Option.some(Duration.millis(Number(t))) : Duration.decodeUnknown(t);
    return Option.match(d, {
        onNone: () => Either.left(ConfigError.InvalidData([name], `expected a duration like "1 day", "12 hours" or "90 minutes", got "${raw}"`)),
        onSome: (v) => Duration.greaterThan(v, Duration.zero)
            ? Either.right(v)
            : Either.left(ConfigError.InvalidData([name], "must be longer than zero"))
    });
}), Config.withDefault(fallback));
const decodeHexOrBase64 = (s) => /^([0-9a-fA-F]{2})+$/.test(s) ? Buffer.from(s, "hex") : decodeBase64(s);
const decodeBase64 = (s) => /^[A-Za-z0-9+/_-]+={0,2}$/.test(s) ? Buffer.from(s, "base64") : undefined;
/** A secret given as text, decoded to bytes and checked for length; never echoed in an error. */
const secretBytes = (name, encoding, decode, minBytes) => Config.option(Config.redacted(name).pipe(Config.mapOrFail((secret) => {
    const bytes = decode(Redacted.value(secret).trim());
    if (bytes === undefined)
        return Either.left(ConfigError.InvalidData([name], `is not ${encoding}`));
    if (bytes.length < minBytes) {
        return Either.left(ConfigError.InvalidData([name], `must decode to at least ${minBytes} bytes, got ${bytes.length}`));
    }
    return Either.right(Redacted.make(bytes));
})));
/** Only true/false/1/0 (SPEC.md §2 fix: the original took the string "false" as on). */
const bool = (name) => Config.string(name).pipe(Config.mapOrFail((raw) => {
    const v = raw.trim().toLowerCase();
    if (v === "true" || v === "1")
        return Either.right(true);
    if (v === "false" || v === "0")
        return Either.right(false);
    return Either.left(ConfigError.InvalidData([name], `expected true, false, 1 or 0, got "${raw}"`));
}), Config.withDefault(false));
const port = (name, fallback) => Config.port(name).pipe(Config.withDefault(fallback));
const resolvConfDefault = (path) => {
    try {
        const list = upstreamsFromResolvConf(fs.readFileSync(path, "utf8"));
        return list.length > 0 ? list.join(",") : DEFAULT_UPSTREAM;
    }
    catch {
        return DEFAULT_UPSTREAM;
    }
};
const upstreams = (resolvConf) => Config.string("UPSTREAM").pipe(Config.option, Config.mapOrFail((o) => {
    const raw = Option.getOrElse(o, () => resolvConfDefault(resolvConf));
    return Either.mapLeft(parseUpstreamList(raw), (e) => ConfigError.InvalidData(["UPSTREAM"], e));
}));
const tlsSource = Config.all({
    certPath: Config.option(Config.nonEmptyString("TLS_CERT_PATH")),
    keyPath: Config.option(Config.nonEmptyString("TLS_KEY_PATH")),
    certKey: Config.option(Config.redacted("TLS_CERTKEY"))
}).pipe(Config.mapOrFail(({ certKey, certPath, keyPath }) => {
    if (Option.isSome(certPath) && Option.isSome(keyPath)) {
        return Either.right({ _tag: "Files", certPath: certPath.value, keyPath: keyPath.value });
    }
    if (Option.isSome(certPath) || Option.isSome(keyPath)) {
        const missing = Option.isSome(certPath) ? "TLS_KEY_PATH" : "TLS_CERT_PATH";
        return Either.left(ConfigError.InvalidData([missing], "must be set together with the other of TLS_CERT_PATH/TLS_KEY_PATH"));
    }
    if (Option.isSome(certKey))
        return Either.right({ _tag: "Inline", certKey: certKey.value });
    return Either.right({ _tag: "SelfSigned" });
}));
const logFormat = Config.literal("pretty", "json", "logfmt")("LOG_FORMAT").pipe(Config.withDefault("pretty"));
/** The Config description of every variable; `resolvConf` is where the default upstreams come from. */
export const serverConfig = (resolvConf = "/etc/resolv.conf") => Config.all({
    listenHost: Config.nonEmptyString("LISTEN_HOST").pipe(Config.withDefault("::")),
    dotPort: port("DOT_PORT", 10000),
    dohPort: port("DOH_PORT", 8080),
    healthPort: port("HEALTH_PORT", 8888),
    upstreams: upstreams(resolvConf),
    workerTimeout: millis("WORKER_TIMEOUT", 10000),
    tcpBacklog: positiveInt("TCP_BACKLOG", 600, 1, 65535),
    shutdownTimeout: millis("SHUTDOWN_TIMEOUT_MS", 15000),
    tls: tlsSource,
    dataDir: Config.nonEmptyString("DATA_DIR").pipe(Config.withDefault("./.vigil")),
    cacheSize: positiveInt("CACHE_SIZE", 30000, 0, 10_000_000),
    logLevel: Config.logLevel("EFFECT_LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info)),
    logFormat,
    certServiceUrl: Config.option(Config.string("CERT_SERVICE_URL").pipe(Config.mapOrFail((raw) => {
        try {
            const url = new URL(raw);
            if (url.protocol !== "https:" && url.protocol !== "http:")
                throw new Error();
            return Either.right(url);
        }
        catch {
            return Either.left(ConfigError.InvalidData(["CERT_SERVICE_URL"], `expected an http(s) URL, got "${raw}"`));
        }
    }))),
    kdfSvc: Config.option(Config.redacted("KDF_SVC")),
    hostIdentifier: Config.nonEmptyString("HOST_IDENTIFIER").pipe(Config.withDefault(os.hostname())),
    certRenewBefore: duration("CERT_RENEW_BEFORE", Duration.days(1)),
    certMaxAttempts: positiveInt("CERT_MAX_ATTEMPTS", 20, 1, 1000),
    tlsPsk: secretBytes("TLS_PSK", "hex or base64", decodeHexOrBase64, 32),
    ticketSecret: secretBytes("TOP_SECRET_512_B64", "base64", decodeBase64, 32),
    imageRef: Config.string("IMAGE_REF").pipe(Config.withDefault("")),
    ticketRotation: duration("TICKET_ROTATION", Duration.days(7)),
    maxConns: positiveInt("MAXCONNS", 1000, 1, 1_000_000),
    tlsOffload: bool("TLS_OFFLOAD"),
    dotCleartextPort: port("DOT_CLEARTEXT_PORT", 10555),
    dohCleartextPort: port("DOH_CLEARTEXT_PORT", 8055),
    dotHasProxyProto: bool("DOT_HAS_PROXY_PROTO"),
    dotProxyPort: port("DOT_PROXY_PORT", 10001),
    proxyTrusted: Config.string("PROXY_TRUSTED").pipe(Config.withDefault("127.0.0.0/8,::1/128"), Config.mapOrFail((raw) => {
        const parts = raw.split(",").map((p) => p.trim()).filter((p) => p !== "");
        const bad = parts.filter((p) => parseCidr(p) === undefined);
        return bad.length > 0
            ? Either.left(ConfigError.InvalidData(["PROXY_TRUSTED"], `not CIDRs: ${bad.map((b) => `"${b}"`).join(", ")}`))
            : Either.right(parts.map((p) => parseCidr(p)));
    })),
    blocklists: Config.string("BLOCKLISTS").pipe(Config.withDefault(""), Config.mapOrFail((raw) => {
        const parts = raw.split(",").map((p) => p.trim()).filter((p) => p !== "");
        const lists = parts.map((p) => {
            const i = p.indexOf("=");
            return { name: p.slice(0, i).trim(), source: p.slice(i + 1).trim() };
        });
        const bad = parts.filter((_, k) => !/^[a-z0-9][a-z0-9_]*$/i.test(lists[k].name) || lists[k].source === "");
        if (bad.length > 0) {
            return Either.left(ConfigError.InvalidData(["BLOCKLISTS"], `expected name=URL-or-path with a name of letters, digits or _ (not first): ${bad.join(", ")}`));
        }
        if (lists.length > MAX_BLOCKLISTS) {
            return Either.left(ConfigError.InvalidData(["BLOCKLISTS"], `at most ${MAX_BLOCKLISTS} lists, got ${lists.length}`));
        }
        const names = lists.map((l) => l.name.toLowerCase());
        const dup = names.filter((n, k) => names.indexOf(n) !== k);
        return dup.length > 0
            ? Either.left(ConfigError.InvalidData(["BLOCKLISTS"], `list names must be unique: ${dup.join(", ")}`))
            : Either.right(lists.map((l) => ({ name: l.name.toLowerCase(), source: l.source })));
    })),
    blocklistDownloadOnly: bool("BLOCKLIST_DOWNLOAD_ONLY"),
    defaultBlocklists: Config.string("DEFAULT_BLOCKLISTS").pipe(Config.withDefault(""), Config.map((raw) => raw.split(/[,+]/).map((p) => p.trim().toLowerCase()).filter((p) => p !== ""))),
    allowlist: Config.option(Config.nonEmptyString("ALLOWLIST")),
    denylist: Config.option(Config.nonEmptyString("DENYLIST")),
    blocklistRefresh: duration("BLOCKLIST_REFRESH", Duration.days(1)),
    blockTtl: positiveInt("BLOCK_TTL", 60, 0, 86_400),
    allowClients: Config.option(Config.string("ALLOW_CLIENTS")).pipe(Config.mapOrFail((raw) => {
        if (Option.isNone(raw) || raw.value.trim() === "")
            return Either.right(Option.none());
        const parts = raw.value.split(",").map((p) => p.trim()).filter((p) => p !== "");
        const bad = parts.filter((p) => parseCidr(p) === undefined);
        return bad.length > 0
            ? Either.left(ConfigError.InvalidData(["ALLOW_CLIENTS"], `not CIDRs: ${bad.map((b) => `"${b}"`).join(", ")}`))
            : Either.right(Option.some(parts.map((p) => parseCidr(p))));
    })),
    accessKeys: Config.option(Config.string("ACCESS_KEYS")).pipe(Config.mapOrFail((raw) => {
        if (Option.isNone(raw) || raw.value.trim() === "")
            return Either.right(Option.none());
        return Either.match(parseAccessKeys(raw.value), {
            onLeft: (message) => Either.left(ConfigError.InvalidData(["ACCESS_KEYS"], message)),
            onRight: (keys) => Either.right(Option.some(keys))
        });
    })),
    rateLimitQps: positiveInt("RATE_LIMIT_QPS", 0, 0, 1_000_000),
    rateLimitBurst: positiveInt("RATE_LIMIT_BURST", 0, 0, 10_000_000),
    blockAfterS: positiveInt("BLOCK_AFTER_S", 10, 0, 86_400),
    blockForS: positiveInt("BLOCK_FOR_S", 60, 0, 7 * 86_400),
    rateLimitV4Prefix: positiveInt("RATE_LIMIT_V4_PREFIX", 24, 8, 32),
    rateLimitV6Prefix: positiveInt("RATE_LIMIT_V6_PREFIX", 56, 16, 128),
    profileDnsResolves: bool("PROFILE_DNS_RESOLVES"),
    profileDuration: millis("PROFILE_DURATION_MS", 60000),
    minConns: positiveInt("MINCONNS", 50, 1, 1_000_000),
    workers: positiveInt("WORKERS", os.availableParallelism(), 1, 1024)
}).pipe(Config.validate({
    message: "MINCONNS: must not be above MAXCONNS",
    validation: (c) => c.minConns <= c.maxConns
}), Config.mapOrFail((c) => {
    const known = c.blocklists.map((l) => l.name);
    const unknown = c.defaultBlocklists.filter((n) => !known.includes(n));
    return unknown.length > 0
        ? Either.left(ConfigError.InvalidData(["DEFAULT_BLOCKLISTS"], `not lists of BLOCKLISTS: ${unknown.join(", ")} (BLOCKLISTS has ${known.join(", ") || "none"})`))
        : Either.right(c);
}));
/** Flattens a ConfigError into one line per variable. */
export const describeConfigError = (error) => {
    const out = [];
    // a check inside a named Config may repeat the name in the path: "X.X" is "X"
    const name = (path) => path.filter((seg, i) => seg !== path[i - 1]).join(".") || "?";
    const walk = (e) => {
        switch (e._op) {
            case "And":
            case "Or":
                walk(e.left);
                walk(e.right);
                return;
            case "MissingData":
                out.push(`${name(e.path)}: ${e.message}`);
                return;
            case "InvalidData":
                out.push(`${name(e.path)}: ${e.message}`);
                return;
            case "SourceUnavailable":
                out.push(`${name(e.path)}: ${e.message} (${Cause.pretty(e.cause)})`);
                return;
            case "Unsupported":
                out.push(`${name(e.path)}: ${e.message}`);
                return;
        }
    };
    walk(error);
    return [...new Set(out)];
};
/** Reads and validates the configuration once from the given provider. */
export const loadServerConfig = (provider, resolvConf) => Effect.withConfigProvider(serverConfig(resolvConf), provider).pipe(Effect.mapError((e) => new ServerConfigError({ problems: describeConfigError(e) })));
/** The configuration from the process environment, read once. */
export const ServerConfigLive = Layer.effect(ServerConfig, loadServerConfig(ConfigProvider.fromEnv()));
//# sourceMappingURL=ServerConfig.js.map