// A record map packed into one SharedArrayBuffer: names and values as ASCII bytes, an entry table
// and an open-addressing hash index in typed arrays. A set of 200,000 tasks as JS Maps is ~2.3 M
// heap values (180 MB) that every thread holding it must build, keep and have its collector walk;
// packed it is ~35 MB outside the JS heap, crosses threads without a copy (the buffer is shared)
// and is read in place: `get`/`has` hash the JS string by char codes and compare against the
// bytes, allocating nothing on a miss, and decode values only on a hit. Immutable once packed.
//
// Layout (all offsets in bytes, sections 4-byte aligned):
//   header     Int32[8]     MAGIC, kind (0 text, 1 SRV), count, valueCount, tableSize, bytesLength
//   entryStart Uint32[n+1]  entry i's bytes: its name [entryStart[i], keyEnd[i]), then its values
//   keyEnd     Uint32[n]
//   hashes     Uint32[n]    hashString of entry i's name (src/hash.ts)
//   firstValue Uint32[n+1]  entry i's values are [firstValue[i], firstValue[i+1])
//   valueEnd   Uint32[v]    value j's bytes end (it starts where the one before it, or the name, ends)
//   table      Int32[t]     entry index or -1; t a power of two ≥ 2n, linear probing
//   srvNums    Uint16[3v]   SRV only: port, priority, weight per value
//   bytes      Uint8[b]
// Entries keep the order they were packed in (generation order), so iteration, digests and AXFR
// see what the JS Map showed. Only ASCII is packed (every generated name and value is); a map
// with anything else is refused (PackError) and stays a JS Map.
import { hashBytes, hashString } from '../hash.ts';
import { findEmptyNonTerminals } from './empty-non-terminals.ts';
import { OverlayMap } from './overlay-map.ts';
import { ReadonlyMapBase } from './readonly-map-base.ts';
import { recordCounts } from './record-counts.ts';
import type { RecordSet, SrvRecord } from './recordset.ts';

const MAGIC = 0x504b4d31;
const HEADER_INTS = 8;
const KIND_TEXT = 0;
const KIND_SRV = 1;

export class PackError extends Error {}

const align4 = (n: number): number => (n + 3) & ~3;

interface Views {
  readonly kind: number;
  readonly count: number;
  readonly entryStart: Uint32Array;
  readonly keyEnd: Uint32Array;
  readonly hashes: Uint32Array;
  readonly firstValue: Uint32Array;
  readonly valueEnd: Uint32Array;
  readonly table: Int32Array;
  readonly srvNums: Uint16Array;
  readonly bytes: Uint8Array;
  readonly buf: Buffer;
}

function byteLength(kind: number, count: number, values: number, table: number, bytes: number) {
  const ints = HEADER_INTS + (count + 1) + count + count + (count + 1) + values + table;
  return ints * 4 + align4(kind === KIND_SRV ? values * 6 : 0) + bytes;
}

function views(buffer: SharedArrayBuffer | ArrayBuffer): Views {
  const header = new Int32Array(buffer, 0, HEADER_INTS);
  if (header[0] !== MAGIC) throw new PackError('not a packed record map');
  const kind = header[1]!;
  const count = header[2]!;
  const valueCount = header[3]!;
  const tableSize = header[4]!;
  const bytesLength = header[5]!;
  let at = HEADER_INTS * 4;
  const u32 = (n: number): Uint32Array => {
    const v = new Uint32Array(buffer, at, n);
    at += n * 4;
    return v;
  };
  const i32 = (n: number): Int32Array => {
    const v = new Int32Array(buffer, at, n);
    at += n * 4;
    return v;
  };
  const entryStart = u32(count + 1);
  const keyEnd = u32(count);
  const hashes = u32(count);
  const firstValue = u32(count + 1);
  const valueEnd = u32(valueCount);
  const table = i32(tableSize);
  const srvCount = kind === KIND_SRV ? valueCount * 3 : 0;
  const srvNums = new Uint16Array(buffer, at, srvCount);
  at += align4(srvCount * 2);
  const bytes = new Uint8Array(buffer, at, bytesLength);
  const buf = Buffer.from(buffer, at, bytesLength);
  return {
    kind,
    count,
    entryStart,
    keyEnd,
    hashes,
    firstValue,
    valueEnd,
    table,
    srvNums,
    bytes,
    buf,
  };
}

export class PackedRecordMap<
  V extends readonly string[] | readonly SrvRecord[],
