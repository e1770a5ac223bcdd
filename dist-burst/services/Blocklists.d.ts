import { HttpClient } from "@effect/platform";
import { Duration, Effect, Option } from "effect";
import { type BlocklistSource } from "./Blocklists/Download.js";
import { ServerConfig } from "./ServerConfig.js";
export { blockAnswer, EDE_BLOCKED, EDE_FILTERED } from "./Blocklists/Answer.js";
/** `check` verdicts (a positive verdict is the mask of the selected lists that hold the name). */
export declare const PASS = 0;
/** the name is on `DENYLIST` */
export declare const DENIED = -1;
/** the name is on `ALLOWLIST`: never blocked, not even through its CNAME chain */
export declare const ALLOWED = -2;
/**
 * The lists that come from URLs, with the name their copy is stored under in `DATA_DIR/blocklists`
 * (`BLOCKLISTS` by name; `ALLOWLIST`/`DENYLIST` as `_allowlist`/`_denylist`): what a cluster primary
 * fetches for its workers.
 */
export declare const urlSources: (config: {
    readonly blocklists: ReadonlyArray<BlocklistSource>;
    readonly allowlist: Option.Option<string>;
    readonly denylist: Option.Option<string>;
}) => ReadonlyArray<{
    readonly list: string;
    readonly store: BlocklistSource;
}>;
/** After a refresh in which a list could not be fetched, the next try comes this soon (or at the period). */
export declare const RETRY_AFTER_FAILURE: Duration.Duration;
/**
 * What an answer's CNAME chain runs through, against the lists of one generation: the lists holding
 * any of its names (allowlisted names excepted) and whether one is denylisted. Kept on the cached answer
 * and recomputed when the lists change.
 */
export interface ChainMark {
    generation: number;
    mask: number;
    denied: boolean;
}
/** One configured list as last loaded. */
export interface ListInfo {
    readonly name: string;
    readonly source: string;
    /** distinct names */
    readonly names: number;
    /** lines or names that could not be read as a host name */
    readonly invalid: number;
    /** adblock rules deliberately not used */
    readonly skipped: number;
    readonly bytes: number;
    /** where the text came from: `file` (a local path), `stored` (a fresh copy in DATA_DIR), `downloaded`, `stale` (the stored copy after a failed download), `none` */
    readonly origin: "file" | "stored" | "downloaded" | "stale" | "none";
    /** the last error, when the last load of this list failed */
    readonly error: string | undefined;
}
/** Blocking counters (SPEC.md §7 metrics). */
export interface BlocklistStats {
    /** queries blocked, by list (index as in `BLOCKLISTS`) */
    readonly blockedByList: Array<number>;
    denied: number;
    /** queries blocked because the upstream answer's CNAME chain runs through a blocked name */
    cnameBlocked: number;
    /** queries whose name is on `ALLOWLIST` (served whatever the lists say) */
    allowed: number;
    /** selector names that are no configured list */
    unknownSelectors: number;
    refreshes: number;
    refreshFailures: number;
}
/** The state of the lists, for the heartbeat and `/metrics`. */
export interface BlocklistsReading {
    readonly lists: ReadonlyArray<ListInfo>;
    readonly allowlist: ListInfo | undefined;
    readonly denylist: ListInfo | undefined;
    readonly generation: number;
    /** Clock ms of the last load (start-up or refresh), and whether every list loaded */
    readonly lastLoadAt: number;
    readonly lastLoadOk: boolean;
    readonly memoryBytes: number;
    readonly stats: BlocklistStats;
}
declare const Blocklists_base: Effect.Service.Class<Blocklists, "vigil/Blocklists", {
    readonly scoped: Effect.Effect<{
        /** false without `BLOCKLISTS` and `DENYLIST`: nothing is ever blocked, the query path skips every check */
        active: boolean;
        listNames: string[];
        defaultMask: number;
        /** the mask of the lists a request selects (`a+b`, `a-b`); none or only unknown names: `DEFAULT_BLOCKLISTS` */
        select: (selector: string | undefined) => number;
        check: (query: Uint8Array, selection: number) => number;
        newMark: () => ChainMark;
        markChain: (mark: ChainMark, answer: Uint8Array) => ChainMark;
        chainVerdict: (mark: ChainMark, selection: number) => number;
        /** names of the lists in `mask`, for the answer's Extended DNS Error text */
        namesOf: (mask: number) => string[];
        /** loads and compiles every list again now (what the schedule does) */
        refresh: Effect.Effect<boolean, never, never>;
        read: () => BlocklistsReading;
    }, never, ServerConfig | HttpClient.HttpClient | import("effect/Scope").Scope>;
    readonly dependencies: readonly [import("effect/Layer").Layer<HttpClient.HttpClient, never, never>];
}>;
/**
 * The blocklists (SPEC.md §7): `BLOCKLISTS` compiled into one lookup structure, `ALLOWLIST` and `DENYLIST`
 * into two more, loaded before the listeners open and refreshed every `BLOCKLIST_REFRESH` without a
 * restart. Lists from URLs are kept in `DATA_DIR/blocklists` and used from there while fresh; a list
 * that cannot be fetched keeps its stored copy (the previous list). The new structures replace the old
 * ones in one assignment, so every query sees either the old lists or the new ones. Compiling runs in
 * slices between which queries are served.
 *
 * The per-query methods are plain synchronous code: `select` (a request's selector to a mask of lists),
 * `check` (a query's name against the selected lists), `markChain`/`chainVerdict` (an answer's CNAME chain).
 */
export declare class Blocklists extends Blocklists_base {
}
