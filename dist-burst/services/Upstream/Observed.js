import { Duration, Effect, Layer } from "effect";
import { Metrics } from "../Metrics.js";
import { Upstream } from "../Upstream.js";
/** `upstream` with each query's latency (answered) or reason (failed, interrupted) told to `metrics`. */
export const observed = (upstream, metrics) => ({
    query: (msg) => upstream.query(msg).pipe(Effect.timed, Effect.map(([took, answer]) => {
        metrics.upstreamAnswered(Duration.toSeconds(took));
        return answer;
    }), Effect.tapError((e) => Effect.sync(() => metrics.upstreamFailed(e.reason))), Effect.onInterrupt(() => Effect.sync(() => metrics.upstreamFailed("Interrupted"))))
});
/** The `Upstream` of `inner`, observed by `Metrics` (latency histogram, errors by reason). */
export const observedUpstream = (inner) => Layer.effect(Upstream, Effect.zipWith(Upstream, Metrics, observed)).pipe(Layer.provide(inner));
//# sourceMappingURL=Observed.js.map