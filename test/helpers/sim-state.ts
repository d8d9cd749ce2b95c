// A simulated cluster (sim/cluster.ts) as the master's state that generate() reads, led by
// 10.0.0.1:5050: the record tests' common starting point.
import { buildCluster } from '../../sim/cluster.ts';
import type { MesosState } from '../../src/state/types.ts';

export function clusterState(options: Parameters<typeof buildCluster>[0]): MesosState {
  const state = buildCluster(options) as unknown as MesosState;
  state.leader = 'master@10.0.0.1:5050';
  return state;
}
