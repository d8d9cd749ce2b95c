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

/** `a`, or a copy at least `min` long (doubled), its contents kept. */
function grow<T extends Growable>(a: T, min: number): T {
  if (min <= a.length) return a;
  let n = Math.max(a.length, 16);
  while (n < min) n *= 2;
  const b = new (a.constructor as new (length: number) => T)(n);
  b.set(a);
  return b;
}

const isField = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffff;

/**
 * ASCII strings kept once each, numbered in the order they came: string i is bytes
 * [ends[i - 1] (0 for the first), ends[i]).
 */
class StringTable {
  bytes = new Uint8Array(1 << 12);
  used = 0;
  ends = new Uint32Array(256);
  hashes = new Uint32Array(256);
  count = 0;
  #table = new Int32Array(512).fill(-1);
  // The last string interned: a task's records repeat the same address and target.
  #lastString: string | null = null;
  #lastId = -1;

  start(i: number): number {
    return i === 0 ? 0 : this.ends[i - 1]!;
  }

  length(i: number): number {
    return this.ends[i]! - this.start(i);
  }

  /** The number of `s` (whose hashString is `h`), or -1. Allocates nothing. */
  find(s: string, h: number): number {
    const table = this.#table;
    const mask = table.length - 1;
    const len = s.length;
    const bytes = this.bytes;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const i = table[slot]!;
      if (i < 0) return -1;
      if (this.hashes[i] !== h) continue;
      const start = this.start(i);
      if (this.ends[i]! - start !== len) continue;
      let k = 0;
      while (k < len && bytes[start + k] === s.charCodeAt(k)) k++;
      if (k === len) return i;
    }
  }

  /** Adds `s` (not here; hashString `h`): its number, or -1 (nothing added) when not ASCII. */
  add(s: string, h: number): number {
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
    if (2 * this.count > this.#table.length) this.#rehash(2 * this.#table.length);
    else this.#index(i);
    return i;
  }

  /** The number of `s`, added when new; -1 when it is new and not ASCII. */
  intern(s: string): number {
    if (s === this.#lastString) return this.#lastId;
    const h = hashString(s);
    let i = this.find(s, h);
    if (i < 0) i = this.add(s, h);
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

  #index(i: number): void {
    const table = this.#table;
    const mask = table.length - 1;
    let slot = this.hashes[i]! & mask;
    while (table[slot]! >= 0) slot = (slot + 1) & mask;
    table[slot] = i;
  }

  #rehash(size: number): void {
    this.#table = new Int32Array(size).fill(-1);
    for (let i = 0; i < this.count; i++) this.#index(i);
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
  readonly names = new StringTable();
  readonly values = new StringTable();
  #first = new Int32Array(256);
  #last = new Int32Array(256);
  #size = new Uint32Array(256);
  records = 0;
  #value = new Uint32Array(1024);
  #next = new Int32Array(1024);
  #nums: Uint16Array;
  /** Bytes of the records' values together. */
  #valueChars = 0;
  #many: TripleSet | null = null;

  constructor(srv: boolean) {
    this.srv = srv;
    this.#nums = new Uint16Array(srv ? 3 * 1024 : 0);
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
      e = this.names.add(name, h);
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
  readonly #text: readonly TextSlot[] = [
    { packing: new PackingMap(false), js: null },
    { packing: new PackingMap(false), js: null },
    { packing: null, js: null }, // SRV: #srv, #srvJs
    { packing: new PackingMap(false), js: null },
  ];
  #srv: PackingMap | null = new PackingMap(true);
  #srvJs: SrvValues | null = null;
  readonly #held = new HeldRecords();
  readonly #ent: EmptyNonTerminalFinder;

  /** `domain` as RecordSet.domain gives it ("mesos"): for the empty non-terminals. */
  constructor(domain: string) {
    this.#ent = new EmptyNonTerminalFinder(domain);
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
      if (added === UNPACKABLE) {
        this.#srvJs = packing.toSrv();
        this.#srv = null;
      }
    }
    if (added === UNPACKABLE) added = this.#srvJs!.add(name, record);
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
    if (this.#srv !== null) {
      srvCount = this.#srv.records;
      srv = this.#srv.finish() as PackedRecordMap<readonly SrvRecord[]>;
      this.#srv = null;
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
      if (added !== UNPACKABLE) return added;
      slot.js = packing.toText();
      slot.packing = null;
    }
    return slot.js!.add(name, value);
  }

  /** A text map finished; its building tables are dropped as it is. */
  #finishText(map: number): { map: ReadonlyMap<string, readonly string[]>; count: number } {
    const slot = this.#text[map]!;
    const packing = slot.packing;
    if (packing === null) return { map: slot.js!.map, count: countValues(slot.js!.map) };
    slot.packing = null;
    const count = packing.records;
    return { map: packing.finish() as PackedRecordMap<readonly string[]>, count };
  }
}
