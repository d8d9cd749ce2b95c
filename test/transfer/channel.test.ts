// The transfer channel over a real MessageChannel: whole sets, deltas laid over the receiver's
// set, a newer transfer replacing one in flight, and a delta against a set the receiver lacks.
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { describe, it } from 'node:test';
import { stepNames } from '../../src/records/map-steps.ts';
import { overlay, OverlayMap } from '../../src/records/overlay-map.ts';
import { PackedRecordMap, packRecordSet } from '../../src/records/packed-map.ts';
import type { RecordSet } from '../../src/records/recordset.ts';
import {
  TransferReceiver,
  TransferSender,
  type Outgoing,
  type Received,
  type TransferMessage,
  type TransferPull,
} from '../../src/transfer/channel.ts';
import {
  mapDelta,
  sendAs,
  overlayDelta,
  recordDelta,
  recordSetDigest,
} from '../../src/transfer/record-transfer.ts';
import { makeSet, srv } from '../dns/fixtures.ts';

type Meta = { readonly note: string };

function bigSet(names: number, ip: string): RecordSet {
  const a: Record<string, string[]> = {};
  for (let i = 0; i < names; i++) a[`app${i}.marathon.mesos.`] = [ip];
  return makeSet({
    a,
    srv: { '_app0._tcp.marathon.mesos.': [srv('app0.marathon.mesos.', 31000)] },
  });
}

/** A set as the main thread holds one that came as a delta: overlays on `base`'s maps. */
function withChanges(base: RecordSet, a: [string, string[]][], removedA: string[] = []): RecordSet {
  return {
    ...base,
    a: overlay(base.a, a, removedA),
    aaaa: overlay(base.aaaa, [], []),
    srv: overlay(base.srv, [], []),
  };
}

const sorted = (map: ReadonlyMap<string, readonly unknown[]>) =>
  [...map.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));

/** A sender and a receiver on two ends of a MessageChannel, as across threads. */
function pair(budget: number) {
  const { port1, port2 } = new MessageChannel();
  const sender = new TransferSender<Meta>((m) => port1.postMessage(m), budget);
  const receiver = new TransferReceiver<Meta>((pull) => port2.postMessage(pull));
  port1.on('message', (pull: TransferPull) => sender.pull(pull));
  let base: { name: string; set: RecordSet } | null = null;
  let waiting: ((r: Received<Meta>) => void) | null = null;
  const errors: unknown[] = [];
  let messages = 0;
  port2.on('message', (m: TransferMessage<Meta>) => {
    messages++;
    try {
      const done = receiver.receive(m, (name) => (name === base?.name ? base.set : null));
      if (done !== null) waiting?.(done);
    } catch (error) {
      errors.push(error);
    }
  });
  return {
    sender,
    receiver,
    errors,
    get messages() {
      return messages;
    },
    setBase(name: string, set: RecordSet) {
      base = { name, set };
    },
    send(id: number, outgoing: Outgoing, note: string): Promise<Received<Meta>> {
      return new Promise((resolve) => {
        waiting = resolve;
        sender.send(id, outgoing, { note });
      });
    },
    close() {
      port1.close();
      port2.close();
    },
  };
}

