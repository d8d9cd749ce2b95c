// Integration: the forwarder against a real dnsmasq on loopback — byte-faithful pass-through,
// TC→TCP retry, truncation for small clients, zone routing, failover, caching and serve-stale.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Packet } from 'dns2';

import { systemClock } from '../../src/clock.ts';
import {
  createForwarder,
  type Forwarder,
  type ForwarderOptions,
} from '../../src/dns/forward/forwarder.ts';
import { silentLogger } from '../../src/log.ts';
import {
  ZONE_TTL,
  freePort,
  startDnsmasq,
  testZoneArgs,
  type Dnsmasq,
} from '../helpers/dnsmasq.ts';
import {
  ManualClock,
  RecordingObserver,
  buildQuery,
  ask,
  decode,
  idOf,
  isTruncated,
  rcodeOf,
  tcpExchange,
  ttlsOf,
  udpExchange,
} from './wire-client.ts';
import { WAIT_MS } from '../helpers/wait.ts';

const T = Packet.TYPE;
const ZONE = 'example.test';
const OTHER = 'other.test';

let dm: Dnsmasq;
let dmOther: Dnsmasq;
let closedPort: number;
const forwarders: Forwarder[] = [];

function forwarder(overrides: Partial<ForwarderOptions>): Forwarder {
  const f = createForwarder({
    resolvers: [dm.resolver],
    zoneResolvers: {},
    timeoutMs: 1000,
    cacheSize: 0,
    observer: new RecordingObserver(),
    logger: silentLogger(),
    clock: systemClock,
    ...overrides,
  });
  forwarders.push(f);
  return f;
}

before(async () => {
  dm = await startDnsmasq(testZoneArgs(ZONE));
  dmOther = await startDnsmasq(testZoneArgs(OTHER, '10.9.9.9'));
  // Nothing listens here: UDP gets port-unreachable, TCP gets refused.
  closedPort = await freePort();
});

after(async () => {
  await Promise.all(forwarders.map((f) => f.close()));
  await dm.stop();
  await dmOther.stop();
});

describe('pass-through', () => {
  const cases: [string, number][] = [
    [`a.${ZONE}`, T.A],
    [`a.${ZONE}`, T.AAAA],
    [ZONE, T.MX],
    [`txt.${ZONE}`, T.TXT],
    [`c.${ZONE}`, T.A],
    [`_http._tcp.${ZONE}`, T.SRV],
  ];
  for (const [name, type] of cases) {
    it(`${name} type ${type} is byte-identical to dnsmasq's own answer`, async () => {
      const f = forwarder({});
      for (const ednsSize of [undefined, 1232]) {
        const query = buildQuery(name, type, { id: 0xbeef, ednsSize });
        const direct = await udpExchange(dm.port, query);
        assert.equal(rcodeOf(direct), 0);
        assert.ok(decode(direct).answers.length > 0, 'dnsmasq has an answer');
        const forwarded = await ask(f, query, 'udp', 4096);
        assert.deepEqual(Buffer.from(forwarded), Buffer.from(direct));
      }
    });
  }

  it('passes NXDOMAIN with the zone SOA through unchanged', async () => {
    const f = forwarder({});
    const query = buildQuery(`nope.${ZONE}`, T.A, { id: 7 });
    const forwarded = await ask(f, query, 'udp', 512);
    assert.equal(rcodeOf(forwarded), 3);
    assert.equal(decode(forwarded).authorities[0]?.type, T.SOA);
    assert.deepEqual(Buffer.from(forwarded), Buffer.from(await udpExchange(dm.port, query)));
  });

  it('keeps the client ID and the exact case of its question', async () => {
    const f = forwarder({});
    const query = buildQuery(`A.ExAmPlE.TeSt`, T.A, { id: 0x1234 });
    const reply = await ask(f, query, 'udp', 512);
    assert.equal(idOf(reply), 0x1234);
    assert.deepEqual(
      Buffer.from(reply.subarray(12, query.length)),
      Buffer.from(query.subarray(12)),
    );
    assert.equal(decode(reply).answers[0]?.address, '10.1.2.3');
  });
});

