// Memoises prepared answers per (lower-case name, qtype) for one record set generation, so the
// hot path skips record look-ups and encoding. Cleared whole when the record set is swapped.
import { LRUCache } from 'lru-cache';
import type { PreparedAnswer } from './authority.ts';

const one = (): number => 1;

export class AnswerCache {
  #max: number;
  /** One LRU per qtype: the key stays the name string the parser already built. */
  readonly #byType = new Map<number, LRUCache<string, PreparedAnswer>>();

  /** `maxPerType` bounds memory when clients ask for many distinct (often missing) names. */
  constructor(maxPerType = 20_000) {
    this.#max = Math.max(1, maxPerType);
  }

  get(key: string, qtype: number): PreparedAnswer | undefined {
    return this.#byType.get(qtype)?.get(key);
  }

  set(key: string, qtype: number, answer: PreparedAnswer): void {
    let lru = this.#byType.get(qtype);
    if (!lru) {
      // Bounded by `maxSize` counting 1 per entry rather than by `max`: with `max`, lru-cache
      // preallocates its arrays at construction, which for a 300k-name set stalled the first
      // query of each type after every reload by ~30-85 ms (measured in the reload benchmark).
      lru = new LRUCache<string, PreparedAnswer>({ maxSize: this.#max, sizeCalculation: one });
      this.#byType.set(qtype, lru);
    }
    lru.set(key, answer);
  }

  clear(): void {
    this.#byType.clear();
  }

  /** Empties the cache and sets a new bound per qtype (for the next generation's size). */
  reset(maxPerType: number): void {
    this.#byType.clear();
    this.#max = Math.max(1, maxPerType);
  }

  get maxPerType(): number {
    return this.#max;
  }

  get size(): number {
    let n = 0;
    for (const lru of this.#byType.values()) n += lru.size;
    return n;
  }
}
