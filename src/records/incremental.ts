// Records kept up to date entity by entity, for the event stream: a task, agent or framework
// that changes recomputes only its own contribution, with the same rules as generate()
// (records/generate.ts, through its Generation class), and the names it touched are handed out
// as a delta. Every record remembers how many entities contribute it, so one that two tasks
// share (the app's A record when both run on one agent) stays until the last of them goes.
// The values under a name are the same set generate() gives for the same state; their order
// is the order contributions arrived in. onlyHealthy's held records (an unhealthy task's under a
// shared name) are counted apart and published only while a name's type has no healthy one. Pure: no I/O; host names come resolved in
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

/** One value under an owner name, and how many entities contribute it. */
interface Counted {
  readonly key: string;
  readonly value: string | SrvRecord;
  /** Entities that contribute it as an ordinary record. */
  count: number;
  /** Entities that contribute it held (unhealthy). */
  held: number;
}

/**
 * A name's values, in the order they came: the one most names have, a few in an exact-size
 * array (an app's instances), or many by key.
 */
type Slot = Counted | readonly Counted[] | Map<string, Counted>;
/** Values a name keeps in an array, searched in turn; past this, a Map. */
const FEW = 8;

/** Owner name → its values. */
type ValueMap = Map<string, Slot>;

function srvKey(record: SrvRecord): string {
  return `${record.port} ${record.target}`;
}

function keyOf(kind: number, value: string | SrvRecord): string {
  return kind === 2 ? srvKey(value as SrvRecord) : (value as string);
}

function lookup(slot: Slot | undefined, key: string): Counted | undefined {
  if (slot === undefined) return undefined;
  if (slot instanceof Map) return slot.get(key);
  if (Array.isArray(slot)) return (slot as readonly Counted[]).find((c) => c.key === key);
  const one = slot as Counted;
  return one.key === key ? one : undefined;
}

/** The slot with `fresh` added after the values it has. */
function added(slot: Slot | undefined, fresh: Counted): Slot {
  if (slot === undefined) return fresh;
  if (slot instanceof Map) return slot.set(fresh.key, fresh);
  if (!Array.isArray(slot)) return [slot as Counted, fresh];
  const few = slot as readonly Counted[];
  if (few.length < FEW) return few.concat(fresh);
  const many = new Map<string, Counted>();
  for (const c of few) many.set(c.key, c);
  return many.set(fresh.key, fresh);
}

/** The slot without `gone` (one of its values), or undefined when it was the last. */
function without(slot: Slot, gone: Counted): Slot | undefined {
  if (slot instanceof Map) {
    slot.delete(gone.key);
    return slot.size === 1 ? slot.values().next().value! : slot;
  }
  if (!Array.isArray(slot)) return undefined;
  const rest = (slot as readonly Counted[]).filter((c) => c !== gone);
  return rest.length === 1 ? rest[0]! : rest.slice();
}

/** Collects one entity's records, each once. */
class EntrySink implements RecordSink {
  #entries: Entries = [];
  readonly #seen = new Set<string>();

  addAddress(name: string, ip: ParsedIp): boolean {
    return this.#add(ip.family === 4 ? 0 : 1, name, ip.address, ip.address);
  }

  addSrv(name: string, record: SrvRecord): boolean {
    return this.#add(2, name, srvKey(record), record);
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
  readonly tasks: Set<string>;
}

/** A task's key: task ids are unique within a framework only. */
export function taskKey(frameworkId: string, taskId: string): string {
  return `${frameworkId}\u0000${taskId}`;
}

export class IncrementalRecords {
  readonly domain: string;
  readonly #sink = new EntrySink();
  readonly #g: Generation;
  readonly #spec;
  /** Contributions by source: "F<id>", "A<id>", "T<framework>\0<task>", "M" (masters). */
  readonly #sources = new Map<string, Entries>();
  readonly #values: [ValueMap, ValueMap, ValueMap, ValueMap] = [
    valueMap(),
    valueMap(),
    valueMap(),
    valueMap(),
  ];
  /** The published maps: what a RecordSet built from this serves. */
  readonly a = new Map<string, readonly string[]>();
  readonly aaaa = new Map<string, readonly string[]>();
  readonly srv = new Map<string, readonly SrvRecord[]>();
  readonly ptr = new Map<string, readonly string[]>();
  readonly #published: readonly Map<string, readonly unknown[]>[] = [
    this.a,
    this.aaaa,
    this.srv,
    this.ptr,
  ];
  readonly #touched: readonly Set<string>[] = [new Set(), new Set(), new Set(), new Set()];
  /** onlyHealthy: per kind, the names published from held records only (failing open). */
  readonly #failOpen: readonly Set<string>[] = [new Set(), new Set(), new Set(), new Set()];
  /** Owner names under each proper ancestor below the apex (empty non-terminals). */
  readonly #ancestors = new Map<string, number>();
  readonly #recordCounts = [0, 0, 0, 0];

  readonly #frameworks = new Map<string, FrameworkEntry>();
  readonly #agents = new Map<string, MesosAgent>();
  readonly #agentTasks = new Map<string, Set<string>>();
  readonly #tasks = new Map<string, MesosTask>();
  /** Tasks counted in counts.tasks (served: running, on a known agent, of a known framework). */
  readonly #served = new Set<string>();
  #leaderUpid: string | undefined;
  #leader = '';

  constructor(options: GenerateOptions) {
    this.domain = options.domain;
    this.#g = new Generation(options, this.#sink);
    this.#spec = options.enforceRFC952 ? rfc952 : rfc1123;
    this.#applyMasters();
  }

  /** Leading master "ip:port" ("" when unknown), as generate() gives it. */
  get leader(): string {
    return this.#leader;
  }

  get counts(): { tasks: number; frameworks: number; agents: number } {
    return {
      tasks: this.#served.size,
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
    return this.#tasks.has(taskKey(frameworkId, taskId));
  }

  task(frameworkId: string, taskId: string): MesosTask | undefined {
    return this.#tasks.get(taskKey(frameworkId, taskId));
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
    for (const key of this.#agentTasks.get(agentId) ?? []) {
      const t = this.#tasks.get(key);
      if (t) out.push([t.framework_id, t.id]);
    }
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
    let entry = this.#frameworks.get(id);
    const renamed = entry === undefined || entry.names.fname !== fname;
    if (entry === undefined) {
      entry = { framework: own, names: frameworkNames(fname), tasks: new Set() };
      this.#frameworks.set(id, entry);
      // Tasks that arrived before their framework.
      for (const [key, task] of this.#tasks) if (task.framework_id === id) entry.tasks.add(key);
    } else {
      entry.framework = own;
      if (renamed) entry.names = frameworkNames(fname);
    }
    this.#g.frameworkRecords(own);
    this.#replace(`F${id}`, this.#sink.take());
    if (renamed) for (const key of entry.tasks) this.#applyTask(key);
  }

  removeFramework(frameworkId: string): void {
    const entry = this.#frameworks.get(frameworkId);
    if (entry === undefined) return;
    this.#frameworks.delete(frameworkId);
    this.#replace(`F${frameworkId}`, []);
    for (const key of entry.tasks) this.#applyTask(key);
  }

  setAgent(agent: MesosAgent): void {
    this.#agents.set(agent.id, agent);
    this.#g.agentRecords(agent);
    this.#replace(`A${agent.id}`, this.#sink.take());
    for (const key of this.#agentTasks.get(agent.id) ?? []) this.#applyTask(key);
  }

  /** Forgets an agent; its tasks stay known but unserved until it is back (as generate()). */
  removeAgent(agentId: string): void {
    if (!this.#agents.delete(agentId)) return;
    this.#g.forgetAgent(agentId);
    this.#replace(`A${agentId}`, []);
    for (const key of this.#agentTasks.get(agentId) ?? []) this.#applyTask(key);
  }

  /** Adds or replaces a task (by framework and task id). */
  setTask(task: MesosTask): void {
    const key = taskKey(task.framework_id, task.id);
    const old = this.#tasks.get(key);
    if (old !== undefined && old.slave_id !== task.slave_id) this.#unlinkAgent(key, old.slave_id);
    this.#tasks.set(key, task);
    let onAgent = this.#agentTasks.get(task.slave_id);
    if (onAgent === undefined) this.#agentTasks.set(task.slave_id, (onAgent = new Set()));
    onAgent.add(key);
    this.#frameworks.get(task.framework_id)?.tasks.add(key);
    this.#applyTask(key);
  }

  removeTask(frameworkId: string, taskId: string): void {
    const key = taskKey(frameworkId, taskId);
    const old = this.#tasks.get(key);
    if (old === undefined) return;
    this.#tasks.delete(key);
    this.#unlinkAgent(key, old.slave_id);
    this.#frameworks.get(frameworkId)?.tasks.delete(key);
    this.#applyTask(key);
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
      const values = this.#values[kind];
      const kindName = KIND_NAMES[kind];
      const failOpen = this.#failOpen[kind]!;
      for (const name of this.#touched[kind]!) {
        const slot = values.get(name);
        const before = published.get(name);
        let now = slot === undefined ? [] : servedValues(slot, false);
        // Fail open: only unhealthy tasks stand behind this name's records of this type.
        if (now.length === 0 && slot !== undefined) {
          now = servedValues(slot, true);
          if (now.length > 0) failOpen.add(name);
        } else failOpen.delete(name);
        if (now.length === 0) {
          values.delete(name);
          if (before === undefined) continue;
          published.delete(name);
          this.#recordCounts[kind]! -= before.length;
          this.#ownerGone(name);
          removed[kindName].push(name);
          size++;
          continue;
        }
        if (before !== undefined && sameValues(before, now)) continue;
        if (before === undefined) this.#ownerAdded(name, kind);
        this.#recordCounts[kind]! += now.length - (before?.length ?? 0);
        published.set(name, now);
        changed[kindName].push([name, now]);
        size++;
      }
      this.#touched[kind]!.clear();
    }
    return { changed, removed, size };
  }

  /** The state this model holds, in /master/state's shape (for /v1/enumerate and tests). */
  state(): MesosState {
    const frameworks: MesosFramework[] = [];
    for (const entry of this.#frameworks.values()) {
      const tasks: MesosTask[] = [];
      for (const key of entry.tasks) {
        const t = this.#tasks.get(key);
        if (t) tasks.push(t);
      }
      frameworks.push({ ...entry.framework, tasks });
    }
    const state: MesosState = { frameworks, slaves: [...this.#agents.values()] };
    if (this.#leaderUpid !== undefined) state.leader = this.#leaderUpid;
    return state;
  }

  #unlinkAgent(key: string, agentId: string): void {
    const set = this.#agentTasks.get(agentId);
    if (set === undefined) return;
    set.delete(key);
    if (set.size === 0) this.#agentTasks.delete(agentId);
  }

  #applyMasters(): void {
    this.#g.nameserverRecords();
    this.#leader = this.#g.masterRecords(this.#leaderUpid);
    this.#replace('M', this.#sink.take());
  }

  #applyTask(key: string): void {
    const task = this.#tasks.get(key);
    const fw = task === undefined ? undefined : this.#frameworks.get(task.framework_id);
    const agentIps = fw === undefined ? null : this.#g.servedOn(task);
    if (task === undefined || fw === undefined || agentIps === null) {
      this.#served.delete(key);
      this.#replace(`T${key}`, []);
      return;
    }
    this.#served.add(key);
    if (fw.names.fname !== '') this.#g.taskRecords(task, fw.names, agentIps, []);
    this.#replace(`T${key}`, this.#sink.take());
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
    if (old === undefined) return;
    for (let i = 0; i < old.length; i += STRIDE) {
      this.#release(old[i] as number, old[i + 1] as string, old[i + 2] as string | SrvRecord);
    }
  }

  #hold(code: number, name: string, value: string | SrvRecord): void {
    const kind = (code & 3) as Kind;
    const held = (code & HELD) !== 0;
    const values = this.#values[kind];
    const key = keyOf(kind, value);
    const slot = values.get(name);
    const c = lookup(slot, key);
    if (c === undefined) {
      const fresh: Counted = { key, value, count: held ? 0 : 1, held: held ? 1 : 0 };
      const next = added(slot, fresh);
      if (next !== slot) values.set(name, next);
      this.#touched[kind]!.add(name);
    } else if (held) {
      c.held++;
      if (c.held === 1 && c.count === 0) this.#touched[kind]!.add(name);
    } else {
      c.count++;
      // A healthy contribution may end a fail-open or displace held values.
      if (c.count === 1) this.#touched[kind]!.add(name);
    }
  }

  #release(code: number, name: string, value: string | SrvRecord): void {
    const kind = (code & 3) as Kind;
    const held = (code & HELD) !== 0;
    const values = this.#values[kind];
    const key = keyOf(kind, value);
    const slot = values.get(name);
    const c = lookup(slot, key);
    if (slot === undefined || c === undefined) return;
    if (held) c.held--;
    else c.count--;
    if (c.count === 0 && c.held === 0) {
      const next = without(slot, c);
      if (next === undefined) values.delete(name);
      else if (next !== slot) values.set(name, next);
    } else if (held || c.count > 0) return;
    this.#touched[kind]!.add(name);
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

function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function valueMap(): ValueMap {
  return new Map<string, Slot>();
}

/** The values a slot publishes: those with ordinary contributions, or (`all`) every one. */
function servedValues(slot: Slot, all: boolean): unknown[] {
  if (!(slot instanceof Map) && !Array.isArray(slot)) {
    const one = slot as Counted;
    return all || one.count > 0 ? [one.value] : [];
  }
  const out: unknown[] = [];
  for (const c of slot instanceof Map ? slot.values() : (slot as readonly Counted[])) {
    if (all || c.count > 0) out.push(c.value);
  }
  // Exact size: a pushed-to array keeps room for 16, and there is one per name.
  return out.slice();
}
