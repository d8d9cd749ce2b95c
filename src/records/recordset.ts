// The immutable product of one state load: every name the server answers authoritatively.
// Generated off the query path, then swapped in whole; readers never see a half-built set.

export interface SrvRecord {
  /** Absolute, lower-case target name with trailing dot. */
  readonly target: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

/**
 * /v1/enumerate's content: every framework (raw name) with its served tasks, each with the A, AAAA
 * and SRV records it added, in generation order. Compact: a record is a type, its name and the
 * position of its value under that name, and its "host" is that value (an address, or an SRV
 * value's "target:port"); once the set is packed its name is the entry index in the packed map
 * of its type. So at 200,000 tasks it is a few typed arrays and one string (~35 MB) instead of
 * ~190 MB of JS objects. Built by records/enumeration.ts, rendered by enumeration-json.ts.
 */
export interface Enumeration {
  /** Framework names as the state gives them, in state order. */
  readonly frameworks: readonly string[];
  /** Framework f's tasks are [frameworkTasks[f], frameworkTasks[f + 1]). */
  readonly frameworkTasks: Uint32Array;
  /** Every task's name and id, one after the other. */
  readonly text: string;
  /** Task t's name is text [textAt[2t], textAt[2t + 1]), its id [textAt[2t + 1], textAt[2t + 2]). */
  readonly textAt: Uint32Array;
  /** Task t's records are [taskRecords[t], taskRecords[t + 1]). */
  readonly taskRecords: Uint32Array;
  /** Record r: its value's position under its name × 4 + its type (EnumerationType). */
  readonly records: Uint32Array;
  /**
   * Record r's name: the name itself, or, once the set's A, AAAA and SRV maps are packed
   * (withIndexedEnumeration), its entry index in the packed map of its type.
   */
  readonly names: readonly string[] | Uint32Array;
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
  /**
   * Absent from sets that crossed from the load worker, which keeps it and renders /v1/enumerate
   * when asked.
   */
  readonly enumeration?: Enumeration;
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
