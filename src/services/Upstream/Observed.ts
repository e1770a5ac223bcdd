import { Duration, Effect, Layer } from "effect"
import { Metrics } from "../Metrics.js"
import { Upstream, type UpstreamShape } from "../Upstream.js"

/** `upstream` with each query's latency (answered) or reason (failed, interrupted) told to `metrics`. */
export const observed = (upstream: UpstreamShape, metrics: Metrics): UpstreamShape => ({
  query: (msg) =>
    upstream.query(msg).pipe(
      Effect.timed,
      Effect.map(([took, answer]) => {
        metrics.upstreamAnswered(Duration.toSeconds(took))
        return answer
      }),
      Effect.tapError((e) => Effect.sync(() => metrics.upstreamFailed(e.reason))),
      Effect.onInterrupt(() => Effect.sync(() => metrics.upstreamFailed("Interrupted")))
    )
})

/** The `Upstream` of `inner`, observed by `Metrics` (latency histogram, errors by reason). */
export const observedUpstream = <E, R>(inner: Layer.Layer<Upstream, E, R>): Layer.Layer<Upstream, E, R | Metrics> =>
  Layer.effect(Upstream, Effect.zipWith(Upstream, Metrics, observed)).pipe(Layer.provide(inner))
