// The stream worker builds the first snapshot at normal priority (nothing is in service to
// protect) and is background work (nice 19) once that snapshot is in service (thread-priority.ts).
import { after, before, it } from 'node:test';
import type { RunningServer } from '../../src/server.ts';
import { demoCluster } from '../../sim/cluster.ts';
import { SimMaster } from '../../sim/master.ts';
import {
  assertNoneLowered,
  NICE_SKIP,
  threadsAtNice19,
  waitOneLowered,
} from '../helpers/thread-nice.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';
import { startStreaming, streamConfig } from './helpers.ts';

let sim: SimMaster;
let server: RunningServer | null = null;
before(async () => {
  sim = await SimMaster.start({ cluster: demoCluster(), heartbeatSeconds: 1 });
});
after(async () => {
  await server?.close();
  await sim.close();
});

it(
  'runs the first snapshot at normal priority and lowers the worker once it is in service',
  { skip: NICE_SKIP },
  async () => {
    const lowered = threadsAtNice19();
    sim.setFailing('hang');
    const requests = sim.requests;
    // A short deadline: the hung call ends and the worker asks again once the sim answers.
    server = await startStreaming(streamConfig([sim.address], { stateTimeoutSeconds: 1 }));
    await waitUntil(() => sim.requests > requests, WAIT_MS, 'the stream worker asking the master');
    assertNoneLowered(lowered);
    sim.setFailing(null);
    await waitUntil(() => server?.store.current !== null, WAIT_MS, 'the first snapshot');
    await waitOneLowered(lowered, 'the stream worker at nice 19');
  },
);
