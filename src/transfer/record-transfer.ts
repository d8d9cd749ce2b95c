// Moves a RecordSet from the load worker to the main thread in bounded pieces: each message
// holds at most a few thousand entries, so no single structured-clone deserialisation (which
// runs on the receiving thread's event loop) blocks DNS answers for more than a few ms.
import { createHash } from 'node:crypto';
import { findEmptyNonTerminals } from '../records/empty-non-terminals.ts';
import { enumerationJson } from '../records/enumeration-json.ts';
import { overlay } from '../records/overlay-map.ts';
import { recordCounts } from '../records/record-counts.ts';
import type { RecordCounts, RecordSet, SrvRecord } from '../records/recordset.ts';

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
  /**
   * Digest of the set this transfer is a delta against (the receiver's set in service); absent
   * for a full transfer. See deltaChunks.
   */
  readonly base?: string;
}

type MapKind = 'a' | 'aaaa' | 'srv';
const MAP_KINDS: readonly MapKind[] = ['a', 'aaaa', 'srv'];

export type RecordChunk =
  | { readonly kind: 'a' | 'aaaa'; readonly entries: [string, readonly string[]][] }
  | { readonly kind: 'srv'; readonly entries: [string, readonly SrvRecord[]][] }
  /** A fragment of the pre-rendered /v1/enumerate body (see enumeration-json.ts). */
  | { readonly kind: 'enumjson'; readonly fragment: string }
  /** Delta: names the new set no longer has. */
  | { readonly kind: 'remove'; readonly map: MapKind; readonly names: string[] };

/** Weighted budget per chunk: a map entry or a task costs 1 plus its values or records. */
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
  };
}

export interface ChunkOptions {
  /** Weighted entries per chunk (DEFAULT_CHUNK_BUDGET). */
  readonly budget?: number;
  /** Send the enumeration too (default true); DNS threads do not need it. */
  readonly enumeration?: boolean;
}

