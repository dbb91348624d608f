/**
 * The record ids seen in one object, with the line of each first occurrence:
 * the duplicate check of every record with a recordIdField asks it once.
 *
 * A native Map costs ~0.7 µs per new id at a million ids, as much as parsing
 * the record: its table is rebuilt as it grows, and every id it keeps is a
 * young string the garbage collector copies, promotes and tracks. This table
 * keeps no JS object per id: the ids' UTF-16 code units are copied into one
 * growing Uint16Array, their hashes, offsets and lines into typed arrays,
 * with open addressing over an Int32Array.
 *
 * Ids in increasing order (by length, then by UTF-16 code units: `t-9`
 * before `t-10`), as sequence numbers and time-ordered ids usually come, need
 * no slot table: an id after the last one stored cannot be an earlier one,
 * and an id equal to the last one is found by one comparison. The entries
 * are only appended (sequential writes). The first id out of order builds
 * the slot table from the entries, and the table answers from then on.
 *
 * Hash flooding: the hash (FNV-1a over UTF-16 code units) starts from a
 * random seed per table, and a probe longer than MAX_PROBE (colliding ids,
 * however made) moves every entry into a native Map, whose string hash V8
 * seeds itself; the table then answers from that Map. So crafted ids cost at
 * worst what a Map costs, never a quadratic scan.
 */

const MAX_PROBE = 64;
const INITIAL_CAPACITY = 1024;

export class IdTable {
  /** Slot → (hash bits, entry index + 1), 0 = empty; capacity is a power of two, at most half full. */
  private slots = new Int32Array(INITIAL_CAPACITY);
  /**
   * A slot holds entry index + 1 in its low bits (idxMask: enough for maxIds)
   * and the entry's hash bits above them (fpMask: the rest, none from 2^30
   * ids). A probe that passes another id's slot tells it apart by those bits,
   * without reading the entry's hash (a second random memory access: the
   * slots and the entries are megabytes apart at a million ids, and each
   * access misses the caches while records are routed).
   */
  private readonly idxMask: number;
  private readonly fpMask: number;
  private hashes = new Int32Array(INITIAL_CAPACITY / 2);
  private lines = new Float64Array(INITIAL_CAPACITY / 2);
  /** Entry e's code units are units[starts[e] .. starts[e + 1]). */
  private starts = new Float64Array(INITIAL_CAPACITY / 2 + 1);
  private units = new Uint16Array(INITIAL_CAPACITY * 8);
  private count = 0;
  /** Set once probing got long: every entry lives here from then on. */
  private fallback: Map<string, number> | undefined;
  /** Every id stored so far came after the one before it (see `after`): no slot table is kept. */
  private ordered = true;
  /** While ordered: the last id stored. */
  private lastId = '';
  /** Set when an id was not stored because maxIds ids were: later duplicates of it go unseen. */
  truncated = false;

  /**
   * @param maxIds ids after the first maxIds distinct ones are not stored (see observe)
   * @param seed the hash seed; random unless a test fixes it
   */
  constructor(
    private readonly maxIds: number,
    private readonly seed: number = (Math.random() * 0x100000000) | 0,
  ) {
    // entry index + 1 is at most maxIds
    const bits = Math.min(31, Math.max(1, Math.ceil(Math.log2(maxIds + 1))));
    this.idxMask = bits >= 31 ? 0x7fffffff : (1 << bits) - 1;
    this.fpMask = bits >= 31 ? 0 : ~this.idxMask;
  }

  get size(): number {
    return this.fallback?.size ?? this.count;
  }

  /**
   * The line of `id`'s first occurrence when it was seen before; otherwise
   * undefined, and `id` is stored with `line` (unless maxIds ids are stored
   * already: then `truncated` is set and nothing is stored).
   */
  observe(id: string, line: number): number | undefined {
    if (this.ordered) {
      const last = this.lastId;
      if (this.count === 0 || after(id, last)) {
        // after every id stored: not one of them
        if (this.count >= this.maxIds) {
          this.truncated = true;
          return undefined;
        }
        this.append(id, line, 0);
        this.lastId = id;
        return undefined;
      }
      if (id === last) return this.lines[this.count - 1];
      this.leaveOrder();
    }
    if (this.fallback !== undefined) {
      const first = this.fallback.get(id);
      if (first === undefined) this.store(id, line);
      return first;
    }
    const h = this.hash(id);
    const slots = this.slots;
    const mask = slots.length - 1;
    const fpMask = this.fpMask;
    let i = h & mask;
    for (let s = slots[i]!; s !== 0; s = slots[i]!) {
      if (((s ^ h) & fpMask) === 0) {
        const e = (s & this.idxMask) - 1;
        if (this.hashes[e] === h && this.sameId(e, id)) return this.lines[e];
      }
      i = (i + 1) & mask;
    }
    this.store(id, line, h, i);
    return undefined;
  }

