// Records kept up to date entity by entity, for the event stream: a task, agent or framework
// that changes recomputes only its own records, with the same rules as generate()
// (records/generate.ts, through its Generation class), and the names it touched are handed out
// as a delta. Every record knows how many entities contribute it, so one that two tasks share
// (the app's A record when both run on one agent) stays until the last of them goes; a task's
// records are not stored but computed again from the task when it changes or goes.
// The values under a name are the same set generate() gives for the same state; their order
// is the order contributions arrived in. onlyHealthy's held records (an unhealthy task's under a
// shared name) are counted apart and published only while a name's type has no healthy one.
// What is kept between changes is the published records, packed once `rebase` is called
// (records/packed-map.ts: the bytes the serving threads share, off the JS heap) with the names
// changed since in a small overlay, and counters only for the records that have them (two
// contributors, or held); a name's values are unpacked into a working slot only while an entity
// that contributes to it changes. Pure: no I/O; host names come resolved in
// `options.resolvedHosts` (a Map the caller may extend before applying an entity that needs it).
import type { MesosAgent, MesosFramework, MesosState, MesosTask } from '../state/types.ts';
import {
  frameworkNames,
  Generation,
  type FrameworkNames,
  type GenerateOptions,
} from './generate.ts';
import type { ParsedIp } from '../net/ip.ts';
import { domainFrag, rfc1123, rfc952 } from './labels.ts';
import { OverlayMap, overlayGet, overlayHas, type OverlayParts } from './overlay-map.ts';
import { PackError, PackedRecordMap } from './packed-map.ts';
import { isSrv, type RecordSink } from './record-builder.ts';
import type { RecordCounts, RecordDelta, SrvRecord } from './recordset.ts';

type Kind = 0 | 1 | 2 | 3;
const KINDS = [0, 1, 2, 3] as const;
const KIND_NAMES = ['a', 'aaaa', 'srv', 'ptr'] as const;
type KindName = (typeof KIND_NAMES)[number];

/**
 * One entity's records, flat: [code, owner name, value] per record, where code is the kind,
 * plus HELD for onlyHealthy's held records (an unhealthy task's under a shared name). A task
 * contributes a dozen records; three array slots each, and no object, keep 50,000 tasks' worth
 * small. The record's identity key is its value, or "port target" for SRV (srvKey).
 */
type Entries = (number | string | SrvRecord)[];
const HELD = 4;
const STRIDE = 3;
const NO_ENTRIES: Entries = [];
/**
 * App names a framework's cache (generate.ts FrameworkNames) keeps between changes: a snapshot
 * fills it with every app (~40 MB at 200,000 tasks), events need only the apps they touch.
 */
const NAME_CACHE_LIMIT = 1024;

/**
 * A value under an owner name that more than one entity contributes, or that is held. A value
 * with exactly one ordinary contribution (nearly every one) is kept as itself instead: no object
 * and no key per record.
 */
class Counted {
  readonly value: string | SrvRecord;
  /** Entities that contribute it as an ordinary record. */
  count: number;
  /** Entities that contribute it held (unhealthy). */
  held: number;
  constructor(value: string | SrvRecord, count: number, held: number) {
    this.value = value;
    this.count = count;
    this.held = held;
  }
}

/** A value with its contributions: itself for one ordinary contribution, else a Counted. */
type Element = string | SrvRecord | Counted;

/**
 * A name's values, in the order they came: the one most names have, a few in an exact-size
 * array (an app's instances), or many by key. Arrays are never changed in place: one holding
 * only plain values is also the array published for the name.
 */
type Slot = Element | readonly Element[] | Map<string, Element>;
/** Values a name keeps in an array, searched in turn; past this, a Map. */
const FEW = 8;

/** Owner name → its values (null: none left), for the names touched since takeChanges. */
type WorkMap = Map<string, Slot | null>;

/**
 * A record type's published names: a base (packed by `rebase`) and the names changed or removed
 * since, which a RecordSet sees as an OverlayMap on the base.
 */
class Published<V> implements OverlayParts<V> {
  base: ReadonlyMap<string, V> = new Map<string, V>();
  readonly changed = new Map<string, V>();
  /** Names of the base that are gone (never also in changed). */
  readonly removed = new Set<string>();
  size = 0;

  get(name: string): V | undefined {
    return overlayGet(this, name);
  }

  has(name: string): boolean {
    return overlayHas(this, name);
  }

