// DnsThreadPool on its own: a large record set reaches threads started after it, in chunks; a
// set swapped mid-flight wins; thread log lines come out of the main logger.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { DnsThreadPool } from '../../src/dns/workers/pool.ts';
import { silentLogger } from '../../src/log.ts';
import { Metrics } from '../../src/metrics/metrics.ts';
import { overlay } from '../../src/records/overlay-map.ts';
import type { RecordSet } from '../../src/records/recordset.ts';
import { RecordStore } from '../../src/records/store.ts';
import { decode, encodeQuery, makeSet, rcode, testConfig } from '../dns/fixtures.ts';
import { answerA, startFakeUpstream } from '../forward/fake-upstream.ts';
import { udpExchange } from '../helpers/dns-client.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';

const loadInfo = { atMs: Date.now(), durationMs: 1, master: 'm:5050', tasks: 1, records: 1 };

function bigSet(names: number, ipPrefix: string): RecordSet {
  const a: Record<string, string[]> = {};
  for (let i = 0; i < names; i++) {
    a[`app${i}.marathon.mesos.`] = [`${ipPrefix}.0.${(i >> 8) & 255}.${i & 255}`];
  }
  return makeSet({ a });
}

async function addressFromEveryPort(port: number, name: string, sockets: number) {
  const replies = await Promise.all(
    Array.from({ length: sockets }, () => udpExchange(port, encodeQuery(name), 3000)),
  );
  return new Set(
    replies.map((r) =>
      rcode(r) === 0
        ? decode(r)
            .answers.map((x) => ('address' in x ? x.address : ''))
            .join()
        : `rcode ${rcode(r)}`,
    ),
  );
}

describe('DnsThreadPool', () => {
  it('hands a 30k-name set to threads that start after it, and follows later swaps', async () => {
    const store = new RecordStore();
    store.swap(bigSet(30_000, '10'), loadInfo);
    const metrics = new Metrics({ version: 't', processMetrics: false });
    const config = testConfig({ externalon: false, workers: 2 });
    const pool = new DnsThreadPool({ config, store, metrics, logger: silentLogger() });
    try {
      const { port } = await pool.start();
      // Threads bind only once they hold the set: the very first answers are complete.
      assert.ok(pool.threads.every((t) => t.generation === 1));
      assert.deepEqual(
        await addressFromEveryPort(port, 'app29999.marathon.mesos', 60),
        new Set(['10.0.117.47']),
      );

      // A swap superseded by another before the threads finish: the last one wins everywhere.
      store.swap(bigSet(30_000, '11'), loadInfo);
      store.swap(bigSet(20_000, '12'), loadInfo);
      await waitUntil(
        () => pool.threads.every((t) => t.generation === 3),
        WAIT_MS,
        'both threads to swap in generation 3',
      );
      assert.deepEqual(
        await addressFromEveryPort(port, 'app19999.marathon.mesos', 60),
        new Set(['12.0.78.31']),
      );
      const gone = await udpExchange(port, encodeQuery('app29999.marathon.mesos'));
      assert.equal(rcode(gone), 3, 'names of the superseded set are gone');
    } finally {
      await pool.close();
    }
  });

  it('sends a thread only the changes when the new set is laid over the one it holds', async () => {
    const store = new RecordStore();
    store.swap(bigSet(30_000, '10'), loadInfo);
    const metrics = new Metrics({ version: 't', processMetrics: false });
    const config = testConfig({ externalon: false, workers: 2 });
    const pool = new DnsThreadPool({ config, store, metrics, logger: silentLogger() });
    try {
      const { port } = await pool.start();
      assert.ok(pool.threads.every((t) => t.lastTransfer?.kind === 'full'));
      assert.ok(pool.threads.every((t) => t.lastTransfer!.names === 30_000));

      // As the main thread holds a set that came from the load worker as a delta.
      const held = store.current!;
      const next: RecordSet = {
        ...held,
        a: overlay(held.a, [['fresh.marathon.mesos.', ['10.9.9.9']]], ['app7.marathon.mesos.']),
      };
      store.swap(next, loadInfo);
      await waitUntil(
        () => pool.threads.every((t) => t.generation === 2),
        WAIT_MS,
        'both threads to swap in generation 2',
      );
      for (const t of pool.threads) {
        assert.deepEqual(t.lastTransfer, { kind: 'delta', chunks: 2, names: 2 });
      }
      assert.deepEqual(
        await addressFromEveryPort(port, 'fresh.marathon.mesos', 40),
        new Set(['10.9.9.9']),
      );
      assert.deepEqual(
        await addressFromEveryPort(port, 'app7.marathon.mesos', 40),
        new Set(['rcode 3']),
      );
      assert.deepEqual(
        await addressFromEveryPort(port, 'app29999.marathon.mesos', 40),
        new Set(['10.0.117.47']),
      );

      // A delta on that delta: only the name that changed since generation 2 crosses.
      store.swap(
        { ...next, a: overlay(next.a, [['fresh.marathon.mesos.', ['10.8.8.8']]], []) },
        loadInfo,
      );
      await waitUntil(
        () => pool.threads.every((t) => t.generation === 3),
        WAIT_MS,
        'both threads to swap in generation 3',
      );
      for (const t of pool.threads) {
        assert.deepEqual(t.lastTransfer, { kind: 'delta', chunks: 1, names: 1 });
      }
      assert.deepEqual(
        await addressFromEveryPort(port, 'fresh.marathon.mesos', 40),
        new Set(['10.8.8.8']),
      );

      // A set built afresh shares nothing with it: it goes whole.
      store.swap(bigSet(100, '12'), loadInfo);
      await waitUntil(
        () => pool.threads.every((t) => t.generation === 4),
        WAIT_MS,
        'both threads to swap in generation 4',
      );
      assert.ok(pool.threads.every((t) => t.lastTransfer?.kind === 'full'));
      assert.deepEqual(
        await addressFromEveryPort(port, 'fresh.marathon.mesos', 10),
        new Set(['rcode 3']),
      );
    } finally {
      await pool.close();
    }
  });

  it("re-logs the threads' lines through the main logger, tagged with the thread", async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const logger = pino({ level: 'trace' }, sink);
    const store = new RecordStore();
    store.swap(makeSet({ a: { 'web.marathon.mesos.': ['10.0.0.1'] } }), loadInfo);
    const metrics = new Metrics({ version: 't', processMetrics: false });
    const pool = new DnsThreadPool({
      config: testConfig({ externalon: false, workers: 2 }),
      store,
      metrics,
      logger,
    });
    try {
      const { port } = await pool.start();
      await udpExchange(port, encodeQuery('web.marathon.mesos'));
      await waitUntil(
        () => lines.some((l) => l['msg'] === 'query' && l['name'] === 'web.marathon.mesos.'),
        WAIT_MS,
        'the per-query trace line from a DNS thread',
      );
      const line = lines.find((l) => l['msg'] === 'query')!;
      assert.equal(line['level'], 10);
      assert.ok(line['thread'] === 0 || line['thread'] === 1, JSON.stringify(line));
    } finally {
      await pool.close();
    }
  });
});