describe('truncation', () => {
  it('retries over TCP when dnsmasq truncates, and returns the full answer', async () => {
    const f = forwarder({});
    // No OPT: dnsmasq must fit 512 bytes, so it sets TC over UDP.
    const query = buildQuery(`big.${ZONE}`, T.TXT, { id: 99 });
    const direct = await udpExchange(dm.port, query);
    assert.ok(isTruncated(direct), 'dnsmasq truncates the big TXT set over UDP');
    const reply = await ask(f, query, 'udp', 4096);
    assert.ok(!isTruncated(reply));
    assert.equal(decode(reply).answers.length, 6);
    assert.ok(reply.length > 512);
    assert.equal(idOf(reply), 99);
  });

  it('sends only header + question with TC to a client whose UDP size is too small', async () => {
    const f = forwarder({});
    const query = buildQuery(`big.${ZONE}`, T.TXT, { id: 5 });
    const reply = await ask(f, query, 'udp', 512);
    assert.ok(isTruncated(reply));
    assert.equal(reply.length, query.length);
    assert.deepEqual([...reply.subarray(4, 12)], [0, 1, 0, 0, 0, 0, 0, 0]);
    assert.equal(idOf(reply), 5);
  });

  it('keeps the OPT record when truncating an EDNS reply', async () => {
    const f = forwarder({});
    const query = buildQuery(`big.${ZONE}`, T.TXT, { id: 6, ednsSize: 1232 });
    const reply = await ask(f, query, 'udp', 600);
    assert.ok(isTruncated(reply));
    const packet = decode(reply);
    assert.equal(packet.answers.length, 0);
    assert.equal(packet.additionals.length, 1);
    assert.equal(packet.additionals[0]?.type, T.EDNS);
    assert.ok(reply.length < 600);
  });

  it('gives a TCP client the whole answer, forwarded over TCP', async () => {
    const f = forwarder({});
    const query = buildQuery(`big.${ZONE}`, T.TXT, { id: 8 });
    const reply = await ask(f, query, 'tcp', 512);
    assert.deepEqual(Buffer.from(reply), Buffer.from(await tcpExchange(dm.port, query)));
  });
});

describe('routing and failover', () => {
  it('routes a name to its longest matching zone, else to the default resolvers', async () => {
    const f = forwarder({
      resolvers: [dm.resolver],
      zoneResolvers: { test: [`127.0.0.1:${closedPort}`], [`${OTHER}.`]: [dmOther.resolver] },
    });
    const other = await ask(f, buildQuery(`A.Other.Test`, T.A), 'udp', 512);
    assert.equal(decode(other).answers[0]?.address, '10.9.9.9');
    // "example.test" matches only the zone "test", whose resolver is down: SERVFAIL.
    const viaTest = await ask(f, buildQuery(`a.${ZONE}`, T.A), 'udp', 512);
    assert.equal(rcodeOf(viaTest), 2);
    const g = forwarder({
      resolvers: [dm.resolver],
      zoneResolvers: { [OTHER]: [dmOther.resolver] },
    });
    const dflt = await ask(g, buildQuery(`a.${ZONE}`, T.A), 'udp', 512);
    assert.equal(decode(dflt).answers[0]?.address, '10.1.2.3');
  });

  // A forwarder that never gave up would hang: the test's own timeout ends it, however slow
  // the machine.
  it('answers SERVFAIL when the only upstream is down', { timeout: WAIT_MS }, async () => {
    const observer = new RecordingObserver();
    const f = forwarder({ resolvers: [`127.0.0.1:${closedPort}`], observer, timeoutMs: 500 });
    const query = buildQuery(`a.${ZONE}`, T.A, { id: 0x7777, ednsSize: 1232, dnssecOk: true });
    const reply = await ask(f, query, 'udp', 1232);
    assert.equal(rcodeOf(reply), 2);
    assert.equal(idOf(reply), 0x7777);
    assert.equal(reply[2]! & 0x81, 0x81, 'QR and RD');
    assert.equal(reply[3]! & 0x80, 0x80, 'RA');
    const packet = decode(reply);
    assert.equal(packet.questions[0]?.name, `a.${ZONE}`);
    assert.equal(packet.additionals[0]?.type, T.EDNS);
    assert.deepEqual(
      observer.upstreams.map((u) => u.result).filter((r) => r === 'ok'),
      [],
    );
    assert.ok(observer.upstreams.length >= 1);
  });

  it('lets the second upstream take over, and skips the first once it is marked down', async () => {
    const observer = new RecordingObserver();
    const dead = `127.0.0.1:${closedPort}`;
    const f = forwarder({
      resolvers: [dead, dm.resolver],
      observer,
      failuresToMarkDown: 2,
      probeBackoffMs: 60_000,
    });
    for (let i = 0; i < 4; i++) {
      const reply = await ask(f, buildQuery(`a.${ZONE}`, T.A, { id: i }), 'udp', 512);
      assert.equal(rcodeOf(reply), 0);
      assert.equal(decode(reply).answers[0]?.address, '10.1.2.3');
    }
    const deadAttempts = observer.upstreams.filter((u) => u.resolver === dead);
    assert.equal(deadAttempts.length, 2, 'tried until marked down, then skipped');
    assert.ok(deadAttempts.every((u) => u.result !== 'ok'));
    assert.equal(
      observer.upstreams.filter((u) => u.resolver === dm.resolver && u.result === 'ok').length,
      4,
    );
  });

  it('passes an upstream REFUSED through when no resolver has an answer', async () => {
    const observer = new RecordingObserver();
    const f = forwarder({ observer, cacheSize: 100 });
    const query = buildQuery('outside.zone', T.A);
    assert.equal(rcodeOf(await ask(f, query, 'udp', 512)), 5);
    assert.equal(rcodeOf(await ask(f, query, 'udp', 512)), 5);
    assert.deepEqual(observer.caches, ['miss', 'miss'], 'REFUSED is never cached');
    assert.deepEqual(
      observer.upstreams.map((u) => u.result),
      ['error', 'error'],
    );
  });
});

