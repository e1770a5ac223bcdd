import { isIP } from "node:net";
import { domainToASCII } from "node:url";
/** Longest name accepted, in presentation form without the trailing dot (RFC 1035: 255 octets on the wire). */
export const MAX_NAME_LENGTH = 253;
/** Longest label. */
export const MAX_LABEL_LENGTH = 63;
const DOT = 0x2e;
const HYPHEN = 0x2d;
const UNDERSCORE = 0x5f;
/** True for the ASCII characters a listed name may hold: letters, digits, `-`, `_` (some lists have them). */
const isNameChar = (c) => (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === HYPHEN || c === UNDERSCORE;
/** Lower-case ASCII labels, dots between, no empty label, label and name limits respected: what `normalizeName` returns. */
export const isNormalizedName = (name) => {
    const length = name.length;
    if (length === 0 || length > MAX_NAME_LENGTH)
        return false;
    let labelLength = 0;
    for (let i = 0; i < length; i++) {
        const c = name.charCodeAt(i);
        if (c === DOT) {
            if (labelLength === 0)
                return false;
            labelLength = 0;
        }
        else if (isNameChar(c)) {
            if (++labelLength > MAX_LABEL_LENGTH)
                return false;
        }
        else {
            return false;
        }
    }
    return labelLength > 0;
};
const hasNonAscii = (s) => {
    for (let i = 0; i < s.length; i++) {
        if (s.charCodeAt(i) > 0x7f)
            return true;
    }
    return false;
};
/**
 * One token → the name a list means by it, or `undefined` if it is not a valid host name. Lower-cased,
 * one trailing dot removed, Unicode converted to punycode (`domainToASCII`, UTS #46), punycode kept.
 */
export const normalizeName = (token) => {
    // Longer than any name can become: refuse before doing any work on it (a 1 MB token costs nothing).
    if (token.length > MAX_NAME_LENGTH + 1)
        return undefined;
    let name = token.endsWith(".") ? token.slice(0, -1) : token;
    if (hasNonAscii(name)) {
        const ascii = domainToASCII(name);
        if (ascii === "")
            return undefined;
        name = ascii.endsWith(".") ? ascii.slice(0, -1) : ascii;
    }
    else {
        name = name.toLowerCase();
    }
    return isNormalizedName(name) ? name : undefined;
};
/** Any whitespace run, used to split hosts lines into tokens (linear). */
const WHITESPACE = /[ \t\f\v\u00a0]+/;
/** `||name^` exactly: the only adblock rule a DNS blocklist can honour. */
const adblockRule = (line, sink) => {
    if (line.startsWith("||") && line.endsWith("^") && line.length > 3) {
        const body = line.slice(2, -1);
        // paths, wildcards, separators or options inside make it a rule for a browser, not for DNS
        if (!/[/^$*|]/.test(body)) {
            const name = normalizeName(body);
            if (name === undefined)
                sink.invalid();
            else
                sink.name(name);
            return;
        }
    }
    sink.skipped();
};
/** True when the line is adblock syntax rather than a hosts or plain-domain line. */
const isAdblockLine = (line) => {
    const c = line.charCodeAt(0);
    // `|` anchors, `@@` exceptions, `/regex/`, `[Adblock Plus 2.0]` headers
    if (c === 0x7c || c === 0x40 || c === 0x2f || c === 0x5b)
        return true;
    // cosmetic rules: `##`, `#@#`, `#?#`, `#$#` before any space (a hosts line's `## comment` is a comment)
    const space = line.search(/\s/);
    const head = space === -1 ? line : line.slice(0, space);
    if (head.includes("##") || head.includes("#@#") || head.includes("#?#") || head.includes("#$#"))
        return true;
    // options or separators on a line without spaces: `example.com$third-party`, `ads.example^`
    return !/\s/.test(line) && /[$^]/.test(line);
};
/** Parse one line (without its line break) into the sink. */
export const parseLine = (raw, sink) => {
    const line = raw.trim();
    if (line.length === 0)
        return;
    const first = line.charCodeAt(0);
    if (first === 0x23 /* # */ || first === 0x21 /* ! */)
        return;
    if (isAdblockLine(line)) {
        adblockRule(line, sink);
        return;
    }
    const hash = line.indexOf("#");
    const content = (hash === -1 ? line : line.slice(0, hash)).trim();
    if (content.length === 0)
        return;
    const tokens = content.split(WHITESPACE);
    if (tokens.length === 1) {
        // a lone address is a hosts line with its names missing
        const name = isIP(content) === 0 ? normalizeName(content) : undefined;
        if (name === undefined)
            sink.invalid();
        else
            sink.name(name);
        return;
    }
    if (isIP(tokens[0]) === 0) {
        // several tokens and no address first: not a format we know
        sink.invalid();
        return;
    }
    for (let i = 1; i < tokens.length; i++) {
        const name = normalizeName(tokens[i]);
        if (name === undefined)
            sink.invalid();
        else
            sink.name(name);
    }
};
/** A chunked parser. A line split across chunks is joined once, so huge lines stay linear. */
export const makeListParser = () => {
    const names = [];
    let invalid = 0;
    let skipped = 0;
    const sink = {
        name: (name) => {
            names.push(name);
        },
        invalid: () => {
            invalid++;
        },
        skipped: () => {
            skipped++;
        }
    };
    let pending = [];
    const lines = (text) => {
        let start = 0;
        for (;;) {
            const nl = text.indexOf("\n", start);
            if (nl === -1)
                return text.slice(start);
            parseLine(text.slice(start, nl), sink);
            start = nl + 1;
        }
    };
    return {
        push: (chunk) => {
            if (chunk.length === 0)
                return;
            if (!chunk.includes("\n")) {
                pending.push(chunk);
                return;
            }
            const text = pending.length === 0 ? chunk : pending.join("") + chunk;
            pending = [];
            const rest = lines(text);
            if (rest.length > 0)
                pending.push(rest);
        },
        end: () => {
            if (pending.length > 0)
                parseLine(pending.join(""), sink);
            pending = [];
            return { names, invalid, skipped };
        }
    };
};
/** Parse a whole list held in memory. */
export const parseList = (text) => {
    const parser = makeListParser();
    parser.push(text);
    return parser.end();
};
//# sourceMappingURL=Parse.js.map