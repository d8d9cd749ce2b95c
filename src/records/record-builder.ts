// Accumulates A, AAAA and SRV records during one generation, keeping each name's values unique
// and in first-seen order (mesos-dns's rrs.add). Cheap for the usual one-to-few values per name.
import type { ParsedIp } from './ip.ts';
import type { SrvRecord } from './recordset.ts';

/** Past this many values a name gets a Set, so thousands of instances stay linear. */
const SCAN_LIMIT = 16;

export class RecordBuilder {
  readonly a = new Map<string, string[]>();
  readonly aaaa = new Map<string, string[]>();
  readonly srv = new Map<string, SrvRecord[]>();
  readonly #seen = new Map<string, Set<string>>();

  /** Adds `ip` under `name` in the map of its family; false when it was already there. */
  addAddress(name: string, ip: ParsedIp): boolean {
    const map = ip.family === 4 ? this.a : this.aaaa;
    const values = map.get(name);
    if (values === undefined) {
      map.set(name, [ip.address]);
      return true;
    }
    if (!this.#isNew(values, ip.address, ip.family === 4 ? 'a ' + name : 'q ' + name, (v) => v)) {
      return false;
    }
    values.push(ip.address);
    return true;
  }

  /** Adds `record` under `name`; false when a record with its target and port was there. */
  addSrv(name: string, record: SrvRecord): boolean {
    const values = this.srv.get(name);
    if (values === undefined) {
      this.srv.set(name, [record]);
      return true;
    }
    if (!this.#isNew(values, srvKey(record), 's ' + name, srvKey)) return false;
    values.push(record);
    return true;
  }

  #isNew<T>(values: readonly T[], key: string, setKey: string, keyOf: (v: T) => string): boolean {
    if (values.length < SCAN_LIMIT) {
      for (const v of values) if (keyOf(v) === key) return false;
      if (values.length < SCAN_LIMIT - 1) return true;
    }
    let seen = this.#seen.get(setKey);
    if (seen === undefined) {
      seen = new Set(values.map(keyOf));
      this.#seen.set(setKey, seen);
    }
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  }
}

function srvKey(r: SrvRecord): string {
  return `${r.target}:${r.port}`;
}