> extends ReadonlyMapBase<V> {
  /** The packed bytes: send this to another thread and wrap it there (`wrap`), no copy made. */
  readonly buffer: SharedArrayBuffer;
  readonly size: number;
  readonly #v: Views;

  private constructor(buffer: SharedArrayBuffer) {
    super();
    this.buffer = buffer;
    this.#v = views(buffer);
    this.size = this.#v.count;
  }

  /** A packed map received from another thread (O(1): views only). */
  static wrap(
    buffer: SharedArrayBuffer,
  ): PackedRecordMap<readonly string[] | readonly SrvRecord[]> {
    return new PackedRecordMap(buffer);
  }

  static packText(map: ReadonlyMap<string, readonly string[]>): PackedRecordMap<readonly string[]> {
    return pack(map, KIND_TEXT) as PackedRecordMap<readonly string[]>;
  }

  static packSrv(
    map: ReadonlyMap<string, readonly SrvRecord[]>,
  ): PackedRecordMap<readonly SrvRecord[]> {
    return pack(map, KIND_SRV) as PackedRecordMap<readonly SrvRecord[]>;
  }

  get isSrv(): boolean {
    return this.#v.kind === KIND_SRV;
  }

  /** The entry index of `name`, or -1. Allocates nothing. */
  indexOf(name: string): number {
    const v = this.#v;
    const h = hashString(name);
    const mask = v.table.length - 1;
    const len = name.length;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const e = v.table[slot]!;
      if (e < 0) return -1;
      if (v.hashes[e] !== h) continue;
      const start = v.entryStart[e]!;
      if (v.keyEnd[e]! - start !== len) continue;
      let i = 0;
      while (i < len && v.bytes[start + i] === name.charCodeAt(i)) i++;
      if (i === len) return e;
    }
  }

  /** The entry index of the name `other` holds at `e`, compared as bytes (no decoding). */
  indexOfEntry(other: PackedRecordMap<V>, e: number): number {
    const v = this.#v;
    const o = other.#v;
    const h = o.hashes[e]!;
    const oStart = o.entryStart[e]!;
    const len = o.keyEnd[e]! - oStart;
    const mask = v.table.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const x = v.table[slot]!;
      if (x < 0) return -1;
      if (v.hashes[x] !== h) continue;
      const start = v.entryStart[x]!;
      if (v.keyEnd[x]! - start !== len) continue;
      let i = 0;
      while (i < len && v.bytes[start + i] === o.bytes[oStart + i]) i++;
      if (i === len) return x;
    }
  }

  /** Whether entry `e` here and entry `f` of `other` hold the same values (bytes compared). */
  sameValues(e: number, other: PackedRecordMap<V>, f: number): boolean {
    const v = this.#v;
    const o = other.#v;
    if (v.kind !== o.kind) return false;
    const n = v.firstValue[e + 1]! - v.firstValue[e]!;
    if (o.firstValue[f + 1]! - o.firstValue[f]! !== n) return false;
    const vStart = v.keyEnd[e]!;
    const oStart = o.keyEnd[f]!;
    const len = v.entryStart[e + 1]! - vStart;
    if (o.entryStart[f + 1]! - oStart !== len) return false;
    for (let i = 0; i < len; i++) if (v.bytes[vStart + i] !== o.bytes[oStart + i]) return false;
    const vFirst = v.firstValue[e]!;
    const oFirst = o.firstValue[f]!;
    for (let j = 0; j < n; j++) {
      if (v.valueEnd[vFirst + j]! - vStart !== o.valueEnd[oFirst + j]! - oStart) return false;
    }
    if (v.kind === KIND_SRV) {
      for (let j = 0; j < 3 * n; j++) {
        if (v.srvNums[3 * vFirst + j] !== o.srvNums[3 * oFirst + j]) return false;
      }
    }
    return true;
  }

  /** The name of entry `e`. */
  keyAt(e: number): string {
    const v = this.#v;
    return v.buf.toString('latin1', v.entryStart[e], v.keyEnd[e]);
  }

  /** The values of entry `e`, decoded. */
  valuesAt(e: number): V {
    const v = this.#v;
    const first = v.firstValue[e]!;
    const last = v.firstValue[e + 1]!;
    let start = v.keyEnd[e]!;
    if (v.kind === KIND_SRV) {
      const out: SrvRecord[] = [];
      for (let j = first; j < last; j++) {
        const end = v.valueEnd[j]!;
        out.push({
          target: v.buf.toString('latin1', start, end),
          port: v.srvNums[3 * j]!,
          priority: v.srvNums[3 * j + 1]!,
          weight: v.srvNums[3 * j + 2]!,
        });
        start = end;
      }
      return out as readonly SrvRecord[] as V;
    }
    const out: string[] = [];
    for (let j = first; j < last; j++) {
      const end = v.valueEnd[j]!;
      out.push(v.buf.toString('latin1', start, end));
      start = end;
    }
    return out as readonly string[] as V;
  }

  /** Value `at` (0 the first) of entry `e`, decoded alone. */
  valueAt(e: number, at: number): string | SrvRecord {
    const v = this.#v;
    const j = v.firstValue[e]! + at;
    if (at < 0 || j >= v.firstValue[e + 1]!) throw new RangeError(`no value ${at} at entry ${e}`);
    const start = at === 0 ? v.keyEnd[e]! : v.valueEnd[j - 1]!;
    const text = v.buf.toString('latin1', start, v.valueEnd[j]);
    if (v.kind !== KIND_SRV) return text;
    return {
      target: text,
      port: v.srvNums[3 * j]!,
      priority: v.srvNums[3 * j + 1]!,
      weight: v.srvNums[3 * j + 2]!,
    };
  }

  get(name: string): V | undefined {
    const e = this.indexOf(name);
    return e < 0 ? undefined : this.valuesAt(e);
  }

  has(name: string): boolean {
    return this.indexOf(name) >= 0;
  }

  *entries(): MapIterator<[string, V]> {
    for (let e = 0; e < this.size; e++) yield [this.keyAt(e), this.valuesAt(e)];
  }

  // keys() and values() each decode only their half.
  override *keys(): MapIterator<string> {
    for (let e = 0; e < this.size; e++) yield this.keyAt(e);
  }

  override *values(): MapIterator<V> {
    for (let e = 0; e < this.size; e++) yield this.valuesAt(e);
  }

  /** Values under all names (what record counts count), without decoding any. */
  get valueCount(): number {
    return this.#v.firstValue[this.size]!;
  }
}

