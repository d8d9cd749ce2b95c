// A RecordSet (whole, or as a delta against the receiver's set) in bounded pieces: each message
// holds at most a few thousand entries, so no single structured-clone deserialisation (which
// runs on the receiving thread's event loop) blocks DNS answers for more than a few ms. A packed
// map (records/packed-map.ts) crosses whole, as its SharedArrayBuffer: one message, no copy, and
// the receiver reads the same memory; an overlay on one crosses as that buffer and its changes.
// channel.ts sends and receives these over a worker message port.
import { createHash } from 'node:crypto';
import { findEmptyNonTerminals } from '../records/empty-non-terminals.ts';
import { hashEnumeration } from '../records/enumeration.ts';
import { noteStep, stepNames } from '../records/map-steps.ts';
import { overlay, OverlayMap } from '../records/overlay-map.ts';
import { isPacked, PackedRecordMap, packedUnder } from '../records/packed-map.ts';
import { recordCounts } from '../records/record-counts.ts';
import type {
  RecordCounts,
  RecordDelta,
  RecordMapKind,
  RecordSet,
  SrvRecord,
} from '../records/recordset.ts';

/** The small first message: everything except the maps and the enumeration. */
export interface RecordSetHeader {
  readonly domain: string;
  readonly leader: string;
  readonly counts: RecordSet['counts'];
  /** Few names (one per framework and protocol label): computed by the sender, not the receiver. */
  readonly emptyNonTerminals: readonly string[];
  readonly recordCounts: RecordCounts;
  /** The set's SOA serial, when it has one (a set in service sent on to DNS threads). */
  readonly serial?: number;
  /** onlyHealthy: names answered by unhealthy tasks only (see RecordSet.failOpen). */
  readonly failOpen?: readonly string[];
  /**
   * Digest of the set this transfer is a delta against (the receiver's set in service); absent
   * for a full transfer. See deltaChunks.
   */
  readonly base?: string;
  /**
   * For a full transfer: the name of the receiver's set that its `names` chunks are against (the
   * whole set differs from it only in those names). A receiver that no longer serves that set
   * ignores them.
   */
  readonly since?: string;
}

type MapKind = RecordMapKind;
const MAP_KINDS: readonly MapKind[] = ['a', 'aaaa', 'srv', 'ptr'];
/** The maps whose values are strings (addresses, PTR targets). */
const STRING_MAPS = ['a', 'aaaa', 'ptr'] as const;

export type RecordChunk =
  | { readonly kind: 'a' | 'aaaa' | 'ptr'; readonly entries: [string, readonly string[]][] }
  | { readonly kind: 'srv'; readonly entries: [string, readonly SrvRecord[]][] }
  /** Delta: names the new set no longer has; full: names gone from the packed map before. */
  | { readonly kind: 'remove'; readonly map: MapKind; readonly names: string[] }
  /** Full, sent with `since`: names the set may differ in from the receiver's (map-steps.ts). */
  | { readonly kind: 'names'; readonly map: MapKind; readonly names: string[] }
  /** Full: a map packed whole (PackedRecordMap.buffer, shared, not copied); `size` its names. */
  | {
      readonly kind: 'packed';
      readonly map: MapKind;
      readonly buffer: SharedArrayBuffer;
      readonly size: number;
    };

/** Weighted budget per chunk: a name costs 1 plus its values (an SRV record, an object, 3). */
export const DEFAULT_CHUNK_BUDGET = 2000;

export function recordSetHeader(set: RecordSet): RecordSetHeader {
  return {
    domain: set.domain,
    leader: set.leader,
    counts: set.counts,
    emptyNonTerminals: set.emptyNonTerminals
      ? [...set.emptyNonTerminals]
      : findEmptyNonTerminals(set),
    recordCounts: recordCounts(set),
    ...(set.serial !== undefined ? { serial: set.serial } : {}),
    ...(set.failOpen !== undefined ? { failOpen: set.failOpen } : {}),
  };
}

