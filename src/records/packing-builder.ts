// A RecordSink that writes a generation's records straight into packed form (packed-map.ts), so
// the JS maps RecordBuilder makes never exist: at 200,000 tasks those are ~121 MB of heap (692k
// names, ~2.3 M values) built and dropped every load, a third of the load's time spent collecting
// them. Here every name and every distinct value is kept once as ASCII bytes in a growing buffer,
// found through an open-addressing index by its hashString (src/hash.ts, the packed map's own
// hash) and a byte compare against the string's char codes, so a lookup allocates nothing; a
// name's values are a linked list of value numbers in typed arrays, deduplicated exactly as
// RecordBuilder does (scanned up to SCAN_LIMIT values, then through a hash set of (name, value)).
// finish() writes each map's layout through packed-map.ts's writer: the buffers are byte for byte
// what packRecordSet makes of RecordBuilder's maps.
//
// A map that meets a name or value it cannot pack (not ASCII; an SRV port, priority or weight
// outside 0-65535) becomes the JS map RecordBuilder would hold at that point (what it holds,
// decoded) and goes on as one: packRecordSet leaves such a map unpacked too.
import { hashString } from '../hash.ts';
import type { ParsedIp } from '../net/ip.ts';
import { EmptyNonTerminalFinder } from './empty-non-terminals.ts';
import { type PackedRecordMap, writePacked } from './packed-map.ts';
import {
  HeldRecords,
  MAP_A,
  MAP_AAAA,
  MAP_SRV,
  SCAN_LIMIT,
  SrvValues,
  TextValues,
  type BuiltMaps,
  type HeldMap,
  type SetBuilder,
} from './record-builder.ts';
import { countValues } from './record-counts.ts';
import type { SrvRecord } from './recordset.ts';

/** What PackingMap.add answers for a record it cannot pack. */
const UNPACKABLE = -1;

type Growable = Uint8Array | Uint16Array | Uint32Array | Int32Array;

/**
 * `a`, or one at least `min` long (doubled) with its contents, in `a`'s memory moved over (the
 * old array is detached and its memory freed now, not at a later collection).
 */
function grow<T extends Growable>(a: T, min: number): T {
  if (min <= a.length) return a;
  let n = Math.max(a.length, 16);
  while (n < min) n *= 2;
  const moved = (a.buffer as ArrayBuffer).transfer(n * a.BYTES_PER_ELEMENT);
  return new (a.constructor as new (buffer: ArrayBuffer) => T)(moved);
}

/** Frees `a`'s memory now (the builder is done with it). */
function free(a: Growable): void {
  (a.buffer as ArrayBuffer).transfer(0);
}

/** The smallest power of two ≥ 2n (an index at most half full), at least 4. */
function tableSize(n: number): number {
  let size = 4;
  while (size < 2 * n) size *= 2;
  return size;
}

/**
 * What one map held when last finished in this thread: the next generation (the next load of
 * the same cluster, nearly always) starts at that size plus an eighth, so its tables are not
 * copied as they grow nor left mostly empty. Capacity only: what is built does not depend on it.
 */
interface Capacity {
  readonly names: number;
  readonly nameBytes: number;
  readonly values: number;
  readonly valueBytes: number;
  readonly records: number;
}

const MIN_CAPACITY: Capacity = {
  names: 256,
  nameBytes: 4096,
  values: 256,
  valueBytes: 4096,
  records: 1024,
};

const withHeadroom = (n: number, min: number): number => Math.max(min, Math.ceil(n * 1.125));

/**
 * What one listed task adds to the A and SRV maps (by map; AAAA and PTR hold records only with
 * IPv6 tasks or ptron), with the eighth of headroom a reload gets: the simulated cluster's
 * (sim/cluster.ts: apps of 4 instances, 20 tasks per agent, ports on every task) at 200,000
 * tasks. A thread's first generation starts its tables at this times the tasks the state
 * lists, not at MIN_CAPACITY, from which they doubled a dozen times on the way to 200,000 tasks,
 * each time copied whole into fresh memory. Too large costs address space more than memory:
 * the tables are written in order and their pages touched as they fill, all but the hash
 * indexes (~20 MB at 200,000 tasks); too small, they double from there.
 */
