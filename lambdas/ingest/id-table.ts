/**
 * The record ids seen in one object, with the line of each first occurrence:
 * the duplicate check of every record with a recordIdField asks it once.
 *
 * A native Map costs ~0.7 µs per new id at a million ids, as much as parsing
 * the record: its table is rebuilt as it grows, and every id it keeps is a
 * young string the garbage collector copies, promotes and tracks. This table
 * keeps no JS object per id: the ids' UTF-16 code units are copied into one
 * growing typed array (one byte per unit while they fit, see Memory), their
 * hashes, offsets and lines into typed arrays, with open addressing over an
 * Int32Array.
 *
 * Ids in increasing order (by length, then by UTF-16 code units: `t-9`
 * before `t-10`), as sequence numbers and time-ordered ids usually come, need
 * no slot table: an id after the last one stored cannot be an earlier one,
 * and an id equal to the last one is found by one comparison. The entries
 * are only appended (sequential writes). The first id out of order builds
 * the slot table from the entries, and the table answers from then on.
 *
 * Ids that are a fixed prefix and a number (`t-17`, `INV-000123`, `42`), as
 * sequence numbers are, need no slot table either, in order or not (several
 * writers, late records, a shuffled export): from a numbered first id (or
 * from the first id out of order) they are kept in a bitset over the numbers, with one bit per number
 * up to the largest one seen (a few hundred kilobytes at a million ids, which
 * stays in the caches where a slot table of megabytes misses them at every
 * insert). The prefix and the digits' form (as few digits as the number
 * needs, or a fixed width with leading zeros) come from the first id, so an
 * id matching them has exactly one number and a number exactly one id: the
 * bitset answers as exactly as the table. The numbers and lines are appended
 * to a log (sequential writes) for the rare first-line lookup. An id of
 * another shape, or numbers too sparse for the bitset (its size is bounded by
 * the ids stored), moves everything to the slot table, or back to the ordered
 * path while the numbers came in order.
 *
 * Memory: a table's arrays are touched page by page as entries arrive, and a
 * first touch is the dear part (a page fault per 4 KB: on some machines 9 µs,
 * 2.2 ms per MB, more than the rest of the insert). So ids whose code units
 * are all below 256 (Latin-1: ASCII, UUIDs, most keys) are kept one byte per
 * unit, the first wider unit moves every entry to two bytes per unit; and
 * past 64K entries the arrays are reserved once for the ids still to come
 * (maxIds, at most RESERVE_MAX_IDS; the text at the average length so far),
 * so they grow without being copied page by page into ever larger ones.
 * Reserved pages that are never written are never touched: an object with
 * fewer ids costs only what its ids fill.
 *
 * Hash flooding: the hash (FNV-1a over UTF-16 code units) starts from a
 * random seed per table, and a probe longer than MAX_PROBE (colliding ids,
 * however made) moves every entry into a native Map, whose string hash V8
 * seeds itself; the table then answers from that Map. So crafted ids cost at
 * worst what a Map costs, never a quadratic scan.
 */

const MAX_PROBE = 64;
const INITIAL_CAPACITY = 1024;
/** From this many entries (and slots, and code units), the next growth reserves room for the ids still to come. */
const RESERVE_FROM_ENTRIES = 1 << 16;
const RESERVE_FROM_SLOTS = 1 << 17;
const RESERVE_FROM_UNITS = 1 << 20;
/** Reservations are for at most this many ids (4M: 16-32 MB per array, untouched until written); beyond, the arrays double. */
const RESERVE_MAX_IDS = 1 << 22;
/** A reservation for the ids' text is at most this many code units. */
const RESERVE_MAX_UNITS = 1 << 28;
/** In lines: this entry's line is in bigLines. */
const BIG_LINE = 0xffffffff;

/** How ids are kept: in order (appended), as numbers in a bitset, or in the slot table (or its Map). */
const ORDERED = 0;
const DENSE = 1;
const TABLE = 2;
/** The numbers a bitset may span: 64 per id stored, and 2^20 (8 bytes per id and 128 KB). */
const DENSE_SPAN_PER_ID = 64;
const DENSE_SPAN_FREE = 1 << 20;
/** Digits of a number in the bitset: at most 9, so every number is below 2^31. */
const DENSE_MAX_DIGITS = 9;
/** firstLine lookups answered by a scan of the numbers' log before the ids move to the slot table. */
const DENSE_MAX_SCANS = 16;

