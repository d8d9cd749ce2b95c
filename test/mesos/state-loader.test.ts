import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildCluster, demoCluster } from '../../sim/cluster.ts';
import { SimMaster } from '../../sim/master.ts';
import { MesosStateError } from '../../src/mesos/errors.ts';
import {
  deltaChunks,
  recordDelta,
  RecordSetAssembler,
  recordChunks,
  recordSetHeader,
} from '../../src/transfer/record-transfer.ts';
import { WorkerStateLoader } from '../../src/mesos/state-loader.ts';
import { findEmptyNonTerminals } from '../../src/records/empty-non-terminals.ts';
import { generate } from '../../src/records/generate.ts';
import { testLoadParams } from '../helpers/load-params.ts';
import type { LoadParams } from '../../src/mesos/reload-protocol.ts';
import {
  assertNoneLowered,
  NICE_SKIP,
  threadsAtNice19,
  waitOneLowered,
} from '../helpers/thread-nice.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';

const crashingWorker = new URL('../helpers/crashing-reload-worker.ts', import.meta.url);

/** A load by a loader of its own, closed after: what a first load gives (always whole). */
async function freshLoad(params: LoadParams) {
  const loader = new WorkerStateLoader();
  try {
    return await loader.load(params);
  } finally {
    await loader.close();
  }
}

describe('record transfer', () => {
  it('rebuilds the same set from small chunks', () => {
    const cluster = buildCluster({ apps: 40, instancesPerApp: 3, agents: 7, discoveryEvery: 3 });
    const state = {
      leader: 'master@127.0.0.1:5050',
      frameworks: cluster.frameworks,
      slaves: cluster.slaves,
    };
    const set = generate(structuredClone(state), testLoadParams(['127.0.0.1:5050']).generate);
    const assembler = new RecordSetAssembler(structuredClone(recordSetHeader(set)));
    let chunks = 0;
    for (const chunk of recordChunks(set, 50)) {
      assembler.add(structuredClone(chunk));
      chunks++;
    }
    assert.ok(chunks > 10, `expected many chunks, got ${chunks}`);
    const { enumeration, emptyNonTerminals, recordCounts, ...rest } = assembler.finish();
    // Counted by the sender too: the serving thread never walks the maps to count.
    assert.deepEqual(recordCounts, {
      a: [...set.a.values()].reduce((n, v) => n + v.length, 0),
      aaaa: [...set.aaaa.values()].reduce((n, v) => n + v.length, 0),
      srv: [...set.srv.values()].reduce((n, v) => n + v.length, 0),
      ptr: [...set.ptr.values()].reduce((n, v) => n + v.length, 0),
    });
    const { enumeration: original, ...originalRest } = set;
    assert.deepEqual(rest, originalRest);
    // Found by the sender, so the serving thread never walks every name.
    assert.deepEqual(emptyNonTerminals, new Set(findEmptyNonTerminals(set)));
    assert.ok(emptyNonTerminals?.has('_tcp.marathon.mesos.'));
    // The enumeration stays with the sender (rendered when /v1/enumerate asks).
    assert.ok(original !== undefined && original.frameworks.length > 0);
    assert.equal(enumeration, undefined);
  });
});

