import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../src/log.ts';
import type { LeaderSource, MasterView } from '../../src/mesos/leader.ts';
import { ZkDetector } from '../../src/mesos/zk/detector.ts';
import { LeaderFallback } from '../../src/mesos/leader-fallback.ts';
import { createZkLeaderSource } from '../../src/mesos/zk/leader-source.ts';
import { Metrics } from '../../src/metrics/metrics.ts';
import { sampleOf } from '../metrics/exposition.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';
import {
  masterInfo,
  registerMaster,
  startZooKeeper,
  type ZooKeeperServer,
} from '../helpers/zookeeper.ts';

let zk: ZooKeeperServer;
const cleanups: (() => Promise<void>)[] = [];

before(async () => {
  zk = await startZooKeeper();
});

after(async () => {
  for (const clean of cleanups.reverse()) {
    await clean().catch(() => undefined);
  }
  await zk.close();
});

/** A fixed masters list, standing in for MastersListSource. */
class StaticSource implements LeaderSource {
  private readonly view: MasterView;
  constructor(masters: string[]) {
    this.view = { leader: null, masters };
  }
  start(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  current(): MasterView {
    return this.view;
  }
  onChange(): void {
    // static: never changes
  }
  onFatal(): void {
    // static: never gives up
  }
  noteLeader(): void {
    // static: no hints kept
  }
}

async function master(group: string, ip: string): Promise<void> {
  const m = await registerMaster(zk.hostPort, group, masterInfo(ip));
  cleanups.push(() => m.close());
}

function zkDetector(group: string, timeoutSeconds: number, observer?: Metrics): ZkDetector {
  const d = new ZkDetector({
    url: `zk://${zk.hostPort}${group}`,
    detectionTimeoutSeconds: timeoutSeconds,
    logger: silentLogger(),
    spinDelayMs: 200,
    sessionTimeoutMs: 4000,
    observer,
  });
  cleanups.push(() => d.stop());
  return d;
}

test('without a fallback, ZooKeeper going away leads to onFatal after zkDetectionTimeout', async () => {
  await master('/mesos', '10.1.0.1');
  const d = zkDetector('/mesos', 2);
  const errors: Error[] = [];
  d.onFatal((e) => errors.push(e));
  await d.start();
  await waitUntil(() => d.current().leader === '10.1.0.1:5050', WAIT_MS, 'leader');

  await zk.kill();
  await waitUntil(() => d.current().leader === null, WAIT_MS, 'leader dropped on disconnect');
  // The stale list stays: the masters are still worth asking while ZooKeeper is down.
  assert.deepEqual(d.current().masters, ['10.1.0.1:5050']);
  assert.equal(errors.length, 0);
  const waited = await waitUntil(() => errors.length > 0, WAIT_MS, 'fatal error');
  assert.ok(waited >= 1000, `fatal came too early (${waited} ms after the leader dropped)`);
  assert.match(
    errors[0]!.message,
    new RegExp(
      `no Mesos leader found in ZooKeeper zk://${zk.hostPort}/mesos within 2s \\(ZooKeeper unreachable\\)`,
    ),
  );
  await d.stop();
  await zk.start();
});

test('with a fallback, the masters list serves while ZooKeeper is down and ZooKeeper wins when back', async () => {
  await master('/mesos-fb', '10.2.0.1');
  const metrics = new Metrics({ version: 'test', processMetrics: false });
  const gauge = (name: string): Promise<number | undefined> => sampleOf(metrics, name);
  const source = createZkLeaderSource({
    url: `zk://${zk.hostPort}/mesos-fb`,
    detectionTimeoutSeconds: 1,
    logger: silentLogger(),
    spinDelayMs: 200,
    sessionTimeoutMs: 4000,
    fallback: new StaticSource(['10.9.0.1:5050', '10.9.0.2:5050']),
    observer: metrics,
  });
  cleanups.push(() => source.stop());
  assert.ok(source instanceof LeaderFallback);
  const fatals: Error[] = [];
  source.onFatal((e) => fatals.push(e));
  const views: MasterView[] = [];
  source.onChange((v) => views.push(v));
  await source.start();
  await waitUntil(() => source.current().leader === '10.2.0.1:5050', WAIT_MS, 'ZooKeeper leader');
  assert.equal(await gauge('mesos_dns_leader_fallback_active'), 0);
  assert.equal(await gauge('mesos_dns_zk_connected'), 1);

  await zk.kill();
  await waitUntil(
    async () => (await gauge('mesos_dns_leader_fallback_active')) === 1,
    WAIT_MS,
    'switch to the masters list',
  );
  assert.equal(await gauge('mesos_dns_zk_connected'), 0);
  assert.deepEqual(source.current(), { leader: null, masters: ['10.9.0.1:5050', '10.9.0.2:5050'] });
  await new Promise((r) => setTimeout(r, 1500)); // past the 1 s zkDetectionTimeout
  assert.deepEqual(fatals, []);

  await zk.start();
  // The master's session survives a short outage, so its node is still there.
  await waitUntil(
    () => source.current().leader === '10.2.0.1:5050',
    WAIT_MS,
    'ZooKeeper leader again',
  );
  assert.equal(await gauge('mesos_dns_leader_fallback_active'), 0);
  assert.equal(await gauge('mesos_dns_zk_connected'), 1);
  assert.deepEqual(views.at(-1), { leader: '10.2.0.1:5050', masters: ['10.2.0.1:5050'] });
});

test('an expired session (ZooKeeper rebuilt empty) is replaced and the group re-watched', async () => {
  await master('/mesos-x', '10.3.0.1');
  const metrics = new Metrics({ version: 'test', processMetrics: false });
  const d = zkDetector('/mesos-x', 0, metrics);
  await d.start();
  await waitUntil(() => d.current().leader === '10.3.0.1:5050', WAIT_MS, 'leader');

  await zk.kill();
  await waitUntil(
    async () => (await sampleOf(metrics, 'mesos_dns_zk_connected')) === 0,
    WAIT_MS,
    'the lost connection noticed',
  );
  await zk.wipe();
  await zk.start();
  // The old session is unknown to the new server: the detector must open a new one.
  await waitUntil(
    async () => (await sampleOf(metrics, 'mesos_dns_zk_connected')) === 1,
    WAIT_MS,
    'reconnected with a new session',
  );
  await waitUntil(() => d.current().masters.length === 0, WAIT_MS, 'empty group seen');
  await master('/mesos-x', '10.3.0.2');
  await waitUntil(
    () => d.current().leader === '10.3.0.2:5050',
    WAIT_MS,
    'leader in the rebuilt group',
  );
});

test('a hung ZooKeeper server (accepts, never answers) is detected and survived', async () => {
  await master('/mesos-h', '10.4.0.1');
  const metrics = new Metrics({ version: 'test', processMetrics: false });
  const d = zkDetector('/mesos-h', 0, metrics);
  await d.start();
  await waitUntil(() => d.current().leader === '10.4.0.1:5050', WAIT_MS, 'leader');

  zk.pause();
  try {
    // The detector's session timeout is 4 s: the probe gives up after ~2.7 s.
    await waitUntil(
      async () => (await sampleOf(metrics, 'mesos_dns_zk_connected')) === 0,
      WAIT_MS,
      'hung server noticed',
    );
    assert.equal(d.current().leader, null);
  } finally {
    zk.resume();
  }
  await waitUntil(() => d.current().leader === '10.4.0.1:5050', WAIT_MS, 'leader after resume');
});
