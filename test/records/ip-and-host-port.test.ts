// IP literal recognition and host:port / UPID splitting.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseUpid, splitHostPort } from '../../src/records/host-port.ts';
import { parseIp } from '../../src/records/ip.ts';

describe('parseIp', () => {
  it('recognises v4 and canonicalises v6', () => {
    assert.deepEqual(parseIp('10.1.2.3'), { family: 4, address: '10.1.2.3' });
    assert.deepEqual(parseIp('FD01:000B:0000:0000:0000:0001:8000:0002'), {
      family: 6,
      address: 'fd01:b::1:8000:2',
    });
    assert.deepEqual(parseIp('::ffff:1.2.3.4'), { family: 4, address: '1.2.3.4' });
  });

  it('rejects host names and junk', () => {
    for (const s of ['agent-1.example', '', '1.2.3', '300.1.1.1', 'fe80::1%eth0', '[::1]']) {
      assert.equal(parseIp(s), null, s);
    }
  });
});

describe('splitHostPort / parseUpid', () => {
  it('splits plain and bracketed forms', () => {
    assert.deepEqual(splitHostPort('10.0.0.1:5050'), { host: '10.0.0.1', port: '5050' });
    assert.deepEqual(splitHostPort('[2001:db8::1]:5050'), { host: '2001:db8::1', port: '5050' });
    assert.equal(splitHostPort('2001:db8::1:5050'), null);
    assert.equal(splitHostPort('10.0.0.1'), null);
  });

  it('parses libprocess UPIDs', () => {
    assert.deepEqual(parseUpid('slave(1)@10.0.1.10:5051'), { host: '10.0.1.10', port: '5051' });
    assert.deepEqual(parseUpid('scheduler-1@[2001:db8::2]:40000'), {
      host: '2001:db8::2',
      port: '40000',
    });
    for (const bad of ['', 'slave(1)', 'a@b@c:1', 'x@host', 'x@host:port', 'x@:5', 'x@h:99999']) {
      assert.equal(parseUpid(bad), null, bad);
    }
  });
});
