// The prepared-answer cache: every name of the set fits, the bound is in real bytes with the
// oldest answers evicted first, a swap empties it, and what comes back is what went in.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnswerCache, type AnswerRef } from '../../src/dns/answer-cache.ts';
import type { PreparedAnswer } from '../../src/dns/authority.ts';
import { answerCacheCapacity, QueryHandler } from '../../src/dns/handler.ts';
import { nullObserver } from '../../src/dns/observer.ts';
import { packAnswer, packedLength } from '../../src/dns/packed-answer.ts';
import { silentLogger } from '../../src/log.ts';
import { encodeQuery, makeSet, rcode, storeWith, testConfig } from './fixtures.ts';

function setOf(names: number) {
  const a: Record<string, string[]> = {};
  for (let i = 0; i < names; i++) a[`task${i}.marathon.mesos.`] = [`10.0.${i >> 8}.${i & 255}`];
  return makeSet({ a });
}

/** An answer whose RR bytes say which entry it is, `size` bytes per RR. */
function answer(id: number, rrs = 1, size = 16): PreparedAnswer {
  const list: Uint8Array[] = [];
  for (let r = 0; r < rrs; r++) {
    const rr = new Uint8Array(size);
    for (let k = 0; k < size; k++) rr[k] = (id * 31 + r * 7 + k) & 0xff;
    list.push(rr);
  }
  return { rcode: 0, outcome: 'authoritative', answers: list, authority: [], additional: [] };
}

const ref = (): AnswerRef => ({ bytes: new Uint8Array(0), at: 0 });

function held(cache: AnswerCache, key: string, qtype: number): Uint8Array | null {
  const out = ref();
  if (!cache.get(key, qtype, out)) return null;
  return out.bytes.slice(out.at);
}

/** Whether the cache holds exactly `prepared` under (key, qtype). */
function holds(cache: AnswerCache, key: string, qtype: number, prepared: PreparedAnswer): boolean {
  const got = held(cache, key, qtype);
  if (got === null) return false;
  const want = packAnswer(prepared);
  assert.deepEqual(got.subarray(0, want.length), want, `${key}/${qtype} holds other bytes`);
  return true;
}

