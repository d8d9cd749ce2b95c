// Metrics: what each DnsObserver and poller call does to the Prometheus exposition.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metrics } from '../../src/metrics/metrics.ts';
import { QTYPE_LABELS, qtypeIndex } from '../../src/dns/qtype-labels.ts';
import { loadInfo, testRecordSet } from '../http/fixtures.ts';
import { parseExposition, type Sample } from './exposition.ts';

function find(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )?.value;
}

async function scrape(m: Metrics): Promise<Sample[]> {
  return parseExposition(await m.render());
}

describe('Metrics', () => {
  it('counts queries by transport, qtype name and outcome', async () => {
    const m = new Metrics({ version: 't', processMetrics: false });
    m.query('udp', 1, 'authoritative', 0.0002);
    m.query('udp', 1, 'authoritative', 0.0002);
    m.query('tcp', 33, 'nxdomain', 0.0004);
    m.query('udp', 28, 'forwarded', 0.02);
    m.query('udp', 4242, 'refused', 0.0001);
    const s = await scrape(m);
    const req = 'mesos_dns_requests_total';
    assert.equal(find(s, req, { transport: 'udp', qtype: 'A', outcome: 'authoritative' }), 2);
    assert.equal(find(s, req, { transport: 'tcp', qtype: 'SRV', outcome: 'nxdomain' }), 1);
    assert.equal(find(s, req, { transport: 'udp', qtype: 'AAAA', outcome: 'forwarded' }), 1);
    assert.equal(find(s, req, { transport: 'udp', qtype: 'OTHER', outcome: 'refused' }), 1);
    assert.equal(
      find(s, req, { transport: 'tcp', qtype: 'A', outcome: 'authoritative' }),
      undefined,
    );
  });

  it('keeps qtype labels to a fixed set whatever the client sends', () => {
    const seen = new Set<number>();
    for (const q of [-1, 0, 1, 28, 33, 255, 256, 65535, 1.5, Number.NaN, 1e9])
      seen.add(qtypeIndex(q));
    for (let q = 0; q < 70000; q += 7) seen.add(qtypeIndex(q));
    assert.ok([...seen].every((i) => i >= 0 && i < QTYPE_LABELS.length));
    assert.equal(QTYPE_LABELS[qtypeIndex(255)], 'ANY');
    assert.equal(QTYPE_LABELS[qtypeIndex(65535)], 'OTHER');
  });

  it('records latency with sub-millisecond, cumulative buckets split by source', async () => {
    const m = new Metrics({ version: 't', processMetrics: false });
    m.query('udp', 1, 'authoritative', 0.00003);
    m.query('udp', 1, 'nodata', 0.0003);
    m.query('udp', 1, 'authoritative', 7);
    m.query('udp', 1, 'forwarded', 0.03);
    const s = await scrape(m);
    const bucket = 'mesos_dns_request_duration_seconds_bucket';
    const local = { transport: 'udp', source: 'local' };
    assert.equal(find(s, bucket, { ...local, le: '0.00005' }), 1);
    assert.equal(find(s, bucket, { ...local, le: '0.0005' }), 2);
    assert.equal(find(s, bucket, { ...local, le: '5' }), 2);
    assert.equal(find(s, bucket, { ...local, le: '+Inf' }), 3);
    assert.equal(find(s, 'mesos_dns_request_duration_seconds_count', local), 3);
    const sum = find(s, 'mesos_dns_request_duration_seconds_sum', local) ?? 0;
    assert.ok(Math.abs(sum - 7.00033) < 1e-9, String(sum));
    assert.equal(find(s, 'mesos_dns_request_duration_seconds_count', { source: 'upstream' }), 1);
  });

  it('counts drops, upstream results and latency, cache events and size', async () => {
    const m = new Metrics({ version: 't', processMetrics: false });
    m.dropped('udp');
    m.dropped('udp');
    m.upstream('127.0.0.1:53', 'ok', 0.004);
    m.upstream('127.0.0.1:53', 'timeout', 5);
    m.upstream('127.0.0.1:53', 'malformed', 0.002);
    m.cache('miss', 0);
    m.cache('hit', 12);
    m.cache('stale', 11);
    const s = await scrape(m);
    assert.equal(find(s, 'mesos_dns_dropped_packets_total', { transport: 'udp' }), 2);
    const up = 'mesos_dns_upstream_requests_total';
    assert.equal(find(s, up, { resolver: '127.0.0.1:53', result: 'ok' }), 1);
    assert.equal(find(s, up, { resolver: '127.0.0.1:53', result: 'timeout' }), 1);
    assert.equal(find(s, up, { resolver: '127.0.0.1:53', result: 'malformed' }), 1);
    assert.equal(
      find(s, 'mesos_dns_upstream_duration_seconds_count', { resolver: '127.0.0.1:53' }),
      3,
    );
    assert.equal(find(s, 'mesos_dns_cache_events_total', { event: 'hit' }), 1);
    assert.equal(find(s, 'mesos_dns_cache_events_total', { event: 'stale' }), 1);
    assert.equal(find(s, 'mesos_dns_cache_entries'), 11);
  });

  it('caps the number of upstream resolver series', async () => {
    const m = new Metrics({ version: 't', processMetrics: false });
    for (let i = 0; i < 100; i++) m.upstream(`127.0.0.${i}:53`, 'ok', 0.001);
    const s = await scrape(m);
    const resolvers = new Set(
      s.filter((x) => x.name === 'mesos_dns_upstream_requests_total').map((x) => x.labels.resolver),
    );
    assert.ok(resolvers.size <= 33, String(resolvers.size));
    assert.ok(resolvers.has('other'));
    const total = s
      .filter((x) => x.name === 'mesos_dns_upstream_requests_total')
      .reduce((n, x) => n + x.value, 0);
    assert.equal(total, 100);
  });

  it('reports loads, records by type, failures and the leader', async () => {
    const m = new Metrics({ version: '1.2.3', processMetrics: false });
    const at = Date.UTC(2024, 0, 1);
    m.stateLoaded(loadInfo(at), testRecordSet());
    m.stateLoadFailed();
    m.stateLoadFailed();
    let s = await scrape(m);
    assert.equal(find(s, 'mesos_dns_state_last_load_timestamp_seconds'), at / 1000);
    assert.equal(find(s, 'mesos_dns_state_last_load_duration_seconds'), 0.042);
    assert.equal(find(s, 'mesos_dns_state_loads_total', { result: 'ok' }), 1);
    assert.equal(find(s, 'mesos_dns_state_loads_total', { result: 'failed' }), 2);
    assert.equal(find(s, 'mesos_dns_records', { type: 'A' }), 5);
    assert.equal(find(s, 'mesos_dns_records', { type: 'AAAA' }), 2);
    assert.equal(find(s, 'mesos_dns_records', { type: 'SRV' }), 4);
    assert.equal(find(s, 'mesos_dns_state_tasks'), 1);
    assert.equal(find(s, 'mesos_dns_leader_info', { leader: '10.0.0.9:5050' }), 1);
    assert.equal(find(s, 'mesos_dns_leader_changes_total'), 1);
    assert.equal(find(s, 'mesos_dns_build_info', { version: '1.2.3' }), 1);

    m.leaderChanged('10.0.0.9:5050'); // same leader again: no change
    m.leaderChanged('10.0.0.8:5050');
    s = await scrape(m);
    assert.equal(find(s, 'mesos_dns_leader_changes_total'), 2);
    assert.equal(find(s, 'mesos_dns_leader_info', { leader: '10.0.0.8:5050' }), 1);
    assert.equal(find(s, 'mesos_dns_leader_info', { leader: '10.0.0.9:5050' }), undefined);
  });

  it('shows the ZooKeeper connection and the masters fallback only once reported', async () => {
    const m = new Metrics({ version: 't', processMetrics: false });
    let s = await scrape(m);
    // Without zk (or without a fallback) the gauges would only mislead.
    assert.equal(find(s, 'mesos_dns_zk_connected'), undefined);
    assert.equal(find(s, 'mesos_dns_leader_fallback_active'), undefined);
    m.zkConnected(false);
    m.leaderFallbackActive(true);
    s = await scrape(m);
    assert.equal(find(s, 'mesos_dns_zk_connected'), 0);
    assert.equal(find(s, 'mesos_dns_leader_fallback_active'), 1);
    m.zkConnected(true);
    m.leaderFallbackActive(false);
    s = await scrape(m);
    assert.equal(find(s, 'mesos_dns_zk_connected'), 1);
    assert.equal(find(s, 'mesos_dns_leader_fallback_active'), 0);
  });

  it('gives each instance its own registry, with process metrics when asked', async () => {
    const a = new Metrics({ version: 'a' });
    const b = new Metrics({ version: 'b' });
    a.query('udp', 1, 'authoritative', 0.001);
    const sa = await scrape(a);
    const sb = await scrape(b);
    assert.equal(find(sb, 'mesos_dns_requests_total'), undefined);
    assert.equal(find(sa, 'mesos_dns_requests_total'), 1);
    assert.ok(find(sa, 'process_cpu_user_seconds_total') !== undefined);
    assert.ok(find(sa, 'nodejs_heap_size_total_bytes') !== undefined);
    assert.ok((await a.registry.getMetricsAsJSON()).length > 10);
  });
});
