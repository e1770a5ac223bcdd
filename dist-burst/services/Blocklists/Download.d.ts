import { HttpClient } from "@effect/platform";
import { Duration, Effect } from "effect";
/** Each list gets this long to download (fixed: lists are large and `WORKER_TIMEOUT` is a socket idle time). */
export declare const DOWNLOAD_TIMEOUT: Duration.Duration;
export interface BlocklistSource {
    readonly name: string;
    /** an http(s) URL, or a local file path */
    readonly source: string;
}
/** What one download stored. */
export interface StoredBlocklist {
    readonly name: string;
    readonly path: string;
    readonly bytes: number;
    /** non-empty, non-comment (`#`, `!`) lines */
    readonly entries: number;
}
declare const BlocklistDownloadError_base: new <A extends Record<string, any> = {}>(args: import("effect/Types").VoidIfEmpty<{ readonly [P in keyof A as P extends "_tag" ? never : P]: A[P]; }>) => import("effect/Cause").YieldableError & {
    readonly _tag: "BlocklistDownloadError";
} & Readonly<A>;
export declare class BlocklistDownloadError extends BlocklistDownloadError_base<{
    readonly name: string;
    readonly source: string;
    readonly reason: "Fetch" | "Status" | "Timeout" | "Read" | "Write";
    readonly detail: string;
}> {
    constructor(args: {
        readonly name: string;
        readonly source: string;
        readonly reason: "Fetch" | "Status" | "Timeout" | "Read" | "Write";
        readonly detail: string;
    });
    get message(): string;
}
/** Where list `name` is stored under `dataDir`. */
export declare const blocklistPath: (dataDir: string, name: string) => string;
/** Non-empty lines that are not comments (`#` hosts/domain lists, `!` adblock). */
export declare const countEntries: (text: string) => number;
/**
 * Fetches one list (http(s) URL through `HttpClient`, or a local file copied) within `DOWNLOAD_TIMEOUT`
 * and stores it as `<dataDir>/blocklists/<name>.txt` (a temporary file renamed into place, so a reader
 * never sees half a list).
 */
export declare const downloadBlocklist: (dataDir: string, list: BlocklistSource) => Effect.Effect<StoredBlocklist, BlocklistDownloadError, HttpClient.HttpClient>;
/** Downloads every list in order; the first failure stops and names its list. */
export declare const downloadAll: (dataDir: string, lists: ReadonlyArray<BlocklistSource>) => Effect.Effect<StoredBlocklist[], BlocklistDownloadError, HttpClient.HttpClient>;
export {};
