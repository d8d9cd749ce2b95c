// Accumulates A, AAAA and SRV records during one generation, keeping each name's values unique
// and in first-seen order (mesos-dns's rrs.add). Cheap for the usual one-to-few values per name.
// RecordBuilder keeps them in JS Maps; records/packing-builder.ts writes the same maps packed,
// with the same rules (and these maps for one it cannot pack).
import type { ParsedIp } from '../net/ip.ts';
import type { RecordSet, SrvRecord } from './recordset.ts';

/** Up to this many values a name is deduplicated by scanning; past it, by a Set. */
export const SCAN_LIMIT = 64;

/**
 * Where generation puts records. The add methods return 0 when the record was already there,
 * else 1 + the position of its value under its name (a sink that does not keep positions, 1):
 * the enumeration refers to records by name and position (enumeration.ts).
 */
export interface RecordSink {
  /**
   * The entry number of the name the last add returning > 0 added to, in its map (names
   * numbered in first-insertion order, as a packed map numbers its entries), or -1 where it does
   * not know; absent in sinks that number no entries. The enumeration records it so that it
   * never holds the names as strings (records/enumeration.ts).
   */
  readonly lastEntry?: number;
  addAddress(name: string, ip: ParsedIp): number;
  addSrv(name: string, record: SrvRecord): number;
  addPtr(reverse: string, target: string): boolean;
  /**
   * onlyHealthy: a record an unhealthy task gives a name it shares with other instances. The
   * sink serves it only while no healthy task gives the name a record of that type (fail open);
   * `served` runs when it does, with its value's position (generate() lists it in the task's
   * enumeration then).
   */
  hold(name: string, record: ParsedIp | SrvRecord, served: (at: number) => void): void;
}

/** The four maps a whole generation builds (generate()), and what the builder knows of them. */
export type BuiltMaps = Pick<RecordSet, 'a' | 'aaaa' | 'srv' | 'ptr'> &
  Partial<Pick<RecordSet, 'emptyNonTerminals' | 'recordCounts'>>;

/** A sink generate() fills with a whole state's records, then finishes. */
export interface SetBuilder extends RecordSink {
  /** After every task: serves the held records that must (`HeldRecords`); the fail-open names. */
  releaseHeld(): string[];
  finish(): BuiltMaps;
}

/** Record types by map: what `HeldRecords.release` asks a sink about. */
export const MAP_A = 0;
export const MAP_AAAA = 1;
export const MAP_SRV = 2;
export type HeldMap = typeof MAP_A | typeof MAP_AAAA | typeof MAP_SRV;

interface Held {
  readonly record: ParsedIp | SrvRecord;
  readonly served: (at: number) => void;
}

export function isSrv(record: ParsedIp | SrvRecord): record is SrvRecord {
  return 'target' in record;
}

/** onlyHealthy: the held records of unhealthy tasks, by name, in the order they came. */
export class HeldRecords {
  readonly #held = new Map<string, Held[]>();

  hold(name: string, record: ParsedIp | SrvRecord, served: (at: number) => void): void {
    const held = this.#held.get(name);
    if (held === undefined) this.#held.set(name, [{ record, served }]);
    else held.push({ record, served });
  }

  /**
   * After every task: a held record whose name and type healthy tasks answer is dropped; where
   * only unhealthy tasks stand behind a name's records of a type, they all answer (no answer is
   * worse than a sick one), added to `sink`. Returns those fail-open names, sorted.
   */
  release(sink: RecordSink & { has(map: HeldMap, name: string): boolean }): string[] {
    const failOpen = new Set<string>();
    for (const [name, held] of this.#held) {
      const hadA = sink.has(MAP_A, name);
      const hadAAAA = sink.has(MAP_AAAA, name);
      const hadSrv = sink.has(MAP_SRV, name);
      for (const h of held) {
        const r = h.record;
        const had = isSrv(r) ? hadSrv : r.family === 4 ? hadA : hadAAAA;
        if (had) continue;
        failOpen.add(name);
        const added = isSrv(r) ? sink.addSrv(name, r) : sink.addAddress(name, r);
        if (added > 0) h.served(added - 1);
      }
    }
    this.#held.clear();
    return [...failOpen].sort();
  }
}

