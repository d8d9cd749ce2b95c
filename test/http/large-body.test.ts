// A large body's memory goes back when the body is dropped and nobody sends it any more: its
// buffers are detached (freed at once) rather than left for a garbage collection that may not
// come for minutes. Mock timers stand in for the hold; nothing here depends on real time.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, it, mock } from 'node:test';
import { LargeBodies, type Chunks } from '../../src/http/large-body.ts';
import { errorReply, type Reply } from '../../src/http/reply.ts';
import { RecordStore } from '../../src/records/store.ts';
import { loadInfo, testRecordSet } from './fixtures.ts';

const HOLD_MS = 30_000;

function setup() {
  const store = new RecordStore();
  store.swap(testRecordSet(), loadInfo());
  const bodies = new LargeBodies(store, { streams: 4, queue: 4, holdMs: HOLD_MS });
  const rendered: Chunks[] = [];
  const render = () => {
    const chunks = ['{"a":', '1}\n'].map((t) => new TextEncoder().encode(t));
    rendered.push(chunks);
    return Promise.resolve(chunks);
  };
  const ask = () =>
    bodies.serve('enumerate', 'application/json', render, () => errorReply(503, 'x', 'x'));
  return { store, bodies, rendered, ask };
}

const freed = (chunks: Chunks | undefined): boolean =>
  chunks !== undefined && chunks.every((c) => (c.buffer as ArrayBuffer).detached);

const done = (reply: Reply): void => reply.done?.();

beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
afterEach(() => mock.timers.reset());

it('frees the body when its hold ends after the last response', async () => {
  const { bodies, rendered, ask } = setup();
  const replies = [await ask(), await ask()];
  assert.equal(bodies.renders, 1);
  replies.forEach(done);
  assert.equal(freed(rendered[0]), false, 'kept for the next request while held');
  mock.timers.tick(HOLD_MS);
  assert.equal(freed(rendered[0]), true);
  // The next request renders it again.
  done(await ask());
  assert.equal(bodies.renders, 2);
  assert.equal(freed(rendered[1]), false);
  bodies.close();
  assert.equal(freed(rendered[1]), true);
});

it('keeps a body that is still being sent past its hold, and frees it when the response ends', async () => {
  const { rendered, ask } = setup();
  const slow = await ask();
  mock.timers.tick(HOLD_MS);
  assert.equal(freed(rendered[0]), false);
  assert.equal(slow.chunks?.chunks, rendered[0]);
  done(slow);
  assert.equal(freed(rendered[0]), true);
});

it('frees a body a new record set made stale once its responses are over', async () => {
  const { store, rendered, ask } = setup();
  const sending = await ask();
  done(await ask());
  store.swap(testRecordSet(), loadInfo());
  assert.equal(freed(rendered[0]), false);
  done(sending);
  assert.equal(freed(rendered[0]), true);
  // A response that ends twice (close after an error) counts once.
  const again = await ask();
  done(again);
  done(again);
  store.swap(testRecordSet(), loadInfo());
  assert.equal(freed(rendered[1]), true);
});
