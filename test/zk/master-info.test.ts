import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  classifyChild,
  jsonInfoChildren,
  masterAddress,
  MasterInfoError,
} from '../../src/mesos/zk/master-info.ts';

const info = {
  id: '20240101-000000-16777343-5050-1',
  ip: 16777343,
  port: 5050,
  pid: 'master@10.0.0.1:5050',
  hostname: 'm1.example.com',
  address: { hostname: 'm1.example.com', ip: '10.0.0.1', port: 5050 },
  version: '1.11.0',
};

test('classifies group children', () => {
  assert.deepEqual(classifyChild('json.info_0000000007'), {
    kind: 'json',
    name: 'json.info_0000000007',
    sequence: 7,
  });
  assert.equal(classifyChild('info_0000000001').kind, 'legacy');
  assert.equal(classifyChild('log_replicas').kind, 'other');
  assert.equal(classifyChild('json.info_').kind, 'other');
});

test('orders json.info_ children by sequence, not by name order given', () => {
  const out = jsonInfoChildren([
    'json.info_0000000012',
    'info_0000000001',
    'json.info_0000000003',
    'log_replicas',
    'json.info_0000000010',
  ]);
  assert.deepEqual(
    out.map((n) => n.sequence),
    [3, 10, 12],
  );
});

test('prefers address.ip and address.port', () => {
  assert.equal(masterAddress('n', Buffer.from(JSON.stringify(info))), '10.0.0.1:5050');
});

test('falls back to address.hostname, then the pid', () => {
  const noIp = { ...info, address: { hostname: 'm1.example.com', port: 5051 } };
  assert.equal(masterAddress('n', JSON.stringify(noIp)), 'm1.example.com:5051');
  const pidOnly = { id: 'x', pid: 'master@10.0.0.9:5052' };
  assert.equal(masterAddress('n', JSON.stringify(pidOnly)), '10.0.0.9:5052');
});

test('brackets IPv6 master addresses', () => {
  const v6 = { ...info, address: { ip: 'fd00::1', port: 5050 } };
  assert.equal(masterAddress('n', JSON.stringify(v6)), '[fd00::1]:5050');
});

test('rejects unusable MasterInfo with the node name', () => {
  assert.throws(() => masterAddress('/mesos/json.info_1', 'not json'), MasterInfoError);
  assert.throws(() => masterAddress('/mesos/json.info_1', '[1]'), /not a MasterInfo/);
  assert.throws(
    () => masterAddress('/mesos/json.info_1', JSON.stringify({ pid: 'garbage' })),
    /json\.info_1.*no usable address/,
  );
});
