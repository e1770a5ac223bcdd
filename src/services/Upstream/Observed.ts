import { type Clock, Duration, Effect, Layer } from "effect"
import { Metrics } from "../Metrics.js"
import { Upstream, UpstreamError, type UpstreamShape } from "../Upstream.js"

/**
 * `upstream` with each query's latency (answered) or reason (failed, interrupted) told to `metrics`, on
 * both paths: `query` (an Effect) and the plain-code `tryExchange`, timed on `clock`. `prepare` is
 * passed on as it is.
 */
export const observed = (upstream: UpstreamShape, metrics: Metrics, clock: Clock.Clock): UpstreamShape => {
  const shape: { -readonly [K in keyof UpstreamShape]: UpstreamShape[K] } = {
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
  }
  const tryExchange = upstream.tryExchange
  if (tryExchange !== undefined) {
    shape.tryExchange = (msg, done) => {
      const start = clock.unsafeCurrentTimeNanos()
      const cancel = tryExchange(msg, (result) => {
        if (result instanceof UpstreamError) metrics.upstreamFailed(result.reason)
        else metrics.upstreamAnswered(Number(clock.unsafeCurrentTimeNanos() - start) / 1e9)
        done(result)
      })
      if (cancel === undefined) return undefined
      // cancelled (at the query deadline) before an answer: as an interrupted `query`
      return () => {
        cancel()
        metrics.upstreamFailed("Interrupted")
      }
    }
  }
  if (upstream.prepare !== undefined) shape.prepare = upstream.prepare
  return shape
}

/** The `Upstream` of `inner`, observed by `Metrics` (latency histogram, errors by reason). */
export const observedUpstream = <E, R>(inner: Layer.Layer<Upstream, E, R>): Layer.Layer<Upstream, E, R | Metrics> =>
  Layer.effect(
    Upstream,
    Effect.all([Upstream, Metrics, Effect.clock]).pipe(
      Effect.map(([upstream, metrics, clock]) => observed(upstream, metrics, clock))
    )
  ).pipe(Layer.provide(inner))
