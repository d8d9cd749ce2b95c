// Stream mode against the simulated master over real sockets: every event kind reaches the
// records (and DNS answers) and leaves them equal to what polling the same master gives.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../../src/server.ts';
import { demoCluster } from '../../sim/cluster.ts';
import { SimMaster } from '../../sim/master.ts';
import { decode, encodeQuery } from '../dns/fixtures.ts';
import { udpExchange } from '../helpers/dns-client.ts';
import { enumerationBytes } from '../../src/records/enumeration-json.ts';
import { assertMatchesPoll, polledRecords, startStreaming, streamConfig } from './helpers.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';

async function addresses(server: RunningServer, name: string): Promise<string[]> {
  const reply = decode(await udpExchange(server.dns!.port, encodeQuery(name)));
  return reply.answers.map((a) => (a as { address: string }).address).sort();
}

describe('stream mode: events', () => {
  let sim: SimMaster;
  let server: RunningServer;
  let config: ReturnType<typeof streamConfig>;

  before(async () => {
    // The sim shares this thread with the test's own work: a long heartbeat keeps a busy moment
    // from looking like a dead stream.
    sim = await SimMaster.start({ cluster: demoCluster(), heartbeatSeconds: 1 });
    config = streamConfig([sim.address]);
    server = await startStreaming(config);
    await waitUntil(() => server.store.current !== null, WAIT_MS, 'the first snapshot');
  });

  after(async () => {
    await server.close();
    await sim.close();
  });

  it('serves the SUBSCRIBED snapshot exactly as polling does', async () => {
    assert.ok(server.streamer !== null);
    assert.equal(server.poller, null);
    await assertMatchesPoll(server, config, sim.address);
    assert.deepEqual(await addresses(server, 'web.marathon.mesos.'), [
      '172.17.0.2',
      '172.17.0.3',
      '172.17.0.4',
    ]);
    // F.D and _framework._tcp.F.D come from the v0 summary's scheduler pid.
    assert.deepEqual(server.store.current!.a.get('marathon.mesos.'), ['10.0.1.2']);
    assert.equal(
      server.store.current!.srv.get('_framework._tcp.marathon.mesos.')?.[0]?.port,
      40001,
    );
  });

  it('/v1/enumerate comes from the stream worker, byte for byte as a poll renders it', async () => {
    await assertMatchesPoll(server, config, sim.address);
    const polled = await polledRecords(config, sim.address);
    const res = await fetch(`http://127.0.0.1:${server.http!.port}/v1/enumerate`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), Buffer.concat(enumerationBytes(polled)).toString());
  });

  it('TASK_ADDED and TASK_UPDATED (running → killed) reach the DNS answers', async () => {
    const id = sim.startTask({
      name: 'fresh',
      agent: 2,
      ports: [[31600, 31601]],
      containerIps: ['172.17.0.99'],
    });
    await waitUntil(
      async () => (await addresses(server, 'fresh.marathon.mesos.')).length === 1,
      WAIT_MS,
      'TASK_ADDED to be served',
    );
    assert.deepEqual(await addresses(server, 'fresh.marathon.mesos.'), ['172.17.0.99']);
    await assertMatchesPoll(server, config, sim.address);
    sim.killTask(id);
    await waitUntil(
      async () => (await addresses(server, 'fresh.marathon.mesos.')).length === 0,
      WAIT_MS,
      'the killed task to leave the answers',
    );
    await assertMatchesPoll(server, config, sim.address);
  });

  it('TASK_UPDATED joins by task id; a staging task starts running; new container IPs', async () => {
    const id = sim.startTask({ name: 'late', agent: 0, state: 'TASK_STAGING' });
    await assertMatchesPoll(server, config, sim.address);
    assert.equal(server.store.current!.a.get('late.marathon.mesos.'), undefined);
    sim.updateTask(id, { state: 'TASK_RUNNING', containerIps: ['172.17.5.5'] });
    await waitUntil(
      () => server.store.current!.a.get('late.marathon.mesos.')?.[0] === '172.17.5.5',
      WAIT_MS,
      'the running task',
    );
    await assertMatchesPoll(server, config, sim.address);
    sim.updateTask(id, { state: 'TASK_FAILED' });
    await assertMatchesPoll(server, config, sim.address);
    assert.equal(server.store.current!.a.get('late.marathon.mesos.'), undefined);
  });

  it('AGENT_ADDED and AGENT_REMOVED', async () => {
    const agent = sim.addAgent('10.0.9.9');
    sim.startTask({ name: 'onnew', agent: sim.cluster.slaves.length - 1 });
    await assertMatchesPoll(server, config, sim.address);
    assert.ok(server.store.current!.a.get('slave.mesos.')?.includes('10.0.9.9'));
    assert.deepEqual(server.store.current!.a.get('onnew.marathon.slave.mesos.'), ['10.0.9.9']);
    sim.removeAgent(agent);
    await assertMatchesPoll(server, config, sim.address);
    assert.equal(server.store.current!.a.get('onnew.marathon.slave.mesos.'), undefined);
    assert.ok(!server.store.current!.a.get('slave.mesos.')?.includes('10.0.9.9'));
  });

  it('FRAMEWORK_ADDED, FRAMEWORK_UPDATED (name and pid) and FRAMEWORK_REMOVED', async () => {
    const id = sim.addFramework('chronos');
    sim.startTask({ name: 'job', framework: 'chronos', agent: 1 });
    await assertMatchesPoll(server, config, sim.address);
    assert.deepEqual(server.store.current!.a.get('job.chronos.mesos.'), ['10.0.2.2']);
    sim.updateFramework(id, { name: 'metronome', pid: 'scheduler-x@10.0.7.7:7777' });
    await assertMatchesPoll(server, config, sim.address);
    assert.equal(server.store.current!.a.get('job.chronos.mesos.'), undefined);
    assert.deepEqual(server.store.current!.a.get('metronome.mesos.'), ['10.0.7.7']);
    assert.equal(
      server.store.current!.srv.get('_framework._tcp.metronome.mesos.')?.[0]?.port,
      7777,
    );
    sim.removeFramework(id);
    await assertMatchesPoll(server, config, sim.address);
    assert.equal(server.store.current!.a.get('metronome.mesos.'), undefined);
  });

  it('edits made to the cluster directly go out as events too', async () => {
    const marathon = sim.cluster.frameworks[0]!;
    const task = marathon.tasks.find((t) => t.name === 'db')!;
    task.discovery!.ports!.ports![0]!.name = 'pg';
    marathon.tasks.splice(
      marathon.tasks.indexOf(marathon.tasks.find((t) => t.name === 'v6app')!),
      1,
    );
    sim.changed();
    await assertMatchesPoll(server, config, sim.address);
    assert.ok(server.store.current!.srv.has('_pg._db._tcp.marathon.mesos.'));
  });

  it('counts events by type, and a 1,000-task deploy is a handful of swaps', async () => {
    const before = server.store.generation;
    for (let i = 0; i < 1000; i++)
      sim.startTask({
        name: `bulk`,
        agent: i % 3,
        ports: [[32000 + (i % 500), 32000 + (i % 500)]],
      });
    await waitUntil(() => server.store.current!.counts.tasks >= 1000, WAIT_MS, 'the deploy');
    await assertMatchesPoll(server, config, sim.address);
    const swaps = server.store.generation - before;
    assert.ok(swaps <= 10, `1,000 TASK_ADDED events took ${swaps} swaps`);
    await waitUntil(
      () => (server.streamer!.status.events['TASK_ADDED'] ?? 0) >= 1000,
      WAIT_MS,
      `event counts (${JSON.stringify(server.streamer!.status)})`,
    );
    const metrics = await server.metrics.registry.metrics();
    assert.match(metrics, /mesos_dns_stream_events_total\{type="TASK_ADDED"\} \d+/);
    assert.match(metrics, /mesos_dns_stream_subscriptions_total 1/);
    assert.match(metrics, /mesos_dns_stream_propagation_seconds_count [1-9]/);
    assert.match(metrics, /mesos_dns_stream_seconds_since_heartbeat -?\d/);
  });
});
