// A zone as transfers see it: an apex with its SOA and NS, and records by owner name. The cluster
// domain is one (the A, AAAA and SRV maps of its RecordSet); with ptron the reverse trees
// in-addr.arpa. and ip6.arpa. are others (the PTR map's names under each). The journal's versions
// are the differences between successive record sets.
import { OverlayMap } from '../../records/overlay-map.ts';
import type { RecordSet, SrvRecord } from '../../records/recordset.ts';
import { TYPE_A, TYPE_AAAA, TYPE_PTR, TYPE_SRV } from '../wire.ts';

/** One resource record of the zone other than its SOA and NS. */
export type ZoneRecord =
  | { readonly name: string; readonly type: typeof TYPE_A | typeof TYPE_AAAA; readonly ip: string }
  | { readonly name: string; readonly type: typeof TYPE_SRV; readonly srv: SrvRecord }
  | { readonly name: string; readonly type: typeof TYPE_PTR; readonly target: string };

/** Records added and deleted between two versions of a zone. */
export interface ZoneDiff {
  readonly deleted: readonly ZoneRecord[];
  readonly added: readonly ZoneRecord[];
}

function srvKey(srv: SrvRecord): string {
  return `${srv.priority} ${srv.weight} ${srv.port} ${srv.target}`;
}

/** Distinct values of an RRset: a set never holds a record twice (RFC 2181 §5). */
function distinct<T>(values: readonly T[], keyOf: (v: T) => string): T[] {
  if (values.length < 2) return values.slice();
  const seen = new Set<string>();
  const out: T[] = [];
  for (const v of values) {
    const k = keyOf(v);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(v);
  }
  return out;
}

const ipKey = (ip: string): string => ip;

/** Every record of `set` in a stable order: names as the set holds them, A, AAAA, then SRV. */
export function* zoneRecords(set: RecordSet): Generator<ZoneRecord> {
  for (const [name, ips] of set.a) {
    for (const ip of distinct(ips, ipKey)) yield { name, type: TYPE_A, ip };
  }
  for (const [name, ips] of set.aaaa) {
    for (const ip of distinct(ips, ipKey)) yield { name, type: TYPE_AAAA, ip };
  }
  for (const [name, srvs] of set.srv) {
    for (const srv of distinct(srvs, srvKey)) yield { name, type: TYPE_SRV, srv };
  }
}

/**
 * Names whose values may differ between `before` and `after`. When `after` was laid over
 * `before` (or both over the same base) only the overlay's names can differ; otherwise every
 * name of both.
 */
function candidates<V>(
  before: ReadonlyMap<string, V>,
  after: ReadonlyMap<string, V>,
): Iterable<string> {
  if (before === after) return [];
  const overlayNames = (m: OverlayMap<unknown>): string[] => [...m.changed.keys(), ...m.removed];
  const a: unknown = after;
  const b: unknown = before;
  if (a instanceof OverlayMap) {
    if (a.base === before) return overlayNames(a);
    if (b instanceof OverlayMap && b.base === a.base) {
      return new Set([...overlayNames(a), ...overlayNames(b)]);
    }
  }
  if (b instanceof OverlayMap && b.base === after) return overlayNames(b);
  return new Set([...before.keys(), ...after.keys()]);
}

function diffMap<V>(
  before: ReadonlyMap<string, readonly V[]>,
  after: ReadonlyMap<string, readonly V[]>,
  keyOf: (v: V) => string,
  record: (name: string, v: V) => ZoneRecord,
  out: { deleted: ZoneRecord[]; added: ZoneRecord[] },
  inZone: (name: string) => boolean = () => true,
): void {
  for (const name of candidates(before, after)) {
    if (!inZone(name)) continue;
    const old = before.get(name) ?? [];
    const now = after.get(name) ?? [];
    if (old === now) continue;
    const oldKeys = new Set(old.map(keyOf));
    const nowKeys = new Set(now.map(keyOf));
    for (const v of distinct(old, keyOf)) {
      if (!nowKeys.has(keyOf(v))) out.deleted.push(record(name, v));
    }
    for (const v of distinct(now, keyOf)) {
      if (!oldKeys.has(keyOf(v))) out.added.push(record(name, v));
    }
  }
}

/** What changed from `before` to `after`, record by record. */
export function diffSets(before: RecordSet, after: RecordSet): ZoneDiff {
  const out = { deleted: [] as ZoneRecord[], added: [] as ZoneRecord[] };
  diffMap(before.a, after.a, ipKey, (name, ip) => ({ name, type: TYPE_A, ip }), out);
  diffMap(before.aaaa, after.aaaa, ipKey, (name, ip) => ({ name, type: TYPE_AAAA, ip }), out);
  diffMap(before.srv, after.srv, srvKey, (name, srv) => ({ name, type: TYPE_SRV, srv }), out);
  return out;
}

/** What a zone holds of a record set: its records, their differences, its size in names. */
export interface ZoneContent {
  records(set: RecordSet): Iterable<ZoneRecord>;
  diff(before: RecordSet, after: RecordSet): ZoneDiff;
  /** Owner names, to weigh an IXFR against the whole zone. */
  names(set: RecordSet): number;
}

/** The cluster domain: every A, AAAA and SRV record of the set. */
export const clusterContent: ZoneContent = {
  records: zoneRecords,
  diff: diffSets,
  names: (set) => set.a.size + set.aaaa.size + set.srv.size,
};

/** A reverse tree ("in-addr.arpa.", "ip6.arpa."): the PTR records of the set's names under it. */
export function reverseContent(apexKey: string): ZoneContent {
  const suffix = `.${apexKey}`;
  const inZone = (name: string): boolean => name.endsWith(suffix);
  const ptr = (name: string, target: string): ZoneRecord => ({ name, type: TYPE_PTR, target });
  return {
    *records(set) {
      for (const [name, targets] of set.ptr) {
        if (!inZone(name)) continue;
        for (const target of distinct(targets, ipKey)) yield ptr(name, target);
      }
    },
    diff(before, after) {
      const out = { deleted: [] as ZoneRecord[], added: [] as ZoneRecord[] };
      diffMap(before.ptr, after.ptr, ipKey, ptr, out, inZone);
      return out;
    },
    names(set) {
      let n = 0;
      for (const name of set.ptr.keys()) if (inZone(name)) n++;
      return n;
    },
  };
}
