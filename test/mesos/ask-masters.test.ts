import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { demoCluster } from '../../sim/cluster.ts';
import { SimMaster } from '../../sim/master.ts';
import { MesosStateError } from '../../src/mesos/errors.ts';
import { loadState } from '../../src/mesos/ask-masters.ts';
import { upidAddress as leaderAddress } from '../../src/net/host-port.ts';
import { StateClient } from '../../src/mesos/state-client.ts';

describe('leaderAddress', () => {
  it('takes host:port from a UPID', () => {
    assert.equal(leaderAddress('master@10.0.0.1:5050'), '10.0.0.1:5050');
    assert.equal(leaderAddress('master@[fd00::1]:5050'), '[fd00::1]:5050');
    assert.equal(leaderAddress('master@fd00::1:5050'), '[fd00::1]:5050');
    assert.equal(leaderAddress('master@m1.example:5050'), 'm1.example:5050');
  });

  it('returns null for empty or broken UPIDs', () => {
    assert.equal(leaderAddress(undefined), null);
    assert.equal(leaderAddress(''), null);
    assert.equal(leaderAddress('master@10.0.0.1'), null);
    assert.equal(leaderAddress('master@10.0.0.1:99999'), null);
  });
});

describe('loadState against simulated masters', () => {
  let a: SimMaster;
  let b: SimMaster;
  let client: StateClient;
  const fetch = (master: string) => client.fetchState(master);

  before(async () => {
    a = await SimMaster.start({ cluster: demoCluster() });
    b = await SimMaster.start({ cluster: demoCluster() });
    client = new StateClient({ https: false, timeoutMs: 2000, maxBytes: 10_000_000 });
  });
  after(async () => {
    await client.close();
    await a.close();
    await b.close();
  });

  const reset = (): void => {
    for (const m of [a, b]) {
      m.setLeader(null);
      m.setFailing(null);
    }
  };

  it('uses the first master when it leads', async () => {
    reset();
    const loaded = await loadState(fetch, [a.address, b.address]);
    assert.equal(loaded.master, a.address);
    assert.equal(loaded.leader, a.address);
  });

  it('follows a non-leading master to the leader it names', async () => {
    reset();
    a.setLeader(b.upid);
    const before = b.stateRequests;
    const loaded = await loadState(fetch, [a.address]);
    assert.equal(loaded.master, b.address);
    assert.equal(loaded.leader, b.address);
    assert.equal(b.stateRequests, before + 1);
  });

  it('follows the leader only once when two masters name each other', async () => {
    reset();
    a.setLeader(b.upid);
    b.setLeader(a.upid);
    const aBefore = a.stateRequests;
    const bBefore = b.stateRequests;
    const loaded = await loadState(fetch, [a.address, b.address]);
    assert.equal(loaded.master, b.address);
    assert.equal(a.stateRequests - aBefore, 1);
    assert.equal(b.stateRequests - bBefore, 1);
  });

  it('tries the next master when one fails', async () => {
    reset();
    a.setFailing(503);
    const loaded = await loadState(fetch, [a.address, b.address]);
    assert.equal(loaded.master, b.address);
  });

  it('lists every failure when no master answers', async () => {
    reset();
    a.setFailing(500);
    b.setFailing('garbage');
    await assert.rejects(loadState(fetch, [a.address, b.address]), (error: unknown) => {
      assert.ok(error instanceof MesosStateError);
      assert.equal(error.code, 'MESOS_NO_MASTER');
      assert.match(error.message, new RegExp(`${a.address}.*HTTP 500`));
      assert.match(error.message, new RegExp(`${b.address}.*not JSON`));
      return true;
    });
    reset();
  });

  it('fails clearly with no candidates', async () => {
    await assert.rejects(loadState(fetch, []), /no masters are known/);
  });
});

describe('loadState with a 307 from a non-leading master', () => {
  it('asks the leader named in Location', async () => {
    const leader = await SimMaster.start({ cluster: demoCluster() });
    const { createServer } = await import('node:http');
    const follower = createServer((_req, res) => {
      res.writeHead(307, { location: `//${leader.address}/master/state` }).end();
    });
    await new Promise<void>((resolve) => follower.listen(0, '127.0.0.1', resolve));
    const port = (follower.address() as { port: number }).port;
    const client = new StateClient({ https: false, timeoutMs: 2000, maxBytes: 10_000_000 });
    try {
      const loaded = await loadState((m) => client.fetchState(m), [`127.0.0.1:${port}`]);
      assert.equal(loaded.master, leader.address);
      assert.equal(loaded.state.frameworks?.length, 2);
    } finally {
      await client.close();
      await new Promise<void>((resolve) => follower.close(() => resolve()));
      await leader.close();
    }
  });
});
