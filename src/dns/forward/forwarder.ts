// The Forwarder: names outside the cluster domain go to upstream resolvers (per-zone or
// default), through a TTL-respecting cache; failures become SERVFAIL or a stale answer.
import { randomFillSync } from 'node:crypto';

import type { Clock } from '../../clock.ts';
import { rateLimitedWarn, type Logger } from '../../log.ts';
import { buildEmptyResponse } from '../response.ts';
import { scanReply } from './reply-scan.ts';
import {
  FLAG_CD,
  HEADER_SIZE,
  RCODE_NOERROR,
  RCODE_NXDOMAIN,
  RCODE_SERVFAIL,
  type ParsedQuery,
} from '../wire.ts';
import type { DnsObserver, Transport, UpstreamResult } from '../observer.ts';
import type { ResolverAddress } from '../../net/resolver.ts';
import { ResolverPool } from './resolver-health.ts';
import { ResponseCache } from './response-cache.ts';
import { UpstreamError, type UpstreamErrorCode } from './errors.ts';
import { exchangeTcp, exchangeUdp, type UpstreamReply } from './upstream-exchange.ts';
import { buildRoutes, resolversForName } from './zone-routing.ts';

/**
 * The seam between the authoritative server and the forwarder: the DNS layer hands over the
 * client's raw query with its own parse of it, and sends back whatever bytes come back.
 */
export interface Forwarder {
  /**
   * Resolves a query outside the cluster domain. `question` is the handler's parse of `query`
   * (status 'ok'); the forwarder keeps it until the reply, so it must not be reused meanwhile.
   * Never rejects: on failure it resolves to a SERVFAIL built from the query. The reply carries
   * the client's ID and question exactly, and over UDP fits `clientUdpSize` (TC set otherwise).
   */
  forward(
    query: Uint8Array,
    question: ParsedQuery,
    transport: Transport,
    clientUdpSize: number,
  ): Promise<Uint8Array>;
  close(): Promise<void>;
}

export interface ForwarderOptions {
  /** Default upstreams: "ip", "ip:port" or "[v6]:port". */
  readonly resolvers: readonly string[];
  /** Zone → its own upstreams; the longest matching zone wins. */
  readonly zoneResolvers: Readonly<Record<string, readonly string[]>>;
  /** Per upstream attempt. */
  readonly timeoutMs: number;
  /** Cache entries; 0 turns the cache off. */
  readonly cacheSize: number;
  /** Upper bound on any cached lifetime; default 3600. */
  readonly cacheMaxTtlSeconds?: number;
  /** Serve expired answers this long past expiry when every upstream fails; 0 (default) = off. */
  readonly cacheServeStaleSeconds?: number;
  readonly observer: DnsObserver;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Consecutive failures that mark a resolver down; default 3. */
  readonly failuresToMarkDown?: number;
  /** First wait before probing a down resolver, doubled per failed probe up to 30 s; default 1000. */
  readonly probeBackoffMs?: number;
}

/** The smallest UDP payload every DNS client accepts (RFC 1035). */
const MIN_UDP_SIZE = 512;

/** Random upstream message IDs from a refilled pool, so each query costs no syscall. */
class IdSource {
  #pool = new Uint16Array(2048);
  #next = this.#pool.length;

