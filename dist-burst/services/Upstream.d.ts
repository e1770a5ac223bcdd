import { Context, Effect, Layer, type Scope } from "effect";
import { ServerConfig } from "./ServerConfig.js";
import type { UpstreamSpec } from "./Upstream/Spec.js";
declare const UpstreamError_base: new <A extends Record<string, any> = {}>(args: import("effect/Types").VoidIfEmpty<{ readonly [P in keyof A as P extends "_tag" ? never : P]: A[P]; }>) => import("effect/Cause").YieldableError & {
    readonly _tag: "UpstreamError";
} & Readonly<A>;
/** Why an upstream exchange failed. */
export declare class UpstreamError extends UpstreamError_base<{
    readonly upstream: string;
    readonly reason: "Timeout" | "Connect" | "Closed" | "BadAnswer" | "Http" | "TooLarge";
    readonly detail?: string;
}> {
    get message(): string;
}
/**
 * The port to upstream resolvers. `query` sends one DNS query (its ID is the transport's to choose: the
 * caller restores its own ID on the answer) and returns the raw answer, whose ID and question the
 * transport has checked against the query. A failure is an `UpstreamError`; no deadline is applied here
 * beyond the transport's own connect limits — the resolver bounds every call with the query deadline.
 */
export interface UpstreamShape {
    readonly query: (msg: Uint8Array) => Effect.Effect<Uint8Array, UpstreamError>;
}
/** How the transports of `Upstream.fromSpecs` are built. */
export interface UpstreamOptions {
    /** trust anchors (PEM) for tls:// and https:// upstreams instead of Node's CA store (tests) */
    readonly ca?: string | ReadonlyArray<string> | undefined;
    /** the caller's per-query deadline, which failover divides among the upstreams; default 10 s */
    readonly queryDeadlineMs?: number | undefined;
    /** close an idle upstream connection after this long; default 10 s */
    readonly idleTimeoutMs?: number | undefined;
    /** give up connecting to an upstream after this long; default 5 s */
    readonly connectTimeoutMs?: number | undefined;
}
declare const Upstream_base: Context.TagClass<Upstream, "vigil/Upstream", UpstreamShape>;
export declare class Upstream extends Upstream_base {
    /** One transport per spec, tried in order with failover (see `makeFromSpecs`). */
    static readonly fromSpecs: (specs: ReadonlyArray<UpstreamSpec>, options?: UpstreamOptions) => Layer.Layer<Upstream>;
}
/** The transport of one upstream, closed with the scope. */
export declare const makeTransport: (spec: UpstreamSpec, options?: UpstreamOptions) => Effect.Effect<UpstreamShape, never, Scope.Scope>;
/**
 * Failover over `upstreams` (named by `names`, for errors and logs): every query starts at the upstream
 * that answered last and moves to the next one on any `UpstreamError`. Each attempt but the last is
 * bounded by `max(1000, queryDeadlineMs / upstreams)` ms; the last is bounded only by the caller's
 * deadline. When every upstream has failed, the query fails with the last error.
 */
export declare const failover: (upstreams: ReadonlyArray<{
    readonly name: string;
    readonly transport: UpstreamShape;
}>, queryDeadline?: number) => UpstreamShape;
/** One transport per spec, composed with `failover`; everything is closed with the scope. */
export declare const makeFromSpecs: (specs: ReadonlyArray<UpstreamSpec>, options?: UpstreamOptions) => Effect.Effect<UpstreamShape, never, Scope.Scope>;
/**
 * The upstreams of `ServerConfig.upstreams`, with failover within the configured query deadline;
 * `options.ca` replaces Node's CA store for tls:// and https:// upstreams (tests, private resolvers).
 */
export declare const upstreamFromConfig: (options?: Pick<UpstreamOptions, "ca">) => Layer.Layer<Upstream, never, ServerConfig>;
/** The upstreams of `ServerConfig.upstreams`, with failover within the configured query deadline. */
export declare const UpstreamLive: Layer.Layer<Upstream, never, ServerConfig>;
export {};
