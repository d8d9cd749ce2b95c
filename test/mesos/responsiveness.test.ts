// A 20k-task state loads without stalling the main event loop: fetch, parse and generation run
// in the worker; the record set arrives in small pieces. The master runs in its own process so
// its JSON serialisation does not count against us.
import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { WorkerStateLoader } from '../../src/mesos/state-loader.ts';
import { startSimProcess, type SimProcess } from '../helpers/sim-process.ts';
import { testLoadParams } from '../helpers/load-params.ts';

async function maxDelayDuring(work: () => Promise<void>): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  await work();
  histogram.disable();
  return histogram.max / 1e6;
}

describe('main event loop during a big state load', () => {
  let sim: SimProcess;
  const loader = new WorkerStateLoader();
  before(async () => {
    sim = await startSimProcess(['--tasks', '20000', '--agents', '400']);
  });
  after(async () => {
    await loader.close();
    await sim.stop();
  });

  it('stays responsive while 20k tasks load', async () => {
    const params = testLoadParams([sim.address]);
    // Warm the worker and the master's cached body; the measured round is a steady-state one.
    await loader.load(params);
    // The machine is shared: measure its idle noise for comparison.
    const idle = await maxDelayDuring(() => new Promise((r) => setTimeout(r, 1000)));
    // Noise is random and our own stalls are not: the best of three rounds is the one to judge.
    let tasks = 0;
    const rounds: number[] = [];
    for (let i = 0; i < 3; i++) {
      rounds.push(
        await maxDelayDuring(async () => {
          const outcome = await loader.load(params);
          tasks = outcome.set!.counts.tasks;
        }),
      );
    }
    const loading = Math.min(...rounds);
    process.stdout.write(
      `# 20k-task load: max event-loop delay per round ${rounds.map((r) => r.toFixed(1)).join(', ')} ms (idle ${idle.toFixed(1)} ms)\n`,
    );
    assert.ok(tasks >= 19_000, `expected ~20000 running tasks, got ${tasks}`);
    // Parsing this state on the main thread alone takes well over 100 ms.
    assert.ok(
      loading < 100 + idle,
      `max event-loop delay ${loading.toFixed(1)} ms during the load (idle noise ${idle.toFixed(1)} ms)`,
    );
  });
});
