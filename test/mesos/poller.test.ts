import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { demoCluster } from '../../sim/cluster.ts';
import { SimMaster } from '../../sim/master.ts';
import { createLogger, silentLogger } from '../../src/log.ts';
import type { LeaderSource, MasterView } from '../../src/mesos/leader.ts';
import { LeaderFallback } from '../../src/mesos/leader-fallback.ts';
import { MastersListSource } from '../../src/mesos/masters-list.ts';
import { StatePoller } from '../../src/mesos/poller.ts';
import type { LoadParams } from '../../src/mesos/reload-protocol.ts';
import type { LoadOutcome, StateLoader } from '../../src/mesos/state-loader.ts';
import { WorkerStateLoader } from '../../src/mesos/state-loader.ts';
import type { RecordSet } from '../../src/records/recordset.ts';
import { RecordStore } from '../../src/records/store.ts';
import { testLoadParams } from '../helpers/load-params.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';

function emptySet(leader: string): RecordSet {
  return {
    domain: 'mesos',
    a: new Map([['leader.mesos.', ['127.0.0.1']]]),
    aaaa: new Map(),
    srv: new Map(),
    ptr: new Map(),
    leader,
    counts: { tasks: 0, frameworks: 0, agents: 0 },
  };
}

/** In-process loader that records overlap and lets the test finish each load. */
class ManualLoader implements StateLoader {
  active = 0;
  maxActive = 0;
  readonly calls: LoadParams[] = [];
  /** The leader each state names; default the master asked. */
  namesLeader: string | null = null;
  readonly #waiting: (() => void)[] = [];

