// A task's own addresses from the configured IP sources, as mesos-dns's Task.IPs followed by
// ipsTo4And6: every source is read in order and the first IPv4 and first IPv6 found win.
import type { IPSource } from '../config/types.ts';
import type { MesosLabel, MesosNetworkInfo, MesosTask, MesosTaskStatus } from '../state/types.ts';
import { parseIp, type ParsedIp } from './ip.ts';
import { listOf } from './list-of.ts';

const MESOS_IP_LABEL = 'MesosContainerizer.NetworkSettings.IPAddress';
const DOCKER_IP_LABEL = 'Docker.NetworkSettings.IPAddress';

/**
 * At most one IPv4 and one IPv6 (v4 first). `agentIps` are the agent's addresses, used by the
 * "host" source (and "autoip" for host-scoped ports).
 */
export function taskIps(
  task: MesosTask,
  sources: readonly IPSource[],
  agentIps: readonly ParsedIp[],
): ParsedIp[] {
  let v4: ParsedIp | undefined;
  let v6: ParsedIp | undefined;
  const take = (text: string | undefined): boolean => {
    if (typeof text !== 'string' || text === '') return false;
    const ip = parseIp(text);
    if (ip === null) return false;
    if (ip.family === 4) v4 ??= ip;
    else v6 ??= ip;
    return v4 !== undefined && v6 !== undefined;
  };
  const takeAll = (ips: readonly ParsedIp[]): boolean => {
    for (const ip of ips) {
      if (ip.family === 4) v4 ??= ip;
      else v6 ??= ip;
    }
    return v4 !== undefined && v6 !== undefined;
  };

  let latest: MesosTaskStatus | null | undefined;
  const status = (): MesosTaskStatus | null => (latest ??= latestRunningStatus(task.statuses));

  for (const source of sources) {
    let done = false;
    switch (source) {
      case 'host':
        done = takeAll(agentIps);
        break;
      case 'netinfo':
        done = netinfoIps(status(), undefined, take);
        break;
      case 'mesos':
        done = labelIps(status()?.labels, MESOS_IP_LABEL, take);
        break;
      case 'docker':
        done = labelIps(status()?.labels, DOCKER_IP_LABEL, take);
        break;
      case 'autoip':
        done = autoIps(task, status, agentIps, take, takeAll);
        break;
    }
    if (done) break;
  }
  const out: ParsedIp[] = [];
  if (v4) out.push(v4);
  if (v6) out.push(v6);
  return out;
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

/** Mesos ≥0.26 `ip_addresses[]`, else the 0.25 single `ip_address`; optionally one network. */
function netinfoIps(
  status: MesosTaskStatus | null,
  networkName: string | undefined,
  take: (text: string | undefined) => boolean,
): boolean {
  const infos: MesosNetworkInfo[] | undefined = status?.container_status?.network_infos;
  if (!Array.isArray(infos)) return false;
  for (const info of infos) {
    if (!info) continue;
    if (networkName !== undefined && networkName !== '' && info.name !== networkName) continue;
    if (Array.isArray(info.ip_addresses) && info.ip_addresses.length > 0) {
      for (const a of info.ip_addresses) if (take(a?.ip_address)) return true;
    } else if (take(info.ip_address)) {
      return true;
    }
  }
  return false;
}

function labelIps(
  labels: readonly MesosLabel[] | undefined,
  key: string,
  take: (text: string | undefined) => boolean,
): boolean {
  for (const l of listOf(labels)) if (l?.key === key && take(l.value)) return true;
  return false;
}

/**
 * mesos-dns "autoip": the first discovery port's `network-scope` label decides — "" or "host"
 * uses the agent's IPs, "container" the netinfo IPs (of `network-name` when given), anything
 * else none. No discovery ports: none.
 */
function autoIps(
  task: MesosTask,
  status: () => MesosTaskStatus | null,
  agentIps: readonly ParsedIp[],
  take: (text: string | undefined) => boolean,
  takeAll: (ips: readonly ParsedIp[]) => boolean,
): boolean {
  const ports = task.discovery?.ports?.ports;
  if (!Array.isArray(ports) || ports.length === 0) return false;
  let scope = '';
  let network = '';
  const labels = ports[0]?.labels?.labels;
  if (Array.isArray(labels)) {
    for (const l of labels) {
      if (l?.key === 'network-scope') scope = l.value ?? '';
      if (l?.key === 'network-name') network = l.value ?? '';
    }
  }
  if (scope === '' || scope === 'host') return takeAll(agentIps);
  if (scope === 'container') return netinfoIps(status(), network, take);
  return false;
}