/** Splits a set into chunks lazily; the worker sends one per request from the main thread. */
export function* recordChunks(set: RecordSet, options: ChunkOptions = {}): Generator<RecordChunk> {
  const budget = options.budget ?? DEFAULT_CHUNK_BUDGET;
  for (const kind of ['a', 'aaaa'] as const) {
    let entries: [string, readonly string[]][] = [];
    let cost = 0;
    for (const entry of set[kind]) {
      entries.push(entry);
      cost += 1 + entry[1].length;
      if (cost >= budget) {
        yield { kind, entries };
        entries = [];
        cost = 0;
      }
    }
    if (entries.length > 0) yield { kind, entries };
  }
  let srv: [string, readonly SrvRecord[]][] = [];
  let cost = 0;
  for (const entry of set.srv) {
    srv.push(entry);
    // SRV records are objects: they cost more to clone than strings.
    cost += 1 + 3 * entry[1].length;
    if (cost >= budget) {
      yield { kind: 'srv', entries: srv };
      srv = [];
      cost = 0;
    }
  }
  if (srv.length > 0) yield { kind: 'srv', entries: srv };
  if (options.enumeration === false) return;
  // Rendered here, on the sending thread, one fragment per message.
  for (const fragment of set.enumerationJson ?? enumerationJson(set.enumeration)) {
    yield { kind: 'enumjson', fragment };
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

export interface RecordDelta {
  readonly changed: Readonly<Record<MapKind, [string, readonly unknown[]][]>>;
  readonly removed: Readonly<Record<MapKind, string[]>>;
  /** Changed plus removed names. */
  readonly size: number;
}

/** The names whose records differ between `base` and `set`, and those `set` no longer has. */
export function recordDelta(base: RecordSet, set: RecordSet): RecordDelta {
  const changed = { a: [], aaaa: [], srv: [] } as Record<MapKind, [string, readonly unknown[]][]>;
  const removed = { a: [], aaaa: [], srv: [] } as Record<MapKind, string[]>;
  let size = 0;
  for (const map of MAP_KINDS) {
    const before = base[map] as ReadonlyMap<string, readonly unknown[]>;
    const after = set[map] as ReadonlyMap<string, readonly unknown[]>;
    for (const entry of after) {
      if (sameValues(before.get(entry[0]), entry[1])) continue;
      changed[map].push(entry);
      size++;
    }
    for (const name of before.keys()) {
      if (after.has(name)) continue;
      removed[map].push(name);
      size++;
    }
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
  set: RecordSet,
  delta: RecordDelta,
  options: ChunkOptions = {},
): Generator<RecordChunk> {
  const budget = options.budget ?? DEFAULT_CHUNK_BUDGET;
  for (const map of MAP_KINDS) {
    let entries: [string, readonly unknown[]][] = [];
    let cost = 0;
    for (const entry of delta.changed[map]) {
      entries.push(entry);
      cost += 1 + 3 * entry[1].length;
      if (cost >= budget) {
        // The map kind fixes the value type (string[] for a/aaaa, SrvRecord[] for srv).
        yield { kind: map, entries } as RecordChunk;
        entries = [];
        cost = 0;
      }
    }
    if (entries.length > 0) yield { kind: map, entries } as RecordChunk;
    for (let i = 0; i < delta.removed[map].length; i += budget) {
      yield { kind: 'remove', map, names: delta.removed[map].slice(i, i + budget) };
    }
  }
  if (options.enumeration === false) return;
  for (const fragment of set.enumerationJson ?? enumerationJson(set.enumeration)) {
    yield { kind: 'enumjson', fragment };
  }
}

/** Rebuilds a set from a header and its chunks, on the receiving side. */
export class RecordSetAssembler {
  readonly #header: RecordSetHeader;
  readonly #a = new Map<string, readonly string[]>();
  readonly #aaaa = new Map<string, readonly string[]>();
  readonly #srv = new Map<string, readonly SrvRecord[]>();
  readonly #enumerationJson: string[] = [];
  /** For a delta: the set in service, and the changes and removals laid over it at the end. */
  readonly #base: RecordSet | null;
  readonly #removed: Record<MapKind, string[]> = { a: [], aaaa: [], srv: [] };

  /** `base` is the set in service; a delta header (`header.base`) requires it. */
  constructor(header: RecordSetHeader, base: RecordSet | null = null) {
    this.#header = header;
    if (header.base !== undefined && base === null) {
      throw new Error(
        'record transfer: a delta arrived, but there is no set in service to apply it to',
      );
    }
    this.#base = header.base === undefined ? null : base;
  }

  add(chunk: RecordChunk): void {
    switch (chunk.kind) {
      case 'a':
      case 'aaaa': {
        const map = chunk.kind === 'a' ? this.#a : this.#aaaa;
        for (const [name, values] of chunk.entries) map.set(name, values);
        break;
      }
      case 'srv':
        for (const [name, values] of chunk.entries) this.#srv.set(name, values);
        break;
      case 'enumjson':
        this.#enumerationJson.push(chunk.fragment);
        break;
      case 'remove':
        for (const name of chunk.names) this.#removed[chunk.map].push(name);
        break;
    }
  }

  /** A full transfer's maps as received; a delta's laid over the base set's (no copying). */
  #maps(): Pick<RecordSet, 'a' | 'aaaa' | 'srv'> {
    const base = this.#base;
    if (base === null) return { a: this.#a, aaaa: this.#aaaa, srv: this.#srv };
    return {
      a: overlay(base.a, this.#a, this.#removed.a),
      aaaa: overlay(base.aaaa, this.#aaaa, this.#removed.aaaa),
      srv: overlay(base.srv, this.#srv, this.#removed.srv),
    };
  }

  finish(): RecordSet {
    const h = this.#header;
    return {
      domain: h.domain,
      leader: h.leader,
      counts: h.counts,
      ...this.#maps(),
      enumeration: [],
      emptyNonTerminals: new Set(h.emptyNonTerminals),
      recordCounts: h.recordCounts,
      ...(h.serial !== undefined ? { serial: h.serial } : {}),
      // Sets sent without their enumeration (to DNS threads) serve no /v1/enumerate.
      ...(this.#enumerationJson.length > 0 ? { enumerationJson: this.#enumerationJson } : {}),
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
  for (const kind of ['a', 'aaaa'] as const) {
    hash.update(`#${kind}\n`);
    for (const [name, values] of set[kind]) hash.update(`${name} ${values.join(' ')}\n`);
  }
  hash.update('#srv\n');
  for (const [name, values] of set.srv) {
    let line = name;
    for (const v of values) line += ` ${v.target}:${v.port}:${v.priority}:${v.weight}`;
    hash.update(`${line}\n`);
  }
  hash.update('#enum\n');
  for (const framework of set.enumeration) {
    hash.update(`F ${framework.frameworkname}\n`);
    for (const task of framework.tasks) {
      let line = `T ${task.id} ${task.name}`;
      for (const field of task.records) line += ` ${field}`;
      hash.update(`${line}\n`);
    }
  }
  return hash.digest('hex');
}