export class IdTable {
  /** Slot → (hash bits, entry index + 1), 0 = empty; the first `capacity` slots are in use, at most half full. */
  private slots = new Int32Array(INITIAL_CAPACITY);
  /** The slot table's size: a power of two, at most slots.length (the rest is reserved, never written yet). */
  private capacity = INITIAL_CAPACITY;
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
  /** Entry e's line, or BIG_LINE: then bigLines holds it (a line that is not below 2^32 - 1, or not a whole number). */
  private lines = new Uint32Array(INITIAL_CAPACITY / 2);
  private bigLines: Map<number, number> | undefined;
  /** Entry e's code units are units[starts[e] .. starts[e + 1]) (in `wide` once it is set). */
  private starts = new Float64Array(INITIAL_CAPACITY / 2 + 1);
  /** The entries' code units while all are below 256 (Latin-1), one byte each. */
  private units = new Uint8Array(INITIAL_CAPACITY * 8);
  /** Set at the first code unit above 255: the entries' code units, two bytes each (units is then empty). */
  private wide: Uint16Array | undefined;
  private count = 0;
  /** Set once probing got long: every entry lives here from then on. */
  private fallback: Map<string, number> | undefined;
  /** ORDERED: every id stored so far came after the one before it (see `after`), no slot table is kept; DENSE, TABLE: see the class comment. */
  private mode = ORDERED;
  /** While ordered: the last id stored. */
  private lastId = '';
  /** DENSE: every id is prefix + its number's digits (width 0: as few as needed; else exactly width, leading zeros). */
  private prefix = '';
  private width = 0;
  /** DENSE: bit v set = the id of number v is stored. */
  private bits = new Int32Array(0);
  /** DENSE: entry e's number (its line is lines[e]). */
  private values = new Int32Array(0);
  /** DENSE: firstLine lookups answered by a scan so far. */
  private scans = 0;
  /** DENSE: every number came after the one before it (the ids are in order, see leaveDense). */
  private increasing = true;
  /** The bitset was left for the ordered path: it is not taken again. */
  private denseDone = false;
  /** Set when an id was not stored because maxIds ids were: later duplicates of it go unseen. */
  truncated = false;
  /** How many times an id was not stored because maxIds ids were (one per record whose later duplicates go unseen). */
  untracked = 0;

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
    return this.seen(id, line) ? this.firstLine(id) : undefined;
  }

  /**
   * Whether `id` was seen before (observe without the first line, which only
   * a duplicate needs); when not, `id` is stored with `line` (unless maxIds
   * ids are stored already: then `truncated` is set and nothing is stored).
   */
  seen(id: string, line: number): boolean {
    if (this.mode === ORDERED) {
      const last = this.lastId;
      if (this.count === 0 || after(id, last)) {
        // after every id stored: not one of them
        if (this.count >= this.maxIds) {
          this.truncated = true;
          this.untracked++;
          return false;
        }
        this.append(id, line, 0);
        this.lastId = id;
        // a numbered first id: the bitset from the start (cheaper than comparing ids in order)
        if (this.count === 1 && !this.denseDone) this.enterDense();
        return false;
      }
      if (id === last) return true;
      this.leaveOrder();
    }
    if (this.mode === DENSE) {
      const v = this.numberOf(id);
      if (v >= 0 && (v >>> 5 < this.bits.length || this.growBits(v))) {
        const w = v >>> 5;
        const bit = 1 << (v & 31);
        if ((this.bits[w]! & bit) !== 0) return true;
        if (this.count >= this.maxIds) {
          this.truncated = true;
          this.untracked++;
          return false;
        }
        this.bits[w] = this.bits[w]! | bit;
        this.appendNumber(v, line);
        return false;
      }
      // back in order: the ordered path takes the id (and leaves the order for a table if need be)
      if (this.leaveDense(false)) return this.seen(id, line);
    }
    if (this.fallback !== undefined) {
      if (this.fallback.has(id)) return true;
      this.store(id, line);
      return false;
    }
    // the id's text goes where a new entry's would, hashed on the way (one pass over it);
    // beyond the entries it is nothing until stored
    const start = this.starts[this.count]!;
    this.roomFor(start + id.length);
    const h = this.copyAndHash(id, start);
    const slots = this.slots;
    const mask = this.capacity - 1;
    const fpMask = this.fpMask;
    let i = h & mask;
    for (let s = slots[i]!; s !== 0; s = slots[i]!) {
      if (((s ^ h) & fpMask) === 0) {
        const e = (s & this.idxMask) - 1;
        if (this.hashes[e] === h && this.sameId(e, id)) return true;
      }
      i = (i + 1) & mask;
    }
    this.store(id, line, h, i, true);
    return false;
  }

  /** The line of `id`'s first occurrence, undefined when it is not stored (a lookup: nothing is stored). */
  firstLine(id: string): number | undefined {
    if (this.mode === ORDERED) {
      if (this.count > 0 && id === this.lastId) return this.lineAt(this.count - 1);
      for (let e = 0; e < this.count; e++) if (this.sameId(e, id)) return this.lineAt(e);
      return undefined;
    }
    if (this.mode === DENSE) {
      const v = this.numberOf(id);
      if (v < 0 || v >>> 5 >= this.bits.length || (this.bits[v >>> 5]! & (1 << (v & 31))) === 0) return undefined;
      let first: number | undefined;
      for (let e = 0; e < this.count; e++) {
        if (this.values[e] === v) {
          first = this.lineAt(e);
          break;
        }
      }
      // a scan per lookup: after a few, the slot table answers them
      if (++this.scans >= DENSE_MAX_SCANS) this.leaveDense(true);
      return first;
    }
    if (this.fallback !== undefined) return this.fallback.get(id);
    const h = this.hash(id);
    const slots = this.slots;
    const mask = this.capacity - 1;
    let i = h & mask;
    for (let s = slots[i]!; s !== 0; s = slots[i]!) {
      if (((s ^ h) & this.fpMask) === 0) {
        const e = (s & this.idxMask) - 1;
        if (this.hashes[e] === h && this.sameId(e, id)) return this.lineAt(e);
      }
      i = (i + 1) & mask;
    }
    return undefined;
  }

  /** Store a new id; `slot` is the free slot its probe ended at (table mode). */
  private store(id: string, line: number, h = 0, slot = -1, copied = false): void {
    if (this.size >= this.maxIds) {
      this.truncated = true;
      this.untracked++;
      return;
    }
    if (this.fallback !== undefined) {
      this.fallback.set(id, line);
      return;
    }
    const e = this.append(id, line, h, copied);
    const capacity = this.capacity;
    if ((e + 1) * 2 > capacity) this.rehash(capacity * 2);
    else if (((slot - (h & (capacity - 1))) & (capacity - 1)) >= MAX_PROBE) this.toMap();
    else this.slots[slot] = (h & this.fpMask) | (e + 1);
  }

  /**
   * Add entry `count` (its text, line and hash) and return its index.
   * @param copied the text is in place already (copyAndHash)
   */
  private append(id: string, line: number, h: number, copied = false): number {
    const e = this.count;
    if (e === this.hashes.length) {
      // doubling, and past RESERVE_FROM_ENTRIES room for the ids still to come (its pages touched as they fill)
      const size = e < RESERVE_FROM_ENTRIES ? e * 2 : Math.max(e * 2, this.reservedIds());
      this.hashes = grow(this.hashes, new Int32Array(size));
      this.lines = grow(this.lines, new Uint32Array(size));
      this.starts = grow(this.starts, new Float64Array(size + 1));
    }
    const start = this.starts[e]!;
    const end = start + id.length;
    if (!copied) this.copy(id, start);
    this.starts[e + 1] = end;
    this.count = e + 1;
    this.hashes[e] = h;
    this.setLine(e, line);
    return e;
  }

  /**
   * The first id out of order: the entries stored so far move to the bitset
   * when they are all prefix + number, else to a slot table.
   */
  private leaveOrder(): void {
    this.lastId = '';
    if (!this.denseDone && this.enterDense()) return;
    this.mode = TABLE;
    const units = this.wide ?? this.units;
    for (let e = 0; e < this.count; e++) {
      let h = this.seed ^ 0x811c9dc5;
      for (let at = this.starts[e]!, end = this.starts[e + 1]!; at < end; at++) h = Math.imul(h ^ units[at]!, 0x01000193);
      this.hashes[e] = finish(h);
    }
    let capacity = INITIAL_CAPACITY;
    while (capacity < this.count * 2) capacity *= 2;
    this.rehash(capacity);
  }

  /**
   * Take the prefix and digit form from entry 0 (its last digits; a leading
   * zero makes the width fixed) and move every entry to the bitset; false
   * (nothing changed) when some entry does not fit or the numbers are too sparse.
   */
  private enterDense(): boolean {
    const units = this.wide ?? this.units;
    const start = this.starts[0]!;
    const end = this.starts[1]!;
    let d = end;
    while (d > start && end - d < DENSE_MAX_DIGITS && isDigit(units[d - 1]!)) d--;
    if (d === end || (d > start && isDigit(units[d - 1]!))) return false;
    this.prefix = this.idAt(0).slice(0, d - start);
    this.width = units[d] === 0x30 && end - d > 1 ? end - d : 0;
    const values = new Int32Array(this.lines.length);
    let max = 0;
    for (let e = 0; e < this.count; e++) {
      const v = this.numberAt(e);
      if (v < 0) return false;
      values[e] = v;
      if (v > max) max = v;
    }
    if (max >= this.denseSpan(this.count)) return false;
    const bits = new Int32Array(Math.max(INITIAL_CAPACITY, (max >>> 5) + 1));
    for (let e = 0; e < this.count; e++) bits[values[e]! >>> 5] |= 1 << (values[e]! & 31);
    this.mode = DENSE;
    this.bits = bits;
    this.values = values;
    this.increasing = true; // the entries came in order
    this.hashes = new Int32Array(0);
    this.starts = new Float64Array(0);
    this.units = new Uint8Array(0);
    this.wide = undefined;
    return true;
  }

  /** The numbers a bitset may span with `stored` ids. */
  private denseSpan(stored: number): number {
    return DENSE_SPAN_PER_ID * stored + DENSE_SPAN_FREE;
  }

  /** Widen the bitset to hold number v; false when v is beyond the span allowed. */
  private growBits(v: number): boolean {
    if (v >= this.denseSpan(this.count + 1)) return false;
    const words = Math.max((v >>> 5) + 1, Math.min(this.bits.length * 2, (this.denseSpan(this.count + 1) >>> 5) + 1));
    this.bits = grow(this.bits, new Int32Array(words));
    return true;
  }

  /** Id's number when it is the prefix and digits of the form taken, else -1. */
  private numberOf(id: string): number {
    const p = this.prefix;
    const at = p.length;
    const digits = id.length - at;
    if (digits < 1 || digits > DENSE_MAX_DIGITS || (this.width !== 0 && digits !== this.width)) return -1;
    for (let i = 0; i < at; i++) if (id.charCodeAt(i) !== p.charCodeAt(i)) return -1;
    let v = id.charCodeAt(at) - 0x30;
    if (v < 0 || v > 9 || (v === 0 && digits > 1 && this.width === 0)) return -1;
    for (let i = at + 1; i < id.length; i++) {
      const c = id.charCodeAt(i) - 0x30;
      if (c < 0 || c > 9) return -1;
      v = v * 10 + c;
    }
    return v;
  }

  /** numberOf for entry e's text (entries as the ordered path stores them). */
  private numberAt(e: number): number {
    const units = this.wide ?? this.units;
    const p = this.prefix;
    const start = this.starts[e]!;
    const at = start + p.length;
    const end = this.starts[e + 1]!;
    const digits = end - at;
    if (digits < 1 || digits > DENSE_MAX_DIGITS || (this.width !== 0 && digits !== this.width)) return -1;
    for (let i = 0; i < p.length; i++) if (units[start + i] !== p.charCodeAt(i)) return -1;
    let v = units[at]! - 0x30;
    if (v < 0 || v > 9 || (v === 0 && digits > 1 && this.width === 0)) return -1;
    for (let i = at + 1; i < end; i++) {
      const c = units[i]! - 0x30;
      if (c < 0 || c > 9) return -1;
      v = v * 10 + c;
    }
    return v;
  }

  /** The id of number v (the inverse of numberOf). */
  private idOfNumber(v: number): string {
    const digits = String(v);
    return this.prefix + (this.width === 0 ? digits : digits.padStart(this.width, '0'));
  }

  /** DENSE: add entry `count` (its number and line). */
  private appendNumber(v: number, line: number): void {
    const e = this.count;
    if (e === this.values.length) {
      // as append: doubling, then room for the ids still to come
      const size = e < RESERVE_FROM_ENTRIES ? Math.max(INITIAL_CAPACITY, e * 2) : Math.max(e * 2, this.reservedIds());
      this.values = grow(this.values, new Int32Array(size));
      this.lines = grow(this.lines, new Uint32Array(size));
    }
    if (e > 0 && v < this.values[e - 1]!) this.increasing = false;
    this.values[e] = v;
    this.setLine(e, line);
    this.count = e + 1;
  }

  /**
   * An id the bitset cannot hold, or lookups to answer (`forLookups`): every
   * entry moves to a slot table (same entries, same lines), or back to the
   * ordered path when they came in order and no lookups are asked for (the
   * bitset is then not taken again).
   */
  private leaveDense(forLookups: boolean): boolean {
    const values = this.values;
    const lines = this.lines;
    const n = this.count;
    const ordered = this.increasing && !forLookups;
    this.mode = ordered ? ORDERED : TABLE;
    this.denseDone = true;
    this.bits = new Int32Array(0);
    this.values = new Int32Array(0);
    const size = Math.max(INITIAL_CAPACITY / 2, lines.length);
    this.hashes = new Int32Array(size);
    this.lines = new Uint32Array(size);
    this.starts = new Float64Array(size + 1);
    this.units = new Uint8Array(Math.max(INITIAL_CAPACITY * 8, n * (this.prefix.length + DENSE_MAX_DIGITS)));
    this.wide = undefined;
    this.count = 0;
    for (let e = 0; e < n; e++) {
      const id = this.idOfNumber(values[e]!);
      // entry e keeps its index: a line in bigLines stays where it is
      const line = lines[e]!;
      this.append(id, line === BIG_LINE ? this.bigLines!.get(e)! : line, ordered ? 0 : this.hash(id));
      if (ordered) this.lastId = id;
    }
    if (ordered) return true;
    let capacity = INITIAL_CAPACITY;
    while (capacity < this.count * 2) capacity *= 2;
    this.rehash(capacity);
    return false;
  }

  private lineAt(e: number): number {
    const line = this.lines[e]!;
    return line !== BIG_LINE ? line : this.bigLines!.get(e)!;
  }

  /** Entry e's line: in lines (4 bytes) when it is a whole number below BIG_LINE, else in bigLines. */
  private setLine(e: number, line: number): void {
    if (line >>> 0 === line && line !== BIG_LINE) this.lines[e] = line;
    else {
      this.lines[e] = BIG_LINE;
      (this.bigLines ??= new Map()).set(e, line);
    }
  }

  private sameId(e: number, id: string): boolean {
    const start = this.starts[e]!;
    if (this.starts[e + 1]! - start !== id.length) return false;
    // a unit above 255 is never equal to a Latin-1 one: no id with one matches while units holds the text
    const units = this.wide ?? this.units;
    for (let i = 0; i < id.length; i++) if (units[start + i] !== id.charCodeAt(i)) return false;
    return true;
  }

  private idAt(e: number): string {
    let id = '';
    // in pieces: an argument list of a whole long id would overflow the stack
    for (let at = this.starts[e]!, end = this.starts[e + 1]!; at < end; at += 8192) {
      id += String.fromCharCode(...(this.wide ?? this.units).subarray(at, Math.min(end, at + 8192)));
    }
    return id;
  }

  private hash(s: string): number {
    return idHash(s, this.seed);
  }

  /** Copy id's code units to the text from `start` (room made by the caller) and return idHash(id) in the same pass. */
  private copyAndHash(id: string, start: number): number {
    let h = this.seed ^ 0x811c9dc5;
    const wide = this.wide;
    if (wide === undefined) {
      const units = this.units;
      let all = 0;
      for (let i = 0; i < id.length; i++) {
        const c = id.charCodeAt(i);
        units[start + i] = c;
        all |= c;
        h = Math.imul(h ^ c, 0x01000193);
      }
      if (all <= 0xff) return finish(h);
      // a unit above 255 (stored cut to a byte): every entry moves to two bytes per unit, and the id is copied again
      this.widen();
      return this.copyAndHash(id, start);
    }
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      wide[start + i] = c;
      h = Math.imul(h ^ c, 0x01000193);
    }
    return finish(h);
  }

  /** Copy id's code units to the text from `start`, making room. */
  private copy(id: string, start: number): void {
    this.roomFor(start + id.length);
    const wide = this.wide;
    if (wide === undefined) {
      const units = this.units;
      let all = 0;
      for (let i = 0; i < id.length; i++) {
        const c = id.charCodeAt(i);
        units[start + i] = c;
        all |= c;
      }
      if (all <= 0xff) return;
      this.widen();
      this.copy(id, start);
      return;
    }
    for (let i = 0; i < id.length; i++) wide[start + i] = id.charCodeAt(i);
  }

  /** The entries' text from one byte per code unit to two (the first code unit above 255). */
  private widen(): void {
    const wide = new Uint16Array(this.units.length);
    wide.set(this.units.subarray(0, this.starts[this.count]!));
    this.wide = wide;
    this.units = new Uint8Array(0);
  }

  /** Room for the text up to code unit `end`: doubling, and past RESERVE_FROM_UNITS for the ids still to come at the average length so far. */
  private roomFor(end: number): void {
    const length = (this.wide ?? this.units).length;
    if (end <= length) return;
    let size = Math.max(end, length * 2);
    if (length >= RESERVE_FROM_UNITS) size = Math.max(size, Math.min(RESERVE_MAX_UNITS, Math.ceil((end / (this.count + 1)) * this.reservedIds() * 1.25)));
    const used = this.starts[this.count]!;
    if (this.wide !== undefined) this.wide = grow(this.wide, new Uint16Array(size), used);
    else this.units = grow(this.units, new Uint8Array(size), used);
  }

  /** The ids reservations are made for: maxIds, at most RESERVE_MAX_IDS. */
  private reservedIds(): number {
    return Math.min(this.maxIds, RESERVE_MAX_IDS);
  }

  /** Put entry e in the first free slot of its probe sequence; false when that takes more than MAX_PROBE steps. */
  private place(e: number, h: number): boolean {
    const slots = this.slots;
    const mask = this.capacity - 1;
    let i = h & mask;
    for (let probe = 0; slots[i] !== 0; probe++) {
      if (probe >= MAX_PROBE) return false;
      i = (i + 1) & mask;
    }
    slots[i] = (h & this.fpMask) | (e + 1);
    return true;
  }

  private rehash(capacity: number): void {
    if (capacity > this.slots.length) {
      // past RESERVE_FROM_SLOTS, room for the ids still to come (at most half full), grown into in place from then on
      this.slots = new Int32Array(capacity >= RESERVE_FROM_SLOTS ? Math.max(capacity, slotsFor(this.reservedIds())) : capacity);
    } else this.slots.fill(0, 0, this.capacity);
    this.capacity = capacity;
    for (let e = 0; e < this.count; e++) {
      if (!this.place(e, this.hashes[e]!)) {
        this.toMap();
        return;
      }
    }
  }

  private toMap(): void {
    const map = new Map<string, number>();
    for (let e = 0; e < this.count; e++) map.set(this.idAt(e), this.lineAt(e));
    this.fallback = map;
    this.slots = new Int32Array(0);
    this.hashes = new Int32Array(0);
    this.lines = new Uint32Array(0);
    this.bigLines = undefined;
    this.starts = new Float64Array(0);
    this.units = new Uint8Array(0);
    this.wide = undefined;
    this.count = 0;
  }

  /** How the ids are kept now (for tests): in order, as numbers in the bitset, in the slot table or in the Map. */
  get layout(): 'ordered' | 'numbers' | 'table' | 'map' {
    if (this.fallback !== undefined) return 'map';
    return this.mode === ORDERED ? 'ordered' : this.mode === DENSE ? 'numbers' : 'table';
  }

  /** Whether the table moved to the native Map (for tests). */
  get degraded(): boolean {
    return this.fallback !== undefined;
  }
}

/** `to` holding from's first `used` elements (all by default). */
function grow<T extends Int32Array | Uint32Array | Float64Array | Uint16Array | Uint8Array>(from: T, to: T, used = from.length): T {
  to.set(used === from.length ? from : from.subarray(0, used));
  return to;
}

/** The slot table's size for n ids: a power of two, at most half full. */
function slotsFor(n: number): number {
  let capacity = INITIAL_CAPACITY;
  while (capacity < n * 2) capacity *= 2;
  return capacity;
}

/** The table's hash of an id: FNV-1a from the seed, then murmur3's finaliser. */
export function idHash(s: string, seed: number): number {
  let h = seed ^ 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return finish(h);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
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
