// The process's Prometheus metrics, on a registry of its own. It is the DnsObserver the query
// path calls (counting costs a few property look-ups), and the poller reports loads to it.
import { recordCounts } from '../records/record-counts.ts';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import {
  DNS_LATENCY_BUCKETS,
  OUTCOME_INDEX,
  QUERY_OUTCOMES,
  TRANSPORTS,
  isUpstreamOutcome,
  type CloseReason,
  type DnsObserver,
  type HistogramDelta,
  type LatencySource,
  type QueryOutcome,
  type Transport,
  type UpstreamResult,
} from '../dns/observer.ts';
import { QTYPE_LABELS, qtypeIndex } from '../dns/qtype-labels.ts';
import type { NotifyObserver, NotifyResult } from '../dns/transfer/notify.ts';
import type { TransferKind, TransferObserver, TransferResult } from '../dns/transfer/service.ts';
import type { LeaderObserver } from '../mesos/leader.ts';
import type { RecordSet } from '../records/recordset.ts';
import type { LoadInfo } from '../records/store.ts';
import { CellCounter, CellHistogram, type CounterCell, type HistogramCell } from './cells.ts';
import { ForwarderMetrics, type CacheEvent } from '../dns/forward/metrics.ts';

/** Forwarded answers take upstream round trips; keeping them apart keeps local latency readable. */
const OUTCOME_IS_UPSTREAM: readonly boolean[] = QUERY_OUTCOMES.map(isUpstreamOutcome);

interface TransportCells {
  /** Indexed [outcome * QTYPE_LABELS.length + qtype]. */
  readonly requests: readonly CounterCell<'transport' | 'qtype' | 'outcome'>[];
  readonly local: HistogramCell<'transport' | 'source'>;
  readonly upstream: HistogramCell<'transport' | 'source'>;
  readonly dropped: CounterCell<'transport'>;
}

export interface MetricsOptions {
  /** Our version, for mesos_dns_build_info. */
  readonly version: string;
  /** prom-client's process metrics (CPU, memory, event loop, GC); default true. */
  readonly processMetrics?: boolean;
}

export class Metrics implements DnsObserver, TransferObserver, NotifyObserver, LeaderObserver {
  readonly registry: Registry;

  readonly #udp: TransportCells;
  readonly #tcp: TransportCells;
  readonly #forwarder: ForwarderMetrics;
  readonly #tcpClosed: Readonly<Record<CloseReason, CounterCell<'reason'>>>;
  readonly #httpClosed: Readonly<Record<CloseReason, CounterCell<'reason'>>>;

  readonly #records: Gauge<'type'>;
  readonly #tasks: Gauge;
  readonly #failOpenNames: Gauge;
  readonly #failOpenStarts: Counter;
  readonly #mastersSilent: Counter;
  readonly #lastLoadTime: Gauge;
  readonly #lastLoadDuration: Gauge;
  readonly #loads: CellCounter<'result'>;
  readonly #loadOk: CounterCell<'result'>;
  readonly #loadFailed: CounterCell<'result'>;
  readonly #leaderChanges: CellCounter<never>;
  readonly #leaderChangeCell: CounterCell<never>;
  readonly #leaderInfo: Gauge<'leader'>;
  readonly #transfers: Counter<'type' | 'result'>;
  readonly #transferBytes: Counter<'type'>;
  readonly #notifies: Counter<'secondary' | 'result'>;
  #leader: string | null = null;
  /** Created on the first report, so a setup without ZooKeeper (or without a fallback) has none. */
  #zkConnected: Gauge | null = null;
  #fallbackActive: Gauge | null = null;
  readonly #streamEvents: Counter<'type'>;
  readonly #streamSubscriptions: Counter;
  readonly #streamEnds: Counter<'cause'>;
  readonly #streamPropagation: Histogram;
  readonly #streamOversized: Gauge;
  /** Wall-clock ms of the last stream event and heartbeat (0: none yet), read at scrape time. */
  readonly #streamTimes = { event: 0, heartbeat: 0 };
  readonly #beforeRender: (() => Promise<void>)[] = [];

