// The v1 operator API's shapes (state/v1-types.ts) turned into the /master/state shapes that
// generation reads (mesos/types.ts), field by field as Mesos's v0 JSON model writes them
// (src/common/http.cpp): ids lose their `{"value"}` wrapper, status and task labels their
// `{"labels"}` one, and the "ports" range resources become v0's range text "[31000-31001]".
// Entries missing what generation needs (an id, an agent, a framework) give null.
import type {
  V1Agent,
  V1FrameworkInfo,
  V1Labels,
  V1Resource,
  V1Task,
  V1TaskStatus,
} from '../state/v1-types.ts';
import { listOf } from '../records/list-of.ts';
import { IP_LABELS, latestRunningStatus } from '../records/task-ips.ts';
import type {
  MesosAgent,
  MesosDiscoveryInfo,
  MesosDiscoveryPort,
  MesosFramework,
  MesosLabel,
  MesosNetworkInfo,
  MesosTask,
  MesosTaskStatus,
} from '../state/types.ts';

function idOf(id: { value?: unknown } | undefined): string | null {
  const value = id?.value;
  return typeof value === 'string' && value !== '' ? value : null;
}

function labelsOf(labels: V1Labels | undefined): MesosLabel[] | undefined {
  const list = labels?.labels;
  if (!Array.isArray(list)) return undefined;
  const out: MesosLabel[] = [];
  for (const l of list) {
    if (typeof l?.key !== 'string') continue;
    out.push(typeof l.value === 'string' ? { key: l.key, value: l.value } : { key: l.key });
  }
  return out;
}

/** v0's text for the "ports" ranges of a resource list: "[31000-31001, 31005-31005]". */
export function portsText(resources: readonly V1Resource[] | undefined): string | undefined {
  const ranges: string[] = [];
  let found = false;
  for (const r of listOf(resources)) {
    if (r?.name !== 'ports') continue;
    found = true;
    for (const range of listOf(r.ranges?.range)) {
      if (typeof range?.begin !== 'number' || typeof range.end !== 'number') continue;
      ranges.push(`${range.begin}-${range.end}`);
    }
  }
  return found ? `[${ranges.join(', ')}]` : undefined;
}

export function statusFromV1(status: V1TaskStatus): MesosTaskStatus | null {
  if (typeof status?.state !== 'string') return null;
  const out: MesosTaskStatus = {
    state: status.state,
    timestamp: typeof status.timestamp === 'number' ? status.timestamp : 0,
  };
  // onlyHealthy reads it; a health-check result arrives as TASK_UPDATED carrying it.
  if (typeof status.healthy === 'boolean') out.healthy = status.healthy;
  const labels = labelsOf(status.labels);
  if (labels !== undefined) out.labels = labels;
  const infos = status.container_status?.network_infos;
  if (Array.isArray(infos)) {
    const networkInfos: MesosNetworkInfo[] = [];
    for (const info of infos) {
      if (typeof info !== 'object' || info === null) continue;
      const n: MesosNetworkInfo = {};
      if (Array.isArray(info.ip_addresses)) {
        n.ip_addresses = info.ip_addresses
          .filter((a) => typeof a === 'object' && a !== null)
          .map((a) => ({
            ...(typeof a.ip_address === 'string' ? { ip_address: a.ip_address } : {}),
            ...(typeof a.protocol === 'string' ? { protocol: a.protocol } : {}),
          }));
      }
      if (typeof info.name === 'string') n.name = info.name;
      networkInfos.push(n);
    }
    out.container_status = { network_infos: networkInfos };
  }
  return out;
}

export function taskFromV1(task: V1Task): MesosTask | null {
  const id = idOf(task?.task_id);
  const frameworkId = idOf(task?.framework_id);
  const agentId = idOf(task?.agent_id);
  if (id === null || frameworkId === null || agentId === null) return null;
  const out: MesosTask = {
    id,
    name: typeof task.name === 'string' ? task.name : '',
    framework_id: frameworkId,
    slave_id: agentId,
    state: typeof task.state === 'string' ? task.state : '',
  };
  if (Array.isArray(task.statuses)) {
    const statuses: MesosTaskStatus[] = [];
    for (const s of task.statuses) {
      const converted = statusFromV1(s);
      if (converted) statuses.push(converted);
    }
    out.statuses = statuses;
  }
  const ports = portsText(task.resources);
  if (ports !== undefined) out.resources = { ports };
  // DiscoveryInfo has the same JSON shape in both APIs (its labels are a Labels message in v0 too).
  if (typeof task.discovery === 'object' && task.discovery !== null) {
    out.discovery = task.discovery as MesosTask['discovery'];
  }
  const labels = labelsOf(task.labels);
  if (labels !== undefined) out.labels = labels;
  return out;
}

/**
 * A task after TASK_UPDATED: the event's `state` wins (it can be newer than `status`), and the
 * status joins the list as the master appends it.
 */
export function updatedTask(task: MesosTask, state: string, status: V1TaskStatus): MesosTask {
  const converted = statusFromV1(status);
  const statuses = task.statuses ?? [];
  return {
    ...task,
    state,
    statuses: converted === null ? statuses : [...statuses, converted],
  };
}

/** Status label keys generation reads (task IP sources "mesos" and "docker"). */
const IP_LABEL_KEYS: ReadonlySet<string> = new Set(IP_LABELS);

/**
 * A task as a model keeps it (compactTask): one object of one shape, all of it in the object
 * (a task built field by field spills its later fields into a second array), with its latest
 * running status held as itself and read through `statuses` as any task's list is read (no
 * array per task). Nothing changes it after it is made.
 */
