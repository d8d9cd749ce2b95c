// What the DNS layer reports about its work. The metrics module implements it; the query path
// calls it with pre-resolved label values so counting costs a few property look-ups.
import type { CloseReason } from '../net/connection-guard.ts';

export type { CloseReason };

export type Transport = 'udp' | 'tcp';

export type QueryOutcome =
  | 'authoritative' // answered from the record set with data
  | 'nodata' // name exists in the domain, not that type
  | 'nxdomain' // no such name in the domain
  | 'notready' // SERVFAIL before the first state load
  | 'forwarded' // answered by an upstream resolver (or the cache)
  | 'servfail' // forwarding failed
  | 'refused' // outside the domain with forwarding off
  | 'formerr'
  | 'notimp';

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
