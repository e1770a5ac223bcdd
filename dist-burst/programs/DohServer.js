import { Duration, Effect, FiberSet, LogLevel, Schedule } from "effect";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as tls from "node:tls";
import { Admission } from "../services/Admission.js";
import { Blocklists } from "../services/Blocklists.js";
import { forwardedContext } from "../services/ProxyProtocol.js";
import { QueryHandler } from "../services/QueryHandler.js";
import { ServerConfig } from "../services/ServerConfig.js";
import { listen, TlsServerRegistry } from "../services/TlsServerRegistry.js";
import { TlsSessions } from "../services/TlsSessions.js";
import { makeFastH1 } from "./DohServer/H1.js";
import { makeFastH2 } from "./DohServer/H2.js";
import { addChunk, answerHeaders, bodyMessage, bodyReader, REJECT_REASONS, Responses, route } from "./DohServer/Request.js";
/** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS advertised to every client. */
export const H2_MAX_CONCURRENT_STREAMS = 256;
/** HTTP/2 SETTINGS_MAX_HEADER_LIST_SIZE (bytes) and the most header fields one request may carry. */
export const H2_MAX_HEADER_LIST_SIZE = 16384;
export const H2_MAX_HEADER_PAIRS = 64;
export const dohStats = {
    requests: 0,
    answers: 0,
    status: {},
    rejected: Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])),
    abandoned: 0,
    sessionErrors: 0,
    streamErrors: 0,
    clientErrors: 0,
    tlsErrors: 0
};
/** Counts one response by status (`dohStats.status`). */
export const countStatus = (status) => {
    dohStats.status[status] = (dohStats.status[status] ?? 0) + 1;
};
/** The context of a request whose connection is unknown (not expected to happen). */
const noContext = (env) => ({
    transport: "doh",
    remoteAddress: undefined,
    selection: env.select(undefined)
});
/** The context of a request whose path named `selector`. */
const withSelector = (ctx, selector, env) => selector === undefined ? ctx : { ...ctx, selection: env.select(selector) };
/**
 * Decides what to do with one DoH request, for every transport (HTTP/2, HTTP/1.1, cleartext): the client
 * (`X-Forwarded-For` from a trusted peer), the route (`DohServer/Request.ts`), the blocklists of the path.
 */