describe('WorkerStateLoader', () => {
  let master: SimMaster;
  let loader: WorkerStateLoader;
  before(async () => {
    master = await SimMaster.start({ cluster: demoCluster() });
    loader = new WorkerStateLoader();
  });
  after(async () => {
    await loader.close();
    await master.close();
  });

  it('loads, generates and transfers the demo cluster', async () => {
    const outcome = await loader.load(testLoadParams([master.address], { chunkBudget: 3 }));
    assert.equal(outcome.master, master.address);
    assert.equal(outcome.leader, master.address);
    // netinfo comes first in IPSources: web's container IPs, db's agent address.
    assert.deepEqual([...(outcome.set!.a.get('web.marathon.mesos.') ?? [])].sort(), [
      '172.17.0.2',
      '172.17.0.3',
      '172.17.0.4',
    ]);
    assert.deepEqual(outcome.set!.a.get('db.marathon.mesos.'), ['10.0.2.2']);
    assert.ok(outcome.set!.aaaa.has('v6app.marathon.mesos.'));
    assert.equal(outcome.set!.counts.frameworks, 2);
    assert.equal(outcome.set!.leader, master.address);
  });

  it('passes a fetch error back as the same error class', async () => {
    master.setFailing(500);
    try {
      await assert.rejects(loader.load(testLoadParams([master.address])), (error: unknown) => {
        assert.ok(error instanceof MesosStateError);
        assert.equal(error.code, 'MESOS_NO_MASTER');
        assert.match(error.message, /HTTP 500/);
        return true;
      });
    } finally {
      master.setFailing(null);
    }
  });

  it('refuses an overlapping load', async () => {
    const first = loader.load(testLoadParams([master.address]));
    await assert.rejects(loader.load(testLoadParams([master.address])), /must not overlap/);
    await first;
  });

  it('fails the round and restarts the worker when it dies', async () => {
    const crashing = new WorkerStateLoader({ workerUrl: crashingWorker });
    try {
      const params = testLoadParams([master.address]);
      await crashing.load(params);
      assert.equal(crashing.workerStarts, 1);
      await assert.rejects(
        crashing.load({ ...params, generate: { ...params.generate, domain: 'crash' } }),
        (error: unknown) => {
          assert.ok(error instanceof MesosStateError);
          assert.equal(error.code, 'MESOS_WORKER');
          assert.match(error.message, /exited \(code 7\)/);
          return true;
        },
      );
      const outcome = await crashing.load(params);
      assert.ok(outcome.set!.a.has('web.marathon.mesos.'));
      assert.equal(crashing.workerStarts, 2);
    } finally {
      await crashing.close();
    }
  });

  it('resolves agent host names that are not IPs before generating', async () => {
    const cluster = demoCluster();
    cluster.slaves[1]!.hostname = 'localhost';
    cluster.slaves[1]!.pid = 'slave(1)@localhost:5051';
    const local = await SimMaster.start({ cluster });
    try {
      const outcome = await loader.load(testLoadParams([local.address]));
      const addresses = [
        ...(outcome.set!.a.get('db.marathon.mesos.') ?? []),
        ...(outcome.set!.aaaa.get('db.marathon.mesos.') ?? []),
      ];
      assert.ok(
        addresses.some((ip) => ip === '127.0.0.1' || ip === '::1'),
        `expected localhost's address among ${addresses.join(', ')}`,
      );
    } finally {
      await local.close();
    }
  });
});

describe('WorkerStateLoader: unchanged sets', () => {
  let master: SimMaster;
  before(async () => {
    master = await SimMaster.start({ cluster: demoCluster() });
  });
  after(async () => {
    await master.close();
  });

  it('answers "unchanged" without a transfer when the set equals the one in service', async () => {
    const loader = new WorkerStateLoader();
    try {
      const first = await loader.load(testLoadParams([master.address]));
      assert.ok(first.set !== null);
      // A first load has nothing to compare with: its set goes out under a name, digested later.
      assert.ok(first.digest !== '');

      const same = await loader.load(
        { ...testLoadParams([master.address]), previousDigest: first.digest },
        first.set,
      );
      assert.equal(same.set, null);
      assert.equal(same.digest, first.digest);
      assert.equal(same.timings.transferMs, 0);

      const id = master.startTask({ name: 'fresh', ports: [[31999, 31999]] });
      try {
        const changed = await loader.load(
          { ...testLoadParams([master.address]), previousDigest: first.digest },
          first.set,
        );
        assert.ok(changed.set?.a.has('fresh.marathon.mesos.'));
        assert.notEqual(changed.digest, first.digest);
      } finally {
        master.killTask(id);
      }
    } finally {
      await loader.close();
    }
  });
});

