// A randomized run of more than 10,000 events against the simulated master — tasks started,
// killed, failed and re-addressed, agents and frameworks coming and going — after which the
// streamed records equal those polling the same final state gives.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/server.ts';
import { buildCluster } from '../../sim/cluster.ts';
import { SimMaster } from '../../sim/master.ts';
import { assertMatchesPoll, startStreaming, streamConfig } from './helpers.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';

function rng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

describe('stream mode: randomized', () => {
  let sim: SimMaster;
  let server: RunningServer;
  let config: ReturnType<typeof streamConfig>;

  before(async () => {
    const cluster = buildCluster({
      apps: 40,
      instancesPerApp: 5,
      agents: 8,
      discoveryEvery: 3,
      containerIpEvery: 2,
      ipv6Agents: 1,
      stagingEvery: 7,
      seed: 11,
    });
    sim = await SimMaster.start({ cluster, heartbeatSeconds: 1 });
    config = streamConfig([sim.address], { IPSources: ['netinfo', 'mesos', 'host'] });
    server = await startStreaming(config);
    await waitUntil(() => server.store.current !== null, WAIT_MS, 'the first snapshot');
  });

  after(async () => {
    await server.close();
    await sim.close();
  });

  it('10,000+ random events leave the records equal to a poll of the final state', async () => {
    const rand = rng(2026);
    const start = sim.streams.events;
    const frameworks = () => sim.cluster.frameworks;
    const running = () => frameworks().flatMap((f) => f.tasks);
    while (sim.streams.events - start < 10_500) {
      for (let burst = 0; burst < 50; burst++) {
        const r = rand(100);
        const tasks = running();
        if (r < 30) {
          const f = frameworks()[rand(frameworks().length)]!;
          const agents = sim.cluster.slaves.length;
          const port = 31000 + rand(900);
          sim.startTask({
            name: `app-${rand(30)}`,
            framework: f.name,
            agent: rand(agents),
            ports: [[port, port + rand(2)]],
            ...(rand(2) === 0 ? { containerIps: [`172.20.${rand(250)}.${1 + rand(250)}`] } : {}),
            ...(rand(8) === 0 ? { state: 'TASK_STAGING' } : {}),
          });
        } else if (r < 55 && tasks.length > 0) {
          sim.killTask(tasks[rand(tasks.length)]!.id);
        } else if (r < 80 && tasks.length > 0) {
          const t = tasks[rand(tasks.length)]!;
          const pick = rand(4);
          sim.updateTask(
            t.id,
            pick === 0
              ? { state: 'TASK_FAILED' }
              : pick === 1
                ? { state: 'TASK_RUNNING' }
                : pick === 2
                  ? { containerIps: [`172.21.${rand(250)}.${1 + rand(250)}`] }
                  : { healthy: rand(2) === 0 },
          );
        } else if (r < 86) {
          if (sim.cluster.slaves.length > 4 && rand(2) === 0) {
            sim.removeAgent(sim.cluster.slaves[rand(sim.cluster.slaves.length)]!.id);
          } else {
            sim.addAgent(`10.9.${rand(250)}.${1 + rand(250)}`);
          }
        } else if (r < 92) {
          const f = frameworks()[rand(frameworks().length)]!;
          sim.updateFramework(f.id, {
            ...(rand(2) === 0 ? { name: `fw-${rand(5)}` } : {}),
            pid: `scheduler@10.8.${rand(250)}.${1 + rand(250)}:${4000 + rand(1000)}`,
          });
        } else if (frameworks().length > 2 && rand(3) === 0) {
          sim.removeFramework(frameworks()[1 + rand(frameworks().length - 1)]!.id);
        } else {
          sim.addFramework(`fw-${rand(5)}`);
        }
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(sim.streams.events - start >= 10_000);
    await assertMatchesPoll(server, config, sim.address);
    const received = () => Object.values(server.streamer!.status.events).reduce((a, b) => a + b, 0);
    await waitUntil(() => received() >= 10_000, WAIT_MS, 'the event counts');
    // One subscription took every event: the records came from events, not a new snapshot.
    assert.equal(server.streamer!.status.subscriptions, 1, JSON.stringify(server.streamer!.status));
  });
});