class CompactTask implements MesosTask {
  readonly id: string;
  readonly name: string;
  readonly framework_id: string;
  readonly slave_id: string;
  readonly state: string;
  /** One object per distinct ports text. */
  readonly resources: MesosTask['resources'];
  readonly discovery: MesosDiscoveryInfo | undefined;
  /** Its latest TASK_RUNNING status; null when it has none, undefined when it had no list. */
  readonly latestRunning: MesosTaskStatus | null | undefined;

  constructor(
    task: MesosTask,
    intern: (text: string) => string,
    resources: MesosTask['resources'],
    discovery: MesosDiscoveryInfo | undefined,
    latestRunning: MesosTaskStatus | null | undefined,
  ) {
    this.id = task.id;
    this.name = intern(task.name);
    this.framework_id = intern(task.framework_id);
    this.slave_id = intern(task.slave_id);
    this.state = intern(task.state);
    this.resources = resources;
    this.discovery = discovery;
    this.latestRunning = latestRunning;
  }

  get statuses(): MesosTaskStatus[] | undefined {
    const latest = this.latestRunning;
    return latest === undefined ? undefined : latest === null ? [] : [latest];
  }
}

/**
 * What a model keeps of a task: the fields generation reads and no more. Only its latest
 * TASK_RUNNING status (records/task-ips.ts, latestRunningStatus), with its health, its IP labels
 * and its network addresses; the ports text; the discovery name and ports. Ids, names and states
 * that tasks repeat are shared through `intern`, and so are equal discovery infos (an app's
 * instances have one) and ports resources through `same`. A TASK_UPDATED status appended later
 * and compacted again leaves the same latest running status as the whole list would.
 */
export function compactTask(
  task: MesosTask,
  intern: (text: string) => string,
  same: <T extends object>(value: T) => T = (value) => value,
): MesosTask {
  let latest: MesosTaskStatus | null | undefined;
  if (task.statuses !== undefined) {
    const running = latestRunningStatus(task.statuses);
    latest = running === null ? null : compactStatus(running, intern);
  }
  const ports = task.resources?.ports;
  // Port texts repeat across tasks (ranges come from one pool per agent): one copy of each.
  const resources =
    ports === undefined
      ? undefined
      : same({ ports: typeof ports === 'string' ? intern(ports) : ports });
  const discovery =
    task.discovery === undefined ? undefined : same(compactDiscovery(task.discovery));
  return new CompactTask(task, intern, resources, discovery, latest);
}

function compactStatus(status: MesosTaskStatus, intern: (text: string) => string): MesosTaskStatus {
  const out: MesosTaskStatus = { state: intern(status.state), timestamp: status.timestamp };
  if (status.healthy !== undefined) out.healthy = status.healthy;
  const labels = status.labels?.filter((l) => IP_LABEL_KEYS.has(l?.key));
  if (labels !== undefined && labels.length > 0) out.labels = labels;
  const infos = status.container_status?.network_infos;
  if (Array.isArray(infos) && infos.length > 0) {
    out.container_status = new CompactContainerStatus(infos);
  }
  return out;
}

/**
 * A status's network infos kept as their JSON text and parsed when read: one string in place of
 * the five objects and arrays per address (~250 bytes; a third of the simulated tasks have one).
 * Generation reads them only when a task's records are computed.
 */
class CompactContainerStatus {
  readonly #json: string;

  constructor(infos: readonly MesosNetworkInfo[]) {
    this.#json = JSON.stringify(infos);
  }

  get network_infos(): MesosNetworkInfo[] {
    return JSON.parse(this.#json) as MesosNetworkInfo[];
  }
}

function compactDiscovery(discovery: MesosDiscoveryInfo): MesosDiscoveryInfo {
  if (typeof discovery !== 'object' || discovery === null) return discovery;
  const out: MesosDiscoveryInfo = {};
  if (discovery.name !== undefined) out.name = discovery.name;
  const ports = discovery.ports?.ports;
  if (Array.isArray(ports)) {
    out.ports = {
      ports: ports.map((p: MesosDiscoveryPort) => {
        if (typeof p !== 'object' || p === null) return p;
        const port: MesosDiscoveryPort = { number: p.number };
        if (p.name !== undefined) port.name = p.name;
        if (p.protocol !== undefined) port.protocol = p.protocol;
        return port;
      }),
    };
  } else if (discovery.ports !== undefined) out.ports = discovery.ports;
  return out;
}

export function agentFromV1(agent: V1Agent): MesosAgent | null {
  const info = agent?.agent_info;
  const id = idOf(info?.id);
  if (id === null) return null;
  const out: MesosAgent = { id, hostname: typeof info?.hostname === 'string' ? info.hostname : '' };
  if (typeof agent.pid === 'string') out.pid = agent.pid;
  if (typeof agent.active === 'boolean') out.active = agent.active;
  return out;
}

/** `pid`: the scheduler's UPID from the v0 endpoint (v1 does not carry it). */
export function frameworkFromV1(
  info: V1FrameworkInfo | undefined,
  pid: string | undefined,
): MesosFramework | null {
  const id = idOf(info?.id);
  if (id === null) return null;
  const out: MesosFramework = { id, name: typeof info?.name === 'string' ? info.name : '' };
  if (pid !== undefined) out.pid = pid;
  if (typeof info?.hostname === 'string') out.hostname = info.hostname;
  return out;
}

export function frameworkIdOf(info: V1FrameworkInfo | undefined): string | null {
  return idOf(info?.id);
}

export function agentIdOf(id: { value?: unknown } | undefined): string | null {
  return idOf(id);
}