const PER_TASK: readonly (Capacity | null)[] = [
  { names: 2.8, nameBytes: 104, values: 0.43, valueBytes: 5.5, records: 4.5 },
  null,
  { names: 1.13, nameBytes: 39, values: 1.4, valueBytes: 58, records: 8.3 },
  null,
];

/** A map's first capacity in this thread: MIN_CAPACITY, or more for `tasks` listed tasks. */
function firstCapacity(map: number, tasks: number): Capacity {
  const per = PER_TASK[map];
  if (per === null || per === undefined || !(tasks > 0)) return MIN_CAPACITY;
  const of = (k: keyof Capacity): number => Math.max(MIN_CAPACITY[k], Math.ceil(per[k] * tasks));
  return {
    names: of('names'),
    nameBytes: of('nameBytes'),
    values: of('values'),
    valueBytes: of('valueBytes'),
    records: of('records'),
  };
}

const isField = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffff;

/**
 * ASCII strings kept once each, numbered in the order they came: string i is bytes
 * [ends[i - 1] (0 for the first), ends[i]). The index holds each string's hash beside its
 * number, so a probe reads the bytes of a string only when the hashes match.
 */
class StringTable {
  bytes: Uint8Array;
  used = 0;
  ends: Uint32Array;
  hashes: Uint32Array;
  count = 0;
  /** Per slot: hashString, then the number + 1 (0: empty); at most half the slots used. */
  #table: Uint32Array;
  // The last string interned: a task's records repeat the same address and target.
  #lastString: string | null = null;
  #lastId = -1;

  constructor(strings: number, bytes: number) {
    this.bytes = new Uint8Array(bytes);
    this.ends = new Uint32Array(strings);
    this.hashes = new Uint32Array(strings);
    this.#table = new Uint32Array(2 * tableSize(strings));
  }

  start(i: number): number {
    return i === 0 ? 0 : this.ends[i - 1]!;
  }

  length(i: number): number {
    return this.ends[i]! - this.start(i);
  }

