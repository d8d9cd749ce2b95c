// The SOA serial: the Unix time of the load, strictly increasing across swaps, stamped once by
// the store that swaps a set in and carried unchanged by a set that already has one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecordSet } from '../../src/records/recordset.ts';
import { RecordStore, nextSerial } from '../../src/records/store.ts';
import { RecordSetAssembler, recordSetHeader } from '../../src/transfer/record-transfer.ts';

const T = 1_800_000_000_000;

function set(): RecordSet {
  return {
    domain: 'mesos',
    a: new Map([['leader.mesos.', ['10.0.0.1']]]),
    aaaa: new Map(),
    srv: new Map(),
    ptr: new Map(),
    leader: '10.0.0.1:5050',
    counts: { tasks: 0, frameworks: 0, agents: 0 },
  };
}

const info = (atMs: number) => ({ atMs, durationMs: 1, master: 'm:5050', tasks: 0, records: 1 });

describe('SOA serial', () => {
  it('is the load time in seconds, and always larger than the last', () => {
    assert.equal(nextSerial(undefined, T + 999), T / 1000);
    assert.equal(nextSerial(T / 1000, T + 500), T / 1000 + 1); // same second
    assert.equal(nextSerial(T / 1000 + 5, T), T / 1000 + 6); // clock stepped back
    assert.equal(nextSerial(T / 1000, T + 60_000), T / 1000 + 60);
  });

  it('is stamped by the store on swap; a set that carries one keeps it', () => {
    const store = new RecordStore();
    store.swap(set(), info(T));
    assert.equal(store.current!.serial, T / 1000);
    store.swap(set(), info(T + 10));
    assert.equal(store.current!.serial, T / 1000 + 1);
    const copy = new RecordStore();
    copy.swap({ ...set(), serial: 42 }, info(T + 20_000));
    assert.equal(copy.current!.serial, 42);
  });

  it('crosses to DNS threads with the set', () => {
    const stamped = { ...set(), serial: 1234 };
    assert.equal(new RecordSetAssembler(recordSetHeader(stamped)).finish().serial, 1234);
    assert.equal(new RecordSetAssembler(recordSetHeader(set())).finish().serial, undefined);
  });
});
