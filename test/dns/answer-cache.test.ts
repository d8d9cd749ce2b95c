// The prepared-answer cache must hold every name of the set in service: a client that walks all
// names (a monitor, a benchmark's query file) would otherwise miss on every query under LRU.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { answerBytes } from '../../src/dns/answer-cache.ts';
import { answerCacheCapacity, QueryHandler } from '../../src/dns/handler.ts';
import { nullObserver } from '../../src/dns/observer.ts';
import { silentLogger } from '../../src/log.ts';
import { encodeQuery, makeSet, rcode, storeWith, testConfig } from './fixtures.ts';

function setOf(names: number) {
  const a: Record<string, string[]> = {};
  for (let i = 0; i < names; i++) a[`task${i}.marathon.mesos.`] = [`10.0.${i >> 8}.${i & 255}`];
  return makeSet({ a });
}

it('sizes the cache from the record set, within bounds', () => {
  assert.equal(answerCacheCapacity(setOf(10), 20_000), 20_000);
  assert.equal(answerCacheCapacity(setOf(30_000), 20_000), 37_500);
  const huge = { ...setOf(0), a: new Map([...Array(450_000).keys()].map((i) => [`n${i}.`, []])) };
  assert.equal(answerCacheCapacity(huge, 20_000), 500_000);
});

it('keeps a prepared answer for each of 30,000 names walked in order, and follows swaps', () => {
  const store = storeWith(setOf(30_000));
  const handler = new QueryHandler({
    config: testConfig(),
    store,
    forwarder: null,
    observer: nullObserver,
    logger: silentLogger(),
  });
  try {
    for (let i = 0; i < 30_000; i++) {
      const reply = handler.handle(encodeQuery(`task${i}.marathon.mesos`), 'udp');
      assert.ok(reply instanceof Uint8Array && rcode(reply) === 0);
    }
    // With the old fixed 20,000 bound the oldest 10,000 would already be gone.
    assert.equal(handler.preparedAnswers, 30_000);
    store.swap(setOf(5), { atMs: 0, durationMs: 0, master: 'm:1', tasks: 5, records: 5 });
    assert.equal(handler.preparedAnswers, 0, 'a new generation starts empty');
  } finally {
    handler.close();
  }
});

it('bounds the prepared answers in estimated bytes across query types', () => {
  const budgetMb = 1;
  const store = storeWith(setOf(30_000));
  const handler = new QueryHandler({
    config: testConfig({ answerCacheMB: budgetMb }),
    store,
    forwarder: null,
    observer: nullObserver,
    logger: silentLogger(),
  });
  try {
    // 30,000 names × 2 types of ~700 estimated bytes each would take ~40 MiB: the newest fit.
    for (let i = 0; i < 30_000; i++) {
      const reply = handler.handle(encodeQuery(`task${i}.marathon.mesos`), 'udp');
      assert.ok(reply instanceof Uint8Array && rcode(reply) === 0);
      const aaaa = handler.handle(encodeQuery(`task${i}.marathon.mesos`, { type: 28 }), 'udp');
      assert.ok(aaaa instanceof Uint8Array && rcode(aaaa) === 0);
    }
    const held = handler.preparedAnswers;
    assert.ok(held > 1000 && held < 10_000, `held ${held} answers`);
    assert.ok(handler.preparedBytes <= budgetMb * 1024 * 1024, `${handler.preparedBytes} bytes`);
    // Still answered correctly after eviction, from the slow path.
    const again = handler.handle(encodeQuery('task0.marathon.mesos'), 'udp');
    assert.ok(again instanceof Uint8Array && rcode(again) === 0);
  } finally {
    handler.close();
  }
});

it('estimates an answer from its RRs', () => {
  const rr = new Uint8Array(16);
  const one = answerBytes('a.mesos.', {
    rcode: 0,
    outcome: 'authoritative',
    answers: [rr],
    authority: [],
    additional: [],
  });
  const two = answerBytes('a.mesos.', {
    rcode: 0,
    outcome: 'authoritative',
    answers: [rr, rr],
    authority: [],
    additional: [],
  });
  assert.ok(one > 16 && two - one >= 96 + 16);
});
