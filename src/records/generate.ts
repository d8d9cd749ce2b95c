// Turns one Mesos master state into the RecordSet the server answers from, with mesos-dns's
// names exactly (records/generator.go, chains.go). Pure: no I/O, no clock, no lookups — host
// names are resolved by the caller beforehand and passed in `resolvedHosts`.
import type { IPSource } from '../config/types.ts';
import type { LazyMesosFramework, LazyMesosState, MesosAgent, MesosTask } from '../state/types.ts';
import { canonicalHostPort, splitHostPort } from '../net/host-port.ts';
import { parseIp, type ParsedIp } from '../net/ip.ts';
import { domainFrag, rfc1123, rfc952, type LabelSpec } from './labels.ts';
import { iterableOf, listOf } from './list-of.ts';
import { parsePortRanges } from './port-ranges.ts';
import { PackingBuilder } from './packing-builder.ts';
import { RecordBuilder, type RecordSink, type SetBuilder } from './record-builder.ts';
import { ENUM_A, ENUM_AAAA, ENUM_SRV, EnumerationBuilder } from './enumeration.ts';
import type { RecordSet, SrvRecord } from './recordset.ts';
import { agentHost, frameworkHost, leaderAddress } from './state-hosts.ts';
import { reverseName } from '../net/reverse-name.ts';
import { taskHash } from './task-hash.ts';
import { latestRunningStatus, taskIps } from './task-ips.ts';

export interface GenerateOptions {
  /** Lower-case, no trailing dot, e.g. "mesos". */
  domain: string;
  /** Config IPSources, e.g. ["netinfo", "mesos", "host"]. */
  ipSources: readonly IPSource[];
  enforceRFC952: boolean;
  /** Config srvRecordDefaultWeight. */
  srvWeight: number;
  /** Known masters "host:port" in order (configured list, or from ZooKeeper). */
  masters: readonly string[];
  /** Config SOAMname, e.g. "ns1.mesos" (may lack the trailing dot). */
  soaMname: string;
  /** The IPs the SOAMname record gets (the caller computes them from `listener`). */
  nameserverAddresses: readonly string[];
  /** Agent, framework and master host names the caller resolved beforehand. */
  resolvedHosts?: ReadonlyMap<string, readonly string[]>;
  /** Non-fatal problems (bad agent host, bad ports text, ...). */
  warn?: (message: string) => void;
  /**
   * Config onlyHealthy: a task whose latest TASK_RUNNING status says `healthy: false` leaves the
   * names it shares with other instances (its canonical names stay), unless every task behind a
   * name is unhealthy — then they all answer (fail open).
   */
  onlyHealthy?: boolean;
  /**
   * Config ptron: PTR records from the reverse names of task addresses that come from the
   * container (netinfo, mesos, docker sources) to the tasks' canonical names.
   */
  ptr?: boolean;
  /**
   * Build the record maps packed (records/packing-builder.ts), never as JS maps: the set is what
   * packRecordSet(generate(...)) gives without it (maps packed where they can be, empty
   * non-terminals and record counts computed). The load worker's choice.
   */
  pack?: boolean;
}

const NO_IPS: readonly ParsedIp[] = [];

/**
 * `state`'s frameworks may carry their tasks as lists read once, one task at a time (the load
 * worker parses each from the body as it is reached): each is iterated once, in order.
 */
