// What the DNS layer reports about its work, declared once: the outcomes and their order, which
// both the metrics module (Metrics implements DnsObserver) and the DNS threads' flat tally use.
// The query path calls the observer with pre-resolved values so counting costs a few look-ups.
import type { CloseReason } from '../net/connection-guard.ts';

export type { CloseReason };

export const TRANSPORTS = ['udp', 'tcp'] as const;
export type Transport = (typeof TRANSPORTS)[number];

/** Every query outcome, in the order metrics and thread tallies lay counters out. */
export const QUERY_OUTCOMES = [
  'authoritative', // answered from the record set with data
  'nodata', // name exists in the domain, not that type
  'nxdomain', // no such name in the domain
  'notready', // SERVFAIL before the first state load
  'forwarded', // answered by an upstream resolver (or the cache)
  'servfail', // forwarding failed
  'refused', // outside the domain with forwarding off
  'formerr',
  'notimp',
] as const;
export type QueryOutcome = (typeof QUERY_OUTCOMES)[number];

/** Position of each outcome in QUERY_OUTCOMES. */
export const OUTCOME_INDEX = Object.fromEntries(QUERY_OUTCOMES.map((o, i) => [o, i])) as Readonly<
  Record<QueryOutcome, number>
>;

/** Forwarded answers (and failed forwards) took upstream round trips; latency keeps them apart. */
export function isUpstreamOutcome(outcome: QueryOutcome): boolean {
  return outcome === 'forwarded' || outcome === 'servfail';
}

/** Where a query's latency is counted. */
export const LATENCY_SOURCES = ['local', 'upstream'] as const;
export type LatencySource = (typeof LATENCY_SOURCES)[number];

/** Query latency buckets, seconds: sub-millisecond (answers from memory) to seconds (slow upstreams). */
export const DNS_LATENCY_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
  5,
];

/** Histogram counts gathered elsewhere: per-bucket (non-cumulative, +Inf last), sum, count. */
export interface HistogramDelta {
  readonly buckets: ArrayLike<number>;
  readonly sum: number;
  readonly count: number;
}

/**
 * One upstream exchange: answered, failed (network error, or an answer such as SERVFAIL that is
 * no answer), timed out, or answered with a reply that is not a well-formed DNS message.
 */
export type UpstreamResult = 'ok' | 'error' | 'timeout' | 'malformed';

/** Every UpstreamResult, in the order metrics and thread tallies lay them out. */
export const UPSTREAM_RESULTS: readonly UpstreamResult[] = ['ok', 'error', 'timeout', 'malformed'];

export interface DnsObserver {
  /** One call per answered query; `qtype` is the numeric RR type (0 when unparseable). */
  query(transport: Transport, qtype: number, outcome: QueryOutcome, seconds: number): void;
  /** A packet too short or too broken to answer at all. */
  dropped(transport: Transport): void;
  upstream(resolver: string, result: UpstreamResult, seconds: number): void;
  cache(event: 'hit' | 'miss' | 'stale', size: number): void;
  /** The TCP listener closed a connection to stay within its limits (or one missed its deadline). */
  tcpClosed(reason: CloseReason): void;
}

export const nullObserver: DnsObserver = {
  query() {},
  dropped() {},
  upstream() {},
  cache() {},
  tcpClosed() {},
};