/** The one chunking loop: a map's entries in pieces of at most `budget` weighted cost. */
function* entryChunks(
  kind: MapKind,
  entries: Iterable<[string, readonly unknown[]]>,
  budget: number,
): Generator<RecordChunk> {
  const perValue = kind === 'srv' ? 3 : 1;
  let chunk: [string, readonly unknown[]][] = [];
  let cost = 0;
  for (const entry of entries) {
    chunk.push(entry);
    cost += 1 + perValue * entry[1].length;
    if (cost >= budget) {
      // The map kind fixes the value type (string[] for a/aaaa/ptr, SrvRecord[] for srv).
      yield { kind, entries: chunk } as RecordChunk;
      chunk = [];
      cost = 0;
    }
  }
  if (chunk.length > 0) yield { kind, entries: chunk } as RecordChunk;
}

function* nameChunks(
  kind: 'remove' | 'names',
  map: MapKind,
  names: readonly string[],
  budget: number,
): Generator<RecordChunk> {
  for (let i = 0; i < names.length; i += budget) {
    yield { kind, map, names: names.slice(i, i + budget) };
  }
}

/**
 * Splits a set into chunks lazily; the sender sends one per pull from the receiver. A packed map
 * goes as its buffer; an overlay on a packed map as that buffer, then its changes and removals.
 */
export function* recordChunks(
  set: RecordSet,
  budget: number = DEFAULT_CHUNK_BUDGET,
): Generator<RecordChunk> {
  for (const map of MAP_KINDS) {
    const whole = set[map] as ReadonlyMap<string, readonly unknown[]>;
    const packed = packedUnder(whole);
    if (packed === null) {
      yield* entryChunks(map, whole, budget);
      continue;
    }
    yield { kind: 'packed', map, buffer: packed.buffer, size: packed.size };
    if (whole instanceof OverlayMap) {
      const over = whole as OverlayMap<readonly unknown[]>;
      yield* entryChunks(map, over.changed, budget);
      yield* nameChunks('remove', map, [...over.removed], budget);
    }
  }
}

function sameValues(a: readonly unknown[] | undefined, b: readonly unknown[]): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 0; i < b.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    const s = x as SrvRecord;
    const t = y as SrvRecord;
    if (s.target !== t.target || s.port !== t.port || s.priority !== t.priority) return false;
    if (s.weight !== t.weight) return false;
  }
  return true;
}

function emptyDelta(): {
  changed: Record<MapKind, [string, readonly unknown[]][]>;
  removed: Record<MapKind, string[]>;
} {
  return {
    changed: { a: [], aaaa: [], srv: [], ptr: [] },
    removed: { a: [], aaaa: [], srv: [], ptr: [] },
  };
}

/**
 * Past this share of a set's names changed since the receiver's last whole set, a whole set goes
 * instead of a delta: every lookup on the serving thread would otherwise check a large overlay
 * (overlay-map.ts), and a whole set starts the next overlay from scratch.
 */
const MAX_OVERLAY_SHARE = 0.15;

/**
 * How a set that differs by `changed` names from the receiver's set goes, the receiver having
 * `overlaid` names laid over its last whole set, of `names` in the new set: as a delta while the
 * overlay stays small; else whole, with the changed names (`since`, channel.ts) when they alone
 * are few, so that the receiver compares the two at their cost (the IXFR journal); else whole.
 * The load worker's and the stream worker's one rule.
 */
export function sendAs(
  overlaid: number,
  changed: number,
  names: number,
): 'delta' | 'since' | 'whole' {
  const limit = MAX_OVERLAY_SHARE * names;
  if (overlaid + changed <= limit) return 'delta';
  return changed <= limit ? 'since' : 'whole';
}

/** The names whose records differ between `base` and `set`, and those `set` no longer has. */
export function recordDelta(base: RecordSet, set: RecordSet): RecordDelta {
  const { changed, removed } = emptyDelta();
  let size = 0;
  for (const map of MAP_KINDS) {
    const before = base[map] as ReadonlyMap<string, readonly unknown[]>;
    const after = set[map] as ReadonlyMap<string, readonly unknown[]>;
    size += mapDelta(before, after, changed[map], removed[map]);
  }
  return { changed, removed, size };
}

type AnyPacked = PackedRecordMap<readonly string[] | readonly SrvRecord[]>;

