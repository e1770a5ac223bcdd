import { type Histogram } from "prom-client";
import type { Stats } from "../Stats.js";
/**
 * The `/metrics` text (Prometheus exposition format 0.0.4, by `prom-client`) of a `Stats` reading. Every
 * series but the upstream latency histogram is computed at scrape time from the reading by a `collect`
 * callback, so the query path only bumps plain numbers. One exposition per health listener, on its own
 * registry (never prom-client's global one).
 */
export declare const makeExposition: (upstreamLatency: Histogram) => {
    contentType: "text/plain; version=0.0.4; charset=utf-8";
    render: (s: Stats) => Promise<string>;
    json: (s: Stats) => Promise<import("prom-client").MetricObjectWithValues<import("prom-client").MetricValue<string>>[]>;
};