  constructor(options: MetricsOptions) {
    const registry = new Registry();
    this.registry = registry;

    const requests = new CellCounter(
      'mesos_dns_requests_total',
      'DNS queries answered, by transport, query type and outcome.',
      ['transport', 'qtype', 'outcome'],
      registry,
    );
    const latency = new CellHistogram(
      'mesos_dns_request_duration_seconds',
      'Time from receiving a DNS query to sending its answer; source is local (record set) or upstream (forwarded).',
      ['transport', 'source'],
      DNS_LATENCY_BUCKETS,
      registry,
    );
    const dropped = new CellCounter(
      'mesos_dns_dropped_packets_total',
      'DNS packets too short or too broken to answer.',
      ['transport'],
      registry,
    );
    const cellsFor = (transport: Transport): TransportCells => {
      const cells: CounterCell<'transport' | 'qtype' | 'outcome'>[] = [];
      for (const outcome of QUERY_OUTCOMES) {
        for (const qtype of QTYPE_LABELS) cells.push(requests.cell({ transport, qtype, outcome }));
      }
      return {
        requests: cells,
        local: latency.cell({ transport, source: 'local' }),
        upstream: latency.cell({ transport, source: 'upstream' }),
        dropped: dropped.cell({ transport }),
      };
    };
    this.#udp = cellsFor(TRANSPORTS[0]);
    this.#tcp = cellsFor(TRANSPORTS[1]);

    this.#forwarder = new ForwarderMetrics(registry, DNS_LATENCY_BUCKETS);

    const closeCells = (counter: CellCounter<'reason'>) => ({
      capacity: counter.cell({ reason: 'capacity' }),
      per_source: counter.cell({ reason: 'per_source' }),
      deadline: counter.cell({ reason: 'deadline' }),
    });
    this.#tcpClosed = closeCells(
      new CellCounter(
        'mesos_dns_tcp_connections_closed_total',
        'DNS TCP connections closed by the server: capacity (the total cap was reached and this was the least recently active), per_source (its address reached its cap), deadline (no whole query in time).',
        ['reason'],
        registry,
      ),
    );
    this.#httpClosed = closeCells(
      new CellCounter(
        'mesos_dns_http_connections_closed_total',
        'HTTP connections closed by the server to admit others: capacity (the total cap was reached and this was the least recently active), per_source (its address reached its cap).',
        ['reason'],
        registry,
      ),
    );

    this.#records = new Gauge({
      name: 'mesos_dns_records',
      help: 'Authoritative records in the record set in service, by type.',
      labelNames: ['type'],
      registers: [registry],
    });
    this.#failOpenNames = new Gauge({
      name: 'mesos_dns_fail_open_names',
      help: 'onlyHealthy: names answered with unhealthy tasks because none behind them is healthy.',
      registers: [registry],
    });
    this.#failOpenStarts = new Counter({
      name: 'mesos_dns_fail_open_started_total',
      help: 'onlyHealthy: times a name began failing open (every task behind it unhealthy).',
      registers: [registry],
    });
    this.#mastersSilent = new Counter({
      name: 'mesos_dns_state_masters_silent_total',
      help: 'Masters skipped during a state load for accepting no connection or sending no response headers within stateHeadersTimeoutSeconds.',
      registers: [registry],
    });
    this.#tasks = new Gauge({
      name: 'mesos_dns_state_tasks',
      help: 'Tasks in the last good Mesos state load.',
      registers: [registry],
    });
    this.#lastLoadTime = new Gauge({
      name: 'mesos_dns_state_last_load_timestamp_seconds',
      help: 'Unix time the last good Mesos state load finished.',
      registers: [registry],
    });
    this.#lastLoadDuration = new Gauge({
      name: 'mesos_dns_state_last_load_duration_seconds',
      help: 'How long the last good Mesos state load took (fetch, parse, generate).',
      registers: [registry],
    });
    this.#loads = new CellCounter(
      'mesos_dns_state_loads_total',
      'Mesos state loads, by result (ok or failed).',
      ['result'],
      registry,
    );
    this.#loadOk = this.#loads.cell({ result: 'ok' });
    this.#loadFailed = this.#loads.cell({ result: 'failed' });
    this.#leaderChanges = new CellCounter(
      'mesos_dns_leader_changes_total',
      'Times the leading Mesos master changed (the first detection counts).',
      [],
      registry,
    );
    this.#leaderChangeCell = this.#leaderChanges.cell({});
    this.#leaderInfo = new Gauge({
      name: 'mesos_dns_leader_info',
      help: 'The leading Mesos master, as a label; 1 while known.',
      labelNames: ['leader'],
      registers: [registry],
    });
    this.#streamEvents = new Counter({
      name: 'mesos_dns_stream_events_total',
      help: 'Events received on the master event stream (stateSource subscribe), by type.',
      labelNames: ['type'],
      registers: [registry],
    });
    this.#streamSubscriptions = new Counter({
      name: 'mesos_dns_stream_subscriptions_total',
      help: 'Subscriptions to the master event stream that got as far as SUBSCRIBED.',
      registers: [registry],
    });
    this.#streamEnds = new Counter({
      name: 'mesos_dns_stream_ends_total',
      help: 'Event stream subscriptions (or attempts) ended, by cause.',
      labelNames: ['cause'],
      registers: [registry],
    });
    const times = this.#streamTimes;
    const since = (name: string, help: string, key: 'event' | 'heartbeat'): void => {
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(times[key] === 0 ? -1 : Math.max(0, (Date.now() - times[key]) / 1000));
        },
      });
    };
    since(
      'mesos_dns_stream_seconds_since_event',
      'Seconds since the last event (any type) on the master event stream; -1 before the first.',
      'event',
    );
    since(
      'mesos_dns_stream_seconds_since_heartbeat',
      'Seconds since the last HEARTBEAT on the master event stream; -1 before the first.',
      'heartbeat',
    );
    this.#streamOversized = new Gauge({
      name: 'mesos_dns_stream_oversized_record_bytes',
      help: 'Size of the last master event stream record refused as over the record limit (3 × stateMaxBytes); 0 since the last SUBSCRIBED.',
      registers: [registry],
    });
    this.#streamPropagation = new Histogram({
      name: 'mesos_dns_stream_propagation_seconds',
      help: 'From a task status timestamp to the swap of the records that serve it (stream mode).',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    new Gauge({
      name: 'mesos_dns_build_info',
      help: 'Build information; always 1.',
      labelNames: ['version', 'nodejs'],
      registers: [registry],
    }).set({ version: options.version, nodejs: process.versions.node }, 1);

    // Transfers and NOTIFY are rare next to queries: plain prom-client counters are fast enough.
    this.#transfers = new Counter({
      name: 'mesos_dns_zone_transfers_total',
      help: 'Zone transfer requests by type (axfr, ixfr) and result (full, incremental, soa, refused, badtsig, notauth, notready, formerr).',
      labelNames: ['type', 'result'],
      registers: [registry],
    });
    this.#transferBytes = new Counter({
      name: 'mesos_dns_zone_transfer_bytes_total',
      help: 'Bytes of zone transfer responses sent, by type.',
      labelNames: ['type'],
      registers: [registry],
    });
    this.#notifies = new Counter({
      name: 'mesos_dns_notify_total',
      help: 'NOTIFY messages to secondaries by result: ok (acknowledged), error (rejected), timeout (resent).',
      labelNames: ['secondary', 'result'],
      registers: [registry],
    });

    if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  }

  // --- TransferObserver and NotifyObserver: off the query path.

  transfer(kind: TransferKind, result: TransferResult, bytes: number): void {
    this.#transfers.inc({ type: kind, result });
    this.#transferBytes.inc({ type: kind }, bytes);
  }

  notify(secondary: string, result: NotifyResult): void {
    this.#notifies.inc({ secondary, result });
  }

  // --- DnsObserver: the hot path. No allocation, no string building.

  query(transport: Transport, qtype: number, outcome: QueryOutcome, seconds: number): void {
    const cells = transport === 'tcp' ? this.#tcp : this.#udp;
    const o = OUTCOME_INDEX[outcome];
    const cell = cells.requests[o * QTYPE_LABELS.length + qtypeIndex(qtype)];
    if (cell === undefined) return; // an outcome outside the contract: count nothing rather than throw
    cell.value++;
    (OUTCOME_IS_UPSTREAM[o] ? cells.upstream : cells.local).observe(seconds);
  }

  dropped(transport: Transport): void {
    (transport === 'tcp' ? this.#tcp : this.#udp).dropped.value++;
  }

  upstream(resolver: string, result: UpstreamResult, seconds: number): void {
    this.#forwarder.upstream(resolver, result, seconds);
  }

  cache(event: CacheEvent, size: number): void {
    this.#forwarder.cache(event);
    this.#forwarder.setCacheEntries(size);
  }

  tcpClosed(reason: CloseReason): void {
    const cell = this.#tcpClosed[reason] as CounterCell<'reason'> | undefined;
    if (cell !== undefined) cell.value++;
  }

  /** The HTTP listener closed a connection to stay within its limits. */
  httpClosed(reason: CloseReason): void {
    const cell = this.#httpClosed[reason] as CounterCell<'reason'> | undefined;
    if (cell !== undefined) cell.value++;
  }

  // --- Counts gathered by DNS worker threads and merged here, about once a second per thread.

  addQueries(
    transport: Transport,
    outcome: QueryOutcome,
    qtypeLabelIndex: number,
    n: number,
  ): void {
    const cells = transport === 'tcp' ? this.#tcp : this.#udp;
    const o = OUTCOME_INDEX[outcome] as number | undefined;
    if (o === undefined || qtypeLabelIndex < 0 || qtypeLabelIndex >= QTYPE_LABELS.length) return;
    const cell = cells.requests[o * QTYPE_LABELS.length + qtypeLabelIndex];
    if (cell !== undefined) cell.value += n;
  }

  addLatency(transport: Transport, source: LatencySource, delta: HistogramDelta): void {
    const cells = transport === 'tcp' ? this.#tcp : this.#udp;
    mergeHistogram(source === 'upstream' ? cells.upstream : cells.local, delta);
  }

  addDropped(transport: Transport, n: number): void {
    (transport === 'tcp' ? this.#tcp : this.#udp).dropped.value += n;
  }

  addUpstream(resolver: string, result: UpstreamResult, n: number, latency: HistogramDelta): void {
    const cells = this.#forwarder.upstreamCells(resolver);
    const cell = cells.results[result] as CounterCell<'resolver' | 'result'> | undefined;
    if (cell !== undefined) cell.value += n;
    mergeHistogram(cells.latency, latency);
  }

  addCacheEvents(event: CacheEvent, n: number): void {
    this.#forwarder.cache(event, n);
  }

  addTcpClosed(reason: CloseReason, n: number): void {
    const cell = this.#tcpClosed[reason] as CounterCell<'reason'> | undefined;
    if (cell !== undefined) cell.value += n;
  }

  /** Total forwarder cache entries, when the caches live in other threads. */
  setCacheEntries(size: number): void {
    this.#forwarder.setCacheEntries(size);
  }

  /** Runs before every render, e.g. to pull fresh counts from DNS threads; must not reject. */
  beforeRender(hook: () => Promise<void>): void {
    this.#beforeRender.push(hook);
  }

  // --- Reported by the poller / leader detection.

  stateLoaded(info: LoadInfo, set: RecordSet): void {
    this.#loadOk.value++;
    this.#lastLoadTime.set(info.atMs / 1000);
    this.#lastLoadDuration.set(info.durationMs / 1000);
    const counts = recordCounts(set);
    this.#records.set({ type: 'A' }, counts.a);
    this.#records.set({ type: 'AAAA' }, counts.aaaa);
    this.#records.set({ type: 'SRV' }, counts.srv);
    this.#records.set({ type: 'PTR' }, counts.ptr);
    this.#tasks.set(set.counts.tasks);
    this.#failOpenNames.set(set.failOpen?.length ?? 0);
    if (set.leader !== '') this.leaderChanged(set.leader);
  }

  streamEvents(
    counts: Readonly<Record<string, number>>,
    lastEventAtMs: number,
    lastHeartbeatAtMs: number,
  ): void {
    for (const [type, n] of Object.entries(counts)) this.#streamEvents.inc({ type }, n);
    if (lastEventAtMs > 0) this.#streamTimes.event = lastEventAtMs;
    if (lastHeartbeatAtMs > 0) this.#streamTimes.heartbeat = lastHeartbeatAtMs;
  }

  streamSubscribed(): void {
    this.#streamSubscriptions.inc();
    this.#streamOversized.set(0);
  }

  streamRecordTooLarge(recordBytes: number): void {
    this.#streamOversized.set(recordBytes);
  }

  streamEnded(cause: string): void {
    this.#streamEnds.inc({ cause });
  }

  streamPropagated(seconds: number): void {
    this.#streamPropagation.observe(Math.max(0, seconds));
  }

  /** onlyHealthy: `count` names began failing open with the last load. */
  failOpenStarted(count: number): void {
    if (count > 0) this.#failOpenStarts.inc(count);
  }

  masterSilent(): void {
    this.#mastersSilent.inc();
  }

  stateLoadFailed(): void {
    this.#loadFailed.value++;
  }

  /** Idempotent: reporting the same leader again changes nothing. "" means no leader known. */
  leaderChanged(leader: string): void {
    if (leader === (this.#leader ?? '')) return;
    this.#leaderInfo.reset();
    if (leader !== '') {
      this.#leaderInfo.set({ leader }, 1);
      this.#leaderChangeCell.value++;
    }
    this.#leader = leader === '' ? null : leader;
  }

  zkConnected(connected: boolean): void {
    this.#zkConnected ??= new Gauge({
      name: 'mesos_dns_zk_connected',
      help: '1 while a ZooKeeper session is connected, else 0; absent when zk is not set.',
      registers: [this.registry],
    });
    this.#zkConnected.set(connected ? 1 : 0);
  }

  leaderFallbackActive(active: boolean): void {
    this.#fallbackActive ??= new Gauge({
      name: 'mesos_dns_leader_fallback_active',
      help: '1 while the masters list serves because ZooKeeper has no leader, else 0; absent unless both zk and masters are set.',
      registers: [this.registry],
    });
    this.#fallbackActive.set(active ? 1 : 0);
  }

  // --- Exposition.

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  async render(): Promise<string> {
    if (this.#beforeRender.length > 0) await Promise.all(this.#beforeRender.map((hook) => hook()));
    return this.registry.metrics();
  }
}

function mergeHistogram(cell: HistogramCell<string>, delta: HistogramDelta): void {
  if (delta.count === 0) return;
  const n = Math.min(cell.counts.length, delta.buckets.length);
  for (let i = 0; i < n; i++) cell.counts[i]! += delta.buckets[i]!;
  cell.sum += delta.sum;
  cell.count += delta.count;
}
