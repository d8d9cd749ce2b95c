// Unit: resolver address parsing, zone routing, down-marking with probes, and resolv.conf.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { ResolverPool } from '../../src/dns/forward/resolver-health.ts';
import { resolversForName } from '../../src/dns/forward/zone-routing.ts';
import { readResolvConf, resolversFromResolvConf } from '../../src/net/resolv-conf.ts';
import { parseResolver } from '../../src/net/resolver.ts';
import { ManualClock } from './wire-client.ts';

describe('parseResolver', () => {
  it('reads ip, ip:port, [v6]:port and bare v6', () => {
    assert.deepEqual(parseResolver('192.0.2.1'), {
      host: '192.0.2.1',
      port: 53,
      family: 4,
      label: '192.0.2.1',
    });
    assert.equal(parseResolver('192.0.2.1:5353').port, 5353);
    assert.deepEqual(parseResolver('[2001:db8::1]:5353'), {
      host: '2001:db8::1',
      port: 5353,
      family: 6,
      label: '[2001:db8::1]:5353',
    });
    assert.equal(parseResolver('2001:db8::1').port, 53);
    assert.equal(parseResolver('[::1]').port, 53);
  });

  it('names the bad input', () => {
    assert.throws(
      () => parseResolver('dns.example.com'),
      /"dns\.example\.com" is not an IP address/,
    );
    assert.throws(() => parseResolver('192.0.2.1:99999'), /invalid port/);
    assert.throws(() => parseResolver('192.0.2.1:'), /invalid port/);
  });
});

describe('resolversForName', () => {
  const a = [parseResolver('192.0.2.1')];
  const b = [parseResolver('192.0.2.2')];
  const c = [parseResolver('192.0.2.3')];
  const d = [parseResolver('192.0.2.4')];
  const zones = new Map([
    ['corp.', a],
    ['eng.corp.', b],
  ]);

  it('picks the longest label-wise match, else the defaults', () => {
    assert.equal(resolversForName('x.eng.corp.', zones, d), b);
    assert.equal(resolversForName('eng.corp.', zones, d), b);
    assert.equal(resolversForName('x.sales.corp.', zones, d), a);
    assert.equal(resolversForName('corp.', zones, d), a);
    // "xeng.corp" is not inside "eng.corp".
    assert.equal(resolversForName('xeng.corp.', zones, d), a);
    assert.equal(resolversForName('example.com.', zones, d), d);
    assert.equal(resolversForName('example.com.', new Map([['.', c]]), d), c);
    assert.equal(resolversForName('.', new Map([['.', c]]), d), c);
    assert.equal(resolversForName('.', zones, d), d);
  });

  it('does not split a label at an escaped dot', () => {
    // The label "x.eng" under "corp": inside "corp", not inside "eng.corp".
    assert.equal(resolversForName('x\\.eng.corp.', zones, d), a);
    assert.equal(resolversForName('a\\.corp.', new Map([['corp.', a]]), d), d);
    assert.equal(resolversForName('a\\092.eng.corp.', zones, d), b);
  });
});

describe('ResolverPool', () => {
  const r1 = parseResolver('192.0.2.1');
  const r2 = parseResolver('192.0.2.2');

  it('skips a resolver after N failures and lets one query probe it after the back-off', () => {
    const clock = new ManualClock();
    const pool = new ResolverPool(clock, {
      failuresToMarkDown: 2,
      minBackoffMs: 1000,
      maxBackoffMs: 4000,
    });
    assert.deepEqual(pool.order([r1, r2]), [r1, r2]);
    assert.equal(pool.failure(r1.label), false);
    assert.equal(pool.failure(r1.label), true, 'second failure marks it down');
    assert.deepEqual(pool.order([r1, r2]), [r2]);
    clock.advance(1000);
    assert.deepEqual(pool.order([r1, r2]), [r1, r2], 'probe due');
    assert.deepEqual(pool.order([r1, r2]), [r2], 'only one query probes');
    pool.failure(r1.label); // the probe failed: back-off doubles
    clock.advance(1999);
    assert.deepEqual(pool.order([r1, r2]), [r2]);
    clock.advance(1);
    assert.deepEqual(pool.order([r1, r2]), [r1, r2]);
    pool.success(r1.label);
    assert.equal(pool.isDown(r1.label), false);
    assert.deepEqual(pool.order([r1, r2]), [r1, r2]);
  });

  it('still tries the resolver due soonest when all are down', () => {
    const clock = new ManualClock();
    const pool = new ResolverPool(clock, { failuresToMarkDown: 1, minBackoffMs: 5000 });
    pool.failure(r2.label);
    clock.advance(10);
    pool.failure(r1.label);
    assert.deepEqual(pool.order([r1, r2]), [r2]);
  });
});

describe('resolv.conf', () => {
  const text = [
    '# generated',
    'search example.org',
    'nameserver 192.0.2.53',
    'nameserver 127.0.0.1 ; local cache',
    'nameserver   2001:db8::53',
    'nameserver fe80::1%eth0',
    'nameserver not-an-ip',
    'nameserver 192.0.2.53',
    'options ndots:2',
  ].join('\n');

  it('lists nameservers in order, once each', () => {
    assert.deepEqual(resolversFromResolvConf(text, []), [
      '192.0.2.53',
      '127.0.0.1',
      '2001:db8::53',
      'fe80::1%eth0',
    ]);
  });

  it('leaves out the addresses this server answers on at port 53', () => {
    assert.deepEqual(resolversFromResolvConf(text, ['127.0.0.1']), [
      '192.0.2.53',
      '2001:db8::53',
      'fe80::1%eth0',
    ]);
    assert.deepEqual(resolversFromResolvConf(text, ['[2001:db8::53]:53', '192.0.2.53:53']), [
      '127.0.0.1',
      'fe80::1%eth0',
    ]);
    // Listening on another port cannot receive resolv.conf traffic.
    assert.equal(resolversFromResolvConf(text, ['127.0.0.1:5353']).length, 4);
    // A wildcard listener covers loopback.
    assert.ok(!resolversFromResolvConf(text, ['0.0.0.0']).includes('127.0.0.1'));
  });

  it('reads the file, and names it when it cannot', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'resolvconf-'));
    try {
      const path = join(dir, 'resolv.conf');
      await writeFile(path, 'nameserver 192.0.2.7\n');
      assert.deepEqual(readResolvConf([], path), ['192.0.2.7']);
      assert.throws(() => readResolvConf([], join(dir, 'missing')), /cannot read .*missing/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