  set(name: string, value: V): void {
    if (!this.has(name)) this.size++;
    this.changed.set(name, value);
    this.removed.delete(name);
  }

  delete(name: string): void {
    if (!this.has(name)) return;
    this.size--;
    this.changed.delete(name);
    if (this.base.has(name)) this.removed.add(name);
  }

  /** The names as a map, as of now: the base itself when nothing changed since it was made. */
  view(): ReadonlyMap<string, V> {
    if (this.changed.size === 0 && this.removed.size === 0) return this.base;
    return new OverlayMap(this.base, this.changed, this.removed, this.size);
  }

  /** Names changed or removed since the base was made. */
  get overlaid(): number {
    return this.changed.size + this.removed.size;
  }
}

function srvKey(record: SrvRecord): string {
  return `${record.port} ${record.target}`;
}

function keyOf(kind: number, value: string | SrvRecord): string {
  return kind === 2 ? srvKey(value as SrvRecord) : (value as string);
}

function valueOf(e: Element): string | SrvRecord {
  return e instanceof Counted ? e.value : e;
}

/** Same record identity: the value, or port and target for SRV (srvKey). */
function sameRecord(kind: number, a: string | SrvRecord, b: string | SrvRecord): boolean {
  if (kind !== 2) return a === b;
  const x = a as SrvRecord;
  const y = b as SrvRecord;
  return x.port === y.port && x.target === y.target;
}

/** Same published values, SRV records compared by their fields (a packed base decodes anew). */
function sameValues(kind: number, a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (kind !== 2) return false;
    const s = x as SrvRecord;
    const t = y as SrvRecord;
    if (s.target !== t.target || s.port !== t.port) return false;
    if (s.priority !== t.priority || s.weight !== t.weight) return false;
  }
  return true;
}

function isMany(slot: Slot): slot is Map<string, Element> {
  return slot instanceof Map;
}

function isFew(slot: Slot): slot is readonly Element[] {
  return Array.isArray(slot);
}

/** The element of `slot` for `value`'s record, or undefined. */
function lookup(
  kind: number,
  slot: Slot | undefined,
  value: string | SrvRecord,
): Element | undefined {
  if (slot === undefined) return undefined;
  if (isMany(slot)) return slot.get(keyOf(kind, value));
  if (isFew(slot)) return slot.find((e) => sameRecord(kind, valueOf(e), value));
  return sameRecord(kind, valueOf(slot), value) ? slot : undefined;
}

/** The slot with `fresh` added after the values it has. */
function added(kind: number, slot: Slot | undefined, fresh: Element): Slot {
  if (slot === undefined) return fresh;
  if (isMany(slot)) return slot.set(keyOf(kind, valueOf(fresh)), fresh);
  if (!isFew(slot)) return [slot, fresh];
  if (slot.length < FEW) return slot.concat(fresh);
  const many = new Map<string, Element>();
  for (const e of slot) many.set(keyOf(kind, valueOf(e)), e);
  return many.set(keyOf(kind, valueOf(fresh)), fresh);
}

/** The slot with element `old` replaced by `next` (same record). */
function replaced(kind: number, slot: Slot, old: Element, next: Element): Slot {
  if (isMany(slot)) return slot.set(keyOf(kind, valueOf(next)), next);
  if (!isFew(slot)) return next;
  return slot.map((e) => (e === old ? next : e));
}

/** The slot without `gone` (one of its elements), or undefined when it was the last. */
function without(kind: number, slot: Slot, gone: Element): Slot | undefined {
  if (isMany(slot)) {
    slot.delete(keyOf(kind, valueOf(gone)));
    return slot.size === 1 ? slot.values().next().value! : slot;
  }
  if (!isFew(slot)) return undefined;
  const rest = slot.filter((e) => e !== gone);
  return rest.length === 1 ? rest[0]! : rest;
}

/** Collects one entity's records, each once. */
class EntrySink implements RecordSink {
  #entries: Entries = [];
  readonly #seen = new Set<string>();

  // 1 for a new record: this sink keeps no positions (the model lists no enumeration).
  addAddress(name: string, ip: ParsedIp): number {
    return this.#add(ip.family === 4 ? 0 : 1, name, ip.address, ip.address) ? 1 : 0;
  }

  addSrv(name: string, record: SrvRecord): number {
    return this.#add(2, name, srvKey(record), record) ? 1 : 0;
  }