describe('AnswerCache', () => {
  it('gives back the packed answer stored under the name and type, nothing for others', () => {
    const cache = new AnswerCache(1024 * 1024);
    const out = ref();
    assert.equal(cache.set('web.mesos.', 1, answer(1), out), true);
    assert.deepEqual(
      out.bytes.subarray(out.at, out.at + packedLength(answer(1))),
      packAnswer(answer(1)),
    );
    assert.equal(cache.set('web.mesos.', 28, answer(2, 3), ref()), true);
    assert.ok(holds(cache, 'web.mesos.', 1, answer(1)));
    assert.ok(holds(cache, 'web.mesos.', 28, answer(2, 3)));
    assert.equal(held(cache, 'web.mesos.', 33), null);
    assert.equal(held(cache, 'web.meso.', 1), null);
    assert.equal(held(cache, 'web.mesos.x', 1), null);
    assert.equal(cache.size, 2);
  });

  it('holds many names through table growth, and evicts oldest first within the byte bound', () => {
    const maxBytes = 256 * 1024;
    const cache = new AnswerCache(maxBytes);
    const n = 20_000; // ~60 bytes each: far more than the bound holds
    for (let i = 0; i < n; i++) {
      assert.equal(cache.set(`task${i}.marathon.mesos.`, 1, answer(i), ref()), true);
      assert.ok(cache.bytes <= maxBytes, `${cache.bytes} bytes after ${i + 1} answers`);
    }
    const present: boolean[] = [];
    for (let i = 0; i < n; i++)
      present.push(holds(cache, `task${i}.marathon.mesos.`, 1, answer(i)));
    const first = present.indexOf(true);
    assert.ok(first > 0, 'the oldest answers were evicted');
    assert.ok(present.slice(first).every(Boolean), 'what is held is the newest, without gaps');
    assert.equal(cache.size, n - first);
    assert.ok(cache.size > 1000, `held ${cache.size}`);
  });

  it('evicts to make room when the table may not grow', () => {
    // Tiny answers: the table, not the segments, is what fills the bound.
    const maxBytes = 64 * 1024;
    const cache = new AnswerCache(maxBytes);
    const tiny: PreparedAnswer = {
      rcode: 3,
      outcome: 'nxdomain',
      answers: [],
      authority: [],
      additional: [],
    };
    for (let i = 0; i < 50_000; i++) {
      assert.equal(cache.set(`n${i}.`, 1, tiny, ref()), true);
      assert.ok(cache.bytes <= maxBytes);
    }
    assert.ok(holds(cache, 'n49999.', 1, tiny));
    assert.equal(held(cache, 'n0.', 1), null);
  });

  it('mixes sizes and types, and stays consistent with a model of what it holds', () => {
    const cache = new AnswerCache(128 * 1024);
    const inserted: [string, number, PreparedAnswer][] = [];
    let seed = 7;
    const rand = (m: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % m;
    };
    for (let i = 0; i < 5000; i++) {
      const key = `k${i}.${'x'.repeat(rand(40))}.mesos.`;
      const qtype = [1, 28, 33, 255][rand(4)]!;
      const prepared = answer(i, 1 + rand(12), 10 + rand(60));
      assert.equal(cache.set(key, qtype, prepared, ref()), true);
      inserted.push([key, qtype, prepared]);
    }
    const present = inserted.map(([k, t, p]) => holds(cache, k, t, p));
    const first = present.indexOf(true);
    assert.ok(first > 0);
    assert.ok(present.slice(first).every(Boolean));
    assert.equal(cache.size, inserted.length - first);
  });

  it('does not hold an answer larger than a segment', () => {
    const cache = new AnswerCache(64 * 1024);
    const huge = answer(1, 100, cache.segmentSize / 50);
    assert.equal(cache.set('big.mesos.', 33, huge, ref()), false);
    assert.equal(cache.size, 0);
  });

  it('reset empties it; clear gives the segments back', () => {
    const cache = new AnswerCache(1024 * 1024);
    for (let i = 0; i < 100; i++) cache.set(`t${i}.mesos.`, 1, answer(i), ref());
    cache.reset(10);
    assert.equal(cache.size, 0);
    assert.equal(held(cache, 't5.mesos.', 1), null);
    cache.set('t5.mesos.', 1, answer(500), ref());
    assert.ok(holds(cache, 't5.mesos.', 1, answer(500)));
    cache.clear();
    assert.equal(cache.size, 0);
    assert.ok(cache.bytes < 64 * 1024, `${cache.bytes} bytes after clear`);
  });
});

it('sizes the table from the record set, within bounds', () => {
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
    assert.equal(handler.preparedAnswers, 30_000);
    store.swap(setOf(5), { atMs: 0, durationMs: 0, master: 'm:1', tasks: 5, records: 5 });
    assert.equal(handler.preparedAnswers, 0, 'a new generation starts empty');
  } finally {
    handler.close();
  }
});

it('bounds the prepared answers in bytes across query types', () => {
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
    // 30,000 names × 2 types of ~90 bytes each (A, and the NODATA of AAAA) would take ~5 MiB.
    for (let i = 0; i < 30_000; i++) {
      const reply = handler.handle(encodeQuery(`task${i}.marathon.mesos`), 'udp');
      assert.ok(reply instanceof Uint8Array && rcode(reply) === 0);
      const aaaa = handler.handle(encodeQuery(`task${i}.marathon.mesos`, { type: 28 }), 'udp');
      assert.ok(aaaa instanceof Uint8Array && rcode(aaaa) === 0);
    }
    const held = handler.preparedAnswers;
    assert.ok(held > 1000 && held < 60_000, `held ${held} answers`);
    assert.ok(handler.preparedBytes <= budgetMb * 1024 * 1024, `${handler.preparedBytes} bytes`);
    // Still answered correctly after eviction, from the slow path.
    const again = handler.handle(encodeQuery('task0.marathon.mesos'), 'udp');
    assert.ok(again instanceof Uint8Array && rcode(again) === 0);
  } finally {
    handler.close();
  }
});