describe('transfer channel', () => {
  it('sends a set whole in pulled chunks, with its meta', async () => {
    const p = pair(100);
    try {
      const set = bigSet(1000, '10.0.0.1');
      const got = await p.send(1, { set }, 'first');
      assert.equal(got.meta.note, 'first');
      assert.deepEqual(sorted(got.set.a), sorted(set.a));
      assert.deepEqual(sorted(got.set.srv), sorted(set.srv));
      const stats = p.sender.lastStats!;
      assert.equal(stats.kind, 'full');
      assert.ok(stats.chunks >= 10, `${stats.chunks} chunks`);
      assert.equal(stats.names, 1001);
    } finally {
      p.close();
    }
  });

  it('sends only the changes against the set the receiver holds', async () => {
    const p = pair(100);
    try {
      const first = await p.send(1, { set: bigSet(1000, '10.0.0.1') }, 'whole');
      p.setBase('1', first.set);
      const main = bigSet(1000, '10.0.0.1');
      const next = withChanges(
        main,
        [['new.marathon.mesos.', ['10.9.9.9']]],
        ['app5.marathon.mesos.'],
      );
      const delta = overlayDelta(main, next)!;
      assert.equal(delta.size, 2);
      const before = p.messages;
      const got = await p.send(2, { set: next, delta, base: '1' }, 'delta');
      // begin, one chunk of changes, one of removals, end.
      assert.equal(p.messages - before, 4);
      assert.deepEqual(p.sender.lastStats, { kind: 'delta', chunks: 2, names: 2 });
      assert.deepEqual(got.set.a.get('new.marathon.mesos.'), ['10.9.9.9']);
      assert.equal(got.set.a.has('app5.marathon.mesos.'), false);
      assert.deepEqual(sorted(got.set.a), sorted(next.a));
    } finally {
      p.close();
    }
  });

  it('sends a packed set as its buffers, one message per map, shared not copied', async () => {
    const p = pair(100);
    try {
      const set = bigSet(1000, '10.0.0.1');
      const packed = packRecordSet(set);
      const before = p.messages;
      const got = await p.send(1, { set: packed }, 'packed');
      // begin, one chunk per map, end.
      assert.equal(p.messages - before, 6);
      assert.deepEqual(p.sender.lastStats, { kind: 'full', chunks: 4, names: 1001 });
      for (const kind of ['a', 'aaaa', 'srv', 'ptr'] as const) {
        const map = got.set[kind];
        assert.ok(map instanceof PackedRecordMap, kind);
        const sent = (packed[kind] as PackedRecordMap<readonly string[]>).buffer;
        // The same memory, not a copy: a byte written there shows here.
        const last = sent.byteLength - 1;
        const was = new Uint8Array(sent)[last]!;
        new Uint8Array(map.buffer)[last] = was ^ 0xff;
        assert.ok(new Uint8Array(sent)[last] === (was ^ 0xff), kind);
        new Uint8Array(map.buffer)[last] = was;
        assert.deepEqual([...map], [...set[kind]], kind);
      }
      assert.deepEqual(got.set.recordCounts, { a: 1000, aaaa: 0, srv: 1, ptr: 0 });
    } finally {
      p.close();
    }
  });

  it('sends a set whose maps are overlays on packed maps as the buffers and the changes', async () => {
    const p = pair(100);
    try {
      const base = packRecordSet(bigSet(1000, '10.0.0.1'));
      const next = withChanges(
        base,
        [['new.marathon.mesos.', ['10.9.9.9']]],
        ['app5.marathon.mesos.'],
      );
      const got = await p.send(1, { set: next }, 'whole');
      // begin, a (buffer, changes, removals), aaaa, srv (buffers), ptr (buffer), end.
      assert.equal(p.sender.lastStats?.chunks, 6);
      assert.ok(got.set.a instanceof OverlayMap);
      assert.deepEqual([...got.set.a], [...next.a]);
      assert.equal(got.set.a.has('app5.marathon.mesos.'), false);
      assert.ok(got.set.srv instanceof PackedRecordMap);
    } finally {
      p.close();
    }
  });

  it("sends a whole set with the names it differs in from the receiver's set, when told them", async () => {
    const p = pair(100);
    try {
      const first = await p.send(1, { set: packRecordSet(bigSet(1000, '10.0.0.1')) }, 'whole');
      p.setBase('1', first.set);
      const main = packRecordSet(bigSet(1000, '10.0.0.1'));
      const next = packRecordSet(
        makeSet({
          a: Object.fromEntries([
            ...[...main.a].filter(([name]) => name !== 'app5.marathon.mesos.'),
            ['new.marathon.mesos.', ['10.9.9.9']],
          ]),
          srv: Object.fromEntries(main.srv),
        }),
      );
      const delta = recordDelta(main, next);
      assert.equal(delta.size, 2);
      const got = await p.send(2, { set: next, since: { delta, base: '1' } }, 'since');
      // The packed maps, then the names (one chunk, for the A map): counted as the set's.
      assert.deepEqual(p.sender.lastStats, { kind: 'full', chunks: 5, names: 1001 });
      assert.ok(got.set.a instanceof PackedRecordMap);
      assert.deepEqual(sorted(got.set.a), sorted(next.a));
      assert.deepEqual([...(stepNames(first.set.a, got.set.a) ?? [])].sort(), [
        'app5.marathon.mesos.',
        'new.marathon.mesos.',
      ]);
      assert.deepEqual(stepNames(first.set.srv, got.set.srv), []);
      const changed: [string, readonly unknown[]][] = [];
      const removed: string[] = [];
      assert.equal(mapDelta(first.set.a, got.set.a, changed, removed), 2);
      assert.deepEqual(removed, ['app5.marathon.mesos.']);
      // A receiver that no longer serves that set takes the set alone.
      p.setBase('9', first.set);
      const alone = await p.send(3, { set: next, since: { delta, base: '1' } }, 'since');
      assert.equal(p.errors.length, 0);
      assert.equal(stepNames(first.set.a, alone.set.a), null);
      assert.deepEqual(sorted(alone.set.a), sorted(next.a));
    } finally {
      p.close();
    }
  });

  it('lets a newer transfer replace one in flight', async () => {
    const p = pair(10);
    try {
      const done = p.send(1, { set: bigSet(500, '10.0.0.1') }, 'old');
      const last = await p.send(2, { set: bigSet(300, '10.0.0.2') }, 'new');
      assert.equal(last.meta.note, 'new');
      assert.equal(last.set.a.size, 300);
      assert.deepEqual(last.set.a.get('app0.marathon.mesos.'), ['10.0.0.2']);
      // The replaced transfer never completes.
      const settled = await Promise.race([done.then(() => 'done'), Promise.resolve('pending')]);
      assert.equal(settled, 'pending');
    } finally {
      p.close();
    }
  });

  it('refuses a delta against a set the receiver does not hold, and stops pulling it', async () => {
    const p = pair(10);
    try {
      p.setBase('1', bigSet(10, '10.0.0.1'));
      const main = bigSet(10, '10.0.0.1');
      const next = withChanges(main, [['x.mesos.', ['10.1.1.1']]]);
      p.sender.send(5, { set: next, delta: overlayDelta(main, next)!, base: '4' }, { note: 'x' });
      for (let i = 0; i < 200 && p.errors.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      // Give a wrongly pulled chunk time to arrive too.
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(p.errors.length, 1);
      assert.match(String(p.errors[0]), /no set in service/);
      assert.equal(p.receiver.active, null);
      assert.equal(p.sender.lastStats, null, 'the refused transfer never ended');
    } finally {
      p.close();
    }
  });
});

describe('recordDelta of packed sets', () => {
  it('equals recordDelta of the same sets as JS maps', () => {
    const one = bigSet(300, '10.0.0.1');
    const a = new Map(one.a);
    a.set('app7.marathon.mesos.', ['10.0.0.7']);
    a.set('app8.marathon.mesos.', ['10.0.0.1', '10.0.0.2']);
    a.delete('app9.marathon.mesos.');
    a.set('fresh.marathon.mesos.', ['10.3.3.3']);
    const two: RecordSet = {
      ...one,
      a,
      srv: new Map([['_app0._tcp.marathon.mesos.', [srv('app0.marathon.mesos.', 31001)]]]),
    };
    const slow = recordDelta(one, two);
    const fast = recordDelta(packRecordSet(one), packRecordSet(two));
    assert.deepEqual(fast, slow);
    assert.equal(fast.size, 5);
    assert.equal(recordDelta(packRecordSet(one), packRecordSet(one)).size, 0);
  });

  it('digests packed sets by their content', () => {
    const one = packRecordSet(bigSet(50, '10.0.0.1'));
    assert.equal(recordSetDigest(one), recordSetDigest(packRecordSet(bigSet(50, '10.0.0.1'))));
    assert.notEqual(recordSetDigest(one), recordSetDigest(packRecordSet(bigSet(50, '10.0.0.2'))));
  });
});

describe('overlayDelta', () => {
  it('equals recordDelta for overlays on one base, from the changes alone', () => {
    const base = bigSet(50, '10.0.0.1');
    const one = withChanges(base, [['new1.mesos.', ['10.1.0.1']]], ['app1.marathon.mesos.']);
    // An overlay merged on an overlay, as the assembler builds them.
    const two: RecordSet = {
      ...one,
      a: overlay(
        one.a,
        [
          ['new2.mesos.', ['10.2.0.2']],
          ['app1.marathon.mesos.', ['10.0.0.1']],
        ],
        ['new1.mesos.'],
      ),
    };
    const fast = overlayDelta(one, two)!;
    const slow = recordDelta(one, two);
    for (const map of ['a', 'aaaa', 'srv'] as const) {
      assert.deepEqual(sorted(new Map(fast.changed[map])), sorted(new Map(slow.changed[map])), map);
      assert.deepEqual([...fast.removed[map]].sort(), [...slow.removed[map]].sort(), map);
    }
    assert.equal(fast.size, 3);
    // From the plain base to an overlay on it.
    assert.equal(overlayDelta(base, two)!.size, recordDelta(base, two).size);
  });

  it('gives null when the sets share no base: a whole transfer goes instead', () => {
    const a = bigSet(5, '10.0.0.1');
    const b = bigSet(5, '10.0.0.2');
    assert.equal(overlayDelta(a, b), null);
    assert.equal(overlayDelta(a, withChanges(b, [])), null);
  });
});

describe('mapDelta', () => {
  type Values = readonly string[];
  const text = (entries: [string, string[]][]) => new Map<string, Values>(entries);
  const names = Array.from({ length: 200 }, (_, i) => `app${i}.marathon.mesos.`);
  const m1 = text(names.map((n, i) => [n, [`10.0.${i % 250}.1`]]));
  // Another full set: one name's values changed, one's order swapped, one gone, one new.
  const m2 = new Map(m1);
  m2.set('app3.marathon.mesos.', ['10.9.9.9']);
  m2.set('app4.marathon.mesos.', ['10.0.4.2', '10.0.4.1']);
  m2.delete('app5.marathon.mesos.');
  m2.set('fresh.marathon.mesos.', ['10.3.3.3']);
  const p1 = PackedRecordMap.packText(m1);
  const p2 = PackedRecordMap.packText(m2);
  // Versions built from deltas: overlays on either packed set.
  const o1 = overlay<Values>(
    p1,
    [['app7.marathon.mesos.', ['10.7.7.7']]],
    ['app8.marathon.mesos.'],
  );
  const o1b = overlay<Values>(
    p1,
    [['app3.marathon.mesos.', ['10.9.9.9']]],
    ['app9.marathon.mesos.'],
  );
  const o2 = overlay<Values>(
    p2,
    [['app5.marathon.mesos.', ['10.0.5.1']]],
    ['fresh.marathon.mesos.'],
  );

  /** Every name of both, values compared decoded: what any shortcut must agree with. */
  function reference(before: ReadonlyMap<string, Values>, after: ReadonlyMap<string, Values>) {
    const changed = [...after]
      .filter(([name, v]) => JSON.stringify(before.get(name)) !== JSON.stringify(v))
      .map(([name, v]) => `${name} ${v.join(',')}`);
    const removed = [...before.keys()].filter((name) => !after.has(name));
    return { changed: changed.sort(), removed: removed.sort() };
  }

  function delta(before: ReadonlyMap<string, Values>, after: ReadonlyMap<string, Values>) {
    const changed: [string, readonly unknown[]][] = [];
    const removed: string[] = [];
    const size = mapDelta(before, after, changed, removed);
    assert.equal(size, changed.length + removed.length);
    return {
      changed: changed.map(([name, v]) => `${name} ${(v as Values).join(',')}`).sort(),
      removed: removed.sort(),
    };
  }

  it('agrees with comparing every name, whatever the two versions are made of', () => {
    const versions: Record<string, ReadonlyMap<string, Values>> = { m1, m2, p1, p2, o1, o1b, o2 };
    for (const [x, before] of Object.entries(versions)) {
      for (const [y, after] of Object.entries(versions)) {
        assert.deepEqual(delta(before, after), reference(before, after), `${x} → ${y}`);
      }
    }
    assert.equal(delta(p1, p2).changed.length, 3);
    assert.deepEqual(delta(o1, o1), { changed: [], removed: [] });
  });

  it('decodes only the names that differ when packed maps are compared', () => {
    const before = PackedRecordMap.packText(m1);
    const after = PackedRecordMap.packText(m2);
    let decoded = 0;
    for (const map of [before, after]) {
      const valuesAt = map.valuesAt.bind(map);
      const keyAt = map.keyAt.bind(map);
      map.valuesAt = (e) => (decoded++, valuesAt(e));
      map.keyAt = (e) => (decoded++, keyAt(e));
    }
    const changed: [string, readonly unknown[]][] = [];
    const removed: string[] = [];
    // Over an overlay (the set in service after some deltas) as over the packed map itself.
    mapDelta(
      overlay<Values>(before, [['app7.marathon.mesos.', ['10.7.7.7']]], []),
      after,
      changed,
      removed,
    );
    // Three changed (name and values) and one removed (name) between the packed maps; app7,
    // which the overlay holds otherwise, read from the new set to compare.
    assert.equal(changed.length, 4);
    assert.equal(removed.length, 1);
    assert.equal(decoded, 3 * 2 + 1 + 1);
  });
});

describe('sendAs: how the workers send a set', () => {
  it('a delta while the overlay stays within 15 % of the names', () => {
    assert.equal(sendAs(0, 150, 1000), 'delta');
    assert.equal(sendAs(100, 50, 1000), 'delta');
  });

  it('whole with the changed names once the overlay has grown, whole alone when they are many', () => {
    assert.equal(sendAs(100, 51, 1000), 'since');
    assert.equal(sendAs(0, 151, 1000), 'whole');
    assert.equal(sendAs(900, 151, 1000), 'whole');
  });
});