describe('WorkerStateLoader: priority', { skip: NICE_SKIP }, () => {
  let master: SimMaster;
  before(async () => {
    master = await SimMaster.start({ cluster: demoCluster() });
  });
  after(async () => {
    await master.close();
  });

  /**
   * Starts a first load against the master (hanging) and waits for its state request: the worker
   * asks once it has started its load, past where it would lower itself.
   */
  async function firstLoadAsks(loader: WorkerStateLoader): Promise<void> {
    const requests = master.stateRequests;
    void loader.load(testLoadParams([master.address])).catch(() => undefined);
    await waitUntil(() => master.stateRequests > requests, WAIT_MS, 'the state request');
  }

  it('runs a first load at normal priority: no set is in service to protect', async () => {
    const before = threadsAtNice19();
    master.setFailing('hang');
    const loader = new WorkerStateLoader();
    try {
      await firstLoadAsks(loader);
      assertNoneLowered(before);
    } finally {
      await loader.close();
      master.setFailing(null);
    }
  });

  it('a worker started before its first load (start) runs that load at normal priority too', async () => {
    const before = threadsAtNice19();
    master.setFailing('hang');
    const loader = new WorkerStateLoader();
    try {
      loader.start();
      const thread = loader.workerThreadId;
      assert.notEqual(thread, null, 'the thread runs before any load');
      await firstLoadAsks(loader);
      assertNoneLowered(before);
      assert.equal(loader.workerThreadId, thread, 'the load runs on the thread started');
      assert.equal(loader.workerStarts, 1);
    } finally {
      await loader.close();
      master.setFailing(null);
    }
  });

  it('lowers the worker to nice 19 once its first set is in service', async () => {
    const before = threadsAtNice19();
    const loader = new WorkerStateLoader();
    try {
      const first = await loader.load(testLoadParams([master.address]));
      assert.ok(first.set !== null);
      await waitOneLowered(before, 'one more thread at nice 19');
    } finally {
      await loader.close();
    }
  });

  it('runs every load at nice 19 from its start while records are in service', async () => {
    const before = threadsAtNice19();
    master.setFailing('hang');
    const loader = new WorkerStateLoader();
    try {
      // A fresh worker (a restarted one, or the poller after the event stream) beside a set.
      void loader
        .load({ ...testLoadParams([master.address]), serving: true })
        .catch(() => undefined);
      await waitOneLowered(before, 'a thread at nice 19 while the load runs');
    } finally {
      await loader.close();
      master.setFailing(null);
    }
  });
});