/**
 * The names whose values differ between two versions of one record map, pushed to `changed` (with
 * their values in `after`) or to `removed`; returns how many. Costs what the maps allow: nothing
 * for one map; for `after` made from `before` by a known step (records/map-steps.ts: a delta laid
 * over it, or a whole set sent with the names that changed), the step's names; for versions over
 * the same base (overlay-map.ts), the names their overlays touch; for versions over two packed
 * maps, those names plus the packed maps compared as bytes, decoding only what differs; otherwise
 * every name of both, decoded. Names come in the step's or the maps' order (the overlays':
 * `before`'s, then `after`'s).
 */
export function mapDelta(
  before: ReadonlyMap<string, readonly unknown[]>,
  after: ReadonlyMap<string, readonly unknown[]>,
  changed: [string, readonly unknown[]][],
  removed: string[],
): number {
  if (before === after) return 0;
  const step = stepNames(before, after);
  if (step !== null) return namesDelta(before, after, new Set(step), changed, removed);
  const was = asOverlay(before);
  const now = asOverlay(after);
  const baseBefore = was?.base ?? before;
  const baseAfter = now?.base ?? after;
  let size = 0;
  // The names an overlay holds otherwise than its base: compared as the two versions show them.
  const touched = new Set<string>();
  if (baseBefore === baseAfter || (isPacked(baseBefore) && isPacked(baseAfter))) {
    for (const over of [was, now]) {
      if (over === null) continue;
      for (const name of over.changed.keys()) touched.add(name);
      for (const name of over.removed) touched.add(name);
    }
  }
  if (baseBefore !== baseAfter) {
    if (!isPacked(baseBefore) || !isPacked(baseAfter)) {
      return plainDelta(before, after, changed, removed);
    }
    size += packedDelta(baseBefore, baseAfter, changed, removed, touched);
  }
  return size + namesDelta(before, after, touched, changed, removed);
}

/** mapDelta over the names given, each compared as the two versions show it. */
function namesDelta(
  before: ReadonlyMap<string, readonly unknown[]>,
  after: ReadonlyMap<string, readonly unknown[]>,
  names: Iterable<string>,
  changed: [string, readonly unknown[]][],
  removed: string[],
): number {
  let size = 0;
  for (const name of names) {
    const values = after.get(name);
    if (values === undefined) {
      if (!before.has(name)) continue;
      removed.push(name);
    } else if (sameValues(before.get(name), values)) {
      continue;
    } else {
      changed.push([name, values]);
    }
    size++;
  }
  return size;
}

/** mapDelta of two maps with nothing in common to go by: every name of both, values decoded. */
function plainDelta(
  before: ReadonlyMap<string, readonly unknown[]>,
  after: ReadonlyMap<string, readonly unknown[]>,
  changed: [string, readonly unknown[]][],
  removed: string[],
): number {
  let size = 0;
  for (const entry of after) {
    if (sameValues(before.get(entry[0]), entry[1])) continue;
    changed.push(entry);
    size++;
  }
  for (const name of before.keys()) {
    if (after.has(name)) continue;
    removed.push(name);
    size++;
  }
  return size;
}

/**
 * mapDelta of two packed maps: names found and values compared as bytes, only what differs
 * decoded. Names in `skip` are left out (the caller compares them itself). Returns the number
 * of names changed, added or removed.
 */
function packedDelta(
  before: AnyPacked,
  after: AnyPacked,
  changed: [string, readonly unknown[]][],
  removed: string[],
  skip: ReadonlySet<string>,
): number {
  let size = 0;
  for (let e = 0; e < after.size; e++) {
    const f = before.indexOfEntry(after, e);
    if (f >= 0 && after.sameValues(e, before, f)) continue;
    const name = after.keyAt(e);
    if (skip.has(name)) continue;
    changed.push([name, after.valuesAt(e)]);
    size++;
  }
  for (let f = 0; f < before.size; f++) {
    if (after.indexOfEntry(before, f) >= 0) continue;
    const name = before.keyAt(f);
    if (skip.has(name)) continue;
    removed.push(name);
    size++;
  }
  return size;
}

function asOverlay(
  map: ReadonlyMap<string, readonly unknown[]>,
): OverlayMap<readonly unknown[]> | null {
  return map instanceof OverlayMap ? (map as OverlayMap<readonly unknown[]>) : null;
}

