// PackedRecordMap against the JS Maps it replaces: same answers, same order, nothing on a miss.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { enumerationFrameworks } from '../../src/records/enumeration-json.ts';
import { generate } from '../../src/records/generate.ts';
import { overlay } from '../../src/records/overlay-map.ts';
import {
  PackError,
  PackedRecordMap,
  packedUnder,
  packRecordSet,
} from '../../src/records/packed-map.ts';
import type { RecordSet, SrvRecord } from '../../src/records/recordset.ts';
import type { MesosState } from '../../src/state/types.ts';
import { clusterOptions } from '../helpers/generate-options.ts';

const state = JSON.parse(
  readFileSync(new URL('../fixtures/state-cluster.json', import.meta.url), 'utf8'),
) as MesosState;

function generated(): RecordSet {
  return generate(state, clusterOptions({ ptr: true, warn: () => {} }));
}

function sameMap<V>(packed: ReadonlyMap<string, V>, map: ReadonlyMap<string, V>): void {
  assert.equal(packed.size, map.size);
  // Generation order: iteration, digests and AXFR walk the maps in it.
  assert.deepEqual([...packed], [...map]);
  assert.deepEqual([...packed.keys()], [...map.keys()]);
  assert.deepEqual([...packed.values()], [...map.values()]);
  const seen: [string, V][] = [];
  packed.forEach((value, key, m) => {
    assert.equal(m, packed);
    seen.push([key, value]);
  });
  assert.deepEqual(seen, [...map]);
  for (const [name, values] of map) {
    assert.deepEqual(packed.get(name), values);
    assert.equal(packed.has(name), true);
  }
}

