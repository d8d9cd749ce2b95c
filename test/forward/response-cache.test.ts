// Unit: cache lifetime and TTL arithmetic (RFC 2308, RFC 8767) with an injected clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Packet, type Resource } from 'dns2';

import { scanReply } from '../../src/dns/forward/reply-scan.ts';
import { ResponseCache, STALE_TTL, cacheLifetime } from '../../src/dns/forward/response-cache.ts';
import { ManualClock, buildQuery, ttlsOf } from './wire-client.ts';

const T = Packet.TYPE;

interface ReplySpec {
  readonly rcode?: number;
  readonly answers?: readonly number[];
  readonly soa?: { readonly ttl: number; readonly minimum: number };
  readonly additionalTtl?: number;
  readonly edns?: boolean;
  readonly tc?: boolean;
}

function rr(name: string, type: number, ttl: number, fields: Partial<Resource>): Resource {
  return Object.assign(new Packet.Resource(name, type, 1, ttl), fields);
}

function reply(spec: ReplySpec): Uint8Array {
  const packet = Packet.parse(Buffer.from(buildQuery('www.example.org', T.A)));
  packet.header.qr = 1;
  packet.header.rcode = spec.rcode ?? 0;
  packet.header.tc = spec.tc ? 1 : 0;
  (spec.answers ?? []).forEach((ttl, i) => {
    packet.answers.push(rr('www.example.org', T.A, ttl, { address: `192.0.2.${i + 1}` }));
  });
  if (spec.soa) {
    packet.authorities.push(
      rr('example.org', T.SOA, spec.soa.ttl, {
        primary: 'ns.example.org',
        admin: 'hostmaster.example.org',
        serial: 1,
        refresh: 3600,
        retry: 600,
        expiration: 86400,
        minimum: spec.soa.minimum,
      }),
    );
  }
  if (spec.additionalTtl !== undefined) {
    packet.additionals.push(
      rr('ns.example.org', T.A, spec.additionalTtl, { address: '192.0.2.53' }),
    );
  }
  if (spec.edns) packet.additionals.push(Packet.Resource.EDNS([], { udpPayloadSize: 1232 }));
  return new Uint8Array(packet.toBuffer());
}

function lifetime(spec: ReplySpec, max = 3600): number {
  const bytes = reply(spec);
  const info = scanReply(bytes);
  assert.ok(info, 'reply scans');
  return cacheLifetime(info, max);
}

describe('cacheLifetime', () => {
  it('uses the smallest answer/authority TTL for positive answers', () => {
    assert.equal(lifetime({ answers: [300, 60, 900] }), 60);
    assert.equal(lifetime({ answers: [300], soa: { ttl: 120, minimum: 5 } }), 120);
  });

  it('ignores the additional section and the OPT pseudo-record', () => {
    assert.equal(lifetime({ answers: [300], additionalTtl: 1, edns: true }), 300);
  });

  it('uses min(SOA TTL, SOA MINIMUM) for NXDOMAIN and NODATA', () => {
    assert.equal(lifetime({ rcode: 3, soa: { ttl: 900, minimum: 45 } }), 45);
    assert.equal(lifetime({ rcode: 3, soa: { ttl: 30, minimum: 600 } }), 30);
    assert.equal(lifetime({ rcode: 0, soa: { ttl: 900, minimum: 75 } }), 75);
  });

  it('does not cache negative answers without an SOA, errors, or truncated replies', () => {
    assert.equal(lifetime({ rcode: 3 }), 0);
    assert.equal(lifetime({ rcode: 0 }), 0);
    assert.equal(lifetime({ rcode: 2, answers: [300] }), 0);
    assert.equal(lifetime({ rcode: 5, answers: [300] }), 0);
    assert.equal(lifetime({ rcode: 1, answers: [300] }), 0);
    assert.equal(lifetime({ answers: [300], tc: true }), 0);
  });

  it('caps every lifetime at the maximum', () => {
    assert.equal(lifetime({ answers: [86400] }, 3600), 3600);
    assert.equal(lifetime({ rcode: 3, soa: { ttl: 86400, minimum: 86400 } }, 100), 100);
  });
});

