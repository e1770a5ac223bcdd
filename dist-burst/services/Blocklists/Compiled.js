import { isNormalizedName, normalizeName } from "./Parse.js";
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
export const MAX_LISTS = 32;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const DOT = 0x2e;
/** murmur3's finalizer: FNV's low bits alone index a power-of-two table poorly. */
const mix = (h) => {
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
};
const lower = (c) => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c);
/** Backward FNV-1a of a normalized name, finalized. */
const hashName = (name) => {
    let h = FNV_OFFSET;
    for (let i = name.length - 1; i >= 0; i--)
        h = Math.imul(h ^ name.charCodeAt(i), FNV_PRIME);
    return mix(h);
};
const grow = (array, min) => {
    const next = new Uint32Array(Math.max(min, array.length * 2));
    next.set(array);
    return next;
};
/** Label start offsets of the name being looked up on the wire (a name has at most 127 labels). */
const wireLabels = new Int32Array(128);
/**
 * Compile lists into one lookup structure. Throws `RangeError` for more than `MAX_LISTS` lists or a list
 * name given twice (configuration errors the caller checks first).
 */
export const compile = (lists) => {
    const builder = makeBuilder(lists.map((list) => list.name));
    lists.forEach((list, index) => {
        for (const raw of list.names)
            builder.add(index, raw);
    });
    return builder.finish();
};
/**
 * A builder for the lists named `listNames` (bit `1 << i` is list `i`). Throws `RangeError` for more than
 * `MAX_LISTS` lists or a list name given twice (configuration errors the caller checks first).
 */