/** One map of text values (A, AAAA, PTR) as a JS Map, each name's values unique. */
export class TextValues {
  readonly map = new Map<string, string[]>();
  // Sets only for names with many values (an app with hundreds of instances).
  readonly #seen = new Map<string, Set<string>>();

  /** Adds `value` under `name`; 0 when it was there, else 1 + its position under the name. */
  add(name: string, value: string): number {
    const values = this.map.get(name);
    if (values === undefined) {
      this.map.set(name, [value]);
      return 1;
    }
    const n = values.length;
    if (n < SCAN_LIMIT) {
      for (let i = 0; i < n; i++) if (values[i] === value) return 0;
      if (n === SCAN_LIMIT - 1) this.#seen.set(name, new Set(values).add(value));
    } else {
      const seen = this.#seen.get(name)!;
      if (seen.has(value)) return 0;
      seen.add(value);
    }
    return values.push(value);
  }
}

/** The SRV map as a JS Map: one record per target and port under each name. */
export class SrvValues {
  readonly map = new Map<string, SrvRecord[]>();
  readonly #seen = new Map<string, Set<string>>();

  /** Adds `record` under `name`; 0 when one with its target and port was there, else 1 + its position. */
  add(name: string, record: SrvRecord): number {
    const values = this.map.get(name);
    if (values === undefined) {
      this.map.set(name, [record]);
      return 1;
    }
    const n = values.length;
    if (n < SCAN_LIMIT) {
      const { port, target } = record;
      for (let i = 0; i < n; i++) {
        const v = values[i]!;
        if (v === record || (v.port === port && v.target === target)) return 0;
      }
      if (n === SCAN_LIMIT - 1) {
        const seen = new Set<string>();
        for (const v of values) seen.add(srvKey(v));
        this.#seen.set(name, seen.add(srvKey(record)));
      }
    } else {
      const seen = this.#seen.get(name)!;
      const key = srvKey(record);
      if (seen.has(key)) return 0;
      seen.add(key);
    }
    return values.push(record);
  }
}

export class RecordBuilder implements SetBuilder {
  readonly #a = new TextValues();
  readonly #aaaa = new TextValues();
  readonly #srv = new SrvValues();
  /** Reverse name → canonical task names (pod tasks share an address: several). */
  readonly #ptr = new TextValues();
  readonly #held = new HeldRecords();

  get a(): Map<string, string[]> {
    return this.#a.map;
  }

  get aaaa(): Map<string, string[]> {
    return this.#aaaa.map;
  }

  get srv(): Map<string, SrvRecord[]> {
    return this.#srv.map;
  }

  get ptr(): Map<string, string[]> {
    return this.#ptr.map;
  }

  hold(name: string, record: ParsedIp | SrvRecord, served: (at: number) => void): void {
    this.#held.hold(name, record, served);
  }

  /** HeldRecords.release: the fail-open names, sorted. */
  releaseHeld(): string[] {
    return this.#held.release(this);
  }

  has(map: HeldMap, name: string): boolean {
    return (map === MAP_A ? this.a : map === MAP_AAAA ? this.aaaa : this.srv).has(name);
  }

  /** Adds `ip` under `name` in the map of its family; 0 when it was there, else 1 + its position. */
  addAddress(name: string, ip: ParsedIp): number {
    return (ip.family === 4 ? this.#a : this.#aaaa).add(name, ip.address);
  }

  /** Adds a PTR `reverse` → `target`; false when it was there. */
  addPtr(reverse: string, target: string): boolean {
    return this.#ptr.add(reverse, target) > 0;
  }

  /**
   * Adds `record` under `name`; 0 when a record with its target and port was there, else 1 + its
   * position.
   */
  addSrv(name: string, record: SrvRecord): number {
    return this.#srv.add(name, record);
  }

  finish(): BuiltMaps {
    return { a: this.a, aaaa: this.aaaa, srv: this.srv, ptr: this.ptr };
  }
}

export function srvKey(r: SrvRecord): string {
  return `${r.port} ${r.target}`;
}
