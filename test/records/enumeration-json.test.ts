import assert from 'node:assert/strict';
import { it } from 'node:test';
import { enumerationBytes } from '../../src/records/enumeration-json.ts';
import {
  ENUM_A,
  ENUM_SRV,
  EnumerationBuilder,
  emptyEnumeration,
} from '../../src/records/enumeration.ts';
import type { RecordSet, SrvRecord } from '../../src/records/recordset.ts';

const text = (chunks: readonly Uint8Array[]): string => Buffer.concat(chunks).toString('utf8');

const srv = (target: string, port: number): SrvRecord => ({ target, port, priority: 0, weight: 1 });

function source(): Pick<RecordSet, 'a' | 'aaaa' | 'srv' | 'enumeration'> {
  const e = new EnumerationBuilder();
  e.framework('marathon');
  e.task('web', 'web.1');
  e.add(ENUM_A, 'web.marathon.mesos.', 0);
  e.add(ENUM_SRV, '_web._tcp.marathon.mesos.', 1);
  e.task('db', 'db.1');
  e.framework('my "quoted" fw');
  return {
    a: new Map([['web.marathon.mesos.', ['10.0.0.1']]]),
    aaaa: new Map(),
    srv: new Map([
      [
        '_web._tcp.marathon.mesos.',
        [srv('other.mesos.', 1), srv('web-x-s0.marathon.slave.mesos.', 31000)],
      ],
    ]),
    enumeration: e.finish(),
  };
}

it('renders mesos-dns enumerate JSON, split into fragments that join to the document', () => {
  const whole = text(enumerationBytes(source()));
  // Byte for byte as Go's encoding/json orders the struct fields.
  assert.equal(
    whole,
    '{"frameworks":[{"tasks":[{"name":"web","id":"web.1","records":[' +
      '{"name":"web.marathon.mesos.","host":"10.0.0.1","rtype":"A"},' +
      '{"name":"_web._tcp.marathon.mesos.","host":"web-x-s0.marathon.slave.mesos.:31000","rtype":"SRV"}]},' +
      '{"name":"db","id":"db.1","records":[]}],"name":"marathon"},' +
      '{"tasks":[],"name":"my \\"quoted\\" fw"}]}\n',
  );
  const small = enumerationBytes(source(), 16);
  // Each chunk owns its buffer (a worker transfers them), and no chunk splits a character.
  for (const c of small) assert.equal(c.byteOffset + c.byteLength, c.buffer.byteLength);
  assert.ok(small.length > 3, `expected several fragments, got ${small.length}`);
  assert.equal(text(small), whole);
  const none = { a: new Map(), aaaa: new Map(), srv: new Map() };
  assert.equal(text(enumerationBytes(none)), '{"frameworks":[]}\n');
  assert.equal(
    text(enumerationBytes({ ...none, enumeration: emptyEnumeration() })),
    '{"frameworks":[]}\n',
  );
});