describe('DnsThreadPool forwarding', () => {
  it('forwards from every thread, each with its own cache, and counts upstream work', async () => {
    const up = await startFakeUpstream((q) => [answerA(q, 300, [192, 0, 2, 7])]);
    const metrics = new Metrics({ version: 't', processMetrics: false });
    const pool = new DnsThreadPool({
      config: testConfig({ workers: 2, resolvers: [up.resolver], cacheSize: 100 }),
      store: new RecordStore(),
      metrics,
      logger: silentLogger(),
    });
    try {
      const { port } = await pool.start();
      const burst = async () => {
        const replies = await Promise.all(
          Array.from({ length: 60 }, () => udpExchange(port, encodeQuery('www.example.org'), 3000)),
        );
        for (const reply of replies) {
          assert.equal(rcode(reply), 0);
          assert.deepEqual(
            decode(reply).answers.map((a) => ('address' in a ? a.address : '')),
            ['192.0.2.7'],
          );
        }
      };
      const value = async (prefix: string) => {
        await pool.flush();
        const text = await metrics.render();
        return Number(
          text
            .split('\n')
            .find((l) => l.startsWith(prefix))
            ?.split(' ')
            .at(-1) ?? 0,
        );
      };
      const HITS = 'mesos_dns_cache_events_total{event="hit"}';
      await burst();
      const upstreamAfterFirst = up.seen.length;
      // Some of the first burst may already be hits (an answer can arrive before the thread reads
      // the rest of the burst), so count the second burst's hits alone.
      const hitsAfterFirst = await value(HITS);
      // Now both threads have the name cached: a second burst never reaches the upstream.
      await burst();
      assert.equal(up.seen.length, upstreamAfterFirst);
      assert.ok(
        pool.threads.every((t) => t.queries > 0),
        'both threads forwarded',
      );
      assert.equal(
        await value('mesos_dns_upstream_requests_total{resolver="127.0.0.1'),
        upstreamAfterFirst,
      );
      assert.equal((await value(HITS)) - hitsAfterFirst, 60);
      assert.equal(await value('mesos_dns_cache_entries '), 2, 'one entry in each thread, summed');
    } finally {
      await pool.close();
      await up.close();
    }
  });
});