/**
 * recordDelta for two sets whose maps are overlays on the same base maps (overlay-map.ts), as
 * every set built from a delta is: only the names either overlay touches are compared, so the
 * cost follows the changes, not the set. Null when the sets share no base (a full set came in
 * between): walking every name would stall the thread that asks, so send the set whole instead.
 */
export function overlayDelta(base: RecordSet, set: RecordSet): RecordDelta | null {
  const { changed, removed } = emptyDelta();
  let size = 0;
  for (const map of MAP_KINDS) {
    const before = base[map] as ReadonlyMap<string, readonly unknown[]>;
    const after = set[map] as ReadonlyMap<string, readonly unknown[]>;
    if (before === after) continue;
    const was = asOverlay(before);
    const now = asOverlay(after);
    if (now === null || now.base !== (was?.base ?? before)) return null;
    size += mapDelta(before, after, changed[map], removed[map]);
  }
  return { changed, removed, size };
}

/**
 * A set as a delta (recordDelta) against the receiver's set in service: only changed and removed
 * names cross, and the receiver lays them over its current maps (records/overlay-map.ts). Between
 * loads of a busy cluster a few hundred names change out of hundreds of thousands; a full
 * transfer would make the serving thread rebuild, and later collect, them all.
 */
export function* deltaChunks(
  delta: RecordDelta,
  budget: number = DEFAULT_CHUNK_BUDGET,
): Generator<RecordChunk> {
  for (const map of MAP_KINDS) {
    yield* entryChunks(map, delta.changed[map], budget);
    yield* nameChunks('remove', map, delta.removed[map], budget);
  }
}

/**
 * The names of `delta` (changed and removed), map by map: sent after a whole set that differs
 * from the receiver's by `delta`, so that comparing the two costs those names (map-steps.ts).
 */
export function* stepChunks(
  delta: RecordDelta,
  budget: number = DEFAULT_CHUNK_BUDGET,
): Generator<RecordChunk> {
  for (const map of MAP_KINDS) {
    const names = delta.changed[map].map(([name]) => name);
    for (const name of delta.removed[map]) names.push(name);
    yield* nameChunks('names', map, names, budget);
  }
}

/** Rebuilds a set from a header and its chunks, on the receiving side. */
export class RecordSetAssembler {
  readonly #header: RecordSetHeader;
  readonly #a = new Map<string, readonly string[]>();
  readonly #aaaa = new Map<string, readonly string[]>();
  readonly #srv = new Map<string, readonly SrvRecord[]>();
  readonly #ptr = new Map<string, readonly string[]>();
  /** For a delta: the set in service, and the changes and removals laid over it at the end. */
  readonly #base: RecordSet | null;
  readonly #removed: Record<MapKind, string[]> = { a: [], aaaa: [], srv: [], ptr: [] };
  /** For a full transfer: the maps that came packed, which its entries and removals overlay. */
  readonly #packed: Partial<Record<MapKind, ReadonlyMap<string, readonly unknown[]>>> = {};
  /** For a full transfer sent `since` the set in service: that set, and the names it differs in. */
  readonly #since: RecordSet | null;
  readonly #sinceNames: Record<MapKind, string[]> = { a: [], aaaa: [], srv: [], ptr: [] };

  /**
   * `base` is the set in service; a delta header (`header.base`) requires it, a full one sent
   * `since` it uses it when given (without it, the names that come are ignored).
   */
  constructor(header: RecordSetHeader, base: RecordSet | null = null) {
    this.#header = header;
    if (header.base !== undefined && base === null) {
      throw new Error(
        'record transfer: a delta arrived, but there is no set in service to apply it to',
      );
    }
    this.#base = header.base === undefined ? null : base;
    this.#since = header.base === undefined && header.since !== undefined ? base : null;
  }

