/**
 * The open streams of one HTTP/2 connection, by stream id. A `Map` would do, but a connection's map
 * grows and shrinks by ten entries at every burst of requests, and V8 reallocates a `Map`'s table each
 * time it shrinks: about a hundred bytes of garbage per request on the DoH hot path. Open streams are
 * few (at most `H2_MAX_CONCURRENT_STREAMS`, usually the client's ten or so), so a plain array searched
 * from its newest end costs less than hashing and allocates nothing once it has grown.
 */
export class StreamTable {
    items = [];
    get size() {
        return this.items.length;
    }
    get(id) {
        const items = this.items;
        for (let i = items.length - 1; i >= 0; i--) {
            if (items[i].id === id)
                return items[i];
        }
        return undefined;
    }
    /** adds a stream (its id must not be open already) */
    set(id, stream) {
        if (stream.id !== id)
            throw new Error(`stream ${stream.id} filed as ${id}`);
        this.items.push(stream);
    }
    delete(id) {
        const items = this.items;
        for (let i = items.length - 1; i >= 0; i--) {
            if (items[i].id === id) {
                // the last one takes its place: no shifting, no allocation
                const last = items.pop();
                if (i < items.length)
                    items[i] = last;
                return true;
            }
        }
        return false;
    }
    /** a snapshot, safe to iterate while streams are closed */
    values() {
        return this.items.slice();
    }
    clear() {
        this.items.length = 0;
    }
}
//# sourceMappingURL=StreamTable.js.map