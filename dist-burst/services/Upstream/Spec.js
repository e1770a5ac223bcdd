import { Either } from "effect";
const defaultPorts = { udp: 53, tcp: 53, tls: 853 };
const stripBrackets = (h) => (h.startsWith("[") && h.endsWith("]") ? h.slice(1, -1) : h);
/** Parses one `UPSTREAM` entry; a bare address means `udp://address:53`. */
export const parseUpstream = (raw) => {
    const text = raw.trim();
    if (text === "")
        return Either.left("empty entry");
    const withScheme = /^[a-z0-9+.-]+:\/\//i.test(text)
        ? text
        : `udp://${text.includes(":") && !text.startsWith("[") && text.split(":").length > 2 ? `[${text}]` : text}`;
    let url;
    try {
        url = new URL(withScheme);
    }
    catch {
        return Either.left(`"${text}" is not a URL (expected udp://host:port, tcp://, tls:// or https://…/dns-query)`);
    }
    const scheme = url.protocol.slice(0, -1);
    if (scheme === "https") {
        if (url.hash !== "")
            return Either.left(`"${text}": an https upstream takes no #fragment`);
        return Either.right({ _tag: "https", url, text });
    }
    if (scheme !== "udp" && scheme !== "tcp" && scheme !== "tls") {
        return Either.left(`"${text}": unknown scheme "${scheme}" (use udp, tcp, tls or https)`);
    }
    if (url.hostname === "")
        return Either.left(`"${text}": no host`);
    if ((url.pathname !== "" && url.pathname !== "/") || url.search !== "") {
        return Either.left(`"${text}": a ${scheme} upstream takes no path or query`);
    }
    const port = url.port === "" ? defaultPorts[scheme] : Number(url.port);
    const host = stripBrackets(url.hostname);
    if (scheme === "tls") {
        const sni = url.hash.length > 1 ? decodeURIComponent(url.hash.slice(1)) : undefined;
        return Either.right({ _tag: "tls", host, port, servername: sni, text });
    }
    if (url.hash !== "")
        return Either.left(`"${text}": only a tls upstream takes a #servername`);
    return Either.right({ _tag: scheme, host, port, text });
};
/** Parses the whole comma list; every bad entry is reported. */
export const parseUpstreamList = (raw) => {
    const parts = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
    if (parts.length === 0)
        return Either.left("no upstream given");
    const specs = [];
    const errors = [];
    for (const p of parts) {
        Either.match(parseUpstream(p), { onLeft: (e) => errors.push(e), onRight: (s) => specs.push(s) });
    }
    return errors.length > 0 ? Either.left(errors.join("; ")) : Either.right(specs);
};
/** `nameserver` lines of a resolv.conf as `udp://` upstreams (the default when `UPSTREAM` is unset). */
export const upstreamsFromResolvConf = (text) => text.split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[0] === "nameserver" && f[1] !== undefined && f[1] !== "")
    .map((f) => {
    const addr = f[1].split("%")[0];
    return addr.includes(":") ? `udp://[${addr}]:53` : `udp://${addr}:53`;
});
//# sourceMappingURL=Spec.js.map