describe('ResponseCache', () => {
  const key = 'www.example.org/A';

  it('counts every TTL down, the additional section included, and expires on time', () => {
    const clock = new ManualClock();
    const cache = new ResponseCache({ size: 10, maxTtlSeconds: 3600, serveStaleSeconds: 0, clock });
    const bytes = reply({ answers: [100, 300], additionalTtl: 20, edns: true });
    assert.equal(cache.store(key, bytes, scanReply(bytes)!), 100);
    clock.advance(9_999);
    let hit = cache.lookup(key);
    assert.equal(hit.kind, 'fresh');
    // Records are capped at the entry's lifetime, then counted down by whole elapsed seconds.
    assert.deepEqual(ttlsOf(hit.kind === 'fresh' ? hit.bytes : new Uint8Array()), [91, 91, 11]);
    clock.advance(80_001);
    hit = cache.lookup(key);
    assert.deepEqual(ttlsOf(hit.kind === 'fresh' ? hit.bytes : new Uint8Array()), [10, 10, 0]);
    clock.advance(10_000);
    assert.equal(cache.lookup(key).kind, 'miss');
    assert.equal(cache.size, 0, 'expired entry dropped when serve-stale is off');
  });

  it('returns independent copies: patching one hit leaves the entry intact', () => {
    const clock = new ManualClock();
    const cache = new ResponseCache({ size: 10, maxTtlSeconds: 3600, serveStaleSeconds: 0, clock });
    const bytes = reply({ answers: [100] });
    cache.store(key, bytes, scanReply(bytes)!);
    bytes.fill(0);
    const first = cache.lookup(key);
    assert.equal(first.kind, 'fresh');
    if (first.kind === 'fresh') first.bytes.fill(0xff);
    const second = cache.lookup(key);
    assert.equal(second.kind, 'fresh');
    if (second.kind === 'fresh') assert.deepEqual(ttlsOf(second.bytes), [100]);
  });

  it('serves an expired entry with TTL 30 only inside the stale window', () => {
    const clock = new ManualClock();
    const cache = new ResponseCache({
      size: 10,
      maxTtlSeconds: 3600,
      serveStaleSeconds: 60,
      clock,
    });
    const bytes = reply({ answers: [10] });
    cache.store(key, bytes, scanReply(bytes)!);
    assert.equal(cache.stale(key), undefined, 'not stale while fresh');
    clock.advance(10_000);
    assert.equal(cache.lookup(key).kind, 'miss');
    const stale = cache.stale(key);
    assert.ok(stale);
    assert.deepEqual(ttlsOf(stale), [STALE_TTL]);
    clock.advance(59_999);
    assert.ok(cache.stale(key));
    clock.advance(1);
    assert.equal(cache.stale(key), undefined);
  });

  it('keeps at most `size` entries and does nothing when size is 0', () => {
    const clock = new ManualClock();
    const small = new ResponseCache({ size: 2, maxTtlSeconds: 3600, serveStaleSeconds: 0, clock });
    const bytes = reply({ answers: [100] });
    for (const k of ['a', 'b', 'c']) small.store(k, bytes, scanReply(bytes)!);
    assert.equal(small.size, 2);
    assert.equal(small.lookup('a').kind, 'miss');
    const off = new ResponseCache({ size: 0, maxTtlSeconds: 3600, serveStaleSeconds: 60, clock });
    assert.equal(off.enabled, false);
    assert.equal(off.store('a', bytes, scanReply(bytes)!), 0);
    assert.equal(off.lookup('a').kind, 'miss');
  });

  it('does not store a zero-TTL answer', () => {
    const clock = new ManualClock();
    const cache = new ResponseCache({ size: 10, maxTtlSeconds: 3600, serveStaleSeconds: 0, clock });
    const bytes = reply({ answers: [0] });
    assert.equal(cache.store(key, bytes, scanReply(bytes)!), 0);
    assert.equal(cache.size, 0);
  });
});
