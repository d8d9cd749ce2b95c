// Builds the compact /v1/enumerate content (recordset.ts `Enumeration`) during generation: a
// record is its type, its name and the position of its value under that name (what RecordSink's
// add methods return), so no "host" string is made per record and no array per task. Generated
// packed (the load worker), names are their entry numbers in the packed maps from the start, and
// the enumeration is typed arrays and one string; generated into JS maps and packed afterwards,
// `withIndexedEnumeration` gives the same form. enumeration-json.ts renders it against the maps.
import { isPacked, type PackedRecordMap } from './packed-map.ts';
import type { Enumeration, RecordSet, SrvRecord } from './recordset.ts';

/** A set's A, AAAA and SRV maps, by EnumerationType. */
type TypeMaps = readonly [
  ReadonlyMap<string, readonly unknown[]>,
  ReadonlyMap<string, readonly unknown[]>,
  ReadonlyMap<string, readonly unknown[]>,
];

/** A record's type in `Enumeration.records`, also the index of its map in [a, aaaa, srv]. */
export type EnumerationType = 0 | 1 | 2;
export const ENUM_A = 0;
export const ENUM_AAAA = 1;
export const ENUM_SRV = 2;
/** By EnumerationType: the rtype /v1/enumerate shows. */
export const ENUM_RTYPES = ['A', 'AAAA', 'SRV'] as const;

/** A Uint32Array that grows as values are pushed. */
class Uint32List {
  #a = new Uint32Array(1024);
  length = 0;

