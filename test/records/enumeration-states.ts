// States for the enumeration tests, varied in what the compact enumeration must carry: IPv6,
// discovery ports (SRV targets on the canonical name), container addresses, a staging task,
// onlyHealthy's held records (partly and wholly unhealthy apps: fail open), and a non-ASCII
// discovery name (maps that cannot be packed).
import { readFileSync } from 'node:fs';
import { demoCluster } from '../../sim/cluster.ts';
import type { GenerateOptions } from '../../src/records/generate.ts';
import type { MesosState, MesosTask } from '../../src/state/types.ts';
import { clusterOptions, healthPtrOptions, simOptions } from '../helpers/generate-options.ts';
import { clusterState } from '../helpers/sim-state.ts';

export interface EnumerationCase {
  readonly name: string;
  readonly state: MesosState;
  readonly options: GenerateOptions;
}

const fixture = (): MesosState =>
  JSON.parse(
    readFileSync(new URL('../fixtures/state-cluster.json', import.meta.url), 'utf8'),
  ) as MesosState;

/** Every 3rd task unhealthy, every 4th healthy, and all of apps 0 and 5 unhealthy. */
function simulated(discoveryName?: (app: number) => string): MesosState {
  const state = clusterState({
    apps: 8,
    instancesPerApp: 3,
    agents: 5,
    discoveryEvery: 3,
    containerIpEvery: 2,
    ipv6Agents: 2,
    stagingEvery: 7,
    seed: 5,
  });
  const tasks: MesosTask[] = state.frameworks![0]!.tasks!;
  tasks.forEach((task, i) => {
    const app = Number(task.name.slice('app-'.length));
    const last = task.statuses!.at(-1)!;
    if (i % 3 === 0 || app === 0 || app === 5) last.healthy = false;
    else if (i % 4 === 0) last.healthy = true;
    if (discoveryName !== undefined && task.discovery !== undefined) {
      task.discovery = { ...task.discovery, name: discoveryName(app) };
    }
  });
  return state;
}

export function enumerationCases(): EnumerationCase[] {
  const quiet = { warn: () => {} };
  return [
    {
      name: 'cluster fixture, ptron',
      state: fixture(),
      options: clusterOptions({ ptr: true, ...quiet }),
    },
    {
      name: 'cluster fixture, RFC 952, docker and host sources',
      state: fixture(),
      options: clusterOptions({ enforceRFC952: true, ipSources: ['docker', 'host'], ...quiet }),
    },
    {
      name: 'demo cluster',
      state: demoCluster(),
      options: simOptions(quiet),
    },
    { name: 'simulated, onlyHealthy', state: simulated(), options: healthPtrOptions(quiet) },
    {
      name: 'simulated, non-ASCII discovery name',
      state: simulated((app) => `Wëb-${app}`),
      options: healthPtrOptions(quiet),
    },
  ];
}