  addPtr(reverse: string, target: string): boolean {
    return this.#add(3, reverse, target, target);
  }

  // `served` lists enumeration entries; the stream renders /v1/enumerate with generate().
  hold(name: string, record: ParsedIp | SrvRecord): void {
    if (isSrv(record)) this.#add(2 | HELD, name, srvKey(record), record);
    else this.#add((record.family === 4 ? 0 : 1) | HELD, name, record.address, record.address);
  }

  /** The records collected since the last call, in an array of their exact size. */
  take(): Entries {
    const out = this.#entries.slice();
    this.#entries.length = 0;
    this.#seen.clear();
    return out;
  }

  #add(code: number, name: string, key: string, value: string | SrvRecord): boolean {
    const id = `${code} ${name} ${key}`;
    if (this.#seen.has(id)) return false;
    this.#seen.add(id);
    this.#entries.push(code, name, value);
    return true;
  }
}

interface FrameworkEntry {
  framework: MesosFramework;
  names: FrameworkNames;
}

/** A task's key: task ids are unique within a framework only. */
export function taskKey(frameworkId: string, taskId: string): string {
  return `${frameworkId}\u0000${taskId}`;
}

/**
 * The model. Tasks, the bulk of it, keep no record of their contributions: a task's records
 * are computed again from the task (and its framework and agent, unchanged since) when it
 * changes or goes, so a task costs its compact facts and its share of the published names.
 * Frameworks, agents and masters, a few thousand at most, keep theirs.
 * Tasks given to setTask are kept as they are and must not be changed afterwards.
 */
