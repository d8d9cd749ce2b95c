// A task's own addresses from the configured IP sources, as mesos-dns's final master
// (records/state/state.go, Task.IPs): the sources are read in order and every IP, of either
// family, of the first source that yields any is the answer. Sources are never mixed.
import type { IPSource } from '../config/types.ts';
import type { MesosLabel, MesosTaskStatus, MesosTask } from '../state/types.ts';
import { parseIp, type ParsedIp } from '../net/ip.ts';
import { listOf } from './list-of.ts';

const MESOS_IP_LABEL = 'MesosContainerizer.NetworkSettings.IPAddress';
const DOCKER_IP_LABEL = 'Docker.NetworkSettings.IPAddress';
/** The status label keys the "mesos" and "docker" sources read. */
export const IP_LABELS: readonly string[] = [MESOS_IP_LABEL, DOCKER_IP_LABEL];

/**
 * Every IP of the first source in `sources` that has one, in the order the source lists them
 * (text that is no IP is skipped, as Go's net.ParseIP does). `agentIps` are the agent's
 * addresses, the "host" source.
 */
export function taskIps(
  task: MesosTask,
  sources: readonly IPSource[],
  agentIps: readonly ParsedIp[],
): readonly ParsedIp[] {
  let latest: MesosTaskStatus | null | undefined;
  const status = (): MesosTaskStatus | null => (latest ??= latestRunningStatus(task.statuses));
  for (const source of sources) {
    if (source === 'host') {
      if (agentIps.length > 0) return agentIps;
      continue;
    }
    const texts =
      source === 'netinfo'
        ? netinfoTexts(status())
        : labelTexts(status()?.labels, source === 'mesos' ? MESOS_IP_LABEL : DOCKER_IP_LABEL);
    const ips: ParsedIp[] = [];
    for (const text of texts) {
      const ip = typeof text === 'string' ? parseIp(text) : null;
      if (ip) ips.push(ip);
    }
    if (ips.length > 0) return ips;
  }
  return [];
}

/**
 * The TASK_RUNNING status with the highest timestamp (the first of equals): Mesos does not
 * promise any order of `statuses`.
 */
export function latestRunningStatus(
  statuses: readonly MesosTaskStatus[] | undefined,
): MesosTaskStatus | null {
  let best: MesosTaskStatus | null = null;
  let ts = -1;
  for (const s of listOf(statuses)) {
    if (s?.state === 'TASK_RUNNING' && typeof s.timestamp === 'number' && s.timestamp > ts) {
      ts = s.timestamp;
      best = s;
    }
  }
  return best;
}

/** Every network's Mesos ≥0.26 `ip_addresses[]`, else its 0.25 single `ip_address`. */
function netinfoTexts(status: MesosTaskStatus | null): unknown[] {
  const out: unknown[] = [];
  for (const info of listOf(status?.container_status?.network_infos)) {
    if (!info) continue;
    if (Array.isArray(info.ip_addresses) && info.ip_addresses.length > 0) {
      for (const a of info.ip_addresses) out.push(a?.ip_address);
    } else {
      out.push(info.ip_address);
    }
  }
  return out;
}

/** The values of every label with this key, in order. */
function labelTexts(labels: readonly MesosLabel[] | undefined, key: string): unknown[] {
  const out: unknown[] = [];
  for (const l of listOf(labels)) if (l?.key === key) out.push(l.value);
  return out;
}
