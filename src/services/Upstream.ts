import { Context, Data, type Effect } from "effect"

/** Why an upstream exchange failed. */
export class UpstreamError extends Data.TaggedError("UpstreamError")<{
  readonly upstream: string
  readonly reason: "Timeout" | "Connect" | "Closed" | "BadAnswer" | "Http" | "TooLarge"
  readonly detail?: string
}> {
  override get message() {
    return `upstream ${this.upstream}: ${this.reason}${this.detail === undefined ? "" : ` (${this.detail})`}`
  }
}

/**
 * The port to upstream resolvers. `query` sends one DNS query (its ID is the transport's to choose: the
 * caller restores its own ID on the answer) and returns the raw answer, whose ID and question the
 * transport has checked against the query. A failure is an `UpstreamError`; no deadline is applied here
 * beyond the transport's own connect limits — the resolver bounds every call with the query deadline.
 */
export interface UpstreamShape {
  readonly query: (msg: Uint8Array) => Effect.Effect<Uint8Array, UpstreamError>
}

export class Upstream extends Context.Tag("vigil/Upstream")<Upstream, UpstreamShape>() {}
