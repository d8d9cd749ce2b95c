// Which host of an agent, a framework or the leader generation takes its addresses from — one
// answer shared by generation and by the lookups done before it, so nothing is resolved that
// generation does not use. As mesos-dns: the host of the libprocess pid; a framework without a
// readable pid falls back to its `hostname` (Framework.HostPort), and so does an agent (where
// mesos-dns would crash).
import type { MesosAgent, MesosFramework } from '../state/types.ts';
import { joinHostPort, parseUpid, type HostPort } from '../net/host-port.ts';

export interface StateHost {
  /** IP literal or host name; '' when there is none. */
  readonly host: string;
  /** The pid, when it was readable (its port makes the SRV records). */
  readonly pid: HostPort | null;
}

function pidHost(pidText: unknown, hostname: unknown): StateHost {
  const pid = typeof pidText === 'string' ? parseUpid(pidText) : null;
  if (pid) return { host: pid.host, pid };
  return { host: typeof hostname === 'string' ? hostname : '', pid: null };
}

export function agentHost(agent: MesosAgent): StateHost {
  return pidHost(agent.pid, agent.hostname);
}

export function frameworkHost(framework: Pick<MesosFramework, 'pid' | 'hostname'>): StateHost {
  return pidHost(framework.pid, framework.hostname);
}

/**
 * The leader's "host:port" and its split, from the state's `leader` "master@host:port". Mesos may
 * write an IPv6 leader bare ("master@fd00::1:5050"); the address comes bracketed either way.
 */
export function leaderAddress(
  leaderUpid: unknown,
): { readonly address: string; readonly hp: HostPort } | null {
  if (typeof leaderUpid !== 'string' || leaderUpid === '') return null;
  const hp = parseUpid(leaderUpid);
  return hp === null ? null : { address: joinHostPort(hp.host, hp.port), hp };
}
