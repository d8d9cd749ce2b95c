// IP literal recognition and host:port / UPID splitting.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalEndpoint,
  parseUpid,
  splitHostPort,
  upidAddress,
} from '../../src/net/host-port.ts';
import { parseIp } from '../../src/net/ip.ts';
import { canonicalResolver, parseResolver } from '../../src/net/resolver.ts';

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

describe('one form for every address', () => {
  it('parseUpid takes a bare IPv6 host, as Mesos writes UPIDs', () => {
    assert.deepEqual(parseUpid('master@fd00::1:5050'), { host: 'fd00::1', port: '5050' });
    assert.equal(parseUpid('master@fd00::zz:5050'), null);
    assert.equal(upidAddress('master@FD00:0::1:5050'), '[fd00::1]:5050');
    assert.equal(upidAddress('master@10.0.0.1:0'), null);
  });

  it('canonicalEndpoint validates and canonicalises a configured master', () => {
    assert.equal(canonicalEndpoint('[FD00:0:0::1]:05050'), '[fd00::1]:5050');
    assert.equal(canonicalEndpoint('Master-1.Example:5050'), 'master-1.example:5050');
    assert.equal(canonicalEndpoint('::ffff:10.0.0.1:5050'), undefined);
    assert.equal(canonicalEndpoint('[::ffff:10.0.0.1]:5050'), '10.0.0.1:5050');
    for (const bad of ['h', 'h:0', 'h:70000', 'bad_host:1', '[zz]:1']) {
      assert.equal(canonicalEndpoint(bad), undefined, bad);
    }
  });

  it('resolvers come out canonical, the default port left out', () => {
    assert.equal(canonicalResolver('0:0:0:0:0:0:0:1'), '::1');
    assert.equal(canonicalResolver('[0:0::1]:5353'), '[::1]:5353');
    assert.equal(canonicalResolver('2001:DB8::53'), '2001:db8::53');
    assert.equal(canonicalResolver('192.0.2.1:53'), '192.0.2.1');
    assert.equal(canonicalResolver('FE80:0::1%eth0'), 'fe80::1%eth0');
    assert.deepEqual(parseResolver('[::ffff:192.0.2.1]:5353'), {
      host: '192.0.2.1',
      port: 5353,
      family: 4,
      label: '192.0.2.1:5353',
    });
    assert.equal(canonicalResolver('dns.example'), undefined);
  });
});
