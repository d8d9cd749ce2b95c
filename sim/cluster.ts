// Builds Mesos clusters for the simulated master: the frameworks, tasks and agents of a
// /master/state, shaped as Mesos 1.x writes them, at any size, deterministically.
import type { MesosAgent, MesosFramework, MesosTask } from '../src/state/types.ts';

/** A task as Mesos 1.x serialises it (more fields than mesos-dns reads). */
export interface SimTask extends MesosTask {
  executor_id: string;
  role: string;
  resources: { ports?: string; cpus: number; mem: number; disk: number; gpus: number };
  container?: unknown;
}

export interface SimFramework extends MesosFramework {
  tasks: SimTask[];
  completed_tasks: SimTask[];
  [extra: string]: unknown;
}

export interface SimAgent extends MesosAgent {
  [extra: string]: unknown;
}

export interface SimCluster {
  /** Mesos cluster id; agent and framework ids derive from it. */
  readonly id: string;
  frameworks: SimFramework[];
  slaves: SimAgent[];
}

export interface ClusterOptions {
  /** Marathon apps; each has `instancesPerApp` running tasks. */
  readonly apps?: number;
  readonly instancesPerApp?: number;
  readonly agents?: number;
  /** Every Nth app gets a DiscoveryInfo with named ports (0: none). */
  readonly discoveryEvery?: number;
  /** Every Nth task reports a container IP in its status network_infos (0: none). */
  readonly containerIpEvery?: number;
  /** How many of the agents have IPv6 addresses as hostnames. */
  readonly ipv6Agents?: number;
  /** Every Nth task is TASK_STAGING instead of TASK_RUNNING (0: none). */
  readonly stagingEvery?: number;
  /** Ports each task holds (0: no ports resource). */
  readonly portsPerTask?: number;
  /** Agent hostname for agent i; default a 10.x.y.z address (data only, never contacted). */
  readonly agentHostname?: (index: number) => string;
  readonly seed?: number;
}

const START_SECONDS = 1_700_000_000;

/** Deterministic hex, so ids are stable across runs and tests can name them. */
function hexer(seed: number): (length: number) => string {
  let state = seed >>> 0 || 1;
  return (length) => {
    let out = '';
    while (out.length < length) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      out += (state >>> 0).toString(16).padStart(8, '0');
    }
    return out.slice(0, length);
  };
}

function uuid(hex: (n: number) => string): string {
  return `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
}

export function agentAddress(index: number, ipv6: boolean): string {
  if (ipv6) return `fd00::a:${(index + 1).toString(16)}`;
  const n = index + 1;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

function makeAgent(clusterId: string, index: number, hostname: string): SimAgent {
  const ip = hostname.includes(':') ? `[${hostname}]` : hostname;
  return {
    id: `${clusterId}-S${index}`,
    hostname,
    port: 5051,
    pid: `slave(1)@${ip}:5051`,
    attributes: {},
    resources: { disk: 100_000, mem: 64_000, gpus: 0, cpus: 32, ports: '[31000-32000]' },
    used_resources: { disk: 0, mem: 0, gpus: 0, cpus: 0 },
    registered_time: START_SECONDS,
    active: true,
    version: '1.11.0',
    capabilities: ['MULTI_ROLE', 'HIERARCHICAL_ROLE', 'RESERVATION_REFINEMENT'],
  };
}

export function makeFramework(clusterId: string, index: number, name: string): SimFramework {
  const host = `10.0.1.${index + 1}`;
  return {
    id: `${clusterId}-${index.toString().padStart(4, '0')}`,
    name,
    pid: `scheduler-${name}@${host}:4${index.toString().padStart(4, '0')}`,
    used_resources: { disk: 0, mem: 0, gpus: 0, cpus: 0 },
    offered_resources: { disk: 0, mem: 0, gpus: 0, cpus: 0 },
    capabilities: ['PARTITION_AWARE'],
    hostname: host,
    webui_url: `http://${host}:8080`,
    active: true,
    connected: true,
    recovered: false,
    user: 'root',
    failover_timeout: 604800,
    checkpoint: true,
    role: '*',
    registered_time: START_SECONDS,
    unregistered_time: 0,
    principal: name,
    resources: { disk: 0, mem: 0, gpus: 0, cpus: 0 },
    tasks: [],
    unreachable_tasks: [],
    completed_tasks: [],
    offers: [],
    executors: [],
  };
}