/** Characters gathered before one write into the bytes. */
const BATCH_CHARS = 1 << 16;

/**
 * Where a packer writes a map's entries (`writePacked`): the layout's arrays, sized for the map.
 * Entry e's name goes to bytes [entryStart[e], keyEnd[e]) with its hashString in hashes[e], its
 * values right after it, value j ending at valueEnd[j] (firstValue[e] its first), and for SRV
 * srvNums[3j..3j+2] its port, priority and weight.
 */
export interface PackTarget {
  readonly entryStart: Uint32Array;
  readonly keyEnd: Uint32Array;
  readonly hashes: Uint32Array;
  readonly firstValue: Uint32Array;
  readonly valueEnd: Uint32Array;
  readonly srvNums: Uint16Array;
  readonly bytes: Uint8Array;
  readonly buf: Buffer;
}

/** A map's sizes: entries, values under all of them, and bytes of names and values together. */
export interface PackSizes {
  readonly srv: boolean;
  readonly count: number;
  readonly valueCount: number;
  readonly chars: number;
}

/**
 * The one writer of the layout: a buffer for `sizes`, its header, every entry as `fill` writes
 * them in order (PackTarget), then the hash index, entries inserted in order. The JS-map packer
 * (`pack`) and records/packing-builder.ts both write through it.
 */
export function writePacked(
  sizes: PackSizes,
  fill: (target: PackTarget) => void,
): PackedRecordMap<readonly string[] | readonly SrvRecord[]> {
  const { count, valueCount, chars } = sizes;
  const kind = sizes.srv ? KIND_SRV : KIND_TEXT;
  let tableSize = 4;
  while (tableSize < 2 * count) tableSize *= 2;
  const buffer = new SharedArrayBuffer(byteLength(kind, count, valueCount, tableSize, chars));
  const header = new Int32Array(buffer, 0, HEADER_INTS);
  header.set([MAGIC, kind, count, valueCount, tableSize, chars]);
  const v = views(buffer);
  fill(v);
  v.entryStart[count] = chars;
  v.firstValue[count] = valueCount;
  const table = v.table;
  table.fill(-1);
  const mask = tableSize - 1;
  for (let e = 0; e < count; e++) {
    let slot = v.hashes[e]! & mask;
    while (table[slot]! >= 0) slot = (slot + 1) & mask;
    table[slot] = e;
  }
  return PackedRecordMap.wrap(buffer);
}

