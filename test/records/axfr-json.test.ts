import assert from 'node:assert/strict';
import { it } from 'node:test';
import { axfrRecordsBytes } from '../../src/records/axfr-json.ts';
import { testRecordSet } from '../http/fixtures.ts';

const text = (chunks: readonly Uint8Array[]): string => Buffer.concat(chunks).toString('utf8');

const sorted = <V>(map: ReadonlyMap<string, readonly V[]>, show: (v: V) => string) =>
  Object.fromEntries([...map.keys()].sort().map((k) => [k, (map.get(k) ?? []).map(show)]));

it("renders /v1/axfr's Records as JSON.stringify of the sorted maps would, in owned chunks", () => {
  const set = {
    ...testRecordSet(),
    ptr: new Map([['1.0.0.10.in-addr.arpa.', ['web.marathon.mesos.']]]),
  };
  const records = {
    As: sorted(set.a, (ip) => ip),
    AAAAs: sorted(set.aaaa, (ip) => ip),
    SRVs: sorted(set.srv, (s) => `${s.target}:${s.port}`),
  };
  const expected = JSON.stringify(records);
  assert.equal(text(axfrRecordsBytes(set, { ptr: false })), expected);
  const small = axfrRecordsBytes(set, { ptr: false }, 16);
  assert.ok(small.length > 5, `expected several chunks, got ${small.length}`);
  for (const c of small) assert.equal(c.byteOffset + c.byteLength, c.buffer.byteLength);
  assert.equal(text(small), expected);
  // ptron adds PTRs after the mesos-dns keys.
  assert.equal(
    text(axfrRecordsBytes(set, { ptr: true }, 16)),
    JSON.stringify({ ...records, PTRs: sorted(set.ptr, (t) => t) }),
  );
  const empty = { a: new Map(), aaaa: new Map(), srv: new Map(), ptr: new Map() };
  assert.equal(text(axfrRecordsBytes(empty, { ptr: false })), '{"As":{},"AAAAs":{},"SRVs":{}}');
});