  load(params: LoadParams): Promise<LoadOutcome> {
    this.calls.push(params);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    const master = params.candidates[0] ?? '';
    return new Promise((resolve) => {
      this.#waiting.push(() => {
        this.active--;
        resolve({
          set: emptySet(master),
          digest: `digest-${this.calls.length}`,
          transfer: 'full',
          master,
          leader: this.namesLeader ?? master,
          warnings: [],
          timings: { fetchMs: 0, resolveMs: 0, generateMs: 0, transferMs: 0 },
        });
      });
    });
  }

  finishOne(): void {
    this.#waiting.shift()?.();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

class FakeSource implements LeaderSource {
  view: MasterView = { leader: 'm1:5050', masters: ['m1:5050', 'm2:5050'] };
  readonly #listeners: ((view: MasterView) => void)[] = [];
  start(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  current(): MasterView {
    return this.view;
  }
  onChange(listener: (view: MasterView) => void): void {
    this.#listeners.push(listener);
  }
  onFatal(): void {}
  noteLeader(): void {
    // the test decides the view
  }
  change(leader: string): void {
    this.view = { ...this.view, leader };
    for (const l of this.#listeners) l(this.view);
  }
}

describe('StatePoller scheduling', () => {
  it('never overlaps rounds and runs a leader change right after the current round', async () => {
    const loader = new ManualLoader();
    const source = new FakeSource();
    const store = new RecordStore();
    const poller = new StatePoller({
      store,
      source,
      loader,
      refreshSeconds: 3600,
      logger: silentLogger(),
      params: testLoadParams(['m1:5050']),
    });
    try {
      poller.start();
      await waitUntil(() => loader.calls.length === 1, WAIT_MS, 'first round');
      source.change('m2:5050');
      void poller.refresh();
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(loader.calls.length, 1, 'no second round while the first runs');
      loader.finishOne();
      await waitUntil(() => loader.calls.length === 2, WAIT_MS, 'round after the leader change');
      assert.deepEqual(loader.calls[1]?.candidates, ['m2:5050', 'm1:5050']);
      loader.finishOne();
      await waitUntil(() => !poller.status.running, WAIT_MS, 'round end');
      assert.equal(loader.maxActive, 1);
      assert.equal(store.generation, 2);
      // No leader was known before the first round finished: that is not a change.
      assert.equal(poller.status.leaderChanges, 0);
      assert.equal(poller.status.leader, 'm2:5050');
      // A leader change while idle starts a round at once, not after refreshSeconds.
      source.change('m1:5050');
      await waitUntil(() => loader.calls.length === 3, WAIT_MS, 'immediate round on leader change');
      loader.finishOne();
      await waitUntil(() => store.generation === 3, WAIT_MS, 'third swap');
      assert.equal(poller.status.leaderChanges, 1);
    } finally {
      await poller.stop();
    }
  });

  it('with zk and masters both set, the leader a state names is asked first next round', async () => {
    const loader = new ManualLoader();
    loader.namesLeader = 'm2:5050';
    const zk = new FakeSource();
    zk.view = { leader: null, masters: [] }; // ZooKeeper knows nothing: the list is used
    const source = new LeaderFallback(
      zk,
      new MastersListSource(['m1:5050', 'm2:5050']),
      silentLogger(),
    );
    const poller = new StatePoller({
      store: new RecordStore(),
      source,
      loader,
      refreshSeconds: 3600,
      logger: silentLogger(),
      params: testLoadParams(['m1:5050', 'm2:5050']),
    });
    try {
      poller.start();
      await waitUntil(() => loader.calls.length === 1, WAIT_MS, 'first round');
      assert.deepEqual(loader.calls[0]?.candidates, ['m1:5050', 'm2:5050']);
      loader.finishOne();
      await waitUntil(
        () => !poller.status.running && poller.status.leader !== null,
        WAIT_MS,
        'round end',
      );
      void poller.refresh();
      await waitUntil(() => loader.calls.length === 2, WAIT_MS, 'second round');
      assert.deepEqual(loader.calls[1]?.candidates, ['m2:5050', 'm1:5050']);
      loader.finishOne();
      await waitUntil(() => !poller.status.running, WAIT_MS, 'second round end');
    } finally {
      await poller.stop();
    }
  });

  it('runs a round every refreshSeconds', async () => {
    const loader = new ManualLoader();
    const poller = new StatePoller({
      store: new RecordStore(),
      source: new FakeSource(),
      loader,
      refreshSeconds: 0.05,
      logger: silentLogger(),
      params: testLoadParams(['m1:5050']),
    });
    try {
      poller.start();
      for (let i = 1; i <= 3; i++) {
        await waitUntil(() => loader.calls.length === i, WAIT_MS, `round ${i}`);
        loader.finishOne();
      }
    } finally {
      await poller.stop();
    }
    const calls = loader.calls.length;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(loader.calls.length, calls, 'no rounds after stop()');
  });
});

describe('StatePoller with the worker and simulated masters', () => {
  let a: SimMaster;
  let b: SimMaster;
  before(async () => {
    a = await SimMaster.start({ cluster: demoCluster() });
    b = await SimMaster.start({ cluster: demoCluster() });
  });
  after(async () => {
    await a.close();
    await b.close();
  });

  it('keeps the last good records when every master fails, and recovers', async () => {
    const store = new RecordStore();
    const source = new MastersListSource([a.address]);
    const poller = new StatePoller({
      store,
      source,
      loader: new WorkerStateLoader(),
      refreshSeconds: 3600,
      logger: silentLogger(),
      params: testLoadParams([a.address]),
    });
    try {
      poller.start();
      await waitUntil(() => store.generation === 1, WAIT_MS, 'first load');
      const good = store.current;
      assert.ok(good?.a.has('web.marathon.mesos.'));
      assert.equal(store.lastLoad?.master, a.address);
      assert.equal(source.current().leader, a.address, 'leader remembered for next time');

      a.setFailing(500);
      await poller.refresh();
      assert.equal(store.current, good, 'last good set still served');
      assert.equal(store.generation, 1);
      assert.match(store.lastFailure?.message ?? '', /HTTP 500/);
      assert.equal(poller.status.failures, 1);
      assert.equal(poller.status.consecutiveFailures, 1);

      a.setFailing(null);
      const id = a.startTask({ name: 'newapp', agent: 0, ports: [[31500, 31500]] });
      assert.ok(id.startsWith('newapp.'));
      await poller.refresh();
      assert.equal(store.generation, 2);
      assert.ok(store.current?.a.has('newapp.marathon.mesos.'));
      assert.equal(poller.status.consecutiveFailures, 0);
    } finally {
      a.setFailing(null);
      await poller.stop();
    }
  });

  it('asks the next master when the remembered leader fails', async () => {
    const store = new RecordStore();
    const source = new MastersListSource([a.address, b.address]);
    const poller = new StatePoller({
      store,
      source,
      loader: new WorkerStateLoader(),
      refreshSeconds: 3600,
      logger: silentLogger(),
      params: testLoadParams([a.address, b.address]),
    });
    try {
      poller.start();
      await waitUntil(() => store.generation === 1, WAIT_MS, 'first load');
      assert.equal(store.lastLoad?.master, a.address);
      a.setFailing('hang');
      a.setLeader(b.upid);
      b.setLeader(null);
      await poller.refresh();
      assert.equal(store.generation, 2);
      assert.equal(store.lastLoad?.master, b.address);
      assert.equal(poller.status.leader, b.address);
      assert.equal(poller.status.leaderChanges, 1);
      assert.equal(source.current().leader, b.address);
    } finally {
      a.setFailing(null);
      a.setLeader(null);
      await poller.stop();
    }
  });
});

describe('StatePoller logging', () => {
  it('logs one line when the state names a new leader (masters list: no other signal)', async () => {
    const a = await SimMaster.start({ cluster: demoCluster() });
    const b = await SimMaster.start({ cluster: demoCluster() });
    const lines: { msg?: string; leader?: string; previous?: string }[] = [];
    const logger = createLogger(0, {
      write: (line: string) => lines.push(JSON.parse(line) as (typeof lines)[number]),
    });
    const store = new RecordStore();
    const poller = new StatePoller({
      store,
      source: new MastersListSource([a.address, b.address]),
      loader: new WorkerStateLoader(),
      refreshSeconds: 3600,
      logger,
      params: testLoadParams([a.address, b.address]),
    });
    try {
      poller.start();
      await waitUntil(() => store.generation === 1, WAIT_MS, 'first load');
      assert.equal(lines.filter((l) => l.msg === 'leading master changed').length, 0);
      // Master a steps down and names b: the next round follows it and says so.
      a.setLeader(b.upid);
      b.setLeader(b.upid);
      await poller.refresh();
      assert.equal(store.current?.leader, b.address);
      const changes = lines.filter((l) => l.msg === 'leading master changed');
      assert.equal(changes.length, 1);
      assert.equal(changes[0]?.leader, b.address);
      assert.equal(changes[0]?.previous, a.address);
      await poller.refresh();
      assert.equal(lines.filter((l) => l.msg === 'leading master changed').length, 1);
    } finally {
      await poller.stop();
      await a.close();
      await b.close();
    }
  });
});

describe('StatePoller with an unchanged cluster', () => {
  it('keeps the set in service (same generation) but counts the load as fresh', async () => {
    const sim = await SimMaster.start({ cluster: demoCluster() });
    const store = new RecordStore();
    const loads: boolean[] = [];
    store.onLoad((_info, _set, changed) => loads.push(changed));
    const poller = new StatePoller({
      store,
      source: new MastersListSource([sim.address]),
      loader: new WorkerStateLoader(),
      refreshSeconds: 3600,
      logger: silentLogger(),
      params: testLoadParams([sim.address]),
    });
    try {
      poller.start();
      await waitUntil(() => store.generation === 1, WAIT_MS, 'first load');
      const firstSet = store.current;
      const firstLoadAt = store.lastLoad!.atMs;
      await new Promise((r) => setTimeout(r, 20));
      await poller.refresh();
      assert.equal(store.generation, 1, 'nothing swapped');
      assert.equal(store.current, firstSet);
      assert.ok(store.lastLoad!.atMs > firstLoadAt, 'the load still counts as fresh');
      assert.deepEqual(loads, [true, false]);

      sim.startTask({ name: 'another', ports: [[31998, 31998]] });
      await poller.refresh();
      assert.equal(store.generation, 2);
      assert.ok(store.current?.a.has('another.marathon.mesos.'));
      assert.deepEqual(loads, [true, false, true]);
    } finally {
      await poller.stop();
      await sim.close();
    }
  });
});
