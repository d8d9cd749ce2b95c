import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseZkUrl, redact, formatHost, ZkUrlError } from '../../src/net/zk-url.ts';

test('parses several hosts and the group path', () => {
  const u = parseZkUrl('zk://10.0.0.1:2181,zk2.example.com:2182/mesos');
  assert.deepEqual(u.hosts, [
    { host: '10.0.0.1', port: 2181 },
    { host: 'zk2.example.com', port: 2182 },
  ]);
  assert.equal(u.path, '/mesos');
  assert.equal(u.auth, null);
  assert.equal(u.display, 'zk://10.0.0.1:2181,zk2.example.com:2182/mesos');
});

test('defaults the port to 2181 and strips a trailing slash', () => {
  const u = parseZkUrl('zk://localhost/mesos/');
  assert.deepEqual(u.hosts, [{ host: 'localhost', port: 2181 }]);
  assert.equal(u.path, '/mesos');
});

test('accepts bracketed IPv6 hosts and nested paths', () => {
  const u = parseZkUrl('zk://[::1]:2181,[fd00::5]/dcos/mesos');
  assert.deepEqual(u.hosts, [
    { host: '::1', port: 2181 },
    { host: 'fd00::5', port: 2181 },
  ]);
  assert.equal(u.path, '/dcos/mesos');
  assert.equal(formatHost(u.hosts[0]!), '[::1]:2181');
});

test('takes user:password@ as digest credentials and hides the password', () => {
  const u = parseZkUrl('zk://mesos:s3cr:et@10.0.0.1:2181/mesos');
  assert.deepEqual(u.auth, { user: 'mesos', password: 's3cr:et' });
  assert.equal(u.display, 'zk://mesos:***@10.0.0.1:2181/mesos');
  assert.ok(!u.display.includes('s3cr'));
  assert.equal(redact('zk://u:p@h:1/m'), 'zk://u:***@h:1/m');
});

test('scheme is case-insensitive', () => {
  assert.equal(parseZkUrl('ZK://h:1/m').path, '/m');
});

const bad: [string, RegExp][] = [
  ['', /must start with zk:\/\//],
  ['http://10.0.0.1:2181/mesos', /must start with zk:\/\//],
  ['zk://10.0.0.1:2181', /has no path/],
  ['zk://10.0.0.1:2181/', /path is "\/"/],
  ['zk:///mesos', /names no ZooKeeper host/],
  ['zk://a:2181,,b:2181/mesos', /empty host/],
  ['zk://10.0.0.1:0/mesos', /port "0"/],
  ['zk://10.0.0.1:70000/mesos', /port "70000"/],
  ['zk://10.0.0.1:abc/mesos', /port "abc"/],
  ['zk://::1:2181/mesos', /bare IPv6.*\[addr\]:port/],
  ['zk://[::1:2181/mesos', /without closing/],
  ['zk://[zzz]:2181/mesos', /not an IPv6 address/],
  ['zk://bad_host!:2181/mesos', /not a valid hostname/],
  ['zk://10.0.0.300:2181/mesos', /not a valid hostname or IPv4/],
  ['zk://h:2181/mesos//x', /empty segment/],
  ['zk://h:2181/mesos/../x', /"\." or "\.\."/],
  ['zk://h:2181/mesos?x=1', /"\?" or "#"/],
  ['zk://:pw@h:2181/mesos', /user:password@/],
];

for (const [input, message] of bad) {
  test(`rejects ${JSON.stringify(input)}`, () => {
    assert.throws(
      () => parseZkUrl(input),
      (err: unknown) => err instanceof ZkUrlError && message.test(err.message),
    );
  });
}

test('errors never echo the password', () => {
  assert.throws(
    () => parseZkUrl('zk://user:hunter2@h:99999/mesos'),
    (err: unknown) =>
      err instanceof Error && !err.message.includes('hunter2') && err.message.includes('***'),
  );
});
