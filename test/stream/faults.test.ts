// Stream mode when things go wrong, over real sockets: redirects, silence, cuts, malformed
// records, a recovering master, a failover, auth and TLS, and masters without the v1 API.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/server.ts';
import { buildCluster, demoCluster } from '../../sim/cluster.ts';
import { SimMaster } from '../../sim/master.ts';
import { makeTestCerts, type TestCerts } from '../helpers/certs.ts';
import { assertMatchesPoll, startStreaming, streamConfig } from './helpers.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';

const WEB = 'web.marathon.mesos.';

async function started(server: RunningServer): Promise<void> {
  await waitUntil(() => server.store.current !== null, WAIT_MS, 'the first snapshot');
}

describe('stream mode: faults', () => {
  it('follows a non-leader 307 (scheme-relative Location) to the leader', async () => {
    const cluster = demoCluster();
    const leader = await SimMaster.start({ cluster, heartbeatSeconds: 0.2 });
    const follower = await SimMaster.start({ cluster, leader: leader.upid });
    const config = streamConfig([follower.address]);
    const server = await startStreaming(config);
    try {
      await started(server);
      assert.equal(server.streamer!.status.master, leader.address);
      assert.equal(follower.streams.open, 0);
      assert.equal(leader.streams.open, 1);
      await assertMatchesPoll(server, config, leader.address);
    } finally {
      await server.close();
      await follower.close();
      await leader.close();
    }
  });

  describe('one stream, many faults', () => {
    let sim: SimMaster;
    let server: RunningServer;
    let config: ReturnType<typeof streamConfig>;

    before(async () => {
      sim = await SimMaster.start({ cluster: demoCluster(), heartbeatSeconds: 0.1 });
      config = streamConfig([sim.address], { stateMaxBytes: 4096 * 1024 });
      server = await startStreaming(config);
      await started(server);
    });

    after(async () => {
      await server.close();
      await sim.close();
    });

    /**
     * Waits for the stream to end by `cause` and a new subscription; records stay meanwhile.
     * `ended` runs once the end is seen (a fault that must last until then is lifted there).
     */
    async function recovers(
      cause: string,
      fault: () => void,
      ended: () => void = () => {},
    ): Promise<void> {
      await waitUntil(
        () => sim.streams.open === 1 && server.streamer!.status.master !== null,
        WAIT_MS,
        'a live subscription',
      );
      const ends = server.streamer!.status.ends[cause as 'silence'] ?? 0;
      const subscriptions = server.streamer!.status.subscriptions;
      const generation = server.store.generation;
      fault();
      await waitUntil(
        () => (server.streamer!.status.ends[cause as 'silence'] ?? 0) > ends,
        WAIT_MS,
        `the stream to end by ${cause}`,
      );
      ended();
      // Between subscriptions the last records stay in service.
      assert.ok(server.store.current!.a.has(WEB));
      assert.ok(server.store.generation >= generation);
      await waitUntil(
        () => server.streamer!.status.subscriptions > subscriptions,
        WAIT_MS,
        'a new subscription',
      );
      await assertMatchesPoll(server, config, sim.address);
      const ready = await fetch(`http://127.0.0.1:${server.http!.port}/ready`);
      assert.equal(ready.status, 200);
    }

    it('heartbeat loss: a silent stream is dropped and resubscribed', async () => {
      await recovers('silence', () => sim.streams.stall());
    });

    it('a stream cut in the middle of a record', async () => {
      await recovers('closed', () => sim.streams.cut(true));
    });

    it('a stream ended cleanly by the master', async () => {
      await recovers('closed', () => sim.streams.cut(false));
    });

    it('a record that is not JSON', async () => {
      await recovers('malformed', () => sim.streams.sendRaw('16\nthis is not json'));
    });

    it('a length that is not a number', async () => {
      await recovers('malformed', () => sim.streams.sendRaw('abc\n{}'));
    });

    it('a record over the size cap (3 × stateMaxBytes)', async () => {
      await recovers('too-large', () => sim.streams.sendRaw(`${3 * 4096 * 1024 + 1}\n{`));
    });

    it('a master still recovering (503) is retried until it serves', async () => {
      // Recovering until the streamer has been turned away at least once, however long its
      // back-off takes on a busy machine.
      await recovers(
        'recovering',
        () => {
          sim.setRecovering(true);
          sim.streams.cut(false);
        },
        () => sim.setRecovering(false),
      );
      const metrics = await server.metrics.registry.metrics();
      assert.match(metrics, /mesos_dns_stream_ends_total\{cause="recovering"\} [1-9]/);
      assert.match(metrics, /mesos_dns_stream_ends_total\{cause="silence"\} [1-9]/);
    });

    it('changes made while disconnected arrive with the next snapshot', async () => {
      await recovers('silence', () => {
        sim.streams.stall();
        sim.startTask({ name: 'whiledown', agent: 0 });
      });
      assert.deepEqual(server.store.current!.a.get('whiledown.marathon.mesos.'), ['10.0.2.1']);
    });
  });

  it('master failover: tasks of agents not yet reregistered keep their records', async () => {
    const cluster = buildCluster({ apps: 6, instancesPerApp: 3, agents: 4, seed: 5 });
    const a = await SimMaster.start({ cluster, heartbeatSeconds: 0.2 });
    const b = await SimMaster.start({ cluster, heartbeatSeconds: 0.2, leader: a.upid });
    const config = streamConfig([a.address, b.address], { streamRecoverySeconds: 3600 });
    const server = await startStreaming(config);
    try {
      await started(server);
      await assertMatchesPoll(server, config, a.address);
      const before = server.store.current!;
      // Every set swapped in from here on: none may lose a task, however the events are batched.
      const swapped: number[] = [];
      server.store.onSwap((set) => swapped.push(set.counts.tasks));
      const agents = cluster.slaves.map((s) => s.id);
      // b takes over knowing the agents only from its registry; a steps down.
      b.setRecoveredAgents(agents);
      b.setLeader(null);
      a.setLeader(b.upid);
      await waitUntil(
        () => server.streamer!.status.master === b.address,
        WAIT_MS,
        'subscribing to b',
      );
      await waitUntil(() => server.streamer!.status.snapshots >= 2, WAIT_MS, 'b snapshot');
      // Nothing reregistered yet: every record is still served.
      assert.equal(server.store.current!.counts.tasks, before.counts.tasks);
      assert.deepEqual(
        server.store.current!.a.get('app-0.marathon.mesos.'),
        before.a.get('app-0.marathon.mesos.'),
      );
      const events = (type: string) => server.streamer!.status.events[type] ?? 0;
      const [agentsAdded, tasksAdded] = [events('AGENT_ADDED'), events('TASK_ADDED')];
      for (const id of agents) assert.ok(b.reregisterAgent(id), id);
      // Each agent comes back with its tasks (AGENT_ADDED, then TASK_ADDED for each).
      await waitUntil(
        () =>
          events('AGENT_ADDED') >= agentsAdded + agents.length &&
          events('TASK_ADDED') >= tasksAdded + before.counts.tasks,
        WAIT_MS,
        () =>
          `the reregistrations to reach the streamer: ${JSON.stringify(server.streamer!.status)}`,
      );
      await assertMatchesPoll(server, config, b.address);
      assert.equal(server.store.current!.counts.tasks, before.counts.tasks);
      assert.ok(
        swapped.every((tasks) => tasks === before.counts.tasks),
        `tasks in the sets swapped in: ${swapped.join(', ')}`,
      );
    } finally {
      await server.close();
      await a.close();
      await b.close();
    }
  });

  it('failover: an agent that never reregisters is dropped after streamRecoverySeconds', async () => {
    const cluster = buildCluster({ apps: 4, instancesPerApp: 2, agents: 2, seed: 6 });
    const a = await SimMaster.start({ cluster, heartbeatSeconds: 0.2 });
    const config = streamConfig([a.address], { streamRecoverySeconds: 1 });
    const server = await startStreaming(config);
    try {
      await started(server);
      const lost = cluster.slaves[1]!.id;
      // The sets swapped in from here on, read as they come: the test sees the carried-over
      // agent whenever it looks, not only if it looks within the second it is kept.
      const agents: number[] = [];
      server.store.onSwap((set) => agents.push(set.counts.agents));
      a.setRecoveredAgents([lost]);
      a.streams.cut(false);
      await waitUntil(() => server.streamer!.status.snapshots >= 2, WAIT_MS, 'a new snapshot');
      // Dropped once the bounded wait is over, as polling shows it...
      await assertMatchesPoll(server, config, a.address);
      assert.equal(server.store.current!.counts.agents, 1);
      // ...after the new snapshot had carried it over.
      assert.equal(agents[0], 2, `agents in the sets swapped in: ${agents.join(', ')}`);
      assert.equal(agents.at(-1), 1);
    } finally {
      await server.close();
      await a.close();
    }
  });

  describe('auth and TLS', () => {
    let certs: TestCerts;
    before(() => {
      certs = makeTestCerts();
    });
    after(() => certs.remove());

    it('subscribes over HTTPS with basic auth and a client certificate', async () => {
      const sim = await SimMaster.start({
        cluster: demoCluster(),
        heartbeatSeconds: 0.2,
        auth: { principal: 'dns', secret: 's3cret' },
        tls: {
          key: certs.serverKey,
          cert: certs.serverCert,
          ca: certs.ca,
          requireClientCert: true,
        },
      });
      const config = streamConfig([sim.address], {
        mesosHTTPSOn: true,
        CACertFile: certs.caFile,
        CertFile: certs.clientCertFile,
        KeyFile: certs.clientKeyFile,
        mesosAuthentication: 'basic',
        mesosCredentials: { principal: 'dns', secret: 's3cret' },
      });
      const server = await startStreaming(config);
      try {
        await started(server);
        await assertMatchesPoll(server, config, sim.address);
        assert.equal(server.streamer!.status.subscriptions, 1);
      } finally {
        await server.close();
        await sim.close();
      }
    });

    it('wrong credentials: no subscription, the error says why', async () => {
      const sim = await SimMaster.start({
        cluster: demoCluster(),
        auth: { principal: 'dns', secret: 's3cret' },
      });
      const config = streamConfig([sim.address], {
        mesosAuthentication: 'basic',
        mesosCredentials: { principal: 'dns', secret: 'wrong' },
      });
      const server = await startStreaming(config);
      try {
        await waitUntil(() => (server.streamer!.status.ends.error ?? 0) > 0, WAIT_MS, 'a refusal');
        assert.equal(server.store.current, null);
        assert.match(server.streamer!.status.lastError ?? '', /401.*principal "dns"/);
      } finally {
        await server.close();
        await sim.close();
      }
    });

    it('an untrusted master certificate is refused', async () => {
      const sim = await SimMaster.start({
        cluster: demoCluster(),
        tls: { key: certs.rogueKey, cert: certs.rogueCert },
      });
      const config = streamConfig([sim.address], { mesosHTTPSOn: true, CACertFile: certs.caFile });
      const server = await startStreaming(config);
      try {
        await waitUntil(() => (server.streamer!.status.ends.error ?? 0) > 0, WAIT_MS, 'a refusal');
        assert.equal(server.store.current, null);
        assert.match(server.streamer!.status.lastError ?? '', /TLS/);
      } finally {
        await server.close();
        await sim.close();
      }
    });
  });

  it('auto: a master without the v1 API is polled instead', async () => {
    const sim = await SimMaster.start({ cluster: demoCluster(), v1: false });
    const config = streamConfig([sim.address], { stateSource: 'auto' });
    const server = await startStreaming(config);
    try {
      await waitUntil(() => server.poller !== null, WAIT_MS, 'the fallback to polling');
      assert.equal(server.streamer, null);
      await started(server);
      await assertMatchesPoll(server, config, sim.address);
      assert.ok(sim.stateRequests >= 1);
    } finally {
      await server.close();
      await sim.close();
    }
  });

  it('auto: a Mesos 1.0 master (v1 API, no SUBSCRIBE: 400) is polled instead', async () => {
    const sim = await SimMaster.start({ cluster: demoCluster(), v1Subscribe: false });
    const config = streamConfig([sim.address], { stateSource: 'auto' });
    const server = await startStreaming(config);
    try {
      await waitUntil(() => server.poller !== null, WAIT_MS, 'the fallback to polling');
      assert.equal(server.streamer, null);
      await started(server);
      await assertMatchesPoll(server, config, sim.address);
    } finally {
      await server.close();
      await sim.close();
    }
  });

  it('auto: a master with the v1 API is followed, not polled', async () => {
    const sim = await SimMaster.start({ cluster: demoCluster(), heartbeatSeconds: 0.2 });
    const config = streamConfig([sim.address], { stateSource: 'auto' });
    const server = await startStreaming(config);
    try {
      await started(server);
      assert.equal(server.poller, null);
      assert.equal(sim.stateRequests, 0);
      assert.equal(sim.streams.subscriptions, 1);
    } finally {
      await server.close();
      await sim.close();
    }
  });
});