describe('PackedRecordMap', () => {
  const set = generated();
  const packed = packRecordSet(set);

  it('packs all four maps of a generated set, and answers as the JS maps do', () => {
    assert.ok(set.a.size > 10 && set.srv.size > 5 && set.ptr.size > 2 && set.aaaa.size > 0);
    for (const kind of ['a', 'aaaa', 'srv', 'ptr'] as const) {
      assert.ok(packed[kind] instanceof PackedRecordMap, kind);
      sameMap<unknown>(packed[kind], set[kind]);
    }
    assert.equal(packed.domain, set.domain);
    // The enumeration reads the same from the packed maps (test/records/enumeration.test.ts).
    assert.equal(packed.enumeration, set.enumeration);
    assert.deepEqual(enumerationFrameworks(packed), enumerationFrameworks(set));
  });

  it('misses names it does not hold, including near misses and non-ASCII ones', () => {
    for (const name of [
      '',
      'nope.mesos.',
      'leader.mesos',
      'LEADER.MESOS.',
      'leader.mesos..',
      'lëader.mesos.',
      '\u{1f600}.mesos.',
    ]) {
      assert.equal(packed.a.get(name), undefined, name);
      assert.equal(packed.a.has(name), false, name);
    }
    assert.deepEqual(packed.a.get('leader.mesos.'), set.a.get('leader.mesos.'));
  });

  it('packs empty maps', () => {
    const a = PackedRecordMap.packText(new Map());
    const srv = PackedRecordMap.packSrv(new Map());
    sameMap(a, new Map());
    sameMap(srv, new Map());
    assert.equal(a.get('x.'), undefined);
    assert.equal(srv.has(''), false);
  });

  it('keeps names with no values, and many names (the index wraps and probes)', () => {
    const map = new Map<string, string[]>();
    for (let i = 0; i < 5000; i++)
      map.set(`t${i}.x.mesos.`, i % 7 === 0 ? [] : [`10.0.${i >> 8}.${i & 255}`, `n${i}.`]);
    sameMap(PackedRecordMap.packText(map), map);
  });

  it('round-trips SRV fields at their limits', () => {
    const map = new Map<string, SrvRecord[]>([
      ['_a._tcp.x.mesos.', [{ target: 'a.x.mesos.', port: 0, priority: 0, weight: 0 }]],
      [
        '_b._udp.x.mesos.',
        [
          { target: 'b.x.mesos.', port: 65535, priority: 65535, weight: 65535 },
          { target: 'c.x.mesos.', port: 31000, priority: 0, weight: 1 },
        ],
      ],
    ]);
    sameMap(PackedRecordMap.packSrv(map), map);
    const bad = new Map([
      ['_c._tcp.x.mesos.', [{ target: 'c.', port: 70000, priority: 0, weight: 1 }]],
    ]);
    assert.throws(() => PackedRecordMap.packSrv(bad), PackError);
  });

  it('refuses non-ASCII names and values; packRecordSet then keeps that map as it is', () => {
    const odd = new Map([['wëb.x.mesos.', ['10.0.0.1']]]);
    assert.throws(() => PackedRecordMap.packText(odd), PackError);
    assert.throws(
      () => PackedRecordMap.packText(new Map([['web.x.mesos.', ['1\u00e9']]])),
      PackError,
    );
    // A character past U+00FF whose low byte is ASCII ("š" is U+0161: 0x61 is "a").
    assert.throws(
      () => PackedRecordMap.packText(new Map([['\u0161.x.mesos.', ['10.0.0.1']]])),
      PackError,
    );
    assert.throws(
      () => PackedRecordMap.packText(new Map([['a.x.mesos.', ['10.0.0.\u0131']]])),
      PackError,
    );
    const mixed = packRecordSet({ ...set, a: odd });
    assert.equal(mixed.a, odd);
    assert.ok(mixed.srv instanceof PackedRecordMap);
  });

  it('compares entries of two packed maps by their bytes', () => {
    const before = PackedRecordMap.packText(
      new Map([
        ['a.', ['1', '2']],
        ['b.', ['3']],
        ['c.', ['12']],
      ]),
    );
    const after = PackedRecordMap.packText(
      new Map([
        ['c.', ['1', '2']],
        ['b.', ['3']],
        ['a.', ['1', '2']],
        ['d.', []],
      ]),
    );
    const at = (name: string): [number, number] => [after.indexOf(name), before.indexOf(name)];
    for (const [name, same] of [
      ['a.', true],
      ['b.', true],
      ['c.', false],
    ] as const) {
      const [e, f] = at(name);
      assert.equal(before.indexOfEntry(after, e), f);
      assert.equal(after.sameValues(e, before, f), same, name);
    }
    assert.equal(before.indexOfEntry(after, after.indexOf('d.')), -1);
    const srv1 = PackedRecordMap.packSrv(
      new Map([['s.', [{ target: 't.', port: 1, priority: 0, weight: 1 }]]]),
    );
    const srv2 = PackedRecordMap.packSrv(
      new Map([['s.', [{ target: 't.', port: 2, priority: 0, weight: 1 }]]]),
    );
    assert.equal(srv2.sameValues(0, srv1, 0), false);
    assert.equal(srv1.sameValues(0, srv1, 0), true);
  });

  it('wraps its buffer in another thread without copying it', async () => {
    const a = packedUnder(packed.a);
    assert.ok(a !== null);
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const bytes = new Uint8Array(workerData);
      parentPort.postMessage(bytes.length);
      bytes[bytes.length - 1] = 0x5a;
    `;
    const copy = new Uint8Array(a.buffer).slice();
    const worker = new Worker(source, { eval: true, workerData: a.buffer });
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    const length = await new Promise<number>((resolve) => worker.once('message', resolve));
    await exited;
    assert.equal(length, a.buffer.byteLength);
    // The worker wrote into the same memory.
    assert.equal(new Uint8Array(a.buffer)[a.buffer.byteLength - 1], 0x5a);
    new Uint8Array(a.buffer).set(copy);
    sameMap<unknown>(PackedRecordMap.wrap(a.buffer), set.a);
    assert.throws(() => PackedRecordMap.wrap(new SharedArrayBuffer(64)), PackError);
  });

  it('is found under an overlay laid over it', () => {
    const over = overlay(packed.a, [['new.mesos.', ['10.9.9.9']]], ['leader.mesos.']);
    assert.equal(packedUnder(over), packed.a);
    assert.equal(packedUnder(packed.a), packed.a);
    assert.equal(packedUnder(set.a), null);
    assert.deepEqual(over.get('new.mesos.'), ['10.9.9.9']);
    assert.equal(over.get('leader.mesos.'), undefined);
  });

  it('counts its values without decoding them', () => {
    let n = 0;
    for (const values of set.srv.values()) n += values.length;
    assert.equal(packedUnder(packed.srv)?.valueCount, n);
  });
});