export interface TaskSpec {
  readonly id: string;
  readonly name: string;
  readonly frameworkId: string;
  readonly agentId: string;
  readonly state?: string;
  /** Inclusive port ranges, e.g. [[31000, 31001]]. */
  readonly ports?: readonly (readonly [number, number])[];
  readonly containerIps?: readonly string[];
  readonly discovery?: MesosTask['discovery'];
  readonly labels?: MesosTask['labels'];
  readonly timestamp?: number;
  /** A Mesos-native health check's result on the running status; absent: no health check. */
  readonly healthy?: boolean;
}

export function makeTask(spec: TaskSpec): SimTask {
  const state = spec.state ?? 'TASK_RUNNING';
  const timestamp = spec.timestamp ?? START_SECONDS + 0.5;
  const ports = spec.ports?.map(([lo, hi]) => `${lo}-${hi}`).join(', ');
  const status: Record<string, unknown> = {
    state,
    timestamp,
    ...(spec.healthy !== undefined ? { healthy: spec.healthy } : {}),
    container_status: {
      container_id: { value: `c-${spec.id}` },
      ...(spec.containerIps && spec.containerIps.length > 0
        ? {
            network_infos: [{ ip_addresses: spec.containerIps.map((ip) => ({ ip_address: ip })) }],
          }
        : {}),
    },
  };
  const task: SimTask = {
    id: spec.id,
    name: spec.name,
    framework_id: spec.frameworkId,
    executor_id: '',
    slave_id: spec.agentId,
    state,
    role: '*',
    resources: {
      disk: 0,
      mem: 128,
      gpus: 0,
      cpus: 0.1,
      ...(ports !== undefined && ports !== '' ? { ports: `[${ports}]` } : {}),
    },
    statuses: [
      { state: 'TASK_STAGING', timestamp: timestamp - 0.3 },
      { state: 'TASK_STARTING', timestamp: timestamp - 0.2 },
      status as unknown as NonNullable<MesosTask['statuses']>[number],
    ].slice(state === 'TASK_STAGING' ? 2 : 0),
  };
  if (spec.discovery) task.discovery = spec.discovery;
  if (spec.labels) task.labels = spec.labels;
  return task;
}