export const dispatch = (env, peer, method, path, contentType, contentLength, xForwardedFor) => {
    const ctx = forwardedContext(peer, xForwardedFor, env.proxyTrusted);
    const admission = env.admission;
    if (admission.aclActive && !admission.allowClient(ctx.remoteAddress)) {
        admission.refuse("doh", "acl");
        return { _tag: "Reply", response: Responses.Forbidden, ctx };
    }
    const r = route(method, path, contentType, contentLength);
    if (r._tag === "Reply")
        return { _tag: "Reply", response: r.response, ctx };
    let selector = r.selector;
    const slash = selector === undefined ? -1 : selector.indexOf("/");
    if (admission.tokensRequired && ctx.psk !== true) {
        // `/dns-query/<token>` or `/dns-query/<token>/<lists>`
        const verdict = admission.checkToken(slash < 0 ? selector : selector.slice(0, slash));
        if (verdict !== "ok") {
            admission.refuse("doh", verdict);
            return { _tag: "Reply", response: Responses.Unauthorized, ctx };
        }
        selector = slash < 0 ? undefined : selector.slice(slash + 1);
    }
    else if (slash >= 0) {
        // `<token>/<lists>` without ACCESS_KEYS (or over TLS-PSK): the token part is not checked
        selector = selector.slice(slash + 1);
    }
    if (admission.rateLimited) {
        const verdict = admission.rate(ctx.remoteAddress);
        if (verdict !== "ok") {
            admission.refuse("doh", verdict === "limited" ? "rate_limited" : "client_blocked");
            return { _tag: "Reply", response: Responses.TooManyRequests, ctx };
        }
    }
    const c = withSelector(ctx, selector === "" ? undefined : selector, env);
    return r._tag === "Query"
        ? { _tag: "Query", message: r.message, ctx: c }
        : { _tag: "ReadBody", expected: r.expected, ctx: c };
};
// the HTTP/2 header block of each ready-made response, built once
const h2Headers = new Map(Object.values(Responses).map((r) => [r, { ":status": r.status, ...r.headers }]));
/** DNS over HTTPS/2 with the `stream` API of `node:http2` (not the slower compatibility API). */
export const makeH2 = (env) => {
    const sessions = new Map();
    let draining = false;
    const server = http2.createServer({
        settings: {
            maxConcurrentStreams: H2_MAX_CONCURRENT_STREAMS,
            maxHeaderListSize: H2_MAX_HEADER_LIST_SIZE,
            enablePush: false
        },
        maxHeaderListPairs: H2_MAX_HEADER_PAIRS
    });
    const onStreamError = function (e) {
        dohStats.streamErrors++;
        if (env.logDebug !== undefined)
            env.logDebug(`HTTP/2 stream ${this.id ?? "?"} failed: ${e.message}`);
    };
    const sendStatic = (stream, response, ctx) => {
        if (response.reason !== undefined)
            env.rejected(response, ctx);
        countStatus(response.status);
        if (stream.destroyed || stream.closed)
            return;
        const headers = h2Headers.get(response) ?? { ":status": response.status, ...response.headers };
        if (response.body.length === 0)
            stream.respond(headers, { endStream: true });
        else {
            stream.respond(headers);
            stream.end(response.body);
        }
    };
    const replyTo = (stream, ctx) => (answer, ttl, malformed) => {
        if (answer === null || malformed)
            return sendStatic(stream, Responses.UnusableMessage, ctx);
        if (stream.destroyed || stream.closed) {
            dohStats.abandoned++;
            return;
        }
        dohStats.answers++;
        countStatus(200);
        const headers = answerHeaders(answer.length, ttl);
        headers[":status"] = 200;
        stream.respond(headers);
        stream.end(answer);
    };
    const readBody = (stream, expected, ctx) => {
        const reader = bodyReader(expected);
        let over = false;
        // a POST whose body never comes must not hold its stream (and a draining session) forever
        stream.setTimeout(env.idleMs, () => {
            env.countTimeout();
            stream.close(http2.constants.NGHTTP2_CANCEL);
        });
        stream.on("data", (chunk) => {
            if (over)
                return;
            if (!addChunk(reader, chunk)) {
                over = true;
                stream.setTimeout(0);
                sendStatic(stream, Responses.TooLarge, ctx);
                // RST_STREAM(NO_ERROR) once the 413 is out: the client stops uploading (RFC 9113 §8.1)
                stream.close(http2.constants.NGHTTP2_NO_ERROR);
            }
        });
        stream.on("end", () => {
            if (over)
                return;
            stream.setTimeout(0);
            const message = bodyMessage(reader);
            if (Buffer.isBuffer(message))
                env.handle(message, ctx, replyTo(stream, ctx));
            else
                sendStatic(stream, message, ctx);
        });
    };
    server.on("session", (session) => {
        sessions.set(session, {
            transport: "doh",
            remoteAddress: session.socket?.remoteAddress,
            selection: env.select(undefined),
            psk: session.socket instanceof tls.TLSSocket && env.isPsk(session.socket)
        });
        session.once("close", () => sessions.delete(session));
        // idle: GOAWAY, streams in flight finish
        session.setTimeout(env.idleMs, () => {
            env.countTimeout();
            session.close();
        });
        if (draining)
            session.close();
    });
    server.on("sessionError", (e, session) => {
        dohStats.sessionErrors++;
        if (env.logDebug !== undefined) {
            env.logDebug(`HTTP/2 session from ${sessions.get(session)?.remoteAddress ?? "?"} failed: ${e.message}`);
        }
    });
    server.on("stream", (stream, headers) => {
        dohStats.requests++;
        stream.on("error", onStreamError);
        const session = stream.session;
        const peer = (session !== undefined ? sessions.get(session) : undefined) ?? noContext(env);
        try {
            const d = dispatch(env, peer, headers[":method"], headers[":path"], headers["content-type"], headers["content-length"], headers["x-forwarded-for"]);
            if (d._tag === "Query")
                env.handle(d.message, d.ctx, replyTo(stream, d.ctx));
            else if (d._tag === "ReadBody")
                readBody(stream, d.expected, d.ctx);
            else
                sendStatic(stream, d.response, d.ctx);
        }
        catch (e) {
            env.logDefect("HTTP/2 request handler failed", e);
            stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
        }
    });
    return {
        accept: (socket) => {
            server.emit("connection", socket);
        },
        drain: () => {
            draining = true;
            for (const s of sessions.keys())
                if (!s.closed && !s.destroyed)
                    s.close();
        },
        open: () => sessions.size,
        destroy: () => {
            for (const s of sessions.keys())
                s.destroy();
        }
    };
};
/**
 * DNS over HTTPS/1.1 on Node's own parser, keep-alive. The servers use `makeFastH1`
 * (`DohServer/H1.ts`, about twice as fast); this one stays as the reference its tests compare with.
 */
