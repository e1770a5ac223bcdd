/**
 * DNS over HTTPS to an upstream (RFC 8484): one HTTP/2 session per upstream, reused by every query and
 * made again when it closes or the server sends GOAWAY; each query is a POST of `application/dns-message`
 * with message ID 0 (RFC 8484 §4.1), whose answer must come with status 200, the same content type, at
 * most 65535 bytes, ID 0 and the question that was asked.
 */
import { Effect } from "effect";
import * as http2 from "node:http2";
import { MAX_MESSAGE } from "../QueryHandler/Wire.js";
import { UpstreamError } from "../Upstream.js";
import * as Tcp from "./Tcp.js";
import { caOption } from "./Tls.js";
const detailOf = (e) => e instanceof Error ? (e.code ?? e.message) : String(e);
const mediaType = (value) => (typeof value === "string" ? value : value?.[0] ?? "").split(";")[0].trim().toLowerCase();
/** A DoH transport to `spec` (one HTTP/2 session), closed with the scope. */
export const make = (spec, options = {}) => Effect.gen(function* () {
    const upstream = spec.text;
    const path = spec.url.pathname + spec.url.search;
    const idleTimeoutMs = options.idleTimeoutMs ?? Tcp.defaultIdleTimeoutMs;
    const open = Effect.async((resume) => {
        const session = http2.connect(spec.url.origin, { ...caOption(options.ca) });
        const state = { session, usable: true };
        session.on("error", () => {
            state.usable = false;
        });
        const onError = (e) => {
            state.usable = false;
            session.destroy();
            resume(Effect.fail(new UpstreamError({ upstream, reason: "Connect", detail: detailOf(e) })));
        };
        session.once("error", onError);
        session.once("connect", () => {
            session.off("error", onError);
            resume(Effect.succeed(state));
        });
        session.on("goaway", () => {
            state.usable = false;
        });
        session.on("close", () => {
            state.usable = false;
        });
        // Node's own session inactivity timer (not Effect's Clock): it only closes an idle session, it
        // bounds no query. `close` lets streams still open finish.
        session.setTimeout(idleTimeoutMs, () => {
            state.usable = false;
            session.close();
        });
        return Effect.sync(() => {
            session.destroy();
        });
    });
    const cell = yield* Tcp.connectionCell({
        upstream,
        open,
        usable: (s) => s.usable && !s.session.closed && !s.session.destroyed,
        dispose: (s) => {
            s.usable = false;
            s.session.destroy();
        },
        connectTimeoutMs: options.connectTimeoutMs ?? Tcp.defaultConnectTimeoutMs
    });
    const fail = (reason, detail) => Effect.fail(new UpstreamError({ upstream, reason, detail }));
    const exchange = (s, sent, questionEnd) => Effect.async((resume) => {
        let stream;
        try {
            stream = s.session.request({
                ":method": "POST",
                ":path": path,
                "content-type": "application/dns-message",
                "accept": "application/dns-message",
                "content-length": sent.length
            });
        }
        catch (e) {
            s.usable = false;
            resume(fail("Closed", detailOf(e)));
            return;
        }
        let done = false;
        const finish = (effect) => {
            if (done)
                return;
            done = true;
            resume(effect);
        };
        const cancel = () => {
            if (!stream.closed)
                stream.close(http2.constants.NGHTTP2_CANCEL);
        };
        const chunks = [];
        let size = 0;
        stream.on("response", (headers) => {
            const status = headers[":status"];
            if (status !== 200) {
                finish(fail("Http", `status ${status}`));
                return cancel();
            }
            const type = mediaType(headers["content-type"]);
            if (type !== "application/dns-message") {
                finish(fail("Http", `content-type ${type === "" ? "missing" : type}`));
                return cancel();
            }
            const length = Number(headers["content-length"] ?? 0);
            if (length > MAX_MESSAGE) {
                finish(fail("TooLarge", `content-length ${length}`));
                return cancel();
            }
        });
        stream.on("data", (chunk) => {
            if (done)
                return;
            size += chunk.length;
            if (size > MAX_MESSAGE) {
                finish(fail("TooLarge", `body over ${MAX_MESSAGE} bytes`));
                return cancel();
            }
            chunks.push(chunk);
        });
        stream.on("end", () => {
            const body = new Uint8Array(Buffer.concat(chunks, size));
            finish(Tcp.isAnswerTo(body, sent, questionEnd)
                ? Effect.succeed(body)
                : fail("BadAnswer", "not an answer to the query (message ID or question)"));
        });
        stream.on("error", (e) => finish(fail("Closed", detailOf(e))));
        stream.on("close", () => finish(fail("Closed", "stream closed without an answer")));
        stream.end(sent);
        return Effect.sync(() => {
            done = true;
            cancel();
        });
    });
    const query = Effect.fnUntraced(function* (msg) {
        const questionEnd = Tcp.questionEndOf(msg);
        if (questionEnd < 0)
            return yield* Tcp.badQuery(upstream, msg);
        const sent = Tcp.withId(msg, 0);
        const attempt = Effect.flatMap(cell.get, (s) => exchange(s, sent, questionEnd));
        // a session that went away as we sent (GOAWAY, idle close): one more try on a fresh session
        return yield* Effect.catchIf(attempt, (e) => e.reason === "Closed" && e.detail !== Tcp.TRANSPORT_CLOSED, () => attempt);
    });
    return { query };
});
//# sourceMappingURL=Https.js.map