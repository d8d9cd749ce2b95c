import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import zookeeper from 'node-zookeeper-client';
import { createLogger, silentLogger } from '../../src/log.ts';
import type { MasterView } from '../../src/mesos/leader.ts';
import { ZkDetector } from '../../src/mesos/zk/detector.ts';
import { ZkUrlError } from '../../src/net/zk-url.ts';
import { Metrics } from '../../src/metrics/metrics.ts';
import { sampleOf } from '../metrics/exposition.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';
import {
  closeClient,
  connectClient,
  masterInfo,
  registerMaster,
  startZooKeeper,
  type FakeMaster,
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

function detector(
  group: string,
  timeoutSeconds = 0,
  logger = silentLogger(),
  observer?: Metrics,
): ZkDetector {
  const d = new ZkDetector({
    url: `zk://${zk.hostPort}${group}`,
    detectionTimeoutSeconds: timeoutSeconds,
    logger,
    spinDelayMs: 200,
    observer,
  });
  cleanups.push(() => d.stop());
  return d;
}

async function master(group: string, ip: string, port = 5050): Promise<FakeMaster> {
  const m = await registerMaster(zk.hostPort, group, masterInfo(ip, port));
  cleanups.push(() => m.close());
  return m;
}

function captureLogs(): {
  logger: ReturnType<typeof createLogger>;
  lines: () => Record<string, unknown>[];
} {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return {
    logger: createLogger(1, sink),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

test('detects the leader and lists every master in sequence order', async () => {
  await master('/mesos-a', '10.0.0.1');
  await master('/mesos-a', '10.0.0.2');
  await master('/mesos-a', '10.0.0.3', 5051);
  const metrics = new Metrics({ version: 'test', processMetrics: false });
  assert.equal(await sampleOf(metrics, 'mesos_dns_zk_connected'), undefined, 'absent before zk');
  const d = detector('/mesos-a', 0, silentLogger(), metrics);
  await d.start();
  await waitUntil(() => d.current().masters.length === 3, WAIT_MS, 'three masters');
  assert.deepEqual(d.current(), {
    leader: '10.0.0.1:5050',
    masters: ['10.0.0.1:5050', '10.0.0.2:5050', '10.0.0.3:5051'],
  });
  assert.equal(await sampleOf(metrics, 'mesos_dns_zk_connected'), 1);
  await d.stop();
  assert.equal(await sampleOf(metrics, 'mesos_dns_zk_connected'), 0);
});

test('a leader change is reported, with onChange', async () => {
  const m1 = await master('/mesos-b', '10.0.1.1');
  const m2 = await master('/mesos-b', '10.0.1.2');
  const d = detector('/mesos-b');
  const seen: MasterView[] = [];
  d.onChange((v) => seen.push(v));
  await d.start();
  await waitUntil(() => d.current().leader === '10.0.1.1:5050', WAIT_MS, 'first leader');

  // The leader's session ends (master died): ZooKeeper deletes its ephemeral node.
  await m1.close();
  await waitUntil(() => d.current().leader === '10.0.1.2:5050', WAIT_MS, 'second leader');
  assert.deepEqual(d.current().masters, ['10.0.1.2:5050']);
  assert.deepEqual(seen.at(-1), { leader: '10.0.1.2:5050', masters: ['10.0.1.2:5050'] });

  // A newly registered master queues behind the leader.
  await master('/mesos-b', '10.0.1.3');
  await waitUntil(() => d.current().masters.length === 2, WAIT_MS, 'new master listed');
  assert.deepEqual(d.current(), {
    leader: '10.0.1.2:5050',
    masters: ['10.0.1.2:5050', '10.0.1.3:5050'],
  });

  // The leader's node deleted while its session lives on (leadership given up).
  await m2.remove();
  await waitUntil(() => d.current().leader === '10.0.1.3:5050', WAIT_MS, 'third leader');
});

test('old protobuf info_ nodes are ignored with one warning; bad JSON is skipped', async () => {
  const legacy = await registerMaster(zk.hostPort, '/mesos-c', Buffer.from([8, 1, 16, 2]), 'info_');
  cleanups.push(() => legacy.close());
  const broken = await registerMaster(zk.hostPort, '/mesos-c', Buffer.from('{"id":'));
  cleanups.push(() => broken.close());
  await master('/mesos-c', '10.0.2.1');
  const { logger, lines } = captureLogs();
  const d = detector('/mesos-c', 0, logger);
  await d.start();
  await waitUntil(() => d.current().leader !== null, WAIT_MS, 'a leader');
  assert.deepEqual(d.current(), { leader: '10.0.2.1:5050', masters: ['10.0.2.1:5050'] });

  // Another change re-reads the group; the legacy warning must not repeat.
  await master('/mesos-c', '10.0.2.2');
  await waitUntil(() => d.current().masters.length === 2, WAIT_MS, 'second master');
  const legacyWarnings = lines().filter((l) => String(l.msg).includes('ignoring info_ nodes'));
  assert.equal(legacyWarnings.length, 1);
  assert.ok(lines().some((l) => String(l.msg).includes('MasterInfo cannot be read')));
});

test('waits for a group path that does not exist yet', async () => {
  const metrics = new Metrics({ version: 'test', processMetrics: false });
  const d = detector('/mesos-d/deep', 0, silentLogger(), metrics);
  await d.start();
  await waitUntil(
    async () => (await sampleOf(metrics, 'mesos_dns_zk_connected')) === 1,
    WAIT_MS,
    'connection',
  );
  assert.equal(d.current().leader, null);
  await master('/mesos-d/deep', '10.0.3.1');
  await waitUntil(
    () => d.current().leader === '10.0.3.1:5050',
    WAIT_MS,
    'leader after path created',
  );
});

test('onFatal fires after zkDetectionTimeout when no master registers', async () => {
  const d = detector('/mesos-e', 1);
  const errors: Error[] = [];
  d.onFatal((e) => errors.push(e));
  await d.start();
  await waitUntil(() => errors.length > 0, WAIT_MS, 'fatal error');
  assert.match(
    errors[0]!.message,
    new RegExp(`^no Mesos leader found in ZooKeeper zk://${zk.hostPort}/mesos-e within 1s`),
  );
});

test('a leader found in time cancels the detection timeout', async () => {
  await master('/mesos-f', '10.0.4.1');
  const d = detector('/mesos-f', 1);
  const errors: Error[] = [];
  d.onFatal((e) => errors.push(e));
  await d.start();
  await waitUntil(() => d.current().leader !== null, WAIT_MS, 'leader');
  await new Promise((r) => setTimeout(r, 1500));
  assert.deepEqual(errors, []);
});

test('a bad zk URL is rejected with a clear error', () => {
  assert.throws(
    () =>
      new ZkDetector({
        url: 'zk://127.0.0.1:2181',
        detectionTimeoutSeconds: 0,
        logger: silentLogger(),
      }),
    (err: unknown) => err instanceof ZkUrlError && /has no path/.test(err.message),
  );
  assert.throws(
    () => new ZkDetector({ url: 'zk://h/m', detectionTimeoutSeconds: -1, logger: silentLogger() }),
    /zkDetectionTimeout/,
  );
});

test('stop() leaves no sockets or timers behind', async () => {
  await master('/mesos-g', '10.0.5.1');
  const count = (): number =>
    process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'TCPSocketWrap').length;
  const before = count();
  const d = new ZkDetector({
    url: `zk://${zk.hostPort}/mesos-g`,
    detectionTimeoutSeconds: 30,
    logger: silentLogger(),
  });
  await d.start();
  await waitUntil(() => d.current().leader !== null, WAIT_MS, 'leader');
  assert.ok(count() > before);
  await d.stop();
  await waitUntil(() => count() <= before, WAIT_MS, 'resources released');
});

test('IPv6 hosts in the zk URL reach the library (an unused [::1] port, then the real one)', async () => {
  await master('/mesos-v6', '10.0.6.1');
  const d = new ZkDetector({
    url: `zk://[::1]:1,${zk.hostPort}/mesos-v6`,
    detectionTimeoutSeconds: 0,
    logger: silentLogger(),
    spinDelayMs: 200,
  });
  cleanups.push(() => d.stop());
  await d.start();
  await waitUntil(
    () => d.current().leader === '10.0.6.1:5050',
    WAIT_MS,
    'leader via the IPv4 host',
  );
});

test('digest credentials from user:pass@ open a group that ACLs protect', async () => {
  const user = 'mesos';
  const password = 'secret';
  const digest = createHash('sha1').update(`${user}:${password}`).digest('base64');
  const admin = await connectClient(zk.hostPort);
  cleanups.push(() => closeClient(admin));
  admin.addAuthInfo('digest', Buffer.from(`${user}:${password}`));
  const acl = [
    new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('digest', `${user}:${digest}`)),
  ];
  await new Promise<void>((resolve, reject) => {
    admin.create('/mesos-acl', Buffer.alloc(0), acl, zookeeper.CreateMode.PERSISTENT, (err) =>
      err ? reject(new Error(String(err))) : resolve(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    admin.create(
      '/mesos-acl/json.info_',
      Buffer.from(JSON.stringify(masterInfo('10.0.7.1'))),
      acl,
      zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL,
      (err) => (err ? reject(new Error(String(err))) : resolve()),
    );
  });

  const withAuth = new ZkDetector({
    url: `zk://${user}:${password}@${zk.hostPort}/mesos-acl`,
    detectionTimeoutSeconds: 0,
    logger: silentLogger(),
  });
  cleanups.push(() => withAuth.stop());
  const { logger, lines } = captureLogs();
  const without = detector('/mesos-acl', 0, logger);
  await Promise.all([withAuth.start(), without.start()]);
  await waitUntil(
    () => withAuth.current().leader === '10.0.7.1:5050',
    WAIT_MS,
    'leader with credentials',
  );
  await waitUntil(
    () => lines().some((l) => String(l.msg).includes('denied reading')),
    WAIT_MS,
    'NO_AUTH reported without credentials',
  );
  assert.equal(without.current().leader, null);
});

test('the probe reads the injected clock: time leaping past its window drops the connection', async () => {
  await master('/mesos-clock', '10.0.8.1');
  let offset = 0;
  const { logger, lines } = captureLogs();
  const d = new ZkDetector({
    url: `zk://${zk.hostPort}/mesos-clock`,
    detectionTimeoutSeconds: 0,
    logger,
    spinDelayMs: 200,
    sessionTimeoutMs: 1500,
    clock: { now: () => Date.now() + offset },
  });
  cleanups.push(() => d.stop());
  const said = (text: string): number => lines().filter((l) => String(l.msg).includes(text)).length;
  await d.start();
  await waitUntil(() => d.current().leader === '10.0.8.1:5050', WAIT_MS, 'leader');
  // The server answers every probe; only the clock says they are late. Each poll leaps 10 s, so a
  // reply landing between two leaps cannot hide the gap.
  await waitUntil(
    () => {
      offset += 10_000;
      return said('stopped answering') > 0;
    },
    WAIT_MS,
    'the probe to judge the server silent by the injected clock',
  );
  await waitUntil(() => said('connected to ZooKeeper') >= 2, WAIT_MS, 'reconnected');
});