export const makeH1 = (env) => {
    const connections = new Map();
    let draining = false;
    const checkEvery = Math.min(Math.max(Math.floor(env.idleMs / 4), 250), 5000);
    const server = http.createServer({ connectionsCheckingInterval: checkEvery });
    server.keepAliveTimeout = env.idleMs;
    server.headersTimeout = env.idleMs;
    server.requestTimeout = 2 * env.idleMs;
    server.timeout = 0;
    // `http.Server` arms its header/request timeouts and idle-connection tracking on "listening"; this
    // server never listens itself (the TLS listener hands it sockets), so arm them now
    server.emit("listening");
    const sendStatic = (res, response, ctx, close) => {
        if (response.reason !== undefined)
            env.rejected(response, ctx);
        countStatus(response.status);
        if (res.destroyed || res.headersSent)
            return;
        if (close || draining)
            res.shouldKeepAlive = false;
        res.writeHead(response.status, response.headers);
        res.end(response.body.length === 0 ? undefined : response.body);
    };
    const replyTo = (req, res, ctx) => (a, t, m) => sendAnswer(req, res, ctx, a, t, m);
    const sendAnswer = (req, res, ctx, answer, ttl, malformed) => {
        if (answer === null || malformed)
            return sendStatic(res, Responses.UnusableMessage, ctx, false);
        // (a pipelined response has no socket of its own yet: ask the request's)
        if (res.destroyed || res.headersSent || req.socket.destroyed) {
            dohStats.abandoned++;
            return;
        }
        dohStats.answers++;
        countStatus(200);
        if (draining)
            res.shouldKeepAlive = false;
        res.writeHead(200, answerHeaders(answer.length, ttl));
        res.end(answer);
    };
    const readBody = (req, res, expected, ctx) => {
        const reader = bodyReader(expected);
        let over = false;
        req.on("data", (chunk) => {
            if (over)
                return;
            if (!addChunk(reader, chunk)) {
                over = true;
                // the rest of the body is not read: the connection closes after the 413
                sendStatic(res, Responses.TooLarge, ctx, true);
            }
        });
        req.on("end", () => {
            if (over)
                return;
            const message = bodyMessage(reader);
            if (Buffer.isBuffer(message))
                env.handle(message, ctx, replyTo(req, res, ctx));
            else
                sendStatic(res, message, ctx, false);
        });
    };
    server.on("request", (req, res) => {
        dohStats.requests++;
        const peer = connections.get(req.socket) ?? noContext(env);
        try {
            const method = req.method;
            const h = req.headers;
            const d = dispatch(env, peer, method, req.url, h["content-type"], h["content-length"], h["x-forwarded-for"]);
            if (d._tag === "Query")
                env.handle(d.message, d.ctx, replyTo(req, res, d.ctx));
            else if (d._tag === "ReadBody")
                readBody(req, res, d.expected, d.ctx);
            else {
                // a rejected request may carry a body nobody reads: close instead of draining it
                const mayHaveBody = method !== "GET" && method !== "HEAD" && method !== "OPTIONS";
                sendStatic(res, d.response, d.ctx, mayHaveBody);
            }
        }
        catch (e) {
            env.logDefect("HTTP/1.1 request handler failed", e);
            res.destroy();
        }
    });
    server.on("clientError", (e, socket) => {
        if (e.code === "ECONNRESET" || !socket.writable) {
            socket.destroy();
            return;
        }
        dohStats.clientErrors++;
        const status = e.code === "HPE_HEADER_OVERFLOW" ? 431 : e.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
        if (status === 408)
            env.countTimeout();
        countStatus(status);
        if (env.logDebug !== undefined) {
            const remote = connections.get(socket)?.remoteAddress ?? "?";
            env.logDebug(`HTTP/1.1 connection from ${remote} closed with ${status}: ${e.code ?? e.message}`);
        }
        socket.write(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
        socket.destroy();
    });
    return {
        accept: (socket) => {
            connections.set(socket, {
                transport: "doh",
                remoteAddress: socket.remoteAddress,
                selection: env.select(undefined)
            });
            socket.once("close", () => connections.delete(socket));
            server.emit("connection", socket);
        },
        drain: () => {
            draining = true;
            server.closeIdleConnections();
        },
        open: () => connections.size,
        destroy: () => {
            for (const s of connections.keys())
                s.destroy();
            // clears the connection-checking interval
            server.close();
        }
    };
};
/**
 * Listens with `server`; on release (and on `drain`) stops accepting and closes the transports gracefully
 * (GOAWAY, `Connection: close`), waits for their connections to close within `SHUTDOWN_TIMEOUT_MS`, then
 * destroys what is left. Shared by the TLS and the cleartext DoH listeners.
 */
export const listenAndDrain = (listener, server, port, transports) => Effect.gen(function* () {
    const config = yield* ServerConfig;
    const open = () => transports.reduce((n, t) => n + t.open(), 0);
    const drain = Effect.sync(() => {
        if (server.listening)
            server.close();
        for (const t of transports)
            t.drain();
    });
    const address = yield* Effect.acquireRelease(listen(listener, server, config.listenHost, port, config.tcpBacklog), () => Effect.gen(function* () {
        yield* drain;
        yield* Effect.sync(open).pipe(Effect.repeat({ schedule: Schedule.spaced("10 millis"), until: (n) => n === 0 }), 
        // a finalizer runs uninterruptibly: without this the timeout could never cut the wait short
        Effect.interruptible, Effect.timeout(config.shutdownTimeout), Effect.ignore);
        const left = open();
        if (left > 0)
            yield* Effect.logWarning(`${listener}: destroying ${left} connections left after the drain`);
        for (const t of transports)
            t.destroy();
    }));
    return { address, drain };
});
/**
 * DNS over HTTPS (RFC 8484) on `DOH_PORT`: ONE `tls.Server` offering ALPN `h2` and `http/1.1`; each
 * handshake's ALPN choice picks the transport the TLS socket is handed to — `h2` to our own HTTP/2
 * transport (`DohServer/H2.ts`; `makeH2` on `node:http2` stays for comparison), anything else (including no
 * ALPN) to a plain `http.createServer()` (what `https.Server` does). Both route through
 * `DohServer/Request.ts` to `QueryHandler.handle`.
 *
 * Closing the scope stops accepting, sends GOAWAY on every HTTP/2 session and `Connection: close` on
 * HTTP/1.1 (idle ones are closed at once), waits until every connection has closed by itself (answers
 * in flight are still written), at most `SHUTDOWN_TIMEOUT_MS`, then destroys what is left. `drain`
 * starts the same graceful close earlier, without waiting (a shutdown program calls it right after
 * `stopAccepting`, so clients hear GOAWAY while queries drain).
 */
export const DohServer = Effect.gen(function* () {
    const config = yield* ServerConfig;
    const registry = yield* TlsServerRegistry;
    const handler = yield* QueryHandler;
    const blocklists = yield* Blocklists;
    const admission = yield* Admission;
    const sessions = yield* TlsSessions;
    const clock = yield* Effect.clock;
    const options = yield* registry.tlsOptions(["h2", "http/1.1"]);
    const runFork = yield* FiberSet.makeRuntime();
    const debug = LogLevel.lessThanEqual(config.logLevel, LogLevel.Debug);
    const logDebug = debug ? (msg) => runFork(Effect.logDebug(msg)) : undefined;
    const env = {
        handle: handler.handle,
        idleMs: Duration.toMillis(config.workerTimeout),
        rejected: (response, ctx) => {
            dohStats.rejected[response.reason]++;
            if (logDebug !== undefined)
                logDebug(`${response.status} to ${ctx.remoteAddress ?? "?"}: ${response.detail}`);
        },
        logDebug,
        logDefect: (msg, e) => runFork(Effect.logError(msg, e)),
        countTimeout: () => registry.countTimeout("doh"),
        proxyTrusted: config.proxyTrusted,
        select: blocklists.select,
        isPsk: sessions.isPsk,
        admission,
        now: () => clock.unsafeCurrentTimeMillis()
    };
    const h2 = makeFastH2(env);
    const h1 = makeFastH1(env);
    const server = tls.createServer({ ...options, noDelay: true });
    server.on("secureConnection", (socket) => {
        if (socket.alpnProtocol === "h2")
            h2.accept(socket);
        else
            h1.accept(socket);
    });
    server.on("tlsClientError", (e, socket) => {
        dohStats.tlsErrors++;
        if (logDebug !== undefined)
            logDebug(`TLS handshake from ${socket.remoteAddress ?? "?"} failed: ${e.message}`);
    });
    yield* registry.register("doh", server);
    const { address, drain } = yield* listenAndDrain("DoH", server, config.dohPort, [h2, h1]);
    // errors after listening (EMFILE on accept, …) must not take the process down
    server.on("error", (e) => runFork(Effect.logWarning(`DoH listener error: ${e.message}`)));
    return {
        address,
        server,
        /** starts the graceful close (GOAWAY, `Connection: close`) without waiting for it */
        drain,
        /** HTTP/2 sessions and HTTP/1.1 connections open */
        openConnections: Effect.sync(() => h2.open() + h1.open()),
        stats: dohStats
    };
}).pipe(Effect.annotateLogs({ service: "DohServer" }));
//# sourceMappingURL=DohServer.js.map