export function generate(state: LazyMesosState, options: GenerateOptions): RecordSet {
  // Entries that are not objects would only crash the passes below.
  const frameworks = listOf(state?.frameworks).filter(isObject);
  const b: SetBuilder =
    options.pack === true
      ? new PackingBuilder(options.domain, listedTasks(frameworks))
      : new RecordBuilder();
  const g = new Generation(options, b);
  const agents = listOf(state?.slaves).filter(isObject);
  // Same order as mesos-dns's InsertState, which decides the order of values under one name.
  const frameworkNames = frameworks.map((f) => g.frameworkRecords(f));
  for (const agent of agents) g.agentRecords(agent);
  g.nameserverRecords();
  const leader = g.masterRecords(state?.leader);
  // The packing builder numbers its names: the enumeration keeps those numbers, not the names.
  const enumeration = new EnumerationBuilder({ entries: options.pack === true });
  let tasks = 0;
  frameworks.forEach((f, i) => {
    enumeration.framework(typeof f.name === 'string' ? f.name : '');
    tasks += g.frameworkTasks(f, frameworkNames[i] ?? '', enumeration);
  });
  // Held records released here are listed in their tasks' enumeration (after their others).
  const failOpen = b.releaseHeld();
  const maps = b.finish();
  return {
    domain: options.domain,
    ...maps,
    leader,
    enumeration: enumeration.finish([maps.a, maps.aaaa, maps.srv]),
    ...(failOpen.length > 0 ? { failOpen } : {}),
    counts: { tasks, frameworks: frameworks.length, agents: agents.length },
  };
}

/** How many tasks the frameworks list, counted without reading them (a lazy list is read once). */
function listedTasks(frameworks: readonly LazyMesosFramework[]): number {
  let n = 0;
  for (const f of frameworks) {
    const tasks: unknown = f.tasks;
    if (typeof tasks !== 'object' || tasks === null || !('length' in tasks)) continue;
    if (typeof tasks.length === 'number') n += tasks.length;
  }
  return n;
}

/**
 * The generation rules, entity by entity, writing into a RecordSink: generate() runs them over a
 * whole state; records/incremental.ts runs them for the one framework, agent or task an event
 * changed.
 */
export class Generation {
  readonly b: RecordSink;
  readonly #o: GenerateOptions;
  readonly #spec: LabelSpec;
  /** ".mesos." */
  readonly #tail: string;
  /** ".slave.mesos." */
  readonly #slaveTail: string;
  readonly #warn: (message: string) => void;
  readonly #agentIps = new Map<string, readonly ParsedIp[]>();
  readonly #agentTails = new Map<string, string>();

  constructor(options: GenerateOptions, sink: RecordSink) {
    this.b = sink;
    this.#o = options;
    this.#spec = options.enforceRFC952 ? rfc952 : rfc1123;
    this.#tail = '.' + options.domain + '.';
    this.#slaveTail = '.slave' + this.#tail;
    this.#warn = options.warn ?? noop;
  }