  /** Store a new id; `slot` is the free slot its probe ended at (table mode). */
  private store(id: string, line: number, h = 0, slot = -1): void {
    if (this.size >= this.maxIds) {
      this.truncated = true;
      return;
    }
    if (this.fallback !== undefined) {
      this.fallback.set(id, line);
      return;
    }
    const e = this.append(id, line, h);
    if ((e + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else if (((slot - (h & (this.slots.length - 1))) & (this.slots.length - 1)) >= MAX_PROBE) this.toMap();
    else this.slots[slot] = (h & this.fpMask) | (e + 1);
  }

  /** Add entry `count` (its text, line and hash) and return its index. */
  private append(id: string, line: number, h: number): number {
    const e = this.count;
    if (e === this.hashes.length) {
      this.hashes = grow(this.hashes, new Int32Array(e * 2));
      this.lines = grow(this.lines, new Float64Array(e * 2));
      this.starts = grow(this.starts, new Float64Array(e * 2 + 1));
    }
    const start = this.starts[e]!;
    const end = start + id.length;
    if (end > this.units.length) this.units = grow(this.units, new Uint16Array(Math.max(end, this.units.length * 2)));
    for (let i = 0; i < id.length; i++) this.units[start + i] = id.charCodeAt(i);
    this.starts[e + 1] = end;
    this.count = e + 1;
    this.hashes[e] = h;
    this.lines[e] = line;
    return e;
  }

  /** The first id out of order: hash the entries stored so far and put them in a slot table. */
  private leaveOrder(): void {
    this.ordered = false;
    this.lastId = '';
    const units = this.units;
    for (let e = 0; e < this.count; e++) {
      let h = this.seed ^ 0x811c9dc5;
      for (let at = this.starts[e]!, end = this.starts[e + 1]!; at < end; at++) h = Math.imul(h ^ units[at]!, 0x01000193);
      this.hashes[e] = finish(h);
    }
    let capacity = INITIAL_CAPACITY;
    while (capacity < this.count * 2) capacity *= 2;
    this.rehash(capacity);
  }

  private sameId(e: number, id: string): boolean {
    const start = this.starts[e]!;
    if (this.starts[e + 1]! - start !== id.length) return false;
    const units = this.units;
    for (let i = 0; i < id.length; i++) if (units[start + i] !== id.charCodeAt(i)) return false;
    return true;
  }

  private idAt(e: number): string {
    let id = '';
    // in pieces: an argument list of a whole long id would overflow the stack
    for (let at = this.starts[e]!, end = this.starts[e + 1]!; at < end; at += 8192) {
      id += String.fromCharCode(...this.units.subarray(at, Math.min(end, at + 8192)));
    }
    return id;
  }

  private hash(s: string): number {
    return idHash(s, this.seed);
  }

  /** Put entry e in the first free slot of its probe sequence; false when that takes more than MAX_PROBE steps. */
  private place(e: number, h: number): boolean {
    const slots = this.slots;
    const mask = slots.length - 1;
    let i = h & mask;
    for (let probe = 0; slots[i] !== 0; probe++) {
      if (probe >= MAX_PROBE) return false;
      i = (i + 1) & mask;
    }
    slots[i] = (h & this.fpMask) | (e + 1);
    return true;
  }

  private rehash(capacity: number): void {
    this.slots = new Int32Array(capacity);
    for (let e = 0; e < this.count; e++) {
      if (!this.place(e, this.hashes[e]!)) {
        this.toMap();
        return;
      }
    }
  }

  private toMap(): void {
    const map = new Map<string, number>();
    for (let e = 0; e < this.count; e++) map.set(this.idAt(e), this.lines[e]!);
    this.fallback = map;
    this.slots = new Int32Array(0);
    this.hashes = new Int32Array(0);
    this.lines = new Float64Array(0);
    this.starts = new Float64Array(0);
    this.units = new Uint16Array(0);
    this.count = 0;
  }

  /** Whether the table moved to the native Map (for tests). */
  get degraded(): boolean {
    return this.fallback !== undefined;
  }
}

function grow<T extends Int32Array | Float64Array | Uint16Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** The table's hash of an id: FNV-1a from the seed, then murmur3's finaliser. */
export function idHash(s: string, seed: number): number {
  let h = seed ^ 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return finish(h);
}

/** Whether id a comes after id b: longer, or as long and greater by UTF-16 code units (a total order). */
function after(a: string, b: string): boolean {
  return a.length > b.length || (a.length === b.length && a > b);
}

function finish(fnv: number): number {
  let h = fnv;
  // FNV's low bits depend only on the inputs' low bits: mix before masking
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}
