/**
 * Compiled blocklists: every distinct name of every list, once, with a 32-bit mask of the lists that hold
 * it. "Is this name or a parent listed, and in which lists" walks the query's suffixes (`a.b.c.com`,
 * `b.c.com`, `c.com`, `com`) and ORs the masks: one hash probe per label, whatever the number of names.
 *
 * Layout (chosen over a `Map<string, number>` by measurement, see `bench/blocklist.mjs`): the names'
 * bytes end to end in one `Uint8Array`, per name its start offset, hash tag and mask in typed arrays, and an
 * open-addressing table of entry numbers (load ≤ 0.5): the names' bytes + 4 bytes (start) + 1 (the
 * hash's top byte) + 1–4 (mask, by the number of lists) a name + 4 bytes a slot (2–4 slots a name), no JS
 * object per name: about 30 MB for 1,000,000 names (a 24 MB hosts file). Names are compared byte for byte
 * after the hash's top byte matches: no false positives.
 *
 * The hash is FNV-1a over the name read from its last character to its first, so the hash of every
 * suffix falls out of one backward pass: the whole walk is linear in the query's length.
 */
/** The most lists one compiled set holds (one bit each). */
export declare const MAX_LISTS = 32;
/** One list to compile: its name and its names (normalized or not; invalid ones are counted and dropped). */
export interface BlocklistInput {
    readonly name: string;
    readonly names: Iterable<string>;
}
export interface CompiledBlocklists {
    /** list names; list `i` is bit `1 << i` of a mask */
    readonly listNames: ReadonlyArray<string>;
    /** distinct names per list */
    readonly listSizes: ReadonlyArray<number>;
    /** distinct names over all lists */
    readonly size: number;
    /** names given to `compile` that are not valid host names */
    readonly invalid: number;
    /** bytes held by the typed arrays */
    readonly memoryBytes: number;
    /** mask of the lists holding `qname` or one of its parents (case and one trailing dot ignored); 0: none */
    lookup(qname: string): number;
    /**
     * As `lookup`, for a wire-format name at `offset` in a DNS message (compression pointers followed).
     * A malformed name gives 0. No string is built.
     */
    lookupWire(message: Uint8Array, offset: number): number;
    /** the mask of the named lists; names not compiled here are ignored (see `unknownOf`) */
    maskOf(names: ReadonlyArray<string>): number;
    /** the names among `names` that are not lists here */
    unknownOf(names: ReadonlyArray<string>): Array<string>;
    /** the list names whose bits are set in `mask` */
    listsOf(mask: number): Array<string>;
}
/**
 * Compile lists into one lookup structure. Throws `RangeError` for more than `MAX_LISTS` lists or a list
 * name given twice (configuration errors the caller checks first).
 */
export declare const compile: (lists: ReadonlyArray<BlocklistInput>) => CompiledBlocklists;
/** Compiles lists name by name, so that a caller can feed it in slices (and let other work run between). */
export interface BlocklistBuilder {
    /** adds `name` (normalized or not; an invalid one is counted) to list number `list` */
    add(list: number, name: string): void;
    /** the compiled lists; the builder is spent */
    finish(): CompiledBlocklists;
}
/**
 * A builder for the lists named `listNames` (bit `1 << i` is list `i`). Throws `RangeError` for more than
 * `MAX_LISTS` lists or a list name given twice (configuration errors the caller checks first).
 */
export declare const makeBuilder: (listNames: ReadonlyArray<string>) => BlocklistBuilder;