  /**
   * `F.D` → the scheduler's address and `_framework._tcp.F.D` → its port, from the framework
   * pid (or its hostname, without SRV). Returns the framework's domain fragment.
   */
  frameworkRecords(f: LazyMesosFramework): string {
    const fname = typeof f.name === 'string' ? domainFrag(f.name, this.#spec) : '';
    const { host, pid } = frameworkHost(f);
    if (host === '' || fname === '') return fname;
    const ips = this.#resolve(host, `framework ${JSON.stringify(f.name)}`);
    if (ips.length === 0) return fname;
    const name = fname + this.#tail;
    for (const ip of ips) this.b.addAddress(name, ip);
    if (pid) this.b.addSrv('_framework._tcp.' + name, this.#srv(name, Number(pid.port)));
    return fname;
  }

  /** `slave.D` → every agent's address, `_slave._tcp.D` → their ports; remembers agent IPs. */
  agentRecords(agent: MesosAgent): void {
    if (typeof agent.id !== 'string') return;
    const { host, pid } = agentHost(agent);
    // Known even without addresses: its tasks still get their own-IP and SRV records.
    const ips = host === '' ? NO_IPS : this.#resolve(host, `agent ${agent.id}`);
    this.#agentIps.set(agent.id, ips);
    if (ips.length === 0) return;
    const name = 'slave' + this.#tail;
    for (const ip of ips) this.b.addAddress(name, ip);
    if (pid) this.b.addSrv('_slave._tcp' + this.#tail, this.#srv(name, Number(pid.port)));
  }

  /** The addresses agentRecords found for an agent; undefined for an agent it has not seen. */
  agentIps(agentId: string): readonly ParsedIp[] | undefined {
    return this.#agentIps.get(agentId);
  }

  forgetAgent(agentId: string): void {
    this.#agentIps.delete(agentId);
  }

  /** The SOA MNAME gets the addresses the server answers on. */
  nameserverRecords(): void {
    const name = absolute(this.#o.soaMname);
    if (name === '.') return;
    for (const text of this.#o.nameserverAddresses) {
      const ip = parseIp(text);
      if (ip) this.b.addAddress(name, ip);
      else this.#warn(`nameserver address ${JSON.stringify(text)} is not an IP; ${name} skips it`);
    }
  }

  /**
   * `leader.D`, `master.D`, `masterN.D` (in `masters` order, the leader given the next N when
   * it is not listed), `_leader._tcp.D` and `_leader._udp.D`. Returns the leader "ip:port".
   */
  masterRecords(leaderUpid: string | undefined): string {
    if (typeof leaderUpid !== 'string' || leaderUpid === '') return '';
    const leader = leaderAddress(leaderUpid);
    if (leader === null) {
      this.#warn(
        `state leader ${JSON.stringify(leaderUpid)} is not "master@host:port"; no leader records`,
      );
      return '';
    }
    const { address, hp } = leader;
    // Masters are compared canonical: the list may spell the leader differently.
    const leaderKey = canonicalHostPort(hp.host, hp.port);
    const ips = this.#resolve(hp.host, 'leading master');
    if (ips.length === 0) return address;
    const tail = this.#tail;
    const leaderName = 'leader' + tail;
    const allMasters = 'master' + tail;
    for (const ip of ips) {
      this.b.addAddress(leaderName, ip);
      this.b.addAddress(allMasters, ip);
    }
    const srv = this.#srv(leaderName, Number(hp.port));
    this.b.addSrv('_leader._tcp' + tail, srv);
    this.b.addSrv('_leader._udp' + tail, srv);

    let addedLeader = false;
    let idx = 0;
    for (const master of this.#o.masters) {
      const mhp = splitHostPort(master);
      if (mhp === null) {
        this.#warn(`master ${JSON.stringify(master)} is not "host:port"; skipped`);
        continue;
      }
      const isLeader = canonicalHostPort(mhp.host, mhp.port) === leaderKey;
      const mips = isLeader ? ips : this.#resolve(mhp.host, `master ${master}`);
      if (mips.length === 0) continue;
      if (!isLeader) {
        let added = false;
        for (const ip of mips) added = this.b.addAddress(allMasters, ip) > 0 || added;
        if (!added) continue; // listed twice
      } else if (addedLeader) {
        continue;
      }
      const name = `master${idx}${tail}`;
      for (const ip of mips) this.b.addAddress(name, ip);
      idx++;
      if (isLeader) addedLeader = true;
    }
    if (!addedLeader) {
      if (this.#o.masters.length > 0) {
        this.#warn(`leader ${address} is not in the masters list; it becomes master${idx}`);
      }
      const name = `master${idx}${tail}`;
      for (const ip of ips) this.b.addAddress(name, ip);
    }
    return address;
  }

  /** Records for the framework's running tasks on known agents; returns how many. */
  frameworkTasks(f: LazyMesosFramework, fname: string, out: EnumerationBuilder): number {
    const tasks = iterableOf(f.tasks);
    let count = 0;
    let warned = false;
    // Names shared by every instance of an app are built once per framework, not per task.
    const fw = frameworkNames(fname);
    for (const task of tasks) {
      const agentIps = this.servedOn(task);
      if (agentIps === null) continue;
      count++;
      const t = out.task(typeof task.name === 'string' ? task.name : '', task.id);
      if (fname === '') {
        if (!warned) {
          this.#warn(
            `framework ${JSON.stringify(f.name)} has no valid DNS label; its tasks get no records`,
          );
          warned = true;
        }
        continue;
      }
      this.taskRecords(task, fw, agentIps, out, t);
    }
    return count;
  }

  /** The agent addresses of a task that is served (running, on a known agent), else null. */
  servedOn(task: MesosTask | null | undefined): readonly ParsedIp[] | null {
    if (task?.state !== 'TASK_RUNNING' || typeof task.id !== 'string') return null;
    return this.#agentIps.get(task.slave_id) ?? null;
  }

  /**
   * One served task's records (mesos-dns's taskRecords); `enumeration` (when given) lists them
   * under the task it started (`taskIndex`).
   */
  taskRecords(
    task: MesosTask,
    fw: FrameworkNames,
    agentIps: readonly ParsedIp[],
    enumeration: EnumerationBuilder | null,
    taskIndex = -1,
  ): void {
    const discoveryName = task.discovery?.name;
    const discovery = typeof discoveryName === 'string' && discoveryName !== '';
    let apps: readonly AppNames[];
    if (discovery) {
      let cached = fw.byDiscoveryName.get(discoveryName);
      if (cached === undefined) {
        // mesos-dns's LEGACY path: records under the raw discovery name as well. Keys are
        // lower-cased because lookups are; a name already valid yields no extra records.
        const raw = discoveryName.toLowerCase();
        const label = this.#spec(discoveryName);
        cached = [this.#appNames(raw, fw.fname)];
        if (label !== '' && label !== raw) cached.push(this.#appNames(label, fw.fname));
        fw.byDiscoveryName.set(discoveryName, cached);
      }
      apps = cached;
    } else {
      const name = typeof task.name === 'string' ? task.name : '';
      let cached = fw.byTaskName.get(name);
      if (cached === undefined) {
        const label = this.#spec(name);
        cached = label === '' ? null : this.#appNames(label, fw.fname);
        fw.byTaskName.set(name, cached);
      }
      if (cached === null) {
        this.#warn(
          `task ${task.id} name ${JSON.stringify(task.name)} has no valid DNS label; no records`,
        );
        return;
      }
      apps = [cached];
    }
    const ips = taskIps(task, this.#o.ipSources, agentIps);
    // taskIps gives the agent's own list when the "host" source won: those addresses belong
    // to the site's reverse zones, not ours.
    const fromAgent = ips === agentIps;
    const ctx: TaskContext = {
      fname: fw.fname,
      unhealthy:
        this.#o.onlyHealthy === true && latestRunningStatus(task.statuses)?.healthy === false,
      hashAgent: '-' + taskHash(task.id) + '-' + this.#agentTail(task.slave_id) + '.' + fw.fname,
      ips,
      reverseIps: this.#o.ptr === true && !fromAgent ? ips : NO_IPS,
      agentIps,
      ports: parsePortRanges(
        typeof task.resources?.ports === 'string' ? task.resources.ports : '',
        (m) => this.#warn(`task ${task.id}: ${m}`),
      ),
      discovery: discovery ? task : null,
      enumeration,
      taskIndex,
    };
    for (const app of apps) this.#taskNamed(app, ctx);
  }

  #appNames(label: string, fname: string): AppNames {
    const tail = this.#tail;
    const prefix = '_' + label;
    const tcp = prefix + '._tcp.' + fname;
    const udp = prefix + '._udp.' + fname;
    return {
      label,
      prefix,
      aName: label + '.' + fname + tail,
      aSlave: label + '.' + fname + '.slave' + tail,
      tcp,
      udp,
      tcpName: tcp + tail,
      udpName: udp + tail,
      tcpSlave: tcp + '.slave' + tail,
      udpSlave: udp + '.slave' + tail,
    };
  }

  /** mesos-dns's taskContextRecord for one task name. */
  #taskNamed(app: AppNames, ctx: TaskContext): void {
    const tail = this.#tail;
    const canonical = app.label + ctx.hashAgent;
    const canonicalName = canonical + tail;
    const canonicalSlave = canonical + this.#slaveTail;

    for (const ip of ctx.ips) {
      this.#shared(ctx, app.aName, ip);
      this.#address(ctx, canonicalName, ip);
    }
    for (const ip of ctx.reverseIps) {
      const reverse = reverseName(ip.address);
      // Not in the enumeration: /v1/enumerate keeps mesos-dns's A/AAAA/SRV shape.
      if (reverse !== null) this.b.addPtr(reverse, canonicalName);
    }
    for (const ip of ctx.agentIps) {
      this.#shared(ctx, app.aSlave, ip);
      this.#address(ctx, canonicalSlave, ip);
    }

    // The enumeration's "host" of an SRV record is its value's "target:port".
    for (const port of ctx.ports) {
      const srv = this.#srv(canonicalSlave, port);
      this.#sharedSrv(ctx, app.tcpSlave, srv);
      this.#sharedSrv(ctx, app.udpSlave, srv);
      // With DiscoveryInfo, the plain names come from the discovery ports instead.
      if (ctx.discovery === null) {
        this.#sharedSrv(ctx, app.tcpName, srv);
        this.#sharedSrv(ctx, app.udpName, srv);
      }
    }
    if (ctx.discovery === null) return;

    const ports = listOf(ctx.discovery.discovery?.ports?.ports);
    for (const p of ports) {
      const number = p?.number;
      if (typeof number !== 'number' || !Number.isInteger(number) || number < 0 || number > 65535) {
        this.#warn(
          `task ${ctx.discovery.id}: discovery port ${JSON.stringify(number)} is not a port; skipped`,
        );
        continue;
      }
      const srv = this.#srv(canonicalName, number);
      const protocol = this.#spec(typeof p.protocol === 'string' ? p.protocol : '');
      const portName = this.#spec(typeof p.name === 'string' ? p.name : '');
      if (protocol !== '') {
        const name = app.prefix + '._' + protocol + '.' + ctx.fname;
        this.#sharedSrv(ctx, name + tail, srv);
        if (portName !== '') this.#sharedSrv(ctx, '_' + portName + '.' + name + tail, srv);
      } else {
        this.#sharedSrv(ctx, app.tcpName, srv);
        this.#sharedSrv(ctx, app.udpName, srv);
        if (portName !== '') {
          this.#sharedSrv(ctx, '_' + portName + '.' + app.tcp + tail, srv);
          this.#sharedSrv(ctx, '_' + portName + '.' + app.udp + tail, srv);
        }
      }
    }
  }

  /** A task's address record, listed in its enumeration when it is new. */
  #address(ctx: TaskContext, name: string, ip: ParsedIp): void {
    const added = this.b.addAddress(name, ip);
    if (added > 0) {
      const type = ip.family === 4 ? ENUM_A : ENUM_AAAA;
      ctx.enumeration?.add(type, name, added - 1, this.b.lastEntry);
    }
  }