/** A cluster of one Marathon framework running `apps` × `instancesPerApp` tasks. */
export function buildCluster(options: ClusterOptions = {}): SimCluster {
  const apps = options.apps ?? 10;
  const instances = options.instancesPerApp ?? 3;
  const agentCount = Math.max(1, options.agents ?? 10);
  const discoveryEvery = options.discoveryEvery ?? 0;
  const containerIpEvery = options.containerIpEvery ?? 0;
  const ipv6Agents = Math.min(options.ipv6Agents ?? 0, agentCount);
  const stagingEvery = options.stagingEvery ?? 0;
  const portsPerTask = options.portsPerTask ?? 2;
  const hex = hexer(options.seed ?? 42);
  const id = uuid(hex);

  const slaves: SimAgent[] = [];
  for (let i = 0; i < agentCount; i++) {
    const ipv6 = i >= agentCount - ipv6Agents;
    slaves.push(makeAgent(id, i, options.agentHostname?.(i) ?? agentAddress(i, ipv6)));
  }
  const marathon = makeFramework(id, 1, 'marathon');
  const nextPort = new Array<number>(agentCount).fill(31000);
  let taskIndex = 0;
  for (let app = 0; app < apps; app++) {
    const name = `app-${app}`;
    const withDiscovery = discoveryEvery > 0 && app % discoveryEvery === 0;
    for (let k = 0; k < instances; k++, taskIndex++) {
      const agent = taskIndex % agentCount;
      const first = nextPort[agent]!;
      // Wrap within the agent's port range; ranges may repeat on very dense agents, as in the
      // real world with many small ranges, which generation must tolerate.
      nextPort[agent] = first + portsPerTask > 32000 - portsPerTask ? 31000 : first + portsPerTask;
      const ports: [number, number][] = portsPerTask > 0 ? [[first, first + portsPerTask - 1]] : [];
      const n = taskIndex + 1;
      const spec: TaskSpec = {
        id: `${name}.${uuid(hex)}`,
        name,
        frameworkId: marathon.id,
        agentId: slaves[agent]!.id,
        state:
          stagingEvery > 0 && taskIndex % stagingEvery === stagingEvery - 1
            ? 'TASK_STAGING'
            : 'TASK_RUNNING',
        ports,
        containerIps:
          containerIpEvery > 0 && taskIndex % containerIpEvery === 0
            ? [`172.${16 + ((n >> 16) & 15)}.${(n >> 8) & 255}.${n & 255}`]
            : [],
        ...(withDiscovery
          ? {
              discovery: {
                visibility: 'FRAMEWORK',
                name,
                ports: {
                  ports: ports.length > 0 ? [{ number: first, name: 'http', protocol: 'tcp' }] : [],
                },
              },
            }
          : {}),
      };
      marathon.tasks.push(makeTask(spec));
    }
  }
  return { id, frameworks: [marathon], slaves };
}

/**
 * The demo cluster: Marathon app `web` (3 running), `db` with DiscoveryInfo and named ports, a
 * task with a container IPv6 address, an IPv6 agent, a staging task, and a second framework
 * whose name has dots.
 */
export function demoCluster(): SimCluster {
  const hex = hexer(7);
  const id = uuid(hex);
  const slaves = [
    makeAgent(id, 0, '10.0.2.1'),
    makeAgent(id, 1, '10.0.2.2'),
    makeAgent(id, 2, '10.0.2.3'),
    makeAgent(id, 3, 'fd00::2:4'),
  ];
  const marathon = makeFramework(id, 1, 'marathon');
  const agentId = (i: number): string => slaves[i]!.id;
  for (let i = 0; i < 3; i++) {
    marathon.tasks.push(
      makeTask({
        id: `web.${uuid(hex)}`,
        name: 'web',
        frameworkId: marathon.id,
        agentId: agentId(i),
        ports: [[31000 + i, 31000 + i]],
        containerIps: [`172.17.0.${i + 2}`],
      }),
    );
  }
  marathon.tasks.push(
    makeTask({
      id: `db.${uuid(hex)}`,
      name: 'db',
      frameworkId: marathon.id,
      agentId: agentId(1),
      ports: [[31100, 31101]],
      discovery: {
        visibility: 'FRAMEWORK',
        name: 'db',
        ports: {
          ports: [
            { number: 31100, name: 'postgres', protocol: 'tcp' },
            { number: 31101, name: 'metrics', protocol: 'tcp' },
          ],
        },
      },
    }),
    makeTask({
      id: `v6app.${uuid(hex)}`,
      name: 'v6app',
      frameworkId: marathon.id,
      agentId: agentId(3),
      ports: [[31200, 31200]],
      containerIps: ['fd01::5'],
    }),
    makeTask({
      id: `batch.${uuid(hex)}`,
      name: 'batch',
      frameworkId: marathon.id,
      agentId: agentId(2),
      state: 'TASK_STAGING',
    }),
  );
  const dotted = makeFramework(id, 2, 'my.framework.v2');
  dotted.tasks.push(
    makeTask({
      id: `worker.${uuid(hex)}`,
      name: 'worker',
      frameworkId: dotted.id,
      agentId: agentId(0),
      ports: [[31300, 31300]],
    }),
  );
  return { id, frameworks: [marathon, dotted], slaves };
}

export function countTasks(cluster: SimCluster): number {
  let n = 0;
  for (const framework of cluster.frameworks) n += framework.tasks.length;
  return n;
}
