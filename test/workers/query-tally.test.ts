// The DNS threads' counting observer: whatever it counts and merges into Metrics must render
// exactly as if the main thread's Metrics had observed the same calls itself.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DnsObserver } from '../../src/dns/observer.ts';
import { mergeTally, QueryTally, TALLY_SIZE } from '../../src/dns/workers/query-tally.ts';
import { Metrics } from '../../src/metrics/metrics.ts';

function play(observer: DnsObserver): void {
  observer.query('udp', 1, 'authoritative', 0.00004);
  observer.query('udp', 1, 'authoritative', 0.0003);
  observer.query('udp', 28, 'nodata', 0.002);
  observer.query('tcp', 33, 'nxdomain', 0.0007);
  observer.query('udp', 4242, 'forwarded', 0.03); // an unlisted qtype counts as OTHER
  observer.query('tcp', 1, 'servfail', 7); // past the last bucket
  observer.query('udp', 6, 'refused', 0.0001);
  observer.dropped('udp');
  observer.dropped('tcp');
  observer.dropped('tcp');
  observer.upstream('127.0.0.1:53', 'ok', 0.01);
  observer.upstream('127.0.0.1:53', 'timeout', 2);
  observer.upstream('[::1]:5353', 'error', 0.001);
  observer.upstream('[::1]:5353', 'malformed', 0.002);
  observer.cache('miss', 0);
  observer.cache('hit', 3);
  observer.cache('stale', 4);
  observer.tcpClosed('capacity');
  observer.tcpClosed('deadline');
  observer.tcpClosed('deadline');
}

const exposition = async (m: Metrics) =>
  (await m.render())
    .split('\n')
    .filter((l) => l.startsWith('mesos_dns_') && !l.startsWith('mesos_dns_build_info'))
    .join('\n');

describe('QueryTally', () => {
  it('merged into Metrics renders the same series as observing directly', async () => {
    const direct = new Metrics({ version: 't', processMetrics: false });
    play(direct);

    const merged = new Metrics({ version: 't', processMetrics: false });
    const tally = new QueryTally();
    play(tally);
    const delta = tally.take();
    assert.ok(delta !== null);
    // Crossing a thread boundary is a structured clone.
    const queries = mergeTally(merged, structuredClone(delta));
    merged.setCacheEntries(delta.cacheSize);

    assert.equal(queries, 7);
    const expected = await exposition(direct);
    assert.match(expected, /mesos_dns_requests_total\{[^}]*qtype="OTHER"[^}]*\} 1/);
    assert.match(expected, /mesos_dns_tcp_connections_closed_total\{reason="deadline"\} 2/);
    assert.match(expected, /mesos_dns_upstream_requests_total\{[^}]*result="malformed"[^}]*\} 1/);
    assert.equal(await exposition(merged), expected);
  });

  it('take() returns each count once, then null until something new is counted', () => {
    const tally = new QueryTally();
    assert.equal(tally.take(), null);
    tally.query('udp', 1, 'authoritative', 0.001);
    const first = tally.take();
    assert.ok(first !== null);
    assert.equal(first.counts.length, TALLY_SIZE);
    assert.equal(tally.take(), null);
    tally.query('udp', 1, 'authoritative', 0.001);
    tally.query('udp', 1, 'authoritative', 0.001);
    const metrics = new Metrics({ version: 't', processMetrics: false });
    assert.equal(mergeTally(metrics, first), 1);
    assert.equal(mergeTally(metrics, tally.take()!), 2);
  });

  it('ignores a delta of the wrong shape instead of merging part of it', async () => {
    const metrics = new Metrics({ version: 't', processMetrics: false });
    const before = await exposition(metrics);
    const bogus = { counts: new Float64Array(3).fill(1), upstreams: [], cacheSize: 1 };
    assert.equal(mergeTally(metrics, bogus), 0);
    assert.equal(await exposition(metrics), before);
  });
});
