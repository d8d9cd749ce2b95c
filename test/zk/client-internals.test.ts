// Guards src/mesos/zk/client.ts, the one module that reads node-zookeeper-client's private fields:
// an upgrade that changes them fails here, naming the field, instead of breaking IPv6 hosts,
// hung-server failover or clean shutdown in production.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import zookeeper from 'node-zookeeper-client';
import { silentLogger } from '../../src/log.ts';
import {
  closeZkClient,
  createZkClient,
  dropConnection,
  internalsProblems,
} from '../../src/mesos/zk/client.ts';
import { parseZkUrl } from '../../src/net/zk-url.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';
import { startZooKeeper, type ZooKeeperServer } from '../helpers/zookeeper.ts';

const LIBRARY = 'node-zookeeper-client';
const CHANGED = `${LIBRARY}'s internals changed (src/mesos/zk/client.ts relies on them)`;

let zk: ZooKeeperServer;

before(async () => {
  zk = await startZooKeeper();
});

after(async () => {
  await zk.close();
});

test(`package.json pins ${LIBRARY} exactly, to the installed version`, () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const installed = (
    createRequire(import.meta.url)(`${LIBRARY}/package.json`) as { version: string }
  ).version;
  assert.equal(
    pkg.dependencies[LIBRARY],
    installed,
    `${LIBRARY} must be pinned to an exact version: src/mesos/zk/client.ts reads its private fields`,
  );
});

test('a new client has the private fields the adapter reads and writes', () => {
  // Two hosts, one IPv6: the library cannot parse it, so the adapter must replace its server list.
  const client = createZkClient(parseZkUrl('zk://[::1]:2181,127.0.0.1:2181/mesos'), {
    sessionTimeoutMs: 1000,
    spinDelayMs: 100,
  });
  assert.deepEqual(internalsProblems(client), [], CHANGED);
});

test('against a real server: the socket drops and reconnects, close reaches CLOSED', async () => {
  const client = createZkClient(parseZkUrl(`zk://${zk.hostPort}/mesos`), {
    sessionTimeoutMs: 5000,
    spinDelayMs: 100,
  });
  const states: string[] = [];
  client.on('state', (state) => states.push(state.name));
  client.connect();
  try {
    await waitUntil(() => states.includes('SYNC_CONNECTED'), WAIT_MS, 'the first connection');
    assert.deepEqual(internalsProblems(client), [], CHANGED);

    dropConnection(client);
    await waitUntil(
      () => states.includes('DISCONNECTED'),
      WAIT_MS,
      `dropConnection to close the live socket (${LIBRARY} ConnectionManager#socket)`,
    );
    await waitUntil(
      () => states.lastIndexOf('SYNC_CONNECTED') > states.indexOf('DISCONNECTED'),
      WAIT_MS,
      'the library to reconnect on its own after the dropped socket',
    );
    assert.equal(client.getState(), zookeeper.State.SYNC_CONNECTED);
  } finally {
    const closed = await closeZkClient(client, silentLogger());
    assert.equal(
      closed,
      true,
      `${CHANGED}: ConnectionManager#state never reached CLOSED (-2) after close()`,
    );
  }
});