  /** An address under a name the task shares with other instances (held back when unhealthy). */
  #shared(ctx: TaskContext, name: string, ip: ParsedIp): void {
    if (!ctx.unhealthy) {
      this.#address(ctx, name, ip);
      return;
    }
    const { enumeration, taskIndex } = ctx;
    const type = ip.family === 4 ? ENUM_A : ENUM_AAAA;
    this.b.hold(
      name,
      ip,
      enumeration === null
        ? noop
        : (at) => enumeration.addLate(taskIndex, type, name, at, this.b.lastEntry),
    );
  }

  #sharedSrv(ctx: TaskContext, name: string, srv: SrvRecord): void {
    const { enumeration, taskIndex } = ctx;
    if (!ctx.unhealthy) {
      const added = this.b.addSrv(name, srv);
      if (added > 0) enumeration?.add(ENUM_SRV, name, added - 1, this.b.lastEntry);
      return;
    }
    this.b.hold(
      name,
      srv,
      enumeration === null
        ? noop
        : (at) => enumeration.addLate(taskIndex, ENUM_SRV, name, at, this.b.lastEntry),
    );
  }

  #srv(target: string, port: number): SrvRecord {
    return { target, port, priority: 0, weight: this.#o.srvWeight };
  }

  /** Lower-cased part of the agent id after its last '-' (mesos-dns's slaveIDTail). */
  #agentTail(agentId: string): string {
    let t = this.#agentTails.get(agentId);
    if (t === undefined) {
      t = agentId.slice(agentId.lastIndexOf('-') + 1).toLowerCase();
      this.#agentTails.set(agentId, t);
    }
    return t;
  }

  /**
   * An IP literal as itself; a host name as every address it resolved to (mesos-dns's
   * hostToIPs), else none (with a warning).
   */
  #resolve(host: string, what: string): readonly ParsedIp[] {
    const ip = parseIp(host);
    if (ip) return [ip];
    const resolved = this.#o.resolvedHosts?.get(host);
    if (resolved !== undefined) {
      const ips: ParsedIp[] = [];
      for (const text of resolved) {
        const r = parseIp(text);
        if (r) ips.push(r);
      }
      if (ips.length > 0) return ips;
    }
    this.#warn(
      `${what}: host ${JSON.stringify(host)} is not an IP and has no resolved address; its address records are skipped`,
    );
    return NO_IPS;
  }
}

