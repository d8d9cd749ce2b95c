// Upstream resolver health: tried in configured order, a resolver that fails several times in a
// row is skipped until a back-off passes, then one query probes it again.
import { Backoff } from '../../backoff.ts';
import type { Clock } from '../../clock.ts';
import type { ResolverAddress } from '../../net/resolver.ts';

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
  /** Wait between probes of a down resolver: grows per failed probe, reset by a success. */
  readonly backoff: Backoff;
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
      h = {
        failures: 0,
        retryAt: 0,
        backoff: new Backoff({ initialMs: this.#minBackoff, maxMs: this.#maxBackoff }),
      };
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
        h.retryAt = now + h.backoff.lastMs;
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
    h.backoff.reset();
    h.retryAt = 0;
  }

  /** Counts a failed exchange; true when this failure marked the resolver down. */
  failure(label: string): boolean {
    const h = this.#get(label);
    h.failures++;
    if (h.failures < this.#threshold) return false;
    // Marked down now, or a failed probe: each waits longer before the next probe.
    h.retryAt = this.#clock.now() + h.backoff.next();
    return h.failures === this.#threshold;
  }
}