  add(chunk: RecordChunk): void {
    switch (chunk.kind) {
      case 'a':
      case 'aaaa':
      case 'ptr': {
        const map = chunk.kind === 'a' ? this.#a : chunk.kind === 'aaaa' ? this.#aaaa : this.#ptr;
        for (const [name, values] of chunk.entries) map.set(name, values);
        break;
      }
      case 'srv':
        for (const [name, values] of chunk.entries) this.#srv.set(name, values);
        break;
      case 'remove':
        for (const name of chunk.names) this.#removed[chunk.map].push(name);
        break;
      case 'names':
        if (this.#since !== null)
          for (const name of chunk.names) this.#sinceNames[chunk.map].push(name);
        break;
      case 'packed':
        if (this.#base !== null) throw new Error('record transfer: a packed map in a delta');
        this.#packed[chunk.map] = PackedRecordMap.wrap(chunk.buffer);
        break;
    }
  }

  /**
   * A full transfer's maps as received (a packed one with what came after it laid over it); a
   * delta's laid over the base set's (no copying).
   */
  #maps(): Pick<RecordSet, 'a' | 'aaaa' | 'srv' | 'ptr'> {
    const base = this.#base;
    if (base === null) {
      return {
        a: this.#full('a', this.#a) as RecordSet['a'],
        aaaa: this.#full('aaaa', this.#aaaa) as RecordSet['aaaa'],
        srv: this.#full('srv', this.#srv) as RecordSet['srv'],
        ptr: this.#full('ptr', this.#ptr) as RecordSet['ptr'],
      };
    }
    return {
      a: overlay(base.a, this.#a, this.#removed.a),
      aaaa: overlay(base.aaaa, this.#aaaa, this.#removed.aaaa),
      srv: overlay(base.srv, this.#srv, this.#removed.srv),
      ptr: overlay(base.ptr, this.#ptr, this.#removed.ptr),
    };
  }

  #full(
    kind: MapKind,
    entries: ReadonlyMap<string, readonly unknown[]>,
  ): ReadonlyMap<string, readonly unknown[]> {
    const packed = this.#packed[kind];
    if (packed === undefined) return entries;
    const removed = this.#removed[kind];
    // The kind of map a packed chunk names is the kind its header says (text or SRV).
    return entries.size === 0 && removed.length === 0 ? packed : overlay(packed, entries, removed);
  }

  finish(): RecordSet {
    const h = this.#header;
    const maps = this.#maps();
    const since = this.#since;
    if (since !== null) {
      for (const map of MAP_KINDS) noteStep(maps[map], since[map], this.#sinceNames[map]);
    }
    return {
      domain: h.domain,
      leader: h.leader,
      counts: h.counts,
      ...maps,
      // The enumeration stays with the sender (the load worker renders it when asked).
      emptyNonTerminals: new Set(h.emptyNonTerminals),
      recordCounts: h.recordCounts,
      ...(h.serial !== undefined ? { serial: h.serial } : {}),
      ...(h.failOpen !== undefined ? { failOpen: h.failOpen } : {}),
    };
  }
}

/**
 * A fingerprint of everything a set serves, in generation order. Two loads of an unchanged
 * cluster give the same digest, so the worker can skip the transfer (and the main thread the
 * garbage of a second copy). A different order only costs a transfer, never a wrong answer.
 */
export function recordSetDigest(set: RecordSet): string {
  const hash = createHash('sha1');
  hash.update(`${set.domain}\n${set.leader}\n${JSON.stringify(set.counts)}\n`);
  hash.update(`#failopen ${(set.failOpen ?? []).join(' ')}\n`);
  for (const kind of STRING_MAPS) {
    hash.update(`#${kind}\n`);
    if (set[kind] instanceof PackedRecordMap) {
      // The bytes hold every name and value in order: the same content packs the same bytes.
      hash.update(new Uint8Array(set[kind].buffer));
      continue;
    }
    for (const [name, values] of set[kind]) hash.update(`${name} ${values.join(' ')}\n`);
  }
  hash.update('#srv\n');
  if (set.srv instanceof PackedRecordMap) hash.update(new Uint8Array(set.srv.buffer));
  for (const [name, values] of set.srv instanceof PackedRecordMap ? [] : set.srv) {
    let line = name;
    for (const v of values) line += ` ${v.target}:${v.port}:${v.priority}:${v.weight}`;
    hash.update(`${line}\n`);
  }
  // In the form it has: sets compared by digest must have it in the same one (the load worker's
  // all come from generate() with `pack`: entry numbers where the maps are packed).
  hash.update('#enum\n');
  if (set.enumeration !== undefined) hashEnumeration(set.enumeration, (data) => hash.update(data));
  return hash.digest('hex');
}
