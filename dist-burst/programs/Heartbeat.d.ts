import { Context, Duration, Effect } from "effect";
import { type Stats } from "./Stats.js";
/** How often the heartbeat line is logged. */
export declare const HEARTBEAT_INTERVAL: Duration.Duration;
declare const HeartbeatInterval_base: Context.ReferenceClass<HeartbeatInterval, "vigil/Heartbeat/Interval", Duration.Duration>;
/** The interval in use: `HEARTBEAT_INTERVAL` unless provided; infinite turns the heartbeat off. */
export declare class HeartbeatInterval extends HeartbeatInterval_base {
}
/** The heartbeat's one line: connections, queries, cache, upstream, limit, TLS, certificate. */
export declare const heartbeatLine: (s: Stats) => string;
/** Every `HeartbeatInterval` (1 min) of Effect's `Clock`, an info line with the counters (SPEC.md §5). */
export declare const Heartbeat: Effect.Effect<void, never, import("../services/Blocklists.js").Blocklists | import("../index.js").TlsServerRegistry | import("../index.js").Metrics | import("../index.js").AnswerCache | import("../index.js").QueryHandler | import("../services/Admission.js").Admission>;
export {};
