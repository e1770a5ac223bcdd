import { Layer } from "effect";
import { Metrics } from "../Metrics.js";
import { Upstream, type UpstreamShape } from "../Upstream.js";
/** `upstream` with each query's latency (answered) or reason (failed, interrupted) told to `metrics`. */
export declare const observed: (upstream: UpstreamShape, metrics: Metrics) => UpstreamShape;
/** The `Upstream` of `inner`, observed by `Metrics` (latency histogram, errors by reason). */
export declare const observedUpstream: <E, R>(inner: Layer.Layer<Upstream, E, R>) => Layer.Layer<Upstream, E, R | Metrics>;
