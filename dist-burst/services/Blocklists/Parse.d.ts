/**
 * Blocklist text → domain names. One parser for the three formats lists come in, decided per line:
 *
 * - hosts file: `0.0.0.0 name`, `127.0.0.1 name other-name`, `:: name` (the first token is any IP address;
 *   every following token is a name);
 * - one domain a line: `name`;
 * - adblock: `||name^` only; any other adblock rule (`@@` exceptions, `##` cosmetic rules, paths, `$options`,
 *   regexes, `|` anchors) is counted as skipped.
 *
 * `#` and `!` start comments (a `#` after a name in a hosts file too); blank lines are ignored. Names are
 * lower-cased, lose one trailing dot, and Unicode (IDN) names become punycode; a name that is still not a
 * valid host name (bad characters, an empty label, a label over 63 or a name over 253 octets) is counted
 * as invalid and skipped, never fatal. Work is linear in the text, whatever the line lengths.
 */
/** The result of parsing one list. */
export interface ParseResult {
    /** the names, in list order, duplicates kept (compiling removes them) */
    readonly names: Array<string>;
    /** names (or lines) that could not be read as a host name */
    readonly invalid: number;
    /** rules deliberately not used: adblock rules other than `||name^` */
    readonly skipped: number;
}
/** Where `parseLine` puts what it finds. */
export interface ParseSink {
    name(name: string): void;
    invalid(): void;
    skipped(): void;
}
/** Longest name accepted, in presentation form without the trailing dot (RFC 1035: 255 octets on the wire). */
export declare const MAX_NAME_LENGTH = 253;
/** Longest label. */
export declare const MAX_LABEL_LENGTH = 63;
/** Lower-case ASCII labels, dots between, no empty label, label and name limits respected: what `normalizeName` returns. */
export declare const isNormalizedName: (name: string) => boolean;
/**
 * One token → the name a list means by it, or `undefined` if it is not a valid host name. Lower-cased,
 * one trailing dot removed, Unicode converted to punycode (`domainToASCII`, UTS #46), punycode kept.
 */
export declare const normalizeName: (token: string) => string | undefined;
/** Parse one line (without its line break) into the sink. */
export declare const parseLine: (raw: string, sink: ParseSink) => void;
/** A parser fed text in chunks (a download or a file stream); `end()` gives the result. */
export interface ListParser {
    push(chunk: string): void;
    end(): ParseResult;
}
/** A chunked parser. A line split across chunks is joined once, so huge lines stay linear. */
export declare const makeListParser: () => ListParser;
/** Parse a whole list held in memory. */
export declare const parseList: (text: string) => ParseResult;