  /**
   * The number of `s` (whose hashString is `h`); when absent, -1 - the slot it would take
   * (for `add`). Allocates nothing.
   */
  find(s: string, h: number): number {
    const table = this.#table;
    const mask = (table.length >>> 1) - 1;
    const len = s.length;
    const bytes = this.bytes;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const i = table[2 * slot + 1]! - 1;
      if (i < 0) return -1 - slot;
      if (table[2 * slot] !== h) continue;
      const start = i === 0 ? 0 : this.ends[i - 1]!;
      if (this.ends[i]! - start !== len) continue;
      let k = 0;
      while (k < len && bytes[start + k] === s.charCodeAt(k)) k++;
      if (k === len) return i;
    }
  }

  /**
   * Adds `s` (absent: `find` gave `missing`; hashString `h`): its number, or -1 (nothing
   * added) when it is not ASCII.
   */
  add(s: string, h: number, missing: number): number {
    const len = s.length;
    const at = this.used;
    if (at + len > this.bytes.length) this.bytes = grow(this.bytes, at + len);
    const bytes = this.bytes;
    let all = 0;
    for (let k = 0; k < len; k++) {
      const c = s.charCodeAt(k);
      all |= c;
      bytes[at + k] = c;
    }
    if (all > 0x7f) return -1;
    const i = this.count++;
    if (i === this.ends.length) {
      this.ends = grow(this.ends, i + 1);
      this.hashes = grow(this.hashes, i + 1);
    }
    this.used = at + len;
    this.ends[i] = this.used;
    this.hashes[i] = h;
    if (2 * this.count > this.#table.length >>> 1) {
      this.#rehash(this.#table.length);
    } else {
      const slot = -1 - missing;
      this.#table[2 * slot] = h;
      this.#table[2 * slot + 1] = i + 1;
    }
    return i;
  }

  /** The number of `s`, added when new; -1 when it is new and not ASCII. */
  intern(s: string): number {
    if (s === this.#lastString) return this.#lastId;
    const h = hashString(s);
    let i = this.find(s, h);
    if (i < 0) i = this.add(s, h, i);
    if (i >= 0) {
      this.#lastString = s;
      this.#lastId = i;
    }
    return i;
  }

  /** String i, decoded (for a map that turns into a JS map). */
  decode(i: number, view: Buffer): string {
    return view.toString('latin1', this.start(i), this.ends[i]);
  }

  /** The bytes as a Buffer, no copy (valid until the next add). */
  view(): Buffer {
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.used);
  }

  /** An index of `slots` slots (a power of two) holding every string. */
  #rehash(slots: number): void {
    free(this.#table);
    const table = new Uint32Array(2 * slots);
    const mask = slots - 1;
    for (let i = 0; i < this.count; i++) {
      const h = this.hashes[i]!;
      let slot = h & mask;
      while (table[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
      table[2 * slot] = h;
      table[2 * slot + 1] = i + 1;
    }
    this.#table = table;
  }

  /** Frees the memory; the table is empty after. */
  release(): void {
    for (const a of [this.bytes, this.ends, this.hashes, this.#table]) free(a);
    this.count = 0;
    this.used = 0;
    this.#lastString = null;
  }
}

/** A set of (entry, value, port) triples: the values of names past SCAN_LIMIT values. */
class TripleSet {
  // Per slot: entry + 1 (0: empty), value, port.
  #keys = new Uint32Array(3 * 1024);
  #size = 0;

  static #slot(e: number, v: number, p: number, mask: number): number {
    let h = Math.imul(e, 0x9e3779b1) ^ Math.imul(v, 0x85ebca6b) ^ Math.imul(p, 0xc2b2ae35);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    return (h ^ (h >>> 12)) & mask;
  }

  has(e: number, v: number, p: number): boolean {
    const keys = this.#keys;
    const mask = keys.length / 3 - 1;
    for (let s = TripleSet.#slot(e, v, p, mask); ; s = (s + 1) & mask) {
      const k = keys[3 * s]!;
      if (k === 0) return false;
      if (k === e + 1 && keys[3 * s + 1] === v && keys[3 * s + 2] === p) return true;
    }
  }

  /** Adds a triple that is not in the set. */
  add(e: number, v: number, p: number): void {
    if (2 * (this.#size + 1) > this.#keys.length / 3) {
      const old = this.#keys;
      this.#keys = new Uint32Array(old.length * 2);
      for (let s = 0; s < old.length; s += 3) {
        if (old[s] !== 0) this.#put(old[s]! - 1, old[s + 1]!, old[s + 2]!);
      }
    }
    this.#put(e, v, p);
    this.#size++;
  }

  #put(e: number, v: number, p: number): void {
    const keys = this.#keys;
    const mask = keys.length / 3 - 1;
    let s = TripleSet.#slot(e, v, p, mask);
    while (keys[3 * s] !== 0) s = (s + 1) & mask;
    keys[3 * s] = e + 1;
    keys[3 * s + 1] = v;
    keys[3 * s + 2] = p;
  }
}

/**
 * One record map being built packed. Entries are the names in `names` (same numbers, first
 * insertion order); records are numbered in the order they came, each a value number (and for
 * SRV its port, priority and weight), linked to the next record of its entry.
 */
class PackingMap {
  readonly srv: boolean;
  readonly names: StringTable;
  readonly values: StringTable;
  #first: Int32Array;
  #last: Int32Array;
  #size: Uint32Array;
  records = 0;
  /** The entry the last record added went under. */
  lastEntry = -1;
  #value: Uint32Array;
  #next: Int32Array;
  #nums: Uint16Array;
  /** Bytes of the records' values together. */
  #valueChars = 0;
  #many: TripleSet | null = null;

  constructor(srv: boolean, capacity: Capacity) {
    this.srv = srv;
    this.names = new StringTable(capacity.names, capacity.nameBytes);
    this.values = new StringTable(capacity.values, capacity.valueBytes);
    this.#first = new Int32Array(capacity.names);
    this.#last = new Int32Array(capacity.names);
    this.#size = new Uint32Array(capacity.names);
    this.#value = new Uint32Array(capacity.records);
    this.#next = new Int32Array(capacity.records);
    this.#nums = new Uint16Array(srv ? 3 * capacity.records : 0);
  }

  /** What it holds, as the next generation's starting capacity. */
  capacity(): Capacity {
    return {
      names: withHeadroom(this.names.count, MIN_CAPACITY.names),
      nameBytes: withHeadroom(this.names.used, MIN_CAPACITY.nameBytes),
      values: withHeadroom(this.values.count, MIN_CAPACITY.values),
      valueBytes: withHeadroom(this.values.used, MIN_CAPACITY.valueBytes),
      records: withHeadroom(this.records, MIN_CAPACITY.records),
    };
  }

  /** Frees the building tables' memory (after finish, or when turned into a JS map). */
  release(): void {
    this.names.release();
    this.values.release();
    for (const a of [this.#first, this.#last, this.#size, this.#value, this.#next, this.#nums]) {
      free(a);
    }
    this.#many = null;
    this.records = 0;
  }

  has(name: string): boolean {
    return this.names.find(name, hashString(name)) >= 0;
  }

  /**
   * Adds `value` (SRV: with port, priority and weight) under `name`: 0 when it was there (SRV:
   * a value with its target and port), else 1 + its position under the name; UNPACKABLE (nothing
   * added) when it is new and cannot be packed.
   */
  add(name: string, value: string, port = 0, priority = 0, weight = 0): number {
    const h = hashString(name);
    let e = this.names.find(name, h);
    const v = this.values.intern(value);
    if (v < 0) return UNPACKABLE;
    if (e >= 0) {
      if (this.#size[e]! < SCAN_LIMIT) {
        for (let r = this.#first[e]!; r >= 0; r = this.#next[r]!) {
          if (this.#value[r] === v && (!this.srv || this.#nums[3 * r] === port)) return 0;
        }
      } else if (this.#many!.has(e, v, port)) {
        return 0;
      }
    }
    if (this.srv && !(isField(port) && isField(priority) && isField(weight))) return UNPACKABLE;
    if (e < 0) {
      e = this.names.add(name, h, e);
      if (e < 0) return UNPACKABLE;
      if (e === this.#first.length) {
        this.#first = grow(this.#first, e + 1);
        this.#last = grow(this.#last, e + 1);
        this.#size = grow(this.#size, e + 1);
      }
      this.#first[e] = -1;
      this.#size[e] = 0;
    }
    const r = this.records++;
    if (r === this.#value.length) {
      this.#value = grow(this.#value, r + 1);
      this.#next = grow(this.#next, r + 1);
      if (this.srv) this.#nums = grow(this.#nums, 3 * (r + 1));
    }
    this.#value[r] = v;
    this.#next[r] = -1;
    if (this.srv) {
      this.#nums[3 * r] = port;
      this.#nums[3 * r + 1] = priority;
      this.#nums[3 * r + 2] = weight;
    }
    this.#valueChars += this.values.length(v);
    if (this.#first[e]! < 0) this.#first[e] = r;
    else this.#next[this.#last[e]!] = r;
    this.#last[e] = r;
    this.lastEntry = e;
    const n = ++this.#size[e]!;
    if (n >= SCAN_LIMIT) {
      const many = (this.#many ??= new TripleSet());
      if (n > SCAN_LIMIT) many.add(e, v, port);
      else
        for (let x = this.#first[e]!; x >= 0; x = this.#next[x]!)
          many.add(e, this.#value[x]!, this.#nums[3 * x] ?? 0);
    }
    return n;
  }

  /** The packed map: entries in order, each name's values in the order they came. */
  finish(): PackedRecordMap<readonly string[] | readonly SrvRecord[]> {
    const names = this.names;
    const values = this.values;
    const count = names.count;
    const sizes = {
      srv: this.srv,
      count,
      valueCount: this.records,
      chars: names.used + this.#valueChars,
    };
    return writePacked(sizes, (t) => {
      const out = t.bytes;
      const nameBytes = names.bytes;
      const valueBytes = values.bytes;
      const valueEnds = values.ends;
      const first = this.#first;
      const next = this.#next;
      const value = this.#value;
      const nums = this.#nums;
      let at = 0;
      let j = 0;
      for (let e = 0; e < count; e++) {
        t.entryStart[e] = at;
        for (let k = names.start(e), end = names.ends[e]!; k < end; k++) out[at++] = nameBytes[k]!;
        t.keyEnd[e] = at;
        t.hashes[e] = names.hashes[e]!;
        t.firstValue[e] = j;
        for (let r = first[e]!; r >= 0; r = next[r]!) {
          const v = value[r]!;
          for (let k = v === 0 ? 0 : valueEnds[v - 1]!, end = valueEnds[v]!; k < end; k++) {
            out[at++] = valueBytes[k]!;
          }
          t.valueEnd[j] = at;
          if (this.srv) {
            t.srvNums[3 * j] = nums[3 * r]!;
            t.srvNums[3 * j + 1] = nums[3 * r + 1]!;
            t.srvNums[3 * j + 2] = nums[3 * r + 2]!;
          }
          j++;
        }
      }
    });
  }

  /** Entries in order, each with its values in order, decoded (value `decode(v, r)`). */
  #decoded<T>(each: (name: string, value: T) => void, decode: (text: string, r: number) => T) {
    const nameView = this.names.view();
    const valueView = this.values.view();
    const texts: (string | undefined)[] = [];
    for (let e = 0; e < this.names.count; e++) {
      const name = this.names.decode(e, nameView);
      for (let r = this.#first[e]!; r >= 0; r = this.#next[r]!) {
        const v = this.#value[r]!;
        const text = (texts[v] ??= this.values.decode(v, valueView));
        each(name, decode(text, r));
      }
    }
  }

  /** What a TextValues built from the same records would hold. */
  toText(): TextValues {
    const out = new TextValues();
    this.#decoded<string>(
      (name, value) => out.add(name, value),
      (text) => text,
    );
    return out;
  }

  /** What an SrvValues built from the same records would hold. */
  toSrv(): SrvValues {
    const out = new SrvValues();
    const nums = this.#nums;
    this.#decoded<SrvRecord>(
      (name, value) => out.add(name, value),
      (target, r) => ({
        target,
        port: nums[3 * r]!,
        priority: nums[3 * r + 1]!,
        weight: nums[3 * r + 2]!,
      }),
    );
    return out;
  }
}

/** A text map (A, AAAA, PTR): packed while it can be, else a JS map. */
interface TextSlot {
  packing: PackingMap | null;
  js: TextValues | null;
}

const MAP_PTR = 3;

/**
 * generate()'s sink for the load worker (`pack` option): RecordBuilder's records, rules and
 * results, built packed. finish() gives the four maps as packRecordSet would (each packed, or a
 * JS map where it could not be), with their empty non-terminals and record counts.
 */
export class PackingBuilder implements SetBuilder {
  /**
   * By map (a, aaaa, srv, ptr): its size when last finished in this thread (`Capacity`), or null
   * before the first.
   */
  static readonly #last: (Capacity | null)[] = [null, null, null, null];
  readonly #text: readonly TextSlot[];
  #srv: PackingMap | null;
  #srvJs: SrvValues | null = null;
  readonly #held = new HeldRecords();
  readonly #ent: EmptyNonTerminalFinder;
  /** RecordSink.lastEntry: -1 after an add to a map that turned into a JS map. */
  lastEntry = -1;

  /**
   * `domain` as RecordSet.domain gives it ("mesos"): for the empty non-terminals. `tasks`: how
   * many tasks the state lists, which sizes the tables of the thread's first generation (later
   * ones start at what the one before held). Capacity only: what is built does not depend on it.
   */
  constructor(domain: string, tasks = 0) {
    this.#ent = new EmptyNonTerminalFinder(domain);
    const capacity = (map: number): Capacity =>
      PackingBuilder.#last[map] ?? firstCapacity(map, tasks);
    this.#text = [
      { packing: new PackingMap(false, capacity(MAP_A)), js: null },
      { packing: new PackingMap(false, capacity(MAP_AAAA)), js: null },
      { packing: null, js: null }, // SRV: #srv, #srvJs
      { packing: new PackingMap(false, capacity(MAP_PTR)), js: null },
    ];
    this.#srv = new PackingMap(true, capacity(MAP_SRV));
  }

  /** Adds `ip` under `name` in the map of its family; 0 when it was there, else 1 + its position. */
  addAddress(name: string, ip: ParsedIp): number {
    const added = this.#addText(ip.family === 4 ? MAP_A : MAP_AAAA, name, ip.address);
    if (added === 1) this.#ent.visit(name);
    return added;
  }

  addPtr(reverse: string, target: string): boolean {
    return this.#addText(MAP_PTR, reverse, target) > 0;
  }

  /** Adds `record` under `name`; 0 when one with its target and port was there, else 1 + its position. */
  addSrv(name: string, record: SrvRecord): number {
    let added = UNPACKABLE;
    const packing = this.#srv;
    if (packing !== null) {
      added = packing.add(name, record.target, record.port, record.priority, record.weight);
      this.lastEntry = packing.lastEntry;
      if (added === UNPACKABLE) {
        this.#srvJs = packing.toSrv();
        this.#srv = null;
        packing.release();
      }
    }
    if (added === UNPACKABLE) {
      added = this.#srvJs!.add(name, record);
      this.lastEntry = -1;
    }
    if (added === 1) this.#ent.visit(name);
    return added;
  }

  hold(name: string, record: ParsedIp | SrvRecord, served: (at: number) => void): void {
    this.#held.hold(name, record, served);
  }

  /** HeldRecords.release, as RecordBuilder's: the fail-open names, sorted. */
  releaseHeld(): string[] {
    return this.#held.release(this);
  }

  has(map: HeldMap, name: string): boolean {
    if (map === MAP_SRV) return this.#srv?.has(name) ?? this.#srvJs!.map.has(name);
    const slot = this.#text[map]!;
    return slot.packing?.has(name) ?? slot.js!.map.has(name);
  }

  /**
   * The four maps, each packed or (where it could not be) a JS map, their empty non-terminals
   * and record counts: what packRecordSet gives for RecordBuilder's maps. Call once, last.
   */
  finish(): BuiltMaps {
    const a = this.#finishText(MAP_A);
    const aaaa = this.#finishText(MAP_AAAA);
    const ptr = this.#finishText(MAP_PTR);
    let srv: BuiltMaps['srv'];
    let srvCount: number;
    const packing = this.#srv;
    if (packing !== null) {
      this.#srv = null;
      srvCount = packing.records;
      srv = packing.finish() as PackedRecordMap<readonly SrvRecord[]>;
      PackingBuilder.#last[MAP_SRV] = packing.capacity();
      packing.release();
    } else {
      srv = this.#srvJs!.map;
      srvCount = countValues(srv);
    }
    return {
      a: a.map,
      aaaa: aaaa.map,
      srv,
      ptr: ptr.map,
      emptyNonTerminals: this.#ent.found,
      recordCounts: { a: a.count, aaaa: aaaa.count, srv: srvCount, ptr: ptr.count },
    };
  }

  #addText(map: number, name: string, value: string): number {
    const slot = this.#text[map]!;
    const packing = slot.packing;
    if (packing !== null) {
      const added = packing.add(name, value);
      if (added !== UNPACKABLE) {
        this.lastEntry = packing.lastEntry;
        return added;
      }
      slot.js = packing.toText();
      slot.packing = null;
      packing.release();
    }
    this.lastEntry = -1;
    return slot.js!.add(name, value);
  }

  /** A text map finished; its building tables are freed as it is. */
  #finishText(map: number): { map: ReadonlyMap<string, readonly string[]>; count: number } {
    const slot = this.#text[map]!;
    const packing = slot.packing;
    if (packing === null) return { map: slot.js!.map, count: countValues(slot.js!.map) };
    slot.packing = null;
    const count = packing.records;
    const finished = packing.finish() as PackedRecordMap<readonly string[]>;
    PackingBuilder.#last[map] = packing.capacity();
    packing.release();
    return { map: finished, count };
  }
}
