import assert from 'node:assert/strict';
import { it } from 'node:test';
import { enumerationBytes } from '../../src/records/enumeration-json.ts';
import type { EnumerationFramework } from '../../src/records/recordset.ts';

const text = (chunks: readonly Uint8Array[]): string => Buffer.concat(chunks).toString('utf8');

const frameworks: EnumerationFramework[] = [
  {
    frameworkname: 'marathon',
    tasks: [
      {
        name: 'web',
        id: 'web.1',
        records: [
          'A',
          'web.marathon.mesos.',
          '10.0.0.1',
          'SRV',
          '_web._tcp.marathon.mesos.',
          'web-x-s0.marathon.slave.mesos.:31000',
        ],
      },
      { name: 'db', id: 'db.1', records: [] },
    ],
  },
  { frameworkname: 'my "quoted" fw', tasks: [] },
];

it('renders mesos-dns enumerate JSON, split into fragments that join to the document', () => {
  const whole = text(enumerationBytes(frameworks));
  // Byte for byte as Go's encoding/json orders the struct fields.
  assert.equal(
    whole,
    '{"frameworks":[{"tasks":[{"name":"web","id":"web.1","records":[' +
      '{"name":"web.marathon.mesos.","host":"10.0.0.1","rtype":"A"},' +
      '{"name":"_web._tcp.marathon.mesos.","host":"web-x-s0.marathon.slave.mesos.:31000","rtype":"SRV"}]},' +
      '{"name":"db","id":"db.1","records":[]}],"name":"marathon"},' +
      '{"tasks":[],"name":"my \\"quoted\\" fw"}]}\n',
  );
  const small = enumerationBytes(frameworks, 16);
  // Each chunk owns its buffer (a worker transfers them), and no chunk splits a character.
  for (const c of small) assert.equal(c.byteOffset + c.byteLength, c.buffer.byteLength);
  assert.ok(small.length > 3, `expected several fragments, got ${small.length}`);
  assert.equal(text(small), whole);
  assert.equal(text(enumerationBytes([])), '{"frameworks":[]}\n');
});
