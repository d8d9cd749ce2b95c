// A DnsObserver for DNS threads: counts in one flat Float64Array (a few index operations per
// query), taken as a delta about once a second and merged into the main thread's Metrics.
import {
  DNS_LATENCY_BUCKETS,
  LATENCY_SOURCES as SOURCES,
  OUTCOME_INDEX,
  QUERY_OUTCOMES as OUTCOMES,
  TRANSPORTS,
  UPSTREAM_RESULTS as RESULTS,
  isUpstreamOutcome,
  type CloseReason,
  type DnsObserver,
  type HistogramDelta,
  type LatencySource,
  type QueryOutcome,
  type Transport,
  type UpstreamResult,
} from '../observer.ts';
import { QTYPE_LABELS, qtypeIndex } from '../qtype-labels.ts';

const CACHE_EVENTS = ['hit', 'miss', 'stale'] as const;
const CLOSE_REASONS: readonly CloseReason[] = ['capacity', 'per_source', 'deadline'];

const BOUNDS = DNS_LATENCY_BUCKETS;
const QTYPES = QTYPE_LABELS.length;
/** Per histogram: bucket counts (+Inf last), then sum, then count. */
const HIST = BOUNDS.length + 3;
const REQ_PER_TRANSPORT = OUTCOMES.length * QTYPES;
const LAT_BASE = TRANSPORTS.length * REQ_PER_TRANSPORT;
const DROP_BASE = LAT_BASE + TRANSPORTS.length * SOURCES.length * HIST;
const CACHE_BASE = DROP_BASE + TRANSPORTS.length;
const TCP_CLOSE_BASE = CACHE_BASE + CACHE_EVENTS.length;
/** Length of the flat counts array. */
export const TALLY_SIZE = TCP_CLOSE_BASE + CLOSE_REASONS.length;
/** Per upstream resolver: one count per result, then a latency histogram. */
const UPSTREAM_SIZE = RESULTS.length + HIST;

function observe(array: Float64Array, base: number, seconds: number): void {
  const n = BOUNDS.length;
  let i = 0;
  while (i < n && seconds > BOUNDS[i]!) i++;
  array[base + i]!++;
  array[base + n + 1]! += seconds;
  array[base + n + 2]!++;
}

function histogramAt(array: Float64Array, base: number): HistogramDelta {
  const n = BOUNDS.length;
  return {
    buckets: array.subarray(base, base + n + 1),
    sum: array[base + n + 1]!,
    count: array[base + n + 2]!,
  };
}

/** What a thread counted since its last report; crosses threads by structured clone. */
export interface TallyDelta {
  readonly counts: Float64Array;
  readonly upstreams: readonly (readonly [string, Float64Array])[];
  /** Entries in the thread's forwarder cache at the last cache event (-1: no event yet). */
  readonly cacheSize: number;
}

export class QueryTally implements DnsObserver {
  #counts = new Float64Array(TALLY_SIZE);
  #upstreams = new Map<string, Float64Array>();
  #cacheSize = -1;
  #dirty = false;

