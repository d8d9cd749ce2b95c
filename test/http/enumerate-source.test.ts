// /v1/enumerate when the set in service does not carry its enumeration (sets from the load
// worker): the body comes from where it is kept, once per record set however many ask, only a
// few at a time, or a clear 503 while it cannot be had.
import assert from 'node:assert/strict';
import net from 'node:net';
import { it } from 'node:test';
import { loadInfo, startHarness, testRecordSet, withoutEnumeration } from './fixtures.ts';

const bytes = (text: string): Uint8Array[] => [new TextEncoder().encode(text)];

it('serves the enumeration from its keeper, and 503 with Retry-After when it is gone', async () => {
  let held: Uint8Array[] | null = bytes('{"frameworks":[{"tasks":[],"name":"kept"}]}\n');
  const h = await startHarness({ loaded: false, render: () => Promise.resolve(held) });
  try {
    h.store.swap(withoutEnumeration(testRecordSet()), loadInfo());
    const ok = await fetch(`${h.base}/v1/enumerate`);
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { frameworks: [{ tasks: [], name: 'kept' }] });

    h.store.swap(withoutEnumeration(testRecordSet()), loadInfo());
    held = null;
    const gone = await fetch(`${h.base}/v1/enumerate`);
    assert.equal(gone.status, 503);
    assert.equal(gone.headers.get('retry-after'), '1');
    assert.equal(((await gone.json()) as { error: string }).error, 'enumeration_unavailable');
  } finally {
    await h.close();
  }
});

it('renders the body once per record set however many clients ask at once', async () => {
  let renders = 0;
  const h = await startHarness({
    loaded: false,
    render: () => {
      renders++;
      // Several chunks, as the load worker sends them.
      const doc = `{"frameworks":[{"tasks":[],"name":"generation ${renders}"}]}\n`;
      return Promise.resolve([doc.slice(0, 10), doc.slice(10, 30), doc.slice(30)].flatMap(bytes));
    },
  });
  try {
    h.store.swap(withoutEnumeration(testRecordSet()), loadInfo());
    const many = async () => {
      const replies = await Promise.all(
        Array.from({ length: 20 }, () => fetch(`${h.base}/v1/enumerate`)),
      );
      assert.deepEqual(
        replies.map((r) => r.status),
        replies.map(() => 200),
      );
      return new Set(await Promise.all(replies.map((r) => r.text())));
    };
    assert.deepEqual(
      await many(),
      new Set(['{"frameworks":[{"tasks":[],"name":"generation 1"}]}\n']),
    );
    assert.equal(renders, 1);
    // A new set: rendered once more, and only the new body is served.
    h.store.swap(withoutEnumeration(testRecordSet()), loadInfo());
    assert.deepEqual(
      await many(),
      new Set(['{"frameworks":[{"tasks":[],"name":"generation 2"}]}\n']),
    );
    assert.equal(renders, 2);
  } finally {
    await h.close();
  }
});

it('sends a few bodies at once, queues a few more, and answers 503 with Retry-After beyond', async () => {
  let finish: (chunks: Uint8Array[]) => void = () => {};
  const rendering = new Promise<Uint8Array[]>((resolve) => (finish = resolve));
  const h = await startHarness({
    loaded: false,
    limits: { bodyStreams: 1, bodyQueue: 1 },
    render: () => rendering,
  });
  try {
    h.store.swap(withoutEnumeration(testRecordSet()), loadInfo());
    // One holds the slot (waiting for the rendering), one waits in the queue: whichever comes
    // third is refused, and is the only one answered before the rendering ends.
    const asked = Array.from({ length: 3 }, () => fetch(`${h.base}/v1/enumerate`));
    const refused = await Promise.race(asked.map((p, i) => p.then((r) => ({ r, i }))));
    assert.equal(refused.r.status, 503);
    assert.equal(refused.r.headers.get('retry-after'), '1');
    assert.equal(((await refused.r.json()) as { error: string }).error, 'busy');
    // /health is no large body: never queued behind them.
    assert.equal((await fetch(`${h.base}/health`)).status, 200);

    finish(bytes('{"frameworks":[]}\n'));
    for (const r of await Promise.all(asked.filter((_, i) => i !== refused.i))) {
      assert.equal(r.status, 200);
      assert.equal(await r.text(), '{"frameworks":[]}\n');
    }
    // Both slots are free again.
    assert.equal((await fetch(`${h.base}/v1/enumerate`)).status, 200);
  } finally {
    await h.close();
  }
});

it('cuts off a client that stops reading, freeing its slot for the next', async () => {
  // 32 MB: more than loopback's socket buffers hold, so the stalled client's stream must stop.
  const chunk = new Uint8Array(256 * 1024).fill(0x20);
  const body = [...Array.from({ length: 128 }, () => chunk), ...bytes('{"frameworks":[]}\n')];
  const h = await startHarness({
    loaded: false,
    limits: { bodyStreams: 1, bodyQueue: 4, bodyStallMs: 300 },
    render: () => Promise.resolve(body),
  });
  try {
    h.store.swap(withoutEnumeration(testRecordSet()), loadInfo());
    const { port, address } = h.server.address;
    const stalled = net.connect(port, address);
    stalled.on('error', () => {});
    await new Promise((r) => stalled.once('connect', r));
    stalled.write('GET /v1/enumerate HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => stalled.once('data', r));
    stalled.pause();
    // Waits in the queue until the stalled stream is cut off.
    const next = await fetch(`${h.base}/v1/enumerate`);
    assert.equal(next.status, 200);
    const text = await next.text();
    assert.equal(text.length, 128 * 256 * 1024 + '{"frameworks":[]}\n'.length);
    assert.ok(text.endsWith('{"frameworks":[]}\n'));
    stalled.destroy();
  } finally {
    await h.close();
  }
});

it('/v1/axfr: the records from the keeper (once per set), the SOA fields from this thread', async () => {
  const asked: string[] = [];
  const h = await startHarness({
    render: (body) => {
      asked.push(body);
      return Promise.resolve(bytes('{"As":{"kept.mesos.":["10.1.1.1"]},"AAAAs":{},"SRVs":{}}'));
    },
  });
  try {
    for (let i = 0; i < 3; i++) {
      const zone = (await (await fetch(`${h.base}/v1/axfr`)).json()) as Record<string, unknown>;
      assert.equal(zone['Serial'], h.store.current!.serial);
      assert.equal(zone['Domain'], 'mesos');
      assert.deepEqual(zone['Records'], {
        As: { 'kept.mesos.': ['10.1.1.1'] },
        AAAAs: {},
        SRVs: {},
      });
    }
    assert.deepEqual(asked, ['axfr']);
  } finally {
    await h.close();
  }
});
