// Upstream resolver addresses and their health: tried in configured order, a resolver that fails
// several times in a row is skipped until a back-off passes, then one query probes it again.
import { isIP } from 'node:net';

import type { Clock } from '../clock.ts';

export interface ResolverAddress {
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
  /** As configured, for metrics and logs. */
  readonly label: string;
}

/** Parses "ip", "ip:port" or "[v6]:port" (a bare v6 address also works); throws naming the input. */
export function parseResolver(text: string): ResolverAddress {
  const trimmed = text.trim();
  let host = trimmed;
  let port = 53;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  if (bracketed) {
    host = bracketed[1]!;
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if (isIP(trimmed) === 0) {
    const colon = trimmed.lastIndexOf(':');
    if (colon > 0) {
      host = trimmed.slice(0, colon);
      port = Number(trimmed.slice(colon + 1));
    }
  }
  const family = isIP(host);
  if (family === 0) {
    throw new Error(`resolver "${text}" is not an IP address; use "ip", "ip:port" or "[v6]:port"`);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`resolver "${text}" has an invalid port; use a port between 1 and 65535`);
  }
  return { host, port, family: family === 6 ? 6 : 4, label: trimmed };
}

export interface PoolOptions {
  /** Consecutive failures after which a resolver is skipped. */
  readonly failuresToMarkDown?: number;
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

interface Health {
  failures: number;
  /** While now < retryAt a down resolver is skipped. */
  retryAt: number;
  backoffMs: number;
}

/** Health of every resolver the forwarder knows, shared by all zones that use the same address. */
export class ResolverPool {
  readonly #clock: Clock;
  readonly #threshold: number;
  readonly #minBackoff: number;
  readonly #maxBackoff: number;
  readonly #health = new Map<string, Health>();

  constructor(clock: Clock, options: PoolOptions = {}) {
    this.#clock = clock;
    this.#threshold = options.failuresToMarkDown ?? 3;
    this.#minBackoff = options.minBackoffMs ?? 1000;
    this.#maxBackoff = options.maxBackoffMs ?? 30_000;
  }

  #get(label: string): Health {
    let h = this.#health.get(label);
    if (!h) {
      h = { failures: 0, retryAt: 0, backoffMs: this.#minBackoff };
      this.#health.set(label, h);
    }
    return h;
  }

  isDown(label: string): boolean {
    return this.#get(label).failures >= this.#threshold;
  }

  /**
   * The resolvers to try for one query, in order: healthy ones, and a down one whose back-off
   * has passed (claimed so that only this query probes it). When all are down and none is due,
   * the one due soonest is tried anyway, so an outage of every resolver cannot outlast itself.
   */
  order(list: readonly ResolverAddress[]): ResolverAddress[] {
    const now = this.#clock.now();
    const out: ResolverAddress[] = [];
    let soonest: ResolverAddress | undefined;
    let soonestAt = Infinity;
    for (const r of list) {
      const h = this.#get(r.label);
      if (h.failures < this.#threshold) {
        out.push(r);
      } else if (now >= h.retryAt) {
        h.retryAt = now + h.backoffMs;
        out.push(r);
      } else if (h.retryAt < soonestAt) {
        soonestAt = h.retryAt;
        soonest = r;
      }
    }
    if (out.length === 0 && soonest) out.push(soonest);
    return out;
  }

  success(label: string): void {
    const h = this.#get(label);
    h.failures = 0;
    h.backoffMs = this.#minBackoff;
    h.retryAt = 0;
  }

  /** Counts a failed exchange; true when this failure marked the resolver down. */
  failure(label: string): boolean {
    const h = this.#get(label);
    h.failures++;
    if (h.failures === this.#threshold) {
      h.retryAt = this.#clock.now() + h.backoffMs;
      return true;
    } else if (h.failures > this.#threshold) {
      // A failed probe: wait longer before the next one.
      h.backoffMs = Math.min(h.backoffMs * 2, this.#maxBackoff);
      h.retryAt = this.#clock.now() + h.backoffMs;
    }
    return false;
  }
}

/**
 * The resolvers for `qname` (lower-case, no trailing dot): those of the longest zone that
 * equals it or is a label-wise suffix of it, else the defaults.
 */
export function resolversForName(
  qname: string,
  zones: ReadonlyMap<string, readonly ResolverAddress[]>,
  defaults: readonly ResolverAddress[],
): readonly ResolverAddress[] {
  if (zones.size === 0) return defaults;
  let name = qname;
  for (;;) {
    const hit = zones.get(name);
    if (hit) return hit;
    const dot = name.indexOf('.');
    if (dot < 0) break;
    name = name.slice(dot + 1);
  }
  // The root zone "" (or ".") catches everything, when configured.
  return zones.get('') ?? defaults;
}