  query(transport: Transport, qtype: number, outcome: QueryOutcome, seconds: number): void {
    const t = transport === 'tcp' ? 1 : 0;
    const o = OUTCOME_INDEX[outcome] as number | undefined;
    if (o === undefined) return; // an outcome outside the contract: count nothing
    this.#counts[t * REQ_PER_TRANSPORT + o * QTYPES + qtypeIndex(qtype)]!++;
    const source = isUpstreamOutcome(outcome) ? 1 : 0;
    observe(this.#counts, LAT_BASE + (t * SOURCES.length + source) * HIST, seconds);
    this.#dirty = true;
  }

  dropped(transport: Transport): void {
    this.#counts[DROP_BASE + (transport === 'tcp' ? 1 : 0)]!++;
    this.#dirty = true;
  }

  upstream(resolver: string, result: UpstreamResult, seconds: number): void {
    let cells = this.#upstreams.get(resolver);
    if (cells === undefined) {
      cells = new Float64Array(UPSTREAM_SIZE);
      this.#upstreams.set(resolver, cells);
    }
    const r = RESULTS.indexOf(result);
    if (r < 0) return;
    cells[r]!++;
    observe(cells, RESULTS.length, seconds);
    this.#dirty = true;
  }

  cache(event: 'hit' | 'miss' | 'stale', size: number): void {
    const e = CACHE_EVENTS.indexOf(event);
    if (e >= 0) this.#counts[CACHE_BASE + e]!++;
    this.#cacheSize = size;
    this.#dirty = true;
  }

  tcpClosed(reason: CloseReason): void {
    const r = CLOSE_REASONS.indexOf(reason);
    if (r < 0) return;
    this.#counts[TCP_CLOSE_BASE + r]!++;
    this.#dirty = true;
  }

  /** Everything counted since the last call, or null when nothing was; counting restarts at 0. */
  take(): TallyDelta | null {
    if (!this.#dirty) return null;
    const delta: TallyDelta = {
      counts: this.#counts,
      upstreams: [...this.#upstreams],
      cacheSize: this.#cacheSize,
    };
    this.#counts = new Float64Array(TALLY_SIZE);
    this.#upstreams = new Map();
    this.#dirty = false;
    return delta;
  }
}

/** The parts of Metrics a delta is merged into. */
export interface TallySink {
  addQueries(transport: Transport, outcome: QueryOutcome, qtypeLabelIndex: number, n: number): void;
  addLatency(transport: Transport, source: LatencySource, delta: HistogramDelta): void;
  addDropped(transport: Transport, n: number): void;
  addUpstream(resolver: string, result: UpstreamResult, n: number, latency: HistogramDelta): void;
  addCacheEvents(event: 'hit' | 'miss' | 'stale', n: number): void;
  addTcpClosed(reason: CloseReason, n: number): void;
}

/**
 * Adds a thread's delta to the sink and returns the number of queries it answered. Malformed
 * deltas (wrong lengths) are ignored rather than half-merged.
 */
export function mergeTally(sink: TallySink, delta: TallyDelta): number {
  const c = delta.counts;
  if (!(c instanceof Float64Array) || c.length !== TALLY_SIZE) return 0;
  let queries = 0;
  TRANSPORTS.forEach((transport, t) => {
    OUTCOMES.forEach((outcome, o) => {
      for (let q = 0; q < QTYPES; q++) {
        const n = c[t * REQ_PER_TRANSPORT + o * QTYPES + q]!;
        if (n === 0) continue;
        queries += n;
        sink.addQueries(transport, outcome, q, n);
      }
    });
    SOURCES.forEach((source, s) => {
      sink.addLatency(
        transport,
        source,
        histogramAt(c, LAT_BASE + (t * SOURCES.length + s) * HIST),
      );
    });
    const dropped = c[DROP_BASE + t]!;
    if (dropped > 0) sink.addDropped(transport, dropped);
  });
  CACHE_EVENTS.forEach((event, e) => {
    const n = c[CACHE_BASE + e]!;
    if (n > 0) sink.addCacheEvents(event, n);
  });
  CLOSE_REASONS.forEach((reason, r) => {
    const n = c[TCP_CLOSE_BASE + r]!;
    if (n > 0) sink.addTcpClosed(reason, n);
  });
  for (const [resolver, cells] of delta.upstreams) {
    if (!(cells instanceof Float64Array) || cells.length !== UPSTREAM_SIZE) continue;
    const latency = histogramAt(cells, RESULTS.length);
    RESULTS.forEach((result, r) => {
      const n = cells[r]!;
      // The latency histogram covers all results; merge it once, with the first non-zero one.
      if (n > 0) sink.addUpstream(resolver, result, n, r === firstNonZero(cells) ? latency : EMPTY);
    });
  }
  return queries;
}

const EMPTY: HistogramDelta = { buckets: [], sum: 0, count: 0 };

function firstNonZero(cells: Float64Array): number {
  for (let r = 0; r < RESULTS.length; r++) if (cells[r]! > 0) return r;
  return -1;
}
