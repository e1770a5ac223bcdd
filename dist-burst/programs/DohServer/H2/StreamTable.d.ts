/**
 * The open streams of one HTTP/2 connection, by stream id. A `Map` would do, but a connection's map
 * grows and shrinks by ten entries at every burst of requests, and V8 reallocates a `Map`'s table each
 * time it shrinks: about a hundred bytes of garbage per request on the DoH hot path. Open streams are
 * few (at most `H2_MAX_CONCURRENT_STREAMS`, usually the client's ten or so), so a plain array searched
 * from its newest end costs less than hashing and allocates nothing once it has grown.
 */
export declare class StreamTable<S extends {
    readonly id: number;
}> {
    private readonly items;
    get size(): number;
    get(id: number): S | undefined;
    /** adds a stream (its id must not be open already) */
    set(id: number, stream: S): void;
    delete(id: number): boolean;
    /** a snapshot, safe to iterate while streams are closed */
    values(): Array<S>;
    clear(): void;
}
