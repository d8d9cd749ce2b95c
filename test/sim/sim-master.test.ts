import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildCluster, countTasks, demoCluster } from '../../sim/cluster.ts';
import { SimMaster } from '../../sim/master.ts';
import type { MesosState } from '../../src/state/types.ts';

async function get(
  url: string,
): Promise<{ status: number; body: string; location: string | null }> {
  const response = await fetch(url, { redirect: 'manual' });
  return {
    status: response.status,
    body: await response.text(),
    location: response.headers.get('location'),
  };
}

describe('buildCluster', () => {
  it('builds 50k tasks with the requested mix', () => {
    const cluster = buildCluster({
      apps: 10_000,
      instancesPerApp: 5,
      agents: 1000,
      discoveryEvery: 4,
      containerIpEvery: 3,
      ipv6Agents: 10,
      stagingEvery: 50,
    });
    assert.equal(countTasks(cluster), 50_000);
    const tasks = cluster.frameworks[0]!.tasks;
    assert.equal(tasks.filter((t) => t.discovery !== undefined).length, 2500 * 5);
    assert.equal(tasks.filter((t) => t.state === 'TASK_STAGING').length, 1000);
    assert.equal(cluster.slaves.filter((s) => s.hostname.includes(':')).length, 10);
    const withIp = tasks.filter(
      (t) =>
        t.statuses?.at(-1)?.container_status?.network_infos?.[0]?.ip_addresses?.[0]?.ip_address,
    );
    assert.equal(withIp.length, Math.ceil(50_000 / 3));
    assert.match(tasks[0]!.resources.ports ?? '', /^\[\d+-\d+\]$/);
    const agentIds = new Set(cluster.slaves.map((s) => s.id));
    assert.ok(tasks.every((t) => agentIds.has(t.slave_id)));
  });

  it('is deterministic for a seed', () => {
    assert.deepEqual(buildCluster({ apps: 3, seed: 9 }), buildCluster({ apps: 3, seed: 9 }));
    assert.notDeepEqual(buildCluster({ apps: 3, seed: 9 }), buildCluster({ apps: 3, seed: 10 }));
  });
});

describe('SimMaster', () => {
  it('serves a Mesos 1.x state on every alias, with the demo cluster', async () => {
    const master = await SimMaster.start({ cluster: demoCluster() });
    try {
      for (const path of ['/master/state', '/master/state.json', '/state', '/state.json']) {
        const { status, body } = await get(`${master.url}${path}`);
        assert.equal(status, 200, path);
        const state = JSON.parse(body) as MesosState & Record<string, unknown>;
        assert.equal(state.leader, master.upid);
        assert.equal(state.leader_info?.port, master.port);
        assert.equal(state.leader_info?.ip, 0x0100007f); // 127.0.0.1 as Mesos writes it
        assert.equal(typeof state['version'], 'string');
        assert.deepEqual(
          state.frameworks?.map((f) => f.name),
          ['marathon', 'my.framework.v2'],
        );
        const marathon = state.frameworks?.[0];
        assert.equal(
          marathon?.tasks?.filter((t) => t.name === 'web' && t.state === 'TASK_RUNNING').length,
          3,
        );
        const db = marathon?.tasks?.find((t) => t.name === 'db');
        assert.deepEqual(
          db?.discovery?.ports?.ports?.map((p) => p.name),
          ['postgres', 'metrics'],
        );
        assert.equal(marathon?.tasks?.find((t) => t.name === 'batch')?.state, 'TASK_STAGING');
        assert.ok(state.slaves?.some((s) => s.hostname === 'fd00::2:4'));
      }
      assert.equal(master.stateRequests, 4);
      assert.equal((await get(`${master.url}/health`)).status, 200);
      assert.equal((await get(`${master.url}/nope`)).status, 404);
    } finally {
      await master.close();
    }
  });

  it('changes while running: tasks, leader, failures', async () => {
    const master = await SimMaster.start({ cluster: demoCluster() });
    const state = async (): Promise<MesosState> =>
      JSON.parse((await get(`${master.url}/master/state`)).body) as MesosState;
    try {
      const id = master.startTask({
        name: 'extra',
        framework: 'my.framework.v2',
        agent: 2,
        ports: [[31400, 31401]],
      });
      let s = await state();
      const extra = s.frameworks?.[1]?.tasks?.find((t) => t.id === id);
      assert.equal(extra?.resources?.ports, '[31400-31401]');
      assert.equal(extra?.slave_id, s.slaves?.[2]?.id);

      assert.equal(master.killTask(id), true);
      assert.equal(master.killTask(id), false);
      s = await state();
      assert.equal(
        s.frameworks?.[1]?.tasks?.some((t) => t.id === id),
        false,
      );
      assert.equal(
        s.frameworks?.[1]?.completed_tasks?.find((t) => t.id === id)?.state,
        'TASK_KILLED',
      );

      master.setLeader('master@10.9.9.9:5050');
      s = await state();
      assert.equal(s.leader, 'master@10.9.9.9:5050');
      const redirect = await get(`${master.url}/master/redirect`);
      assert.equal(redirect.status, 307);
      assert.equal(redirect.location, '//10.9.9.9:5050');

      master.setFailing(503);
      assert.equal((await get(`${master.url}/master/state`)).status, 503);
      master.setFailing('garbage');
      assert.equal((await get(`${master.url}/master/state`)).body.startsWith('<html>'), true);
    } finally {
      await master.close();
    }
  });

  it('requires basic credentials when configured', async () => {
    const master = await SimMaster.start({
      cluster: demoCluster(),
      auth: { principal: 'p', secret: 's' },
    });
    try {
      assert.equal((await get(`${master.url}/master/state`)).status, 401);
      const ok = await fetch(`${master.url}/master/state`, {
        headers: { authorization: `Basic ${Buffer.from('p:s').toString('base64')}` },
      });
      assert.equal(ok.status, 200);
      await ok.arrayBuffer();
    } finally {
      await master.close();
    }
  });
});
