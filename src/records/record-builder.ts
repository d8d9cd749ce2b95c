// Accumulates A, AAAA and SRV records during one generation, keeping each name's values unique
// and in first-seen order (mesos-dns's rrs.add). Cheap for the usual one-to-few values per name.
import type { ParsedIp } from '../net/ip.ts';
import type { SrvRecord } from './recordset.ts';

/** Up to this many values a name is deduplicated by scanning; past it, by a Set. */
const SCAN_LIMIT = 64;

/**
 * Where generation puts records. The add methods return 0 when the record was already there,
 * else 1 + the position of its value under its name (a sink that does not keep positions, 1):
 * the enumeration refers to records by name and position (enumeration.ts).
 */
export interface RecordSink {
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

interface Held {
  readonly record: ParsedIp | SrvRecord;
  readonly served: (at: number) => void;
}

export function isSrv(record: ParsedIp | SrvRecord): record is SrvRecord {
  return 'target' in record;
}

export class RecordBuilder implements RecordSink {
  readonly a = new Map<string, string[]>();
  readonly aaaa = new Map<string, string[]>();
  readonly srv = new Map<string, SrvRecord[]>();
  /** Reverse name → canonical task names (pod tasks share an address: several). */
  readonly ptr = new Map<string, string[]>();
  // Sets only for names with many values (an app with hundreds of instances).
  readonly #seenA = new Map<string, Set<string>>();
  readonly #seenAAAA = new Map<string, Set<string>>();
  readonly #seenSrv = new Map<string, Set<string>>();
  /** onlyHealthy: the held records of unhealthy tasks, by name. */
  readonly #held = new Map<string, Held[]>();

  hold(name: string, record: ParsedIp | SrvRecord, served: (at: number) => void): void {
    const held = this.#held.get(name);
    if (held === undefined) this.#held.set(name, [{ record, served }]);
    else held.push({ record, served });
  }

  /**
   * After every task: a held record whose name and type healthy tasks answer is dropped; where
   * only unhealthy tasks stand behind a name's records of a type, they all answer (no answer is
   * worse than a sick one). Returns those fail-open names, sorted.
   */
  releaseHeld(): string[] {
    const failOpen = new Set<string>();
    for (const [name, held] of this.#held) {
      const hadA = this.a.has(name);
      const hadAAAA = this.aaaa.has(name);
      const hadSrv = this.srv.has(name);
      for (const h of held) {
        const r = h.record;
        const had = isSrv(r) ? hadSrv : r.family === 4 ? hadA : hadAAAA;
        if (had) continue;
        failOpen.add(name);
        const added = isSrv(r) ? this.addSrv(name, r) : this.addAddress(name, r);
        if (added > 0) h.served(added - 1);
      }
    }
    this.#held.clear();
    return [...failOpen].sort();
  }

  /** Adds `ip` under `name` in the map of its family; 0 when it was there, else 1 + its position. */
  addAddress(name: string, ip: ParsedIp): number {
    const v4 = ip.family === 4;
    const map = v4 ? this.a : this.aaaa;
    const address = ip.address;
    const values = map.get(name);
    if (values === undefined) {
      map.set(name, [address]);
      return 1;
    }
    const n = values.length;
    if (n < SCAN_LIMIT) {
      for (let i = 0; i < n; i++) if (values[i] === address) return 0;
      if (n === SCAN_LIMIT - 1)
        (v4 ? this.#seenA : this.#seenAAAA).set(name, new Set(values).add(address));
    } else {
      const seen = (v4 ? this.#seenA : this.#seenAAAA).get(name)!;
      if (seen.has(address)) return 0;
      seen.add(address);
    }
    return values.push(address);
  }

  /** Adds a PTR `reverse` → `target`; false when it was there. Few tasks share an address. */
  addPtr(reverse: string, target: string): boolean {
    const values = this.ptr.get(reverse);
    if (values === undefined) {
      this.ptr.set(reverse, [target]);
      return true;
    }
    if (values.includes(target)) return false;
    values.push(target);
    return true;
  }

  /**
   * Adds `record` under `name`; 0 when a record with its target and port was there, else 1 + its
   * position.
   */
  addSrv(name: string, record: SrvRecord): number {
    const values = this.srv.get(name);
    if (values === undefined) {
      this.srv.set(name, [record]);
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
        this.#seenSrv.set(name, seen.add(srvKey(record)));
      }
    } else {
      const seen = this.#seenSrv.get(name)!;
      const key = srvKey(record);
      if (seen.has(key)) return 0;
      seen.add(key);
    }
    return values.push(record);
  }
}

function srvKey(r: SrvRecord): string {
  return `${r.port} ${r.target}`;
}
