import { Either } from "effect";
/** One upstream resolver, as written in `UPSTREAM`. */
export type UpstreamSpec = {
    readonly _tag: "udp";
    readonly host: string;
    readonly port: number;
    readonly text: string;
} | {
    readonly _tag: "tcp";
    readonly host: string;
    readonly port: number;
    readonly text: string;
} | {
    readonly _tag: "tls";
    readonly host: string;
    readonly port: number;
    readonly servername: string | undefined;
    readonly text: string;
} | {
    readonly _tag: "https";
    readonly url: URL;
    readonly text: string;
};
/** Parses one `UPSTREAM` entry; a bare address means `udp://address:53`. */
export declare const parseUpstream: (raw: string) => Either.Either<UpstreamSpec, string>;
/** Parses the whole comma list; every bad entry is reported. */
export declare const parseUpstreamList: (raw: string) => Either.Either<ReadonlyArray<UpstreamSpec>, string>;
/** `nameserver` lines of a resolv.conf as `udp://` upstreams (the default when `UPSTREAM` is unset). */
export declare const upstreamsFromResolvConf: (text: string) => ReadonlyArray<string>;