export class IncrementalRecords {
  readonly domain: string;
  readonly #sink = new EntrySink();
  readonly #g: Generation;
  readonly #spec;
  /** Generation warnings are dropped while a task's old records are computed again. */
  #quiet = false;
  /** Contributions by source: "F<id>", "A<id>", "M" (masters). Tasks' are computed. */
  readonly #sources = new Map<string, Entries>();
  /** Per kind, the names touched since takeChanges with their values (a working copy). */
  readonly #work: readonly WorkMap[] = [new Map(), new Map(), new Map(), new Map()];
  /**
   * Per kind, the values with counters (two contributors, or held) of each name that has any,
   * as of the last takeChanges; every other published value has one ordinary contributor.
   */
  readonly #counted: readonly Map<string, Counted[]>[] = [
    new Map(),
    new Map(),
    new Map(),
    new Map(),
  ];
  /** The published records: what a RecordSet built from this serves. */
  readonly #published: readonly Published<readonly unknown[]>[] = [
    new Published(),
    new Published(),
    new Published(),
    new Published(),
  ];
  /** onlyHealthy: per kind, the names published from held records only (failing open). */
  readonly #failOpen: readonly Set<string>[] = [new Set(), new Set(), new Set(), new Set()];
  /** Owner names under each proper ancestor below the apex (empty non-terminals). */
  readonly #ancestors = new Map<string, number>();
  readonly #recordCounts = [0, 0, 0, 0];

  readonly #frameworks = new Map<string, FrameworkEntry>();
  readonly #agents = new Map<string, MesosAgent>();
  /** Framework id → task id → task (also for frameworks not known yet). */
  readonly #tasks = new Map<string, Map<string, MesosTask>>();
  readonly #agentTasks = new Map<string, Set<MesosTask>>();
  /** Tasks counted in counts.tasks (served: running, on a known agent, of a known framework). */
  #served = 0;
  #leaderUpid: string | undefined;
  #leader = '';

  constructor(options: GenerateOptions) {
    this.domain = options.domain;
    const warn = options.warn;
    this.#g = new Generation(
      {
        ...options,
        warn: (message) => {
          if (!this.#quiet) warn?.(message);
        },
      },
      this.#sink,
    );
    this.#spec = options.enforceRFC952 ? rfc952 : rfc1123;
    this.#applyMasters();
  }

  /**
   * The published maps as of now (take them again after takeChanges or rebase): the packed
   * base, or an overlay of the names changed since on it.
   */
  get a(): ReadonlyMap<string, readonly string[]> {
    return this.#published[0]!.view() as ReadonlyMap<string, readonly string[]>;
  }

  get aaaa(): ReadonlyMap<string, readonly string[]> {
    return this.#published[1]!.view() as ReadonlyMap<string, readonly string[]>;
  }

  get srv(): ReadonlyMap<string, readonly SrvRecord[]> {
    return this.#published[2]!.view() as ReadonlyMap<string, readonly SrvRecord[]>;
  }

  get ptr(): ReadonlyMap<string, readonly string[]> {
    return this.#published[3]!.view() as ReadonlyMap<string, readonly string[]>;
  }

  /** Names changed or removed since the last rebase, over all types. */
  get overlaid(): number {
    let n = 0;
    for (const p of this.#published) n += p.overlaid;
    return n;
  }

  /**
   * Packs the published records (records/packed-map.ts) and starts a new overlay on them: the
   * JS values of the names changed since go. A type with a name or value that cannot be packed
   * (not ASCII) keeps a JS Map instead.
   */
  rebase(): void {
    this.#published.forEach((p, kind) => {
      if (p.overlaid === 0) return;
      const view = p.view();
      let base: ReadonlyMap<string, readonly unknown[]>;
      try {
        base =
          kind === 2
            ? PackedRecordMap.packSrv(view as ReadonlyMap<string, readonly SrvRecord[]>)
            : PackedRecordMap.packText(view as ReadonlyMap<string, readonly string[]>);
      } catch (error) {
        if (!(error instanceof PackError)) throw error;
        base = new Map(view);
      }
      p.base = base;
      p.changed.clear();
      p.removed.clear();
    });
  }

  /** Leading master "ip:port" ("" when unknown), as generate() gives it. */
  get leader(): string {
    return this.#leader;
  }

  get counts(): { tasks: number; frameworks: number; agents: number } {
    return {
      tasks: this.#served,
      frameworks: this.#frameworks.size,
      agents: this.#agents.size,
    };
  }

  get recordCounts(): RecordCounts {
    const [a, aaaa, srv, ptr] = this.#recordCounts;
    return { a: a!, aaaa: aaaa!, srv: srv!, ptr: ptr! };
  }

  /** onlyHealthy: names answered by unhealthy tasks only, sorted (as generate() gives them). */
  failOpen(): string[] {
    const names = new Set<string>();
    for (const kind of this.#failOpen) for (const name of kind) names.add(name);
    return [...names].sort();
  }

  /** Proper ancestors of every owner name (records/empty-non-terminals.ts's definition). */
  emptyNonTerminals(): string[] {
    return [...this.#ancestors.keys()];
  }

  hasTask(frameworkId: string, taskId: string): boolean {
    return this.#tasks.get(frameworkId)?.has(taskId) === true;
  }

  task(frameworkId: string, taskId: string): MesosTask | undefined {
    return this.#tasks.get(frameworkId)?.get(taskId);
  }

  agent(agentId: string): MesosAgent | undefined {
    return this.#agents.get(agentId);
  }

  framework(frameworkId: string): MesosFramework | undefined {
    return this.#frameworks.get(frameworkId)?.framework;
  }

  /** Ids of the tasks on an agent. */
  tasksOn(agentId: string): [frameworkId: string, taskId: string][] {
    const out: [string, string][] = [];
    for (const t of this.#agentTasks.get(agentId) ?? []) out.push([t.framework_id, t.id]);
    return out;
  }

  agentIds(): string[] {
    return [...this.#agents.keys()];
  }

  setLeader(upid: string | undefined): void {
    if (upid === this.#leaderUpid) return;
    this.#leaderUpid = upid;
    this.#applyMasters();
  }

  /** Adds or replaces a framework (its `tasks` are ignored: tasks come one by one). */
  setFramework(framework: MesosFramework): void {
    const id = framework.id;
    const fname = typeof framework.name === 'string' ? domainFrag(framework.name, this.#spec) : '';
    const own: MesosFramework = { id, name: framework.name };
    if (framework.pid !== undefined) own.pid = framework.pid;
    if (framework.hostname !== undefined) own.hostname = framework.hostname;
    const entry = this.#frameworks.get(id);
    if (entry !== undefined && entry.names.fname === fname) {
      entry.framework = own;
      this.#g.frameworkRecords(own);
      this.#replace(`F${id}`, this.#sink.take());
      return;
    }
    // New or renamed: its tasks' records change with it.
    this.#retask(this.#tasks.get(id)?.values(), () => {
      this.#frameworks.set(id, { framework: own, names: frameworkNames(fname) });
      this.#g.frameworkRecords(own);
      this.#replace(`F${id}`, this.#sink.take());
    });
  }

  removeFramework(frameworkId: string): void {
    if (!this.#frameworks.has(frameworkId)) return;
    this.#retask(this.#tasks.get(frameworkId)?.values(), () => {
      this.#frameworks.delete(frameworkId);
      this.#replace(`F${frameworkId}`, []);
    });
  }

  setAgent(agent: MesosAgent): void {
    this.#retask(this.#agentTasks.get(agent.id)?.values(), () => {
      this.#agents.set(agent.id, agent);
      this.#g.agentRecords(agent);
      this.#replace(`A${agent.id}`, this.#sink.take());
    });
  }

  /** Forgets an agent; its tasks stay known but unserved until it is back (as generate()). */
  removeAgent(agentId: string): void {
    if (!this.#agents.has(agentId)) return;
    this.#retask(this.#agentTasks.get(agentId)?.values(), () => {
      this.#agents.delete(agentId);
      this.#g.forgetAgent(agentId);
      this.#replace(`A${agentId}`, []);
    });
  }

  /** Adds or replaces a task (by framework and task id). */
  setTask(task: MesosTask): void {
    let tasks = this.#tasks.get(task.framework_id);
    if (tasks === undefined)
      this.#tasks.set(task.framework_id, (tasks = new Map<string, MesosTask>()));
    const old = tasks.get(task.id);
    // Its old records are computed from the object held: one changed in place has lost them.
    if (old === task) throw new Error(`task ${task.id} was changed in place; pass a new object`);
    const before = this.#taskEntries(old, true);
    if (old !== undefined) this.#unlinkAgent(old);
    tasks.set(task.id, task);
    let onAgent = this.#agentTasks.get(task.slave_id);
    if (onAgent === undefined) this.#agentTasks.set(task.slave_id, (onAgent = new Set()));
    onAgent.add(task);
    this.#swap(before, this.#taskEntries(task, false));
  }

  removeTask(frameworkId: string, taskId: string): void {
    const tasks = this.#tasks.get(frameworkId);
    const old = tasks?.get(taskId);
    if (tasks === undefined || old === undefined) return;
    const before = this.#taskEntries(old, true);
    tasks.delete(taskId);
    if (tasks.size === 0) this.#tasks.delete(frameworkId);
    this.#unlinkAgent(old);
    this.#swap(before, null);
  }

  /** The names changed since the last call, with their values now; clears the record of them. */
  takeChanges(): RecordDelta {
    const changed = { a: [], aaaa: [], srv: [], ptr: [] } as Record<
      KindName,
      [string, readonly unknown[]][]
    >;
    const removed = { a: [], aaaa: [], srv: [], ptr: [] } as Record<KindName, string[]>;
    let size = 0;
    for (const kind of KINDS) {
      const published = this.#published[kind]!;
      const work = this.#work[kind]!;
      const counted = this.#counted[kind]!;
      const kindName = KIND_NAMES[kind];
      const failOpen = this.#failOpen[kind]!;
      for (const [name, slot] of work) {
        const before = published.get(name);
        let now: readonly unknown[] = slot === null ? [] : servedValues(slot, false);
        // Fail open: only unhealthy tasks stand behind this name's records of this type.
        if (now.length === 0 && slot !== null) {
          now = servedValues(slot, true);
          if (now.length > 0) failOpen.add(name);
        } else failOpen.delete(name);
        const counters = slot === null ? [] : countedOf(slot);
        if (counters.length > 0) counted.set(name, counters);
        else counted.delete(name);
        if (now.length === 0) {
          if (before === undefined) continue;
          published.delete(name);
          this.#recordCounts[kind]! -= before.length;
          this.#ownerGone(name);
          removed[kindName].push(name);
          size++;
          continue;
        }
        if (before !== undefined && sameValues(kind, before, now)) continue;
        if (before === undefined) this.#ownerAdded(name, kind);
        this.#recordCounts[kind]! += now.length - (before?.length ?? 0);
        published.set(name, now);
        changed[kindName].push([name, now]);
        size++;
      }
      work.clear();
    }
    for (const { names } of this.#frameworks.values()) {
      if (names.byTaskName.size + names.byDiscoveryName.size <= NAME_CACHE_LIMIT) continue;
      names.byTaskName.clear();
      names.byDiscoveryName.clear();
    }
    return { changed, removed, size };
  }

  /** The state this model holds, in /master/state's shape (for /v1/enumerate and tests). */
  state(): MesosState {
    const frameworks: MesosFramework[] = [];
    for (const [id, entry] of this.#frameworks) {
      frameworks.push({ ...entry.framework, tasks: [...(this.#tasks.get(id)?.values() ?? [])] });
    }
    const state: MesosState = { frameworks, slaves: [...this.#agents.values()] };
    if (this.#leaderUpid !== undefined) state.leader = this.#leaderUpid;
    return state;
  }

  #unlinkAgent(task: MesosTask): void {
    const set = this.#agentTasks.get(task.slave_id);
    if (set === undefined) return;
    set.delete(task);
    if (set.size === 0) this.#agentTasks.delete(task.slave_id);
  }

  #applyMasters(): void {
    this.#g.nameserverRecords();
    this.#leader = this.#g.masterRecords(this.#leaderUpid);
    this.#replace('M', this.#sink.take());
  }

  /**
   * A change of the framework or agent `tasks` run under: their records are computed as they
   * are, the change made, and computed again; each task's new records replace its old ones.
   */
  #retask(tasks: Iterable<MesosTask> | undefined, change: () => void): void {
    const list = tasks === undefined ? [] : [...tasks];
    const before = list.map((t) => this.#taskEntries(t, true));
    change();
    list.forEach((t, i) => this.#swap(before[i]!, this.#taskEntries(t, false)));
  }

  /**
   * A task's records as things stand (`again`: computed before, warned about then), or null
   * when it is not served (not running, or its agent or framework unknown).
   */
  #taskEntries(task: MesosTask | undefined, again: boolean): Entries | null {
    if (task === undefined) return null;
    const fw = this.#frameworks.get(task.framework_id);
    const agentIps = fw === undefined ? null : this.#g.servedOn(task);
    if (fw === undefined || agentIps === null) return null;
    if (fw.names.fname === '') return NO_ENTRIES;
    this.#quiet = again;
    try {
      this.#g.taskRecords(task, fw.names, agentIps, null);
    } finally {
      this.#quiet = false;
    }
    return this.#sink.take();
  }

  /** A task's records `before` replaced by those it has now (null: not served). */
  #swap(before: Entries | null, now: Entries | null): void {
    this.#served += (now === null ? 0 : 1) - (before === null ? 0 : 1);
    const entries = now ?? NO_ENTRIES;
    for (let i = 0; i < entries.length; i += STRIDE) {
      this.#hold(
        entries[i] as number,
        entries[i + 1] as string,
        entries[i + 2] as string | SrvRecord,
      );
    }
    if (before !== null) this.#releaseAll(before);
  }

  #replace(source: string, entries: Entries): void {
    // Holding the new entries before releasing the old keeps a record both have (and its value
    // object) in place, so an unchanged name is not reported as changed.
    const old = this.#sources.get(source);
    for (let i = 0; i < entries.length; i += STRIDE) {
      this.#hold(
        entries[i] as number,
        entries[i + 1] as string,
        entries[i + 2] as string | SrvRecord,
      );
    }
    if (entries.length === 0) this.#sources.delete(source);
    else this.#sources.set(source, entries);
    if (old !== undefined) this.#releaseAll(old);
  }

  #releaseAll(entries: Entries): void {
    for (let i = 0; i < entries.length; i += STRIDE) {
      this.#release(
        entries[i] as number,
        entries[i + 1] as string,
        entries[i + 2] as string | SrvRecord,
      );
    }
  }

  /**
   * The values of `name` (undefined: none), loaded into the working copy on first touch since
   * takeChanges: its published values, with the counters of those that have them, and its held
   * values that are not published.
   */
  #slot(kind: Kind, name: string): Slot | undefined {
    const work = this.#work[kind]!;
    const known = work.get(name);
    if (known !== undefined) return known ?? undefined;
    const published = this.#published[kind]!.get(name) as
      readonly (string | SrvRecord)[] | undefined;
    const counted = this.#counted[kind]!.get(name);
    let slot: Slot | undefined;
    if (published !== undefined || counted !== undefined) {
      const elements: Element[] = [];
      for (const value of published ?? []) {
        elements.push(counted?.find((c) => sameRecord(kind, c.value, value)) ?? value);
      }
      for (const c of counted ?? []) if (!elements.includes(c)) elements.push(c);
      slot = fromElements(kind, elements);
    }
    work.set(name, slot ?? null);
    return slot;
  }

  #hold(code: number, name: string, value: string | SrvRecord): void {
    const kind = (code & 3) as Kind;
    const held = (code & HELD) !== 0;
    const work = this.#work[kind]!;
    const slot = this.#slot(kind, name);
    const e = lookup(kind, slot, value);
    if (e === undefined) {
      const next = added(kind, slot, held ? new Counted(value, 0, 1) : value);
      if (next !== slot) work.set(name, next);
      return;
    }
    let c: Counted;
    if (e instanceof Counted) c = e;
    else {
      c = new Counted(e, 1, 0);
      work.set(name, replaced(kind, slot!, e, c));
    }
    if (held) c.held++;
    else c.count++;
  }

  #release(code: number, name: string, value: string | SrvRecord): void {
    const kind = (code & 3) as Kind;
    const held = (code & HELD) !== 0;
    const work = this.#work[kind]!;
    const slot = this.#slot(kind, name);
    const e = lookup(kind, slot, value);
    if (slot === undefined || e === undefined) return;
    const count = (e instanceof Counted ? e.count : 1) - (held ? 0 : 1);
    const heldNow = (e instanceof Counted ? e.held : 0) - (held ? 1 : 0);
    if (count <= 0 && heldNow <= 0) {
      const next = without(kind, slot, e);
      if (next !== slot) work.set(name, next ?? null);
      return;
    }
    if (count === 1 && heldNow === 0) {
      // Back to one ordinary contribution: kept as the value itself.
      const next = replaced(kind, slot, e, valueOf(e));
      if (next !== slot) work.set(name, next);
    } else {
      // A copy: the counted list of the last takeChanges may hold this one.
      work.set(name, replaced(kind, slot, e, new Counted((e as Counted).value, count, heldNow)));
    }
  }

  /** Some published map other than `kind`'s holds this name. */
  #ownedElsewhere(name: string, kind: Kind): boolean {
    for (const k of KINDS) if (k !== kind && this.#published[k]!.has(name)) return true;
    return false;
  }

  /** `name` is about to join kind's published map, which does not hold it. */
  #ownerAdded(name: string, kind: Kind): void {
    if (!this.#ownedElsewhere(name, kind)) this.#walkAncestors(name, 1);
  }

  /** `name` has left one published map. */
  #ownerGone(name: string): void {
    for (const map of this.#published) if (map.has(name)) return;
    this.#walkAncestors(name, -1);
  }

  #walkAncestors(name: string, step: 1 | -1): void {
    const apexKey = `${this.domain}.`;
    if (!name.endsWith(`.${apexKey}`)) return;
    let parent = name;
    for (;;) {
      parent = parent.slice(parent.indexOf('.') + 1);
      if (parent.length <= apexKey.length) break;
      const n = (this.#ancestors.get(parent) ?? 0) + step;
      if (n > 0) this.#ancestors.set(parent, n);
      else this.#ancestors.delete(parent);
    }
  }
}

