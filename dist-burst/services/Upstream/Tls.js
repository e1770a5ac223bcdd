/**
 * DNS over TLS to an upstream (RFC 7858): the pipelined stream transport of `Tcp.ts` over node:tls, with
 * SNI, ALPN "dot", certificate verification (always on; tests give their own trust anchor as `ca`) and
 * session resumption when the connection is made again.
 */
import { Effect } from "effect";
import * as net from "node:net";
import * as tls from "node:tls";
import { connectSocket, makeStream } from "./Tcp.js";
/** The `ca` option of node:tls for a trust-anchor setting. */
export const caOption = (ca) => ca === undefined ? {} : { ca: typeof ca === "string" ? ca : [...ca] };
/** A DoT transport to `spec` (one persistent, pipelined connection), closed with the scope. */
export const make = (spec, options = {}) => Effect.suspend(() => {
    const servername = spec.servername ?? (net.isIP(spec.host) === 0 ? spec.host : undefined);
    // the last session ticket the server gave us: a reconnect resumes instead of a full handshake
    let session;
    const create = () => {
        const socket = tls.connect({
            host: spec.host,
            port: spec.port,
            ...(servername === undefined ? {} : { servername }),
            ALPNProtocols: ["dot"],
            minVersion: "TLSv1.2",
            ...caOption(options.ca),
            ...(session === undefined ? {} : { session })
        });
        socket.on("session", (s) => {
            session = s;
        });
        return socket;
    };
    return makeStream({
        upstream: spec.text,
        connect: connectSocket(spec.text, create, "secureConnect"),
        idleTimeoutMs: options.idleTimeoutMs,
        connectTimeoutMs: options.connectTimeoutMs
    });
});
//# sourceMappingURL=Tls.js.map