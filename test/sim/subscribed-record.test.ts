// The SUBSCRIBED record the simulated master sends is rendered task by task into pieces
// (SimMaster.subscribedRecord); it must be the record the whole-tree path makes
// (recordIo(subscribedEvent())), byte for byte and as parsed JSON.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildCluster } from '../../sim/cluster.ts';
import { SimMaster } from '../../sim/master.ts';
import { recordIo } from '../../sim/v1.ts';

/** The one RecordIO record in `bytes`: its length line checked, its JSON parsed. */
function parseRecord(bytes: Buffer): unknown {
  const newline = bytes.indexOf(0x0a);
  assert.ok(newline > 0, 'a length line');
  const length = Number(bytes.subarray(0, newline).toString('ascii'));
  assert.equal(length, bytes.length - newline - 1, 'the length line gives the body length');
  return JSON.parse(bytes.subarray(newline + 1).toString('utf8'));
}

/** A cluster with every kind of task the sim makes (~5.5 MB of JSON). */
async function variedMaster(): Promise<SimMaster> {
  const cluster = buildCluster({
    apps: 800,
    instancesPerApp: 5,
    agents: 40,
    discoveryEvery: 4,
    containerIpEvery: 3,
    ipv6Agents: 2,
    stagingEvery: 7,
  });
  const tasks = cluster.frameworks[0]!.tasks;
  tasks[1]!.labels = [
    { key: 'canary', value: 'true' },
    { key: 'team', value: 'façade ✓ 😀' },
  ];
  const master = await SimMaster.start({ cluster, heartbeatSeconds: 7 });
  master.addFramework('my.framework.v2');
  master.startTask({ name: 'ünïcode-😀', framework: 'my.framework.v2', agent: 3 });
  master.startTask({ name: 'web', agent: 39, ports: [[31500, 31501]], containerIps: ['fd01::9'] });
  master.updateTask(tasks[5]!.id, { healthy: false, containerIps: ['172.16.9.9'] });
  master.killTask(tasks[6]!.id);
  master.setRecoveredAgents([cluster.slaves[2]!.id]);
  return master;
}

describe('SimMaster.subscribedRecord', () => {
  it('is the whole-tree record byte for byte, in pieces, with the same parsed JSON', async () => {
    const master = await variedMaster();
    try {
      for (const padding of [0, 300]) {
        master.setSubscribedPadding(padding);
        const reference = recordIo(master.subscribedEvent());
        const pieces = master.subscribedRecord();
        assert.ok(pieces.length >= 2, `a length line, then the JSON (${pieces.length})`);
        const fast = Buffer.concat(pieces);
        assert.deepEqual(parseRecord(fast), parseRecord(reference));
        assert.ok(fast.equals(reference), 'the same bytes');
        const event = parseRecord(fast) as {
          subscribed: { get_state: { get_tasks: { tasks: unknown[] } } };
        };
        // 4,000 built + 2 started − 1 killed − those on the recovered agent (every 40th task).
        assert.equal(event.subscribed.get_state.get_tasks.tasks.length, 4000 + 2 - 1 - 100);
      }
    } finally {
      await master.close();
    }
  });

  it('names each task it lists with its JSON', async () => {
    const master = await variedMaster();
    try {
      const listed: string[] = [];
      const record = parseRecord(
        Buffer.concat(master.subscribedRecord((_task, json) => listed.push(json))),
      ) as { subscribed: { get_state: { get_tasks: { tasks: unknown[] } } } };
      assert.deepEqual(
        listed.map((json) => JSON.parse(json) as unknown),
        record.subscribed.get_state.get_tasks.tasks,
      );
    } finally {
      await master.close();
    }
  });

  it('is the first record on a SUBSCRIBE stream', async () => {
    const master = await variedMaster();
    const controller = new AbortController();
    try {
      const response = await fetch(`${master.url}/api/v1`, {
        method: 'POST',
        body: JSON.stringify({ type: 'SUBSCRIBE' }),
        signal: controller.signal,
      });
      assert.equal(response.status, 200);
      const chunks: Buffer[] = [];
      let bytes = Buffer.alloc(0);
      let total = -1;
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        chunks.push(Buffer.from(chunk));
        bytes = Buffer.concat(chunks);
        const newline = bytes.indexOf(0x0a);
        if (total < 0 && newline > 0) {
          total = newline + 1 + Number(bytes.subarray(0, newline).toString('ascii'));
        }
        if (total >= 0 && bytes.length >= total) break;
      }
      assert.ok(total > 0 && bytes.length >= total, 'a whole first record');
      assert.deepEqual(
        parseRecord(bytes.subarray(0, total)),
        JSON.parse(JSON.stringify(master.subscribedEvent())),
      );
    } finally {
      controller.abort();
      await master.close();
    }
  });
});
