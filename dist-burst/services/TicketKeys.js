import { Clock, Duration, Effect, Option, Redacted, Schedule } from "effect";
import { createHash, hkdfSync, randomBytes } from "node:crypto";
import { ClusterWorker } from "./ClusterWorker.js";
import { ServerConfig } from "./ServerConfig.js";
import { tlsSessionStats } from "./TlsSessions/Stats.js";
/** `S`: the HKDF salt of `tkt48` (PROTOCOLS.md §2). */
export const TKT48_SALT = Buffer.from("9f34ba3c3c9097fef97e97effbb4bda4b9afa17dbb9b02f091a25d119ac91c5f", "hex");
/**
 * `tkt48(seed, ctx)` = HKDF-SHA256(ikm = SHA-512(seed), salt = S, info = SHA-512(ctx), 48): Node's
 * 48-byte ticket-key blob (16 bytes name ‖ 16 bytes HMAC key ‖ 16 bytes AES key).
 */
export const tkt48 = (seed, ctx) => Buffer.from(hkdfSync("sha256", createHash("sha512").update(seed).digest(), TKT48_SALT, createHash("sha512").update(ctx, "utf8").digest(), 48));
/** The ticket-key context at `nowMs`: `"w" + floor(now_ms / rotation_ms) + IMAGE_REF`. */
export const ticketContext = (nowMs, periodMs, imageRef) => `w${Math.floor(nowMs / periodMs)}${imageRef}`;
/** The first period boundary after `nowMs` (a multiple of `periodMs` since the epoch). */
export const nextBoundary = (nowMs, periodMs) => (Math.floor(nowMs / periodMs) + 1) * periodMs;
/**
 * The longest single sleep of the rotation fiber: a timer longer than 2^31-1 ms (24.8 days) never fires
 * (Effect's clock treats it as infinite), and a wall clock that jumps is noticed within this long.
 */
export const MAX_SLEEP = Duration.hours(6);
/**
 * Session-ticket keys (SPEC.md §5, PROTOCOLS.md §2): derived from the fleet secret and the current
 * period, so that every instance with the same secret and `IMAGE_REF` holds the same key at the same
 * time and resumes the others' tickets. `manage` applies the key to a TLS server and forks, in the
 * caller's scope (the server's), a fiber that wakes at every `TICKET_ROTATION` boundary of Effect's
 * `Clock` and applies the next key; the fiber ends with that scope.
 */
export class TicketKeys extends Effect.Service()("vigil/TicketKeys", {
    effect: Effect.gen(function* () {
        const config = yield* ServerConfig;
        const periodMs = Math.max(1, Math.floor(Duration.toMillis(config.ticketRotation)));
        const clusterSeed = Option.flatMap(yield* Effect.serviceOption(ClusterWorker), (w) => w.ticketSeed);
        const { seed, source } = Option.match(config.ticketSecret, {
            onSome: (s) => ({ seed: Redacted.value(s), source: "TOP_SECRET_512_B64" }),
            onNone: () => Option.match(config.tlsPsk, {
                onSome: (s) => ({ seed: Redacted.value(s), source: "TLS_PSK" }),
                onNone: () => Option.match(clusterSeed, {
                    onSome: (s) => ({ seed: Redacted.value(s), source: "cluster" }),
                    onNone: () => ({ seed: new Uint8Array(randomBytes(64)), source: "random" })
                })
            })
        });
        if (source === "random") {
            yield* Effect.logWarning("neither TOP_SECRET_512_B64 nor TLS_PSK is set: session-ticket keys are random to this process, so " +
                "TLS session resumption will not survive restarts and is not shared with other instances");
        }
        let memo;
        /** the ticket key in force at `nowMs` */
        const keyAt = (nowMs) => {
            const ctx = ticketContext(nowMs, periodMs, config.imageRef);
            if (memo === undefined || memo.ctx !== ctx)
                memo = { ctx, key: tkt48(seed, ctx) };
            return memo.key;
        };
        // the key last set on each target, re-applied after `setSecureContext` (which resets ticket keys)
        const applied = new WeakMap();
        /** Sets the key of the current period on `target` unless it already holds it; true when it changed. */
        const applyCurrent = (target) => Effect.map(Clock.currentTimeMillis, (now) => {
            const ctx = ticketContext(now, periodMs, config.imageRef);
            if (applied.get(target)?.ctx === ctx)
                return false;
            const key = keyAt(now);
            target.setTicketKeys(key);
            applied.set(target, { ctx, key });
            return true;
        });
        /** Waits until the next period boundary, at most `MAX_SLEEP` at a time. */
        const untilNextBoundary = Schedule.forever.pipe(Schedule.addDelayEffect(() => Effect.map(Clock.currentTimeMillis, (now) => Duration.min(Duration.millis(nextBoundary(now, periodMs) - now), MAX_SLEEP))));
        /** Keeps `target`'s key current; runs until interrupted. */
        const rotation = (target, label) => applyCurrent(target).pipe(Effect.tap((changed) => changed
            ? Effect.sync(() => tlsSessionStats.ticketRotations++).pipe(Effect.zipRight(Effect.logInfo(`${label}: session-ticket key rotated`)))
            : Effect.void), Effect.repeat(untilNextBoundary), Effect.zipRight(Effect.never), Effect.annotateLogs({ service: "TicketKeys" }));
        /**
         * Applies the current key to `target` now and forks its rotation fiber into the current scope (the
         * server's), which interrupts it when it closes.
         */
        const manage = (target, label) => applyCurrent(target).pipe(Effect.zipRight(Effect.forkScoped(rotation(target, label))), Effect.asVoid);
        /** Sets again the key `target` last got (after `setSecureContext` replaced its ticket keys). */
        const reapply = (target) => {
            const last = applied.get(target);
            if (last !== undefined)
                target.setTicketKeys(last.key);
        };
        return {
            /** where the seed came from: the fleet secret, the PSK seed or random bytes */
            source,
            periodMs,
            keyAt,
            /** the key in force now */
            current: Effect.map(Clock.currentTimeMillis, keyAt),
            manage,
            reapply
        };
    })
}) {
}
//# sourceMappingURL=TicketKeys.js.map