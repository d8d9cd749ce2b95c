// The zone's recent history for IXFR (RFC 1995): the version in service and, per earlier
// version still held, the records deleted and added on the way to the next. Bounded in versions
// and in records, so a busy cluster's churn cannot grow it without limit.
import type { RecordSet } from '../../records/recordset.ts';
import { diffSets, type ZoneDiff, type ZoneRecord } from './zone-records.ts';

export interface JournalEntry {
  readonly fromSerial: number;
  readonly toSerial: number;
  readonly deleted: readonly ZoneRecord[];
  readonly added: readonly ZoneRecord[];
}

export interface JournalLimits {
  /** Versions kept; a secondary further behind gets the whole zone. */
  readonly versions: number;
  /** Changed records kept across all versions. */
  readonly records: number;
}

export const DEFAULT_JOURNAL_LIMITS: JournalLimits = { versions: 100, records: 500_000 };

/** RFC 1982 serial arithmetic: is `a` later than `b`? */
export function serialNewer(a: number, b: number): boolean {
  const d = (a - b) >>> 0;
  return d !== 0 && d < 0x80000000;
}

export type IxfrPlan =
  | { readonly kind: 'current' }
  | { readonly kind: 'diff'; readonly entries: readonly JournalEntry[] }
  | { readonly kind: 'full' };

export class ZoneJournal {
  readonly #limits: JournalLimits;
  readonly #entries: JournalEntry[] = [];
  #records = 0;
  readonly #diff: (before: RecordSet, after: RecordSet) => ZoneDiff;
  #set: RecordSet | null = null;
  #serial = 0;

  /** `diff` finds what changed in this zone between two sets (default: the cluster domain's). */
  constructor(
    limits: JournalLimits = DEFAULT_JOURNAL_LIMITS,
    diff: (before: RecordSet, after: RecordSet) => ZoneDiff = diffSets,
  ) {
    this.#limits = limits;
    this.#diff = diff;
  }

  get set(): RecordSet | null {
    return this.#set;
  }

  get serial(): number {
    return this.#serial;
  }

  /** Versions a client can be brought up from by IXFR. */
  get versions(): number {
    return this.#entries.length;
  }

  /** Takes `set` as the new version with `serial` (which must be later than the last). */
  advance(set: RecordSet, serial: number): void {
    const previous = this.#set;
    if (previous !== null && serial !== this.#serial && this.#limits.versions > 0) {
      if (!serialNewer(serial, this.#serial)) {
        // Never expected (serials only grow); the history no longer leads here, so drop it.
        this.#entries.length = 0;
        this.#records = 0;
      } else {
        const diff = this.#diff(previous, set);
        this.#entries.push({ fromSerial: this.#serial, toSerial: serial, ...diff });
        this.#records += diff.deleted.length + diff.added.length;
        this.#trim();
      }
    }
    this.#set = set;
    this.#serial = serial;
  }

  #trim(): void {
    while (
      this.#entries.length > 0 &&
      (this.#entries.length > this.#limits.versions || this.#records > this.#limits.records)
    ) {
      const gone = this.#entries.shift()!;
      this.#records -= gone.deleted.length + gone.added.length;
    }
  }

  /**
   * How to answer an IXFR from a client at `clientSerial` (RFC 1995 §2): the SOA alone when it is
   * current (or claims a later serial), the versions since, or the whole zone when its version
   * is no longer held or the differences would outweigh the zone (`zoneRecords`).
   */
  plan(clientSerial: number, zoneRecords: number): IxfrPlan {
    if (clientSerial === this.#serial || serialNewer(clientSerial, this.#serial)) {
      return { kind: 'current' };
    }
    const from = this.#entries.findIndex((e) => e.fromSerial === clientSerial);
    if (from < 0) return { kind: 'full' };
    const entries = this.#entries.slice(from);
    let changed = 0;
    for (const e of entries) changed += e.deleted.length + e.added.length;
    return changed > zoneRecords ? { kind: 'full' } : { kind: 'diff', entries };
  }
}