describe('record transfer: deltas', () => {
  const options = testLoadParams(['127.0.0.1:5050']).generate;
  const stateOf = (cluster: ReturnType<typeof buildCluster>) => ({
    leader: 'master@127.0.0.1:5050',
    frameworks: structuredClone(cluster.frameworks),
    slaves: structuredClone(cluster.slaves),
  });
  const sorted = (map: ReadonlyMap<string, readonly unknown[]>) =>
    [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  it('rebuilds the new set from the base plus only what changed', () => {
    const cluster = buildCluster({ apps: 60, instancesPerApp: 3, agents: 9, discoveryEvery: 3 });
    const base = generate(stateOf(cluster), options);
    // A task dies, another moves to a different agent, and a new app appears.
    const tasks = cluster.frameworks[0]!.tasks;
    tasks.splice(0, 1);
    tasks[0]!.slave_id = cluster.slaves[5]!.id;
    const fresh = { ...structuredClone(tasks[1]!), id: 'fresh.1', name: 'fresh' };
    delete fresh.discovery;
    tasks.push(fresh);
    const next = generate(stateOf(cluster), options);
    const frameworkLabel = cluster.frameworks[0]!.name;

    const header = { ...recordSetHeader(next), base: 'digest-of-base' };
    const assembler = new RecordSetAssembler(structuredClone(header), base);
    let changed = 0;
    for (const chunk of deltaChunks(recordDelta(base, next), 50)) {
      if (chunk.kind === 'a' || chunk.kind === 'aaaa' || chunk.kind === 'srv') {
        changed += chunk.entries.length;
      }
      assembler.add(structuredClone(chunk));
    }
    const rebuilt = assembler.finish();
    for (const kind of ['a', 'aaaa', 'srv'] as const) {
      assert.deepEqual(sorted(rebuilt[kind]), sorted(next[kind]), kind);
    }
    assert.ok(rebuilt.a.has(`fresh.${frameworkLabel}.mesos.`));
    const total = next.a.size + next.aaaa.size + next.srv.size;
    assert.ok(changed > 0 && changed < total / 5, `${changed} of ${total} names sent`);
    // The base set in service is left as it was.
    assert.ok(!base.a.has(`fresh.${frameworkLabel}.mesos.`));
  });

  it('refuses a delta with no set in service to apply it to', () => {
    const set = generate(stateOf(buildCluster({ apps: 2 })), options);
    assert.throws(
      () => new RecordSetAssembler({ ...recordSetHeader(set), base: 'x' }, null),
      /no set in service/,
    );
  });

  it('keeps the set the main thread serves when a newer one never went into service', async () => {
    const master = await SimMaster.start({
      cluster: buildCluster({ apps: 100, instancesPerApp: 3, agents: 10 }),
    });
    const loader = new WorkerStateLoader();
    try {
      const first = await loader.load(testLoadParams([master.address]));
      master.startTask({ name: 'later', ports: [[31777, 31777]] });
      const second = await loader.load(
        { ...testLoadParams([master.address]), previousDigest: first.digest },
        first.set,
      );
      assert.notEqual(second.digest, first.digest);
      // The main thread did not swap the second set in (say it failed there): it still serves
      // the first, and the next load names it.
      master.startTask({ name: 'third', ports: [[31779, 31779]] });
      const third = await loader.load(
        { ...testLoadParams([master.address]), previousDigest: first.digest },
        first.set,
      );
      assert.equal(third.transfer, 'delta');
      // The worker dropped the set nobody serves, not the one in service: /v1/enumerate of it
      // still renders.
      assert.notEqual(await loader.render(first.digest, 'enumerate'), null);
      assert.notEqual(await loader.render(third.digest, 'enumerate'), null);
      assert.equal(await loader.render(second.digest, 'enumerate'), null);
    } finally {
      await loader.close();
      await master.close();
    }
  });

  it('goes as a delta from the worker when the main thread still serves the last set', async () => {
    // Large enough that a few changed names stay under the overlay limit (15 % of names).
    const master = await SimMaster.start({
      cluster: buildCluster({ apps: 100, instancesPerApp: 3, agents: 10 }),
    });
    const loader = new WorkerStateLoader();
    try {
      const first = await loader.load(testLoadParams([master.address]));
      assert.equal(first.transfer, 'full');
      master.startTask({ name: 'later', ports: [[31777, 31777]] });
      const second = await loader.load(
        { ...testLoadParams([master.address]), previousDigest: first.digest },
        first.set,
      );
      assert.equal(second.transfer, 'delta');
      const fresh = await freshLoad(testLoadParams([master.address]));
      for (const kind of ['a', 'aaaa', 'srv'] as const) {
        assert.deepEqual(sorted(second.set![kind]), sorted(fresh.set![kind]), kind);
      }
      assert.ok(second.set!.a.has('later.marathon.mesos.'));

      // A delta on a delta: laid over the same base, reading as a full load would.
      const id = master.startTask({ name: 'latest', ports: [[31778, 31778]] });
      master.killTask(id);
      master.startTask({ name: 'third', ports: [[31779, 31779]] });
      const third = await loader.load(
        { ...testLoadParams([master.address]), previousDigest: second.digest },
        second.set,
      );
      assert.equal(third.transfer, 'delta');
      const fresh3 = await freshLoad(testLoadParams([master.address]));
      for (const kind of ['a', 'aaaa', 'srv'] as const) {
        assert.deepEqual(sorted(third.set![kind]), sorted(fresh3.set![kind]), kind);
      }
    } finally {
      await loader.close();
      await master.close();
    }
  });
});