export const makeBuilder = (listNames) => {
    if (listNames.length > MAX_LISTS)
        throw new RangeError(`at most ${MAX_LISTS} blocklists, got ${listNames.length}`);
    if (new Set(listNames).size !== listNames.length)
        throw new RangeError("a blocklist name is given twice");
    const lists = listNames;
    let bytes = new Uint8Array(1 << 16);
    let used = 0;
    let starts = new Uint32Array(1 << 12); // starts[i]..starts[i + 1] are entry i's bytes
    let hashes = new Uint32Array(1 << 12);
    let masks = new Uint32Array(1 << 12);
    let count = 0;
    let table = new Uint32Array(1 << 12); // entry + 1; 0 = empty
    let tableMask = table.length - 1;
    const listSizes = lists.map(() => 0);
    let invalid = 0;
    const entryEquals = (entry, name) => {
        const start = starts[entry];
        if (starts[entry + 1] - start !== name.length)
            return false;
        for (let i = 0; i < name.length; i++) {
            if (bytes[start + i] !== name.charCodeAt(i))
                return false;
        }
        return true;
    };
    const rehash = () => {
        table = new Uint32Array(table.length * 2);
        tableMask = table.length - 1;
        for (let e = 0; e < count; e++) {
            let slot = hashes[e] & tableMask;
            while (table[slot] !== 0)
                slot = (slot + 1) & tableMask;
            table[slot] = e + 1;
        }
    };
    const insert = (name, bit, list) => {
        const h = hashName(name);
        let slot = h & tableMask;
        for (;;) {
            const found = table[slot];
            if (found === 0)
                break;
            const e = found - 1;
            if (hashes[e] === h && entryEquals(e, name)) {
                if ((masks[e] & bit) === 0) {
                    masks[e] = (masks[e] | bit) >>> 0;
                    listSizes[list]++;
                }
                return;
            }
            slot = (slot + 1) & tableMask;
        }
        if (used + name.length > bytes.length) {
            const next = new Uint8Array(Math.max(used + name.length, bytes.length * 2));
            next.set(bytes);
            bytes = next;
        }
        for (let i = 0; i < name.length; i++)
            bytes[used + i] = name.charCodeAt(i);
        if (count + 2 > starts.length) {
            starts = grow(starts, count + 2);
            hashes = grow(hashes, count + 2);
            masks = grow(masks, count + 2);
        }
        starts[count] = used;
        used += name.length;
        starts[count + 1] = used;
        hashes[count] = h;
        masks[count] = bit;
        listSizes[list]++;
        count++;
        table[slot] = count;
        if (count * 2 > table.length)
            rehash();
    };
    const add = (list, raw) => {
        const name = isNormalizedName(raw) ? raw : normalizeName(raw);
        if (name === undefined)
            invalid++;
        else
            insert(name, (1 << list) >>> 0, list);
    };
    return { add, finish: () => seal(lists, listSizes, invalid, { bytes, used, starts, hashes, masks, count, table }) };
};
const seal = (listNames, listSizes, invalid, grown) => {
    const { count } = grown;
    // Drop the growth slack: the arrays are kept for the life of these lists.
    const nameBytes = grown.bytes.slice(0, grown.used);
    const nameStarts = grown.starts.slice(0, count + 1);
    // per name, the hash's top byte (the low bits are the slot's): most probes that are not the name stop
    // there without reading its bytes
    const nameTags = new Uint8Array(count);
    for (let e = 0; e < count; e++)
        nameTags[e] = grown.hashes[e] >>> 24;
    // masks as narrow as the number of lists allows (one list: one byte a name)
    const nameMasks = listNames.length <= 8
        ? Uint8Array.from(grown.masks.subarray(0, count))
        : listNames.length <= 16
            ? Uint16Array.from(grown.masks.subarray(0, count))
            : grown.masks.slice(0, count);
    const slots = grown.table;
    const slotMask = slots.length - 1;
    /** Mask of the entry equal to `name[from..to)` (lower-cased on the fly), hash `h` before finalizing. */
    const probeString = (name, from, to, rawHash) => {
        const h = mix(rawHash);
        const length = to - from;
        let slot = h & slotMask;
        for (;;) {
            const found = slots[slot];
            if (found === 0)
                return 0;
            const e = found - 1;
            if (nameTags[e] === h >>> 24) {
                const start = nameStarts[e];
                if (nameStarts[e + 1] - start === length) {
                    let i = 0;
                    while (i < length && nameBytes[start + i] === lower(name.charCodeAt(from + i)))
                        i++;
                    if (i === length)
                        return nameMasks[e];
                }
            }
            slot = (slot + 1) & slotMask;
        }
    };
    const lookup = (qname) => {
        let end = qname.length;
        if (end > 0 && qname.charCodeAt(end - 1) === DOT)
            end--;
        let h = FNV_OFFSET;
        let mask = 0;
        for (let i = end - 1; i >= 0; i--) {
            const c = qname.charCodeAt(i);
            if (c > 0x7f) {
                // a Unicode name: look up its punycode form (rare; lists hold ASCII only)
                const ascii = normalizeName(qname);
                return ascii === undefined ? 0 : lookup(ascii);
            }
            if (c === DOT)
                mask |= probeString(qname, i + 1, end, h);
            h = Math.imul(h ^ lower(c), FNV_PRIME);
        }
        if (end > 0)
            mask |= probeString(qname, 0, end, h);
        return mask >>> 0;
    };
    /** Mask of the entry equal to the wire labels `first..last` (dots between), hash `rawHash`. */
    const probeWire = (message, first, last, rawHash) => {
        let length = last - first;
        for (let k = first; k <= last; k++)
            length += message[wireLabels[k]];
        const h = mix(rawHash);
        let slot = h & slotMask;
        for (;;) {
            const found = slots[slot];
            if (found === 0)
                return 0;
            const e = found - 1;
            if (nameTags[e] === h >>> 24) {
                let at = nameStarts[e];
                if (nameStarts[e + 1] - at === length) {
                    let same = true;
                    for (let k = first; same && k <= last; k++) {
                        if (k > first && nameBytes[at++] !== DOT)
                            same = false;
                        const label = wireLabels[k];
                        const labelLength = message[label];
                        for (let j = 1; same && j <= labelLength; j++) {
                            if (nameBytes[at++] !== lower(message[label + j]))
                                same = false;
                        }
                    }
                    if (same)
                        return nameMasks[e];
                }
            }
            slot = (slot + 1) & slotMask;
        }
    };
    const lookupWire = (message, offset) => {
        // collect label offsets, following compression pointers (each must point backwards: no loops)
        let labels = 0;
        let at = offset;
        let limit = offset;
        let total = 0;
        for (;;) {
            if (at >= message.length)
                return 0;
            const length = message[at];
            if (length === 0)
                break;
            if ((length & 0xc0) === 0xc0) {
                if (at + 1 >= message.length)
                    return 0;
                const target = ((length & 0x3f) << 8) | message[at + 1];
                if (target >= limit)
                    return 0;
                limit = target;
                at = target;
                continue;
            }
            if ((length & 0xc0) !== 0 || at + length >= message.length || labels === wireLabels.length)
                return 0;
            total += length + 1;
            if (total > 255)
                return 0;
            wireLabels[labels++] = at;
            at += length + 1;
        }
        let h = FNV_OFFSET;
        let mask = 0;
        for (let k = labels - 1; k >= 0; k--) {
            const label = wireLabels[k];
            const labelLength = message[label];
            for (let j = labelLength; j >= 1; j--) {
                const c = message[label + j];
                // a dot inside a label can be no listed name, nor can any name that contains this label
                if (c === DOT)
                    return mask >>> 0;
                h = Math.imul(h ^ lower(c), FNV_PRIME);
            }
            mask |= probeWire(message, k, labels - 1, h);
            h = Math.imul(h ^ DOT, FNV_PRIME);
        }
        return mask >>> 0;
    };
    const maskOf = (names) => {
        let mask = 0;
        for (const name of names) {
            const index = listNames.indexOf(name);
            if (index !== -1)
                mask |= 1 << index;
        }
        return mask >>> 0;
    };
    return {
        listNames,
        listSizes,
        size: count,
        invalid,
        memoryBytes: nameBytes.byteLength + nameStarts.byteLength + nameTags.byteLength + nameMasks.byteLength +
            slots.byteLength,
        lookup,
        lookupWire,
        maskOf,
        unknownOf: (names) => names.filter((name) => !listNames.includes(name)),
        listsOf: (mask) => listNames.filter((_, index) => (mask & (1 << index)) !== 0)
    };
};
//# sourceMappingURL=Compiled.js.map