import { Context, Data, Duration, Effect, Layer } from "effect";
import { queryDeadlineMs, ServerConfig } from "./ServerConfig.js";
import * as Https from "./Upstream/Https.js";
import * as Tcp from "./Upstream/Tcp.js";
import * as Tls from "./Upstream/Tls.js";
import * as Udp from "./Upstream/Udp.js";
/** Why an upstream exchange failed. */
export class UpstreamError extends Data.TaggedError("UpstreamError") {
    get message() {
        return `upstream ${this.upstream}: ${this.reason}${this.detail === undefined ? "" : ` (${this.detail})`}`;
    }
}
export class Upstream extends Context.Tag("vigil/Upstream")() {
    /** One transport per spec, tried in order with failover (see `makeFromSpecs`). */
    static fromSpecs = (specs, options = {}) => Layer.scoped(Upstream, makeFromSpecs(specs, options));
}
/** The transport of one upstream, closed with the scope. */
export const makeTransport = (spec, options = {}) => {
    const stream = { idleTimeoutMs: options.idleTimeoutMs, connectTimeoutMs: options.connectTimeoutMs };
    switch (spec._tag) {
        case "udp":
            return Udp.make(spec, stream);
        case "tcp":
            return Tcp.make(spec, stream);
        case "tls":
            return Tls.make(spec, { ...stream, ca: options.ca });
        case "https":
            return Https.make(spec, { ...stream, ca: options.ca });
    }
};
const DEFAULT_QUERY_DEADLINE_MS = 10_000;
/**
 * Failover over `upstreams` (named by `names`, for errors and logs): every query starts at the upstream
 * that answered last and moves to the next one on any `UpstreamError`. Each attempt but the last is
 * bounded by `max(1000, queryDeadlineMs / upstreams)` ms; the last is bounded only by the caller's
 * deadline. When every upstream has failed, the query fails with the last error.
 */
export const failover = (upstreams, queryDeadline = DEFAULT_QUERY_DEADLINE_MS) => {
    const count = upstreams.length;
    if (count === 0) {
        return {
            query: () => Effect.fail(new UpstreamError({ upstream: "none", reason: "Connect", detail: "no upstream configured" }))
        };
    }
    const attemptLimit = Duration.millis(Math.max(1000, Math.floor(queryDeadline / count)));
    let preferred = 0;
    const query = Effect.fnUntraced(function* (msg) {
        const start = preferred;
        let lastError;
        for (let i = 0; i < count; i++) {
            const index = (start + i) % count;
            const { name, transport } = upstreams[index];
            const attempt = i === count - 1 ? transport.query(msg) : transport.query(msg).pipe(Effect.timeoutFail({
                duration: attemptLimit,
                onTimeout: () => new UpstreamError({
                    upstream: name,
                    reason: "Timeout",
                    detail: `no answer in ${Duration.format(attemptLimit)}`
                })
            }));
            const result = yield* Effect.either(attempt);
            if (result._tag === "Right") {
                if (index !== preferred)
                    preferred = index;
                return result.right;
            }
            lastError = result.left;
            yield* Effect.logDebug(i === count - 1 ? "upstream failed; no upstream left" : "upstream failed; trying the next")
                .pipe(Effect.annotateLogs({ service: "Upstream", upstream: name, error: lastError.message }));
        }
        return yield* Effect.fail(lastError);
    });
    return { query };
};
/** One transport per spec, composed with `failover`; everything is closed with the scope. */
export const makeFromSpecs = (specs, options = {}) => Effect.map(Effect.forEach(specs, (spec) => Effect.map(makeTransport(spec, options), (transport) => ({ name: spec.text, transport }))), (upstreams) => failover(upstreams, options.queryDeadlineMs ?? DEFAULT_QUERY_DEADLINE_MS));
/**
 * The upstreams of `ServerConfig.upstreams`, with failover within the configured query deadline;
 * `options.ca` replaces Node's CA store for tls:// and https:// upstreams (tests, private resolvers).
 */
export const upstreamFromConfig = (options = {}) => Layer.scoped(Upstream, Effect.flatMap(ServerConfig, (config) => makeFromSpecs(config.upstreams, {
    queryDeadlineMs: queryDeadlineMs(config),
    idleTimeoutMs: Duration.toMillis(config.workerTimeout),
    ca: options.ca
})));
/** The upstreams of `ServerConfig.upstreams`, with failover within the configured query deadline. */
export const UpstreamLive = upstreamFromConfig();
//# sourceMappingURL=Upstream.js.map