import { Context, Effect, Layer, Runtime } from "effect";
import { DEFAULT_BLOCK_FOR_S, makeLimiter } from "./ClientLimiter/Limiter.js";
export { clientKey, DEFAULT_V4_PREFIX, DEFAULT_V6_PREFIX } from "./ClientLimiter/Key.js";
export { DEFAULT_BLOCK_AFTER_S, DEFAULT_BLOCK_FOR_S, DEFAULT_MAX_BLOCKED, DEFAULT_MAX_CLIENTS, makeLimiter, OVER_LIMIT_GAP_MS } from "./ClientLimiter/Limiter.js";
const DISABLED = {
    enabled: false,
    check: () => "ok",
    currentlyBlocked: () => 0,
    stats: () => ({ limited: 0, blocked: 0, blocksStarted: 0 }),
    size: () => 0
};
/**
 * Per-client rate limits and dynamic blocks (issue 8; semantics in `ClientLimiter/Limiter.ts`). Time is
 * Effect's `Clock`, read synchronously per check, so `TestClock` drives refills and block ends. A block
 * start is logged at info with the client's network (never more than one line per client per
 * `BLOCK_AFTER_S + BLOCK_FOR_S`).
 */
export class ClientLimiter extends Context.Tag("vigil/ClientLimiter")() {
    /** A limiter with these settings; dies on settings out of range (`ServerConfig` validates them first). */
    static make = (options) => Effect.gen(function* () {
        if (!options.qps)
            return DISABLED;
        const clock = yield* Effect.clock;
        const runtime = yield* Effect.runtime();
        const runSync = Runtime.runSync(runtime);
        const blockForS = options.blockForS ?? DEFAULT_BLOCK_FOR_S;
        const logBlock = (key) => runSync(Effect.logInfo(`client ${key} blocked for ${blockForS} s: over its rate limit`).pipe(Effect.annotateLogs({ service: "ClientLimiter" })));
        // a setting out of range throws: a defect
        const limiter = yield* Effect.sync(() => makeLimiter({ ...options, onBlockStart: logBlock }));
        return {
            enabled: true,
            check: (address) => limiter.check(address, clock.unsafeCurrentTimeMillis()),
            currentlyBlocked: () => limiter.currentlyBlocked(clock.unsafeCurrentTimeMillis()),
            stats: limiter.stats,
            size: limiter.size
        };
    });
    /** The limiter as a layer. */
    static layer = (options) => Layer.effect(ClientLimiter, ClientLimiter.make(options));
    /** No limits: every query is "ok". */
    static disabled = Layer.succeed(ClientLimiter, DISABLED);
}
//# sourceMappingURL=ClientLimiter.js.map