/** A slot holding `elements` (at least one), in their order. */
function fromElements(kind: number, elements: readonly Element[]): Slot {
  if (elements.length === 1) return elements[0]!;
  if (elements.length <= FEW) return elements;
  const many = new Map<string, Element>();
  for (const e of elements) many.set(keyOf(kind, valueOf(e)), e);
  return many;
}

/** The elements of a slot that have counters. */
function countedOf(slot: Slot): Counted[] {
  if (slot instanceof Counted) return [slot];
  if (!isMany(slot) && !isFew(slot)) return [];
  const out: Counted[] = [];
  for (const e of isMany(slot) ? slot.values() : slot) if (e instanceof Counted) out.push(e);
  return out;
}

/**
 * The values a slot publishes: those with ordinary contributions, or (`all`) every one. An
 * array of plain values is published as itself (slot arrays are never changed in place).
 */
function servedValues(slot: Slot, all: boolean): readonly unknown[] {
  if (!isMany(slot) && !isFew(slot)) {
    if (!(slot instanceof Counted)) return [slot];
    return all || slot.count > 0 ? [slot.value] : [];
  }
  if (isFew(slot) && !slot.some((e) => e instanceof Counted)) return slot;
  const out: unknown[] = [];
  for (const e of isMany(slot) ? slot.values() : slot) {
    if (!(e instanceof Counted)) out.push(e);
    else if (all || e.count > 0) out.push(e.value);
  }
  // Exact size: a pushed-to array keeps room for 16, and there is one per name.
  return out.slice();
}
