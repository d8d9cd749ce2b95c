// DnsThreadPool on its own: a large record set reaches threads started after it, in chunks; a
// set swapped mid-flight wins; thread log lines come out of the main logger.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { DnsThreadPool } from '../../src/dns/workers/pool.ts';
import { silentLogger } from '../../src/log.ts';
import { Metrics } from '../../src/metrics/metrics.ts';
import type { RecordSet } from '../../src/records/recordset.ts';
import { RecordStore } from '../../src/records/store.ts';
import { decode, encodeQuery, makeSet, rcode, testConfig } from '../dns/fixtures.ts';
import { udpExchange } from '../helpers/dns-client.ts';

const loadInfo = { atMs: Date.now(), durationMs: 1, master: 'm:5050', tasks: 1, records: 1 };

function bigSet(names: number, ipPrefix: string): RecordSet {
  const a: Record<string, string[]> = {};
  for (let i = 0; i < names; i++) {
    a[`app${i}.marathon.mesos.`] = [`${ipPrefix}.0.${(i >> 8) & 255}.${i & 255}`];
  }
  return makeSet({ a });
}

async function waitUntil(check: () => boolean, ms: number, what: string) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out after ${ms} ms waiting for ${what}`);
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
        10_000,
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
        5000,
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
