import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff, retry } from '../src/backoff.ts';

describe('Backoff', () => {
  it('doubles from the initial wait up to the ceiling, and starts over after a reset', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000 });
    assert.deepEqual(
      Array.from({ length: 6 }, () => b.next()),
      [100, 200, 400, 800, 1000, 1000],
    );
    assert.equal(b.failures, 6);
    assert.equal(b.lastMs, 1000);
    b.reset();
    assert.equal(b.lastMs, 0);
    assert.equal(b.next(), 100);
  });

  it('retries the first failure at once when asked', () => {
    const b = new Backoff({ initialMs: 500, maxMs: 10_000, immediateFirst: true });
    assert.deepEqual(
      Array.from({ length: 4 }, () => b.next()),
      [0, 500, 1000, 2000],
    );
  });

  it('draws the jittered share of each wait from the random source', () => {
    const low = new Backoff({ initialMs: 400, maxMs: 10_000, jitter: 0.5, random: () => 0 });
    const high = new Backoff({ initialMs: 400, maxMs: 10_000, jitter: 0.5, random: () => 0.999 });
    assert.deepEqual([low.next(), low.next()], [200, 400]);
    const [a, b] = [high.next(), high.next()];
    assert.ok(a > 399 && a < 400, String(a));
    assert.ok(b > 799 && b < 800, String(b));
  });

  it('refuses nonsense settings', () => {
    assert.throws(() => new Backoff({ initialMs: -1, maxMs: 10 }), /waits must be/);
    assert.throws(() => new Backoff({ initialMs: 1, maxMs: 10, factor: 0.5 }), /factor/);
    assert.throws(() => new Backoff({ initialMs: 1, maxMs: 10, jitter: 2 }), /jitter/);
  });
});

describe('retry', () => {
  it('tries again while the error is retryable, waiting the back-off between attempts', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await retry(
      (attempt) => {
        calls++;
        return attempt < 3 ? Promise.reject(new Error('busy')) : Promise.resolve(`ok@${attempt}`);
      },
      {
        attempts: 5,
        retryIf: (e) => e instanceof Error && e.message === 'busy',
        backoff: new Backoff({ initialMs: 10, maxMs: 100 }),
        sleep: (ms) => {
          waits.push(ms);
          return Promise.resolve();
        },
      },
    );
    assert.equal(result, 'ok@3');
    assert.equal(calls, 3);
    assert.deepEqual(waits, [10, 20]);
  });

  it('throws a non-retryable error at once, and the last error when attempts run out', async () => {
    let calls = 0;
    await assert.rejects(
      retry(
        () => {
          calls++;
          return Promise.reject(new Error('fatal'));
        },
        { attempts: 5, retryIf: () => false },
      ),
      /fatal/,
    );
    assert.equal(calls, 1);
    calls = 0;
    await assert.rejects(
      retry(
        (attempt) => {
          calls++;
          return Promise.reject(new Error(`busy ${attempt}`));
        },
        { attempts: 3, retryIf: () => true },
      ),
      /busy 3/,
    );
    assert.equal(calls, 3);
  });
});