  push(value: number): void {
    if (this.length === this.#a.length) {
      const grown = new Uint32Array(this.#a.length * 2);
      grown.set(this.#a);
      this.#a = grown;
    }
    this.#a[this.length++] = value;
  }

  at(i: number): number {
    return this.#a[i]!;
  }

  /** The values, in an array of their exact size. */
  finish(): Uint32Array {
    return this.#a.slice(0, this.length);
  }
}

/** Task names and ids are joined this many at a time (join makes one flat string of them). */
const TEXT_BATCH = 4096;

/** A record whose entry the sink did not know (its map turned into a JS map). */
const NO_ENTRY = 0xffffffff;

/**
 * One generation's enumeration: `framework`, then `task` for each of its served tasks, each
 * followed by `add` for its records; `addLate` for records of any task that come after all tasks
 * (onlyHealthy's held records, released fail-open); then `finish`.
 *
 * With `entries` (the sink numbers its names: RecordSink.lastEntry, as the load worker's
 * PackingBuilder does), records are kept by entry number from the start and the names are never
 * held as strings: at 200,000 tasks that is ~90 MB of heap less while a load builds, and no
 * lookup per record afterwards (withIndexedEnumeration, ~0.6 s). A record whose entry the sink
 * did not know keeps its name aside; `finish` then gives names as strings, read from the maps.
 */
export class EnumerationBuilder {
  readonly #byEntry: boolean;
  readonly #entries = new Uint32List();
  /** By record index: the names of records added without an entry (byEntry only). */
  readonly #unknown = new Map<number, string>();
  readonly #frameworks: string[] = [];
  readonly #frameworkTasks = new Uint32List();
  readonly #textParts: string[] = [];
  #textBatch: string[] = [];
  #textLength = 0;
  readonly #textAt = new Uint32List();
  readonly #taskRecords = new Uint32List();
  readonly #records = new Uint32List();
  readonly #names: string[] = [];
  #tasks = 0;
  // addLate's records, in the order they came: task, record code, entry (-1: unknown), and
  // their names.
  readonly #late: number[] = [];
  readonly #lateNames: string[] = [];

  constructor(options: { entries?: boolean } = {}) {
    this.#byEntry = options.entries === true;
    this.#textAt.push(0);
  }

  framework(name: string): void {
    this.#frameworks.push(name);
    this.#frameworkTasks.push(this.#tasks);
  }

  /** Starts a task of the last framework; its records follow. Returns its index. */
  task(name: string, id: string): number {
    const batch = this.#textBatch;
    batch.push(name, id);
    this.#textLength += name.length;
    this.#textAt.push(this.#textLength);
    this.#textLength += id.length;
    this.#textAt.push(this.#textLength);
    if (batch.length >= TEXT_BATCH) {
      this.#textParts.push(batch.join(''));
      this.#textBatch = [];
    }
    this.#taskRecords.push(this.#records.length);
    return this.#tasks++;
  }

  /**
   * A record of the current task: `at` is its value's position under `name`, `entry` the
   * name's entry number in its map (RecordSink.lastEntry; -1 or absent when unknown).
   */
  add(type: EnumerationType, name: string, at: number, entry = -1): void {
    if (this.#byEntry) {
      if (entry < 0) this.#unknown.set(this.#records.length, name);
      this.#entries.push(entry < 0 ? NO_ENTRY : entry);
    } else {
      this.#names.push(name);
    }
    this.#records.push(at * 4 + type);
  }

  /** A record of task `task` that came after all tasks; listed after the task's others. */
  addLate(task: number, type: EnumerationType, name: string, at: number, entry = -1): void {
    this.#late.push(task, at * 4 + type, entry);
    this.#lateNames.push(name);
  }

  /**
   * `maps`: the set's A, AAAA and SRV maps as generated, where the names are read from when the
   * records are kept by entry but a map is not packed (or an entry was not known).
   */
  finish(maps?: TypeMaps): Enumeration {
    this.#textParts.push(this.#textBatch.join(''));
    this.#textBatch = [];
    this.#taskRecords.push(this.#records.length);
    this.#frameworkTasks.push(this.#tasks);
    const text = this.#textParts.join('');
    this.#textParts.length = 0;
    const base = {
      frameworks: this.#frameworks,
      frameworkTasks: this.#frameworkTasks.finish(),
      text,
      textAt: this.#textAt.finish(),
    };
    const listed =
      this.#lateNames.length === 0
        ? {
            taskRecords: this.#taskRecords.finish(),
            records: this.#records.finish(),
            names: this.#byEntry ? this.#entries.finish() : this.#names,
          }
        : this.#withLate();
    const { names } = listed;
    if (!(names instanceof Uint32Array)) return { ...base, ...listed };
    if (maps === undefined) throw new Error('an enumeration kept by entry needs its maps');
    return { ...base, ...listed, names: this.#resolved(listed.records, names, maps) };
  }

  /**
   * The entries as they are when every map is packed and every entry known; else every record's
   * name as a string (entries number a JS map's names in its insertion order too).
   */
  #resolved(records: Uint32Array, entries: Uint32Array, maps: TypeMaps): Uint32Array | string[] {
    if (this.#unknown.size === 0 && maps.every((m) => isPacked(m))) return entries;
    const keys = maps.map((m) => (isPacked(m) ? null : [...m.keys()]));
    const out: string[] = [];
    for (let r = 0; r < entries.length; r++) {
      const e = entries[r]!;
      if (e === NO_ENTRY) {
        out.push(this.#unknown.get(r)!);
        continue;
      }
      const type = records[r]! & 3;
      const map = maps[type]!;
      out.push(isPacked(map) ? map.keyAt(e) : keys[type]![e]!);
    }
    return out;
  }

  /** Every task's records followed by its late ones (in the order they came). */
  #withLate(): Pick<Enumeration, 'taskRecords' | 'records'> & { names: string[] | Uint32Array } {
    const tasks = this.#tasks;
    const late = this.#late;
    const lateCount = this.#lateNames.length;
    // Late records grouped by task, stable: a counting sort.
    const lateStart = new Uint32Array(tasks + 1);
    for (let i = 0; i < lateCount; i++) lateStart[late[3 * i]! + 1]!++;
    for (let t = 0; t < tasks; t++) lateStart[t + 1]! += lateStart[t]!;
    const lateOrder = new Uint32Array(lateCount);
    const fill = lateStart.slice(0, tasks);
    for (let i = 0; i < lateCount; i++) lateOrder[fill[late[3 * i]!]!++] = i;

    const total = this.#records.length + lateCount;
    const taskRecords = new Uint32Array(tasks + 1);
    const records = new Uint32Array(total);
    const byEntry = this.#byEntry;
    const names: string[] = [];
    const entries = new Uint32Array(byEntry ? total : 0);
    // Records without an entry move to their new index.
    const unknown = new Map<number, string>();
    let r = 0;
    for (let t = 0; t < tasks; t++) {
      taskRecords[t] = r;
      for (let i = this.#taskRecords.at(t), end = this.#taskRecords.at(t + 1); i < end; i++) {
        if (byEntry) {
          entries[r] = this.#entries.at(i);
          const name = this.#unknown.get(i);
          if (name !== undefined) unknown.set(r, name);
        } else {
          names.push(this.#names[i]!);
        }
        records[r++] = this.#records.at(i);
      }
      for (let k = lateStart[t]!; k < lateStart[t + 1]!; k++) {
        const i = lateOrder[k]!;
        if (byEntry) {
          const entry = late[3 * i + 2]!;
          entries[r] = entry < 0 ? NO_ENTRY : entry;
          if (entry < 0) unknown.set(r, this.#lateNames[i]!);
        } else {
          names.push(this.#lateNames[i]!);
        }
        records[r++] = late[3 * i + 1]!;
      }
    }
    taskRecords[tasks] = r;
    if (!byEntry) return { taskRecords, records, names };
    this.#unknown.clear();
    for (const [at, name] of unknown) this.#unknown.set(at, name);
    return { taskRecords, records, names: entries };
  }
}

/** An enumeration of no frameworks. */
export function emptyEnumeration(): Enumeration {
  return new EnumerationBuilder().finish();
}

/** Record r's type. */
export function recordType(en: Enumeration, r: number): EnumerationType {
  return (en.records[r]! & 3) as EnumerationType;
}

/** Record r's value position under its name. */
export function recordPosition(en: Enumeration, r: number): number {
  return en.records[r]! >>> 2;
}

/**
 * `set` with its enumeration's record names as entry indices in its packed A, AAAA and SRV maps
 * (packed-map.ts), the strings dropped: the form generate() with `pack` gives (the load
 * worker's), for a set generated into JS maps and packed afterwards (packRecordSet). A lookup
 * per record (~0.6 s at 200,000 tasks). The set as it is when the names already are indices, or
 * when a map could not be packed (the enumeration then renders from the JS map).
 */
export function withIndexedEnumeration(set: RecordSet): RecordSet {
  const en = set.enumeration;
  if (en === undefined || en.names instanceof Uint32Array) return set;
  const maps: PackedRecordMap<readonly string[] | readonly SrvRecord[]>[] = [];
  for (const map of [set.a, set.aaaa, set.srv]) {
    if (!isPacked(map)) return set;
    maps.push(map);
  }
  const names = en.names;
  const entries = new Uint32Array(names.length);
  for (let r = 0; r < names.length; r++) {
    const e = maps[recordType(en, r)]!.indexOf(names[r]!);
    if (e < 0) throw new Error(`enumeration record ${names[r]} is not in its map`);
    entries[r] = e;
  }
  return { ...set, enumeration: { ...en, names: entries } };
}

const bytesOf = (a: Uint32Array): Uint8Array =>
  new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * Feeds everything `en` holds to a digest (`update`): the same enumeration, in the same form,
 * gives the same sequence. Entry indices stand for names only together with the maps' bytes.
 */
export function hashEnumeration(
  en: Enumeration,
  update: (data: string | Uint8Array) => void,
): void {
  update(`F ${en.frameworks.length} ${JSON.stringify(en.frameworks)}\n`);
  update(bytesOf(en.frameworkTasks));
  update(`T ${en.textAt.length}\n`);
  update(en.text);
  update(bytesOf(en.textAt));
  update(`R ${en.records.length}\n`);
  update(bytesOf(en.taskRecords));
  update(bytesOf(en.records));
  if (en.names instanceof Uint32Array) {
    update('E\n');
    update(bytesOf(en.names));
  } else {
    update('N\n');
    for (let i = 0; i < en.names.length; i += 4096) {
      update(en.names.slice(i, i + 4096).join('\n') + '\n');
    }
  }
}
