// The immutable product of one state load: every name the server answers authoritatively.
// Generated off the query path, then swapped in whole; readers never see a half-built set.

export interface SrvRecord {
  /** Absolute, lower-case target name with trailing dot. */
  readonly target: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

/** One record as mesos-dns's /v1/enumerate lists it. */
export interface EnumerationRecord {
  readonly name: string;
  readonly host: string;
  readonly rtype: 'A' | 'AAAA' | 'SRV';
}

export interface EnumerationTask {
  readonly name: string;
  readonly id: string;
  /**
   * The task's records as flat triples: rtype, name, host, rtype, name, host, ... One array per
   * task instead of an object per record: at 50,000 tasks that is 550,000 fewer allocations per
   * generation. `enumerationRecords` (enumeration-json.ts) gives them as EnumerationRecords.
   */
  readonly records: readonly string[];
}

export interface EnumerationFramework {
  readonly frameworkname: string;
  readonly tasks: readonly EnumerationTask[];
}

export interface RecordCounts {
  readonly a: number;
  readonly aaaa: number;
  readonly srv: number;
  readonly ptr: number;
}

/** The three record maps of a set, by name. */
export type RecordMapKind = 'a' | 'aaaa' | 'srv' | 'ptr';

/**
 * How one set differs from another, name by name: found by comparing two sets
 * (transfer/record-transfer.ts) or kept as entities change (records/incremental.ts), and sent
 * over the transfer channel in place of the whole set.
 */
export interface RecordDelta {
  /** Names whose values changed or are new, with their values now. */
  readonly changed: Readonly<Record<RecordMapKind, [string, readonly unknown[]][]>>;
  /** Names that no longer have records of that type. */
  readonly removed: Readonly<Record<RecordMapKind, string[]>>;
  /** Changed plus removed names. */
  readonly size: number;
}

export interface RecordSet {
  /** Lower-case, no trailing dot, e.g. "mesos". */
  readonly domain: string;
  /** Owner names are absolute, lower-case, with the trailing dot: "web.marathon.mesos.". */
  readonly a: ReadonlyMap<string, readonly string[]>;
  readonly aaaa: ReadonlyMap<string, readonly string[]>;
  readonly srv: ReadonlyMap<string, readonly SrvRecord[]>;
  /**
   * Config ptron: reverse names ("4.3.2.1.in-addr.arpa.", nibbles under "ip6.arpa.") of task
   * addresses from the container → the canonical names of the tasks that own them.
   */
  readonly ptr: ReadonlyMap<string, readonly string[]>;
  /** Leading master as "ip:port" ("" when unknown). */
  readonly leader: string;
  /** Empty in sets from the load worker, which keeps it and renders /v1/enumerate when asked. */
  readonly enumeration: readonly EnumerationFramework[];
  /**
   * Empty non-terminals (records/empty-non-terminals.ts), found by the load worker. When absent
   * (sets built in code), the DNS layer finds them itself on first use.
   */
  readonly emptyNonTerminals?: ReadonlySet<string>;
  /**
   * onlyHealthy: names answered although every task behind them is unhealthy (fail open),
   * sorted; absent when there are none.
   */
  readonly failOpen?: readonly string[];
  /** Values per type (records/record-counts.ts), counted by the load worker. */
  readonly recordCounts?: RecordCounts;
  readonly counts: { readonly tasks: number; readonly frameworks: number; readonly agents: number };
  /**
   * The zone's SOA serial: the Unix time of the load that made this set, and always larger than
   * the serial of the set it replaced (store.ts `nextSerial`). Stamped once, when the main
   * thread's RecordStore swaps the set in; it travels with the set to DNS threads, so every
   * thread and /v1/config show the same one. Absent on sets not yet in service.
   */
  readonly serial?: number;
}