  next(): number {
    if (this.#next >= this.#pool.length) {
      randomFillSync(this.#pool);
      this.#next = 0;
    }
    return this.#pool[this.#next++]!;
  }
}

/** Cache key: the lower-cased wire question (name, type, class) plus the DO and CD bits. */
function cacheKey(query: Uint8Array, q: ParsedQuery): string {
  let key = '';
  for (let i = HEADER_SIZE; i < q.questionEnd; i++) {
    let c = query[i]!;
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    key += String.fromCharCode(c);
  }
  // CD changes what a validating upstream returns, so it must not share an entry with CD=0.
  return key + (q.ednsDo ? 'D' : '-') + ((q.flags & FLAG_CD) !== 0 ? 'C' : '-');
}

/** Puts the client's ID, question bytes (its case) and RD bit back into `reply`, in place. */
function restoreClientView(reply: Uint8Array, query: Uint8Array, q: ParsedQuery): Uint8Array {
  reply[0] = query[0]!;
  reply[1] = query[1]!;
  reply[2] = (reply[2]! & ~0x01) | (query[2]! & 0x01);
  reply.set(query.subarray(HEADER_SIZE, q.questionEnd), HEADER_SIZE);
  return reply;
}

/**
 * A reply that does not fit the client's UDP size shrinks to header + question (+ OPT) with TC
 * set, so the client retries over TCP and a small query never draws a large answer to a victim.
 */
function fitUdp(reply: Uint8Array, questionEnd: number, clientUdpSize: number): Uint8Array {
  if (reply.length <= Math.max(MIN_UDP_SIZE, clientUdpSize)) return reply;
  const info = scanReply(reply);
  const optLength = info && info.optStart >= 0 ? info.optEnd - info.optStart : 0;
  const out = new Uint8Array(questionEnd + optLength);
  out.set(reply.subarray(0, questionEnd));
  out[2] = out[2]! | 0x02;
  out.fill(0, 6, 12);
  if (info && optLength > 0) {
    out[11] = 1;
    out.set(reply.subarray(info.optStart, info.optEnd), questionEnd);
  }
  return out;
}

/** SERVFAIL built from the client's query: same ID, opcode, RD, CD, question and DO. */
function servfail(query: Uint8Array, q: ParsedQuery): Uint8Array {
  return buildEmptyResponse(query, q, RCODE_SERVFAIL, false, true);
}

function codeOf(err: unknown): string | undefined {
  return err instanceof UpstreamError ? err.code : undefined;
}

/** How each kind of failed exchange is counted (mesos_dns_upstream_requests_total's result). */
const RESULT_OF: Readonly<Record<UpstreamErrorCode, UpstreamResult>> = {
  UPSTREAM_TIMEOUT: 'timeout',
  UPSTREAM_NETWORK: 'error',
  UPSTREAM_MALFORMED: 'malformed',
  UPSTREAM_ABORTED: 'error',
};

/** What one attempt, or one round of attempts, came to: a usable reply, an unusable one, or none. */
interface Attempt {
  readonly reply?: UpstreamReply;
  /** An upstream answer that is no answer (SERVFAIL, REFUSED, ...): kept as a last resort. */
  readonly unusable?: UpstreamReply;
}

export function createForwarder(options: ForwarderOptions): Forwarder {
  const { defaults, zones } = buildRoutes(options.resolvers, options.zoneResolvers);
  const { observer, logger, clock } = options;
  const timeoutMs = Math.max(1, options.timeoutMs);
  const pool = new ResolverPool(clock, {
    failuresToMarkDown: options.failuresToMarkDown ?? 3,
    minBackoffMs: options.probeBackoffMs ?? 1000,
  });
  const cache = new ResponseCache({
    size: Math.max(0, Math.floor(options.cacheSize)),
    maxTtlSeconds: options.cacheMaxTtlSeconds ?? 3600,
    serveStaleSeconds: options.cacheServeStaleSeconds ?? 0,
    clock,
  });
  const ids = new IdSource();
  const closing = new AbortController();
  // A resolver (or something on the path) sending garbage would otherwise log one line a query.
  const warnMalformed = rateLimitedWarn(logger, 'malformed upstream reply answered SERVFAIL');

  /** Counts and logs a failed exchange; true when it marked the resolver down. */
  function failed(resolver: ResolverAddress, err: unknown, seconds: number): boolean {
    const code = err instanceof UpstreamError ? err.code : undefined;
    observer.upstream(resolver.label, code ? RESULT_OF[code] : 'error', seconds);
    if (code === 'UPSTREAM_MALFORMED') {
      warnMalformed({ resolver: resolver.label, code, err: (err as Error).message });
    }
    if (code === 'UPSTREAM_ABORTED') return false;
    return pool.failure(resolver.label);
  }

  async function attempt(
    resolver: ResolverAddress,
    upstreamQuery: Uint8Array,
    q: ParsedQuery,
    transport: Transport,
    attemptTimeoutMs: number,
  ): Promise<Attempt> {
    const started = performance.now();
    const exchange = transport === 'tcp' ? exchangeTcp : exchangeUdp;
    let reply: UpstreamReply;
    try {
      reply = await exchange(
        resolver,
        upstreamQuery,
        q.questionEnd,
        attemptTimeoutMs,
        closing.signal,
      );
      if (reply.info.truncated && transport === 'udp') {
        // The full answer is only available over TCP; if that fails the client still gets
        // the truncated reply and can retry over TCP itself.
        try {
          reply = await exchangeTcp(
            resolver,
            upstreamQuery,
            q.questionEnd,
            attemptTimeoutMs,
            closing.signal,
          );
        } catch (err) {
          if (err instanceof UpstreamError && err.code === 'UPSTREAM_MALFORMED') {
            failed(resolver, err, (performance.now() - started) / 1000);
          }
          logger.debug(
            { resolver: resolver.label, code: codeOf(err), err: String(err) },
            'tcp retry after truncation failed',
          );
        }
      }
    } catch (err) {
      const seconds = (performance.now() - started) / 1000;
      const fields = { resolver: resolver.label, code: codeOf(err), err: String(err) };
      if (failed(resolver, err, seconds)) {
        logger.warn(fields, 'upstream resolver marked down');
      } else {
        logger.debug(fields, 'upstream attempt failed');
      }
      return {};
    }
    const seconds = (performance.now() - started) / 1000;
    pool.success(resolver.label);
    const rcode = reply.info.rcode;
    if (rcode !== RCODE_NOERROR && rcode !== RCODE_NXDOMAIN) {
      // The resolver is alive but has no answer; another one may.
      observer.upstream(resolver.label, 'error', seconds);
      return { unusable: reply };
    }
    observer.upstream(resolver.label, 'ok', seconds);
    return { reply };
  }

  /** Upstream exchanges in flight, by transport and cache key: identical queries share one. */
  const inflight = new Map<string, Promise<Attempt>>();

  /** Asks the resolvers for `query` in order until one answers usably, within the deadline. */
  async function askUpstream(
    query: Uint8Array,
    q: ParsedQuery,
    transport: Transport,
  ): Promise<Attempt> {
    const candidates = pool.order(resolversForName(q.key, zones, defaults));
    if (candidates.length === 0) {
      logger.debug({ name: q.key }, 'no upstream resolvers configured for this name');
    }
    const deadline = performance.now() + timeoutMs * Math.max(1, candidates.length);
    const upstreamQuery = new Uint8Array(query);
    let unusable: UpstreamReply | undefined;
    for (const resolver of candidates) {
      const left = deadline - performance.now();
      if (left <= 0 || closing.signal.aborted) break;
      const id = ids.next();
      upstreamQuery[0] = id >> 8;
      upstreamQuery[1] = id & 0xff;
      const result = await attempt(
        resolver,
        upstreamQuery,
        q,
        transport,
        Math.min(timeoutMs, left),
      );
      if (result.reply) return { reply: result.reply };
      unusable = result.unusable ?? unusable;
    }
    return unusable ? { unusable } : {};
  }

  async function resolve(
    query: Uint8Array,
    q: ParsedQuery,
    transport: Transport,
    clientUdpSize: number,
  ): Promise<Uint8Array> {
    // Replies from the cache or a shared exchange are copied before the client's view is put in.
    const finish = (bytes: Uint8Array): Uint8Array => {
      const out = restoreClientView(new Uint8Array(bytes), query, q);
      return transport === 'udp' ? fitUdp(out, q.questionEnd, clientUdpSize) : out;
    };

    const key = cacheKey(query, q);
    if (cache.enabled) {
      const hit = cache.lookup(key);
      observer.cache(hit.kind === 'fresh' ? 'hit' : 'miss', cache.size);
      if (hit.kind === 'fresh') return finish(hit.bytes);
    }

    // A burst of clients asking the same name on a miss (a popular name expiring) costs the
    // upstream one query, not one per client.
    const flightKey = `${transport} ${key}`;
    let flight = inflight.get(flightKey);
    const leader = flight === undefined;
    if (flight === undefined) {
      flight = askUpstream(query, q, transport).finally(() => inflight.delete(flightKey));
      inflight.set(flightKey, flight);
    }
    const outcome = await flight;
    if (outcome.reply) {
      const { bytes, info: replyInfo } = outcome.reply;
      if (leader && cache.enabled) cache.store(key, bytes, replyInfo);
      return finish(bytes);
    }

    if (cache.enabled) {
      const stale = cache.stale(key);
      if (stale) {
        observer.cache('stale', cache.size);
        return finish(stale);
      }
    }
    if (outcome.unusable) return finish(outcome.unusable.bytes);
    return servfail(query, q);
  }

  return {
    async forward(query, question, transport, clientUdpSize) {
      try {
        return await resolve(query, question, transport, clientUdpSize);
      } catch (err) {
        // A bug here must cost one query, not the process.
        logger.error({ err: String(err) }, 'forwarding failed unexpectedly');
        return servfail(query, question);
      }
    },
    close() {
      closing.abort();
      return Promise.resolve();
    },
  };
}
