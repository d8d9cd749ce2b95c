// /v1/enumerate when the set in service does not carry its enumeration (sets from the load
// worker): the body comes from where it is kept, or a clear 503 while it cannot be had.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { loadInfo, startHarness, testRecordSet } from './fixtures.ts';

it('serves the enumeration from its keeper, and 503 with Retry-After when it is gone', async () => {
  let held: string[] | null = ['{"frameworks":[{"tasks":[],"name":"kept"}]}'];
  const h = await startHarness({ loaded: false, enumeration: () => Promise.resolve(held) });
  try {
    h.store.swap({ ...testRecordSet(), enumeration: [] }, loadInfo());
    const ok = await fetch(`${h.base}/v1/enumerate`);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { frameworks: [{ tasks: [], name: 'kept' }] });

    held = null;
    const gone = await fetch(`${h.base}/v1/enumerate`);
    assert.equal(gone.status, 503);
    assert.equal(gone.headers.get('retry-after'), '1');
    assert.equal(((await gone.json()) as { error: string }).error, 'enumeration_unavailable');
  } finally {
    await h.close();
  }
});