/** An SRV port, priority or weight as packed: 0-65535, else PackError. */
export function srvField(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) {
    throw new PackError(`SRV field out of range: ${n}`);
  }
  return n;
}

function pack(
  map: ReadonlyMap<string, readonly string[] | readonly SrvRecord[]>,
  kind: number,
): PackedRecordMap<readonly string[] | readonly SrvRecord[]> {
  let count = 0;
  let valueCount = 0;
  let chars = 0;
  for (const [name, values] of map) {
    count++;
    chars += name.length;
    valueCount += values.length;
    for (const value of values) {
      chars += typeof value === 'string' ? value.length : value.target.length;
    }
  }
  const sizes = { srv: kind === KIND_SRV, count, valueCount, chars };
  return writePacked(sizes, (v) => {
    // Offsets come from string lengths (one byte per ASCII character); the characters
    // themselves are gathered into a batch and written with one native call per batch. One
    // call per string costs more than the copy (generated names are cons strings: each would be
    // flattened alone).
    let batch = '';
    let written = 0;
    let hashed = 0;
    let at = 0;
    let e = 0;
    let j = 0;
    const flush = (): void => {
      // Latin-1 writing is a plain copy once the batch is flat (the write flattens it); the
      // batch is ASCII exactly when its UTF-8 length is its length (one byte per character).
      const n = v.buf.write(batch, written, batch.length, 'latin1');
      if (n !== batch.length || Buffer.byteLength(batch, 'utf8') !== n) {
        throw new PackError('a name or value is not ASCII');
      }
      written += n;
      batch = '';
      // Hash the names written whole.
      for (; hashed < e; hashed++) {
        v.hashes[hashed] = hashBytes(v.bytes, v.entryStart[hashed]!, v.keyEnd[hashed]!);
      }
    };
    for (const [name, values] of map) {
      v.entryStart[e] = at;
      batch += name;
      at += name.length;
      v.keyEnd[e] = at;
      v.firstValue[e] = j;
      for (const value of values) {
        if (typeof value === 'string') {
          if (kind !== KIND_TEXT) throw new PackError('a text value in an SRV map');
          batch += value;
          at += value.length;
        } else {
          if (kind !== KIND_SRV) throw new PackError('an SRV value in a text map');
          batch += value.target;
          at += value.target.length;
          v.srvNums[3 * j] = srvField(value.port);
          v.srvNums[3 * j + 1] = srvField(value.priority);
          v.srvNums[3 * j + 2] = srvField(value.weight);
        }
        v.valueEnd[j++] = at;
      }
      e++;
      if (batch.length >= BATCH_CHARS) flush();
    }
    flush();
  });
}

function packOr<M>(map: M, packer: (map: M) => M): M {
  if (map instanceof PackedRecordMap) return map;
  try {
    return packer(map);
  } catch (error) {
    if (error instanceof PackError) return map;
    throw error;
  }
}

/**
 * `set` with its four record maps packed (PackedRecordMap), each one that can be: a map with a
 * non-ASCII name or value stays as it is. The JS maps are left to the collector.
 */
export function packRecordSet(set: RecordSet): RecordSet {
  // Both walk every name: cheaper on the JS maps, and then never again (the transfer header
  // carries them).
  const emptyNonTerminals = set.emptyNonTerminals ?? new Set(findEmptyNonTerminals(set));
  const counts = recordCounts(set);
  return {
    ...set,
    a: packOr(set.a, (m) => PackedRecordMap.packText(m)),
    aaaa: packOr(set.aaaa, (m) => PackedRecordMap.packText(m)),
    srv: packOr(set.srv, (m) => PackedRecordMap.packSrv(m)),
    ptr: packOr(set.ptr, (m) => PackedRecordMap.packText(m)),
    emptyNonTerminals,
    recordCounts: counts,
  };
}

/** The packed map under `map`: itself, or an overlay's base (overlay-map.ts); else null. */
export function packedUnder(
  map: ReadonlyMap<string, unknown>,
): PackedRecordMap<readonly string[] | readonly SrvRecord[]> | null {
  if (map instanceof PackedRecordMap) return map;
  if (map instanceof OverlayMap && map.base instanceof PackedRecordMap) return map.base;
  return null;
}

/** Whether `map` is a packed map itself (not an overlay on one). */
export function isPacked(
  map: ReadonlyMap<string, unknown>,
): map is PackedRecordMap<readonly string[] | readonly SrvRecord[]> {
  return map instanceof PackedRecordMap;
}