/** Per framework: its domain fragment and the app names built so far. */
export interface FrameworkNames {
  readonly fname: string;
  /** task.name → names (null: no valid label). */
  readonly byTaskName: Map<string, AppNames | null>;
  /** discovery.name → names under the raw name, then the sanitised one when different. */
  readonly byDiscoveryName: Map<string, AppNames[]>;
}

export function frameworkNames(fname: string): FrameworkNames {
  return { fname, byTaskName: new Map(), byDiscoveryName: new Map() };
}

/** Every name shared by the instances of one app: "web.marathon.mesos.", "_web._tcp...". */
interface AppNames {
  readonly label: string;
  /** "_web" */
  readonly prefix: string;
  readonly aName: string;
  readonly aSlave: string;
  /** "_web._tcp.marathon" (no tail). */
  readonly tcp: string;
  readonly udp: string;
  readonly tcpName: string;
  readonly udpName: string;
  readonly tcpSlave: string;
  readonly udpSlave: string;
}

interface TaskContext {
  readonly fname: string;
  /** onlyHealthy is on and the task's latest TASK_RUNNING status says healthy: false. */
  readonly unhealthy: boolean;
  /** "-<hash>-<agent>.<fname>": the canonical name after the task label. */
  readonly hashAgent: string;
  readonly ips: readonly ParsedIp[];
  /** ptron: the task's addresses when they come from the container; else none. */
  readonly reverseIps: readonly ParsedIp[];
  readonly agentIps: readonly ParsedIp[];
  readonly ports: readonly number[];
  /** The task, when it has DiscoveryInfo with a name. */
  readonly discovery: MesosTask | null;
  /** Where the task's records are listed (none for records/incremental.ts), under taskIndex. */
  readonly enumeration: EnumerationBuilder | null;
  readonly taskIndex: number;
}

/** Lower-case with exactly one trailing dot. */
function absolute(name: string): string {
  let end = name.length;
  while (end > 0 && name.charCodeAt(end - 1) === 46) end--;
  return name.slice(0, end).toLowerCase() + '.';
}

function isObject<T>(value: T | null | undefined): value is T {
  return typeof value === 'object' && value !== null;
}

function noop(): void {
  // warnings are optional
}
