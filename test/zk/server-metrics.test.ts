// The ZooKeeper health gauges as an operator scrapes them: startServer with `zk` (and a `masters`
// fallback) against a real ZooKeeper, /metrics over HTTP.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { demoCluster } from '../../sim/cluster.ts';
import { SimMaster } from '../../sim/master.ts';
import { parseExposition } from '../metrics/exposition.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';
import {
  masterInfo,
  registerMaster,
  startZooKeeper,
  type ZooKeeperServer,
} from '../helpers/zookeeper.ts';

let zk: ZooKeeperServer;
let sim: SimMaster;
const cleanups: (() => Promise<void>)[] = [];

before(async () => {
  [zk, sim] = await Promise.all([startZooKeeper(), SimMaster.start({ cluster: demoCluster() })]);
});

after(async () => {
  for (const clean of cleanups.reverse()) await clean().catch(() => undefined);
  await Promise.all([zk.close(), sim.close()]);
});

async function serve(extra: Record<string, unknown>): Promise<RunningServer> {
  const { config } = buildConfig({
    port: 0,
    httpport: 0,
    listener: '127.0.0.1',
    HTTPListener: '127.0.0.1',
    externalon: false,
    refreshSeconds: 60,
    stateTimeoutSeconds: 2,
    ...extra,
  });
  const server = await startServer(config, { logger: silentLogger() });
  cleanups.push(() => server.close());
  return server;
}

async function gauges(server: RunningServer): Promise<Record<string, number | undefined>> {
  assert.ok(server.http);
  const res = await fetch(`http://127.0.0.1:${server.http.port}/metrics`);
  assert.equal(res.status, 200);
  const samples = parseExposition(await res.text());
  const value = (name: string): number | undefined => samples.find((s) => s.name === name)?.value;
  return {
    zkConnected: value('mesos_dns_zk_connected'),
    fallbackActive: value('mesos_dns_leader_fallback_active'),
  };
}

test('without zk there are no ZooKeeper gauges', async () => {
  const server = await serve({ masters: [sim.address] });
  await waitUntil(() => server.store.current !== null, WAIT_MS, 'the first state load');
  assert.deepEqual(await gauges(server), { zkConnected: undefined, fallbackActive: undefined });
});

test('zk with a masters fallback: connected, then on the list once ZooKeeper dies', async () => {
  const [ip = '', port = ''] = sim.address.split(':');
  const m = await registerMaster(zk.hostPort, '/mesos', masterInfo(ip, Number(port)));
  cleanups.push(() => m.close());
  const server = await serve({ zk: `zk://${zk.hostPort}/mesos`, masters: [sim.address] });
  await waitUntil(
    async () => (await gauges(server)).zkConnected === 1,
    WAIT_MS,
    'mesos_dns_zk_connected 1',
  );
  await waitUntil(() => server.store.current !== null, WAIT_MS, 'the first state load');
  assert.equal((await gauges(server)).fallbackActive, 0);

  await zk.kill();
  await waitUntil(
    async () => {
      const g = await gauges(server);
      return g.zkConnected === 0 && g.fallbackActive === 1;
    },
    WAIT_MS,
    'mesos_dns_zk_connected 0 and mesos_dns_leader_fallback_active 1',
  );
});