describe('cache and serve-stale with a real upstream', () => {
  it('serves a cached answer with a lower TTL after the upstream is gone', async () => {
    const up = await startDnsmasq(testZoneArgs(ZONE));
    const clock = new ManualClock();
    const observer = new RecordingObserver();
    try {
      const f = forwarder({
        resolvers: [up.resolver],
        cacheSize: 100,
        clock,
        observer,
        timeoutMs: 300,
      });
      const first = await ask(f, buildQuery(`a.${ZONE}`, T.A, { id: 1 }), 'udp', 512);
      assert.deepEqual(ttlsOf(first), [ZONE_TTL, ZONE_TTL]);
      const nx = await ask(f, buildQuery(`gone.${ZONE}`, T.A, { id: 2 }), 'udp', 512);
      assert.equal(rcodeOf(nx), 3);
      await up.stop();
      clock.advance(5_500);

      const query = buildQuery(`A.EXAMPLE.test`, T.A, { id: 0xabcd });
      const hit = await ask(f, query, 'udp', 512);
      assert.equal(idOf(hit), 0xabcd);
      assert.deepEqual(
        Buffer.from(hit.subarray(12, query.length)),
        Buffer.from(query.subarray(12)),
      );
      assert.deepEqual(ttlsOf(hit), [ZONE_TTL - 5, ZONE_TTL - 5]);
      assert.equal(decode(hit).answers[0]?.address, '10.1.2.3');

      const nxHit = await ask(f, buildQuery(`gone.${ZONE}`, T.A, { id: 3 }), 'udp', 512);
      assert.equal(rcodeOf(nxHit), 3, 'negative answer cached');
      assert.deepEqual(ttlsOf(nxHit), [ZONE_TTL - 5]);
      assert.deepEqual(observer.caches, ['miss', 'miss', 'hit', 'hit']);

      // Past the SOA minimum: gone from the cache, and with no upstream, SERVFAIL.
      clock.advance(ZONE_TTL * 1000);
      const expired = await ask(f, buildQuery(`gone.${ZONE}`, T.A, { id: 4 }), 'udp', 512);
      assert.equal(rcodeOf(expired), 2);
    } finally {
      await up.stop();
    }
  });

  for (const serveStale of [0, 3600]) {
    it(`serve-stale ${serveStale ? 'on' : 'off'}: an expired answer when every upstream fails`, async () => {
      const up = await startDnsmasq(testZoneArgs(ZONE));
      const clock = new ManualClock();
      const observer = new RecordingObserver();
      try {
        const f = forwarder({
          resolvers: [up.resolver],
          cacheSize: 100,
          cacheServeStaleSeconds: serveStale,
          clock,
          observer,
          timeoutMs: 300,
        });
        assert.equal(rcodeOf(await ask(f, buildQuery(`a.${ZONE}`, T.A), 'udp', 512)), 0);
        await up.stop();
        clock.advance((ZONE_TTL + 10) * 1000);
        const reply = await ask(f, buildQuery(`a.${ZONE}`, T.A, { id: 77 }), 'udp', 512);
        assert.equal(idOf(reply), 77);
        if (serveStale) {
          assert.equal(rcodeOf(reply), 0);
          assert.deepEqual(ttlsOf(reply), [30, 30]);
          assert.deepEqual(observer.caches, ['miss', 'miss', 'stale']);
          clock.advance(serveStale * 1000);
          const tooOld = await ask(f, buildQuery(`a.${ZONE}`, T.A), 'udp', 512);
          assert.equal(rcodeOf(tooOld), 2, 'past the stale window');
        } else {
          assert.equal(rcodeOf(reply), 2);
          assert.deepEqual(observer.caches, ['miss', 'miss']);
        }
      } finally {
        await up.stop();
      }
    });
  }

  it('caps cached lifetimes at cacheMaxTtlSeconds', async () => {
    const clock = new ManualClock();
    const observer = new RecordingObserver();
    const f = forwarder({ cacheSize: 10, cacheMaxTtlSeconds: 60, clock, observer });
    const first = await ask(f, buildQuery(`txt.${ZONE}`, T.TXT), 'udp', 512);
    assert.equal(rcodeOf(first), 0);
    clock.advance(10_000);
    const hit = await ask(f, buildQuery(`txt.${ZONE}`, T.TXT), 'udp', 512);
    assert.deepEqual(ttlsOf(hit), [50, 50]);
    clock.advance(50_000);
    await ask(f, buildQuery(`txt.${ZONE}`, T.TXT), 'udp', 512);
    assert.deepEqual(observer.caches, ['miss', 'hit', 'miss']);
  });
});
