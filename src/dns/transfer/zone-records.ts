// A zone as transfers see it: an apex with its SOA and NS, and records by owner name. The cluster
// domain is one (the A, AAAA and SRV maps of its RecordSet); with ptron the reverse trees
// in-addr.arpa. and ip6.arpa. are others (the PTR map's names under each). The journal's versions
// are the differences between successive record sets.
import type { RecordSet, SrvRecord } from '../../records/recordset.ts';
import { mapDelta } from '../../transfer/record-transfer.ts';
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

/** How two values of an RRset are told apart: a key for sets of them, and a direct comparison. */
interface ValueIdentity<V> {
  readonly keyOf: (v: V) => string;
  readonly same: (x: V, y: V) => boolean;
}

const ipIdentity: ValueIdentity<string> = { keyOf: ipKey, same: (x, y) => x === y };
const srvIdentity: ValueIdentity<SrvRecord> = {
  keyOf: srvKey,
  same: (x, y) =>
    x.port === y.port &&
    x.priority === y.priority &&
    x.weight === y.weight &&
    x.target === y.target,
};

/** RRsets up to this many values (nearly all) are compared pairwise, allocating nothing. */
const PAIRWISE = 16;

/** The values of `from` (each once) that `other` lacks, as records of `name`, onto `out`. */
function pushMissing<V>(
  name: string,
  from: readonly V[],
  other: readonly V[],
  id: ValueIdentity<V>,
  record: (name: string, v: V) => ZoneRecord,
  out: ZoneRecord[],
): void {
  if (from.length + other.length <= PAIRWISE) {
    next: for (let i = 0; i < from.length; i++) {
      const v = from[i]!;
      for (let j = 0; j < i; j++) if (id.same(from[j]!, v)) continue next;
      for (const w of other) if (id.same(w, v)) continue next;
      out.push(record(name, v));
    }
    return;
  }
  const otherKeys = new Set(other.map(id.keyOf));
  for (const v of distinct(from, id.keyOf)) {
    if (!otherKeys.has(id.keyOf(v))) out.push(record(name, v));
  }
}

/**
 * The records of one map that differ between two versions. The names to look at come from
 * mapDelta (transfer/record-transfer.ts): for a full set replacing another, two packed maps are
 * compared as bytes and only the names that differ are decoded; for a set built as a delta, only
 * the overlay's names. Each such name's values are then compared record by record.
 */
function diffMap<V>(
  before: ReadonlyMap<string, readonly V[]>,
  after: ReadonlyMap<string, readonly V[]>,
  id: ValueIdentity<V>,
  record: (name: string, v: V) => ZoneRecord,
  out: { deleted: ZoneRecord[]; added: ZoneRecord[] },
  inZone: (name: string) => boolean = () => true,
): void {
  const changed: [string, readonly unknown[]][] = [];
  const removed: string[] = [];
  mapDelta(before, after, changed, removed);
  for (const [name, values] of changed) {
    if (!inZone(name)) continue;
    const now = values as readonly V[];
    const old = before.get(name) ?? [];
    pushMissing(name, old, now, id, record, out.deleted);
    pushMissing(name, now, old, id, record, out.added);
  }
  for (const name of removed) {
    if (!inZone(name)) continue;
    pushMissing(name, before.get(name) ?? [], [], id, record, out.deleted);
  }
}

/** What changed from `before` to `after`, record by record. */
export function diffSets(before: RecordSet, after: RecordSet): ZoneDiff {
  const out = { deleted: [] as ZoneRecord[], added: [] as ZoneRecord[] };
  diffMap(before.a, after.a, ipIdentity, (name, ip) => ({ name, type: TYPE_A, ip }), out);
  diffMap(before.aaaa, after.aaaa, ipIdentity, (name, ip) => ({ name, type: TYPE_AAAA, ip }), out);
  diffMap(before.srv, after.srv, srvIdentity, (name, srv) => ({ name, type: TYPE_SRV, srv }), out);
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
      diffMap(before.ptr, after.ptr, ipIdentity, ptr, out, inZone);
      return out;
    },
    names(set) {
      let n = 0;
      for (const name of set.ptr.keys()) if (inZone(name)) n++;
      return n;
    },
  };
}
