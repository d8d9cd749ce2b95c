// The forwarder's Prometheus families (CoreDNS keeps plugin/forward/metrics.go beside its
// plugin the same way): per-resolver exchanges by result and their round trips, cache look-ups
// and cache size. metrics/metrics.ts composes them into the process registry; the query path
// reaches them through DnsObserver.upstream() and .cache().
import { Gauge, type Registry } from 'prom-client';

import {
  CellCounter,
  CellHistogram,
  type CounterCell,
  type HistogramCell,
} from '../../metrics/cells.ts';
import { UPSTREAM_RESULTS, type UpstreamResult } from '../observer.ts';

export type CacheEvent = 'hit' | 'miss' | 'stale';

/** Resolvers come from config, but the cap keeps a misbehaving caller from growing series. */
const MAX_UPSTREAM_RESOLVERS = 32;

export interface UpstreamCells {
  readonly results: Readonly<Record<UpstreamResult, CounterCell<'resolver' | 'result'>>>;
  readonly latency: HistogramCell<'resolver'>;
}

export class ForwarderMetrics {
  readonly #upstreamCounter: CellCounter<'resolver' | 'result'>;
  readonly #upstreamLatency: CellHistogram<'resolver'>;
  readonly #upstreams = new Map<string, UpstreamCells>();
  readonly #cache: Readonly<Record<CacheEvent, CounterCell<'event'>>>;
  /** Read by the cache-size gauge at scrape time, written on every cache event. */
  readonly #gaugeState = { cacheSize: 0 };

  constructor(registry: Registry, latencyBuckets: readonly number[]) {
    this.#upstreamCounter = new CellCounter(
      'mesos_dns_upstream_requests_total',
      'Queries sent to upstream resolvers, by resolver and result: ok, error, timeout, or malformed (a reply that is not a well-formed DNS message, answered SERVFAIL).',
      ['resolver', 'result'],
      registry,
    );
    this.#upstreamLatency = new CellHistogram(
      'mesos_dns_upstream_duration_seconds',
      'Round trip to an upstream resolver.',
      ['resolver'],
      latencyBuckets,
      registry,
    );
    const cacheEvents = new CellCounter(
      'mesos_dns_cache_events_total',
      'Forwarder cache look-ups: hit, miss, or stale (expired answer served because upstreams failed).',
      ['event'],
      registry,
    );
    this.#cache = {
      hit: cacheEvents.cell({ event: 'hit' }),
      miss: cacheEvents.cell({ event: 'miss' }),
      stale: cacheEvents.cell({ event: 'stale' }),
    };
    const gaugeState = this.#gaugeState;
    new Gauge({
      name: 'mesos_dns_cache_entries',
      help: 'Entries in the forwarder cache.',
      registers: [registry],
      collect() {
        this.set(gaugeState.cacheSize);
      },
    });
  }

  /** One exchange: the hot path, a property increment and a bucket scan. */
  upstream(resolver: string, result: UpstreamResult, seconds: number): void {
    const cells = this.upstreamCells(resolver);
    const cell = cells.results[result] as CounterCell<'resolver' | 'result'> | undefined;
    if (cell === undefined) return;
    cell.value++;
    cells.latency.observe(seconds);
  }

  /** `n` events counted elsewhere (a DNS thread's tally). */
  cache(event: CacheEvent, n = 1): void {
    const cell = this.#cache[event] as CounterCell<'event'> | undefined;
    if (cell !== undefined) cell.value += n;
  }

  setCacheEntries(size: number): void {
    this.#gaugeState.cacheSize = size;
  }

  /** The series of one resolver, created on first use ("other" past the cap). */
  upstreamCells(resolver: string): UpstreamCells {
    const found = this.#upstreams.get(resolver);
    if (found !== undefined) return found;
    const label = this.#upstreams.size < MAX_UPSTREAM_RESOLVERS ? resolver : 'other';
    const existing = this.#upstreams.get(label);
    if (existing !== undefined) return existing;
    const results = Object.fromEntries(
      UPSTREAM_RESULTS.map((result) => [
        result,
        this.#upstreamCounter.cell({ resolver: label, result }),
      ]),
    ) as Record<UpstreamResult, CounterCell<'resolver' | 'result'>>;
    const cells: UpstreamCells = {
      results,
      latency: this.#upstreamLatency.cell({ resolver: label }),
    };
    this.#upstreams.set(label, cells);
    return cells;
  }
}
