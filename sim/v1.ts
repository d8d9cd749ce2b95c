// The simulated cluster in the v1 operator API's shapes (include/mesos/v1/master/master.proto,
// include/mesos/v1/mesos.proto, protobuf's JSON mapping): what a Mesos 1.x master writes on
// POST /api/v1 SUBSCRIBE. Written from the .proto files, independently of the server's own
// v1 → v0 conversion, so tests comparing the two catch a mistake in either.
import type {
  V1Agent,
  V1Framework,
  V1FrameworkInfo,
  V1Resource,
  V1Task,
  V1TaskStatus,
} from '../src/state/v1-types.ts';
import type { SimAgent, SimFramework, SimTask } from './cluster.ts';

type V0Status = NonNullable<SimTask['statuses']>[number] & {
  healthy?: boolean;
  reason?: string;
  container_status?: {
    container_id?: { value: string };
    network_infos?: {
      ip_addresses?: { ip_address?: string; protocol?: string }[];
      name?: string;
    }[];
  };
};

const SECONDS_TO_NS = 1e9;

function scalar(name: string, value: number): V1Resource {
  return { name, type: 'SCALAR', scalar: { value }, role: '*' };
}

/** "[31000-31001, 31005-31005]" → a RANGES resource. */
function portsResource(text: string): V1Resource {
  const range: { begin: number; end: number }[] = [];
  for (const m of text.matchAll(/(\d+)-(\d+)/g))
    range.push({ begin: Number(m[1]), end: Number(m[2]) });
  return { name: 'ports', type: 'RANGES', ranges: { range }, role: '*' };
}

function resourcesOf(r: Partial<SimTask['resources']> | undefined): V1Resource[] {
  if (!r) return [];
  const out: V1Resource[] = [];
  for (const name of ['cpus', 'mem', 'disk', 'gpus'] as const) {
    const v = r[name];
    if (typeof v === 'number' && v > 0) out.push(scalar(name, v));
  }
  if (typeof r.ports === 'string') out.push(portsResource(r.ports));
  return out;
}

export function statusToV1(task: SimTask, status: V0Status): V1TaskStatus {
  const out: V1TaskStatus = {
    task_id: { value: task.id },
    state: status.state,
    source: 'SOURCE_EXECUTOR',
    agent_id: { value: task.slave_id },
    timestamp: status.timestamp,
  };
  if (Array.isArray(status.labels)) out.labels = { labels: status.labels.map((l) => ({ ...l })) };
  if (typeof status.healthy === 'boolean') out.healthy = status.healthy;
  if (typeof status.reason === 'string') out.reason = status.reason;
  const cs = status.container_status;
  if (cs) {
    out.container_status = {
      ...(cs.container_id ? { container_id: { value: cs.container_id.value } } : {}),
      ...(cs.network_infos
        ? {
            network_infos: cs.network_infos.map((n) => ({
              ...(n.ip_addresses
                ? {
                    ip_addresses: n.ip_addresses.map((a) => ({
                      protocol: (a.ip_address ?? '').includes(':') ? 'IPv6' : 'IPv4',
                      ...(a.ip_address !== undefined ? { ip_address: a.ip_address } : {}),
                    })),
                  }
                : {}),
              ...(n.name !== undefined ? { name: n.name } : {}),
            })),
          }
        : {}),
    };
  }
  return out;
}

export function taskToV1(task: SimTask): V1Task {
  return taskShape(task, true);
}

/**
 * `JSON.stringify(taskToV1(task))`, without copying the task's labels and discovery info first
 * (the text is the same): what the SUBSCRIBED record lists, rendered per task.
 */
export function taskJson(task: SimTask): string {
  return JSON.stringify(taskShape(task, false));
}

/** The v1 Task; with `copy` false it shares the sim task's labels and discovery objects. */
function taskShape(task: SimTask, copy: boolean): V1Task {
  const out: V1Task = {
    name: task.name,
    task_id: { value: task.id },
    framework_id: { value: task.framework_id },
    agent_id: { value: task.slave_id },
    state: task.state,
    resources: resourcesOf(task.resources),
    statuses: (task.statuses ?? []).map((s) => statusToV1(task, s as V0Status)),
    user: 'root',
  };
  if (task.executor_id !== '') out.executor_id = { value: task.executor_id };
  if (task.labels) out.labels = { labels: copy ? task.labels.map((l) => ({ ...l })) : task.labels };
  if (task.discovery) out.discovery = copy ? structuredClone(task.discovery) : task.discovery;
  const last = task.statuses?.at(-1);
  if (last) out.status_update_state = last.state;
  return out;
}

export function agentToV1(agent: SimAgent): V1Agent {
  const registered = typeof agent['registered_time'] === 'number' ? agent['registered_time'] : 0;
  return {
    agent_info: {
      hostname: agent.hostname,
      port: typeof agent['port'] === 'number' ? agent['port'] : 5051,
      id: { value: agent.id },
      resources: resourcesOf(agent['resources'] as Partial<SimTask['resources']> | undefined),
      attributes: [],
    },
    active: agent.active !== false,
    deactivated: agent.active === false,
    version: typeof agent['version'] === 'string' ? agent['version'] : '1.11.0',
    ...(agent.pid !== undefined ? { pid: agent.pid } : {}),
    registered_time: { nanoseconds: Math.round(registered * SECONDS_TO_NS) },
    total_resources: [],
    allocated_resources: [],
    offered_resources: [],
    capabilities: [{ type: 'MULTI_ROLE' }, { type: 'HIERARCHICAL_ROLE' }],
  };
}

export function frameworkInfoToV1(f: SimFramework): V1FrameworkInfo {
  return {
    user: typeof f['user'] === 'string' ? f['user'] : 'root',
    name: f.name,
    id: { value: f.id },
    failover_timeout: 604800,
    checkpoint: true,
    role: '*',
    ...(f.hostname !== undefined ? { hostname: f.hostname } : {}),
    principal: f.name,
    capabilities: [{ type: 'PARTITION_AWARE' }],
  };
}

/** Response.GetFrameworks.Framework: no pid, as in Mesos (the v0 endpoints still have it). */
export function frameworkToV1(f: SimFramework): V1Framework {
  const registered = typeof f['registered_time'] === 'number' ? f['registered_time'] : 0;
  return {
    framework_info: frameworkInfoToV1(f),
    active: f.active !== false,
    connected: true,
    recovered: false,
    registered_time: { nanoseconds: Math.round(registered * SECONDS_TO_NS) },
    allocated_resources: [],
    offered_resources: [],
  };
}

/** One RecordIO record: decimal length, newline, JSON. */
export function recordIo(event: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(event));
  return Buffer.concat([Buffer.from(`${body.length}\n`), body]);
}

/**
 * One RecordIO record from its JSON text in pieces (UTF-8, split only between characters): the
 * length line, then the pieces themselves, not copied into one buffer.
 */
export function recordIoPieces(pieces: readonly Uint8Array[]): Uint8Array[] {
  let length = 0;
  for (const piece of pieces) length += piece.length;
  return [Buffer.from(`${length}\n`), ...pieces];
}
