// Memoises prepared answers per (lower-case name, qtype) for one record set generation, so the
// hot path skips record look-ups and encoding. Cleared whole when the record set is swapped.
// Bounded twice: in entries per qtype (room for every name of the set, see handler.ts) and in
// estimated bytes over all qtypes, since one SRV answer with its additional A records weighs ten
// times an A answer: at 200,000 tasks, entries alone would let the cache grow past 1 GB.
import { LRUCache } from 'lru-cache';
import type { PreparedAnswer } from './authority.ts';

/**
 * Estimated V8 heap bytes of one cached answer: the key string the parser built, the LRU's own
 * bookkeeping and the answer object with its three arrays (~500 bytes together), and per RR a
 * Uint8Array (object and backing store, ~96 bytes) plus its bytes. Measured in the scale
 * benchmark (bench/scale.ts, main thread heap after a full collection): ~760 bytes per cached
 * one-address A answer (this gives ~700); a 10-target SRV answer with its additionals ~3.4 KB.
 */
export function answerBytes(key: string, answer: PreparedAnswer): number {
  let n = 500 + key.length;
  for (const list of [answer.answers, answer.authority, answer.additional]) {
    n += 16 + list.length * 8;
    for (const rr of list) n += 96 + rr.byteLength;
  }
  return n;
}

export class AnswerCache {
  #max: number;
  readonly #maxBytes: number;
  /** One LRU per qtype: the key stays the name string the parser already built. */
  readonly #byType = new Map<number, LRUCache<string, PreparedAnswer>>();

  /**
   * `maxPerType` bounds entries per qtype (clients asking for many distinct, often missing,
   * names); `maxBytes` bounds the estimated bytes of all of them together.
   */
  constructor(maxPerType = 20_000, maxBytes = 64 * 1024 * 1024) {
    this.#max = Math.max(1, maxPerType);
    this.#maxBytes = Math.max(1024, maxBytes);
  }

  get(key: string, qtype: number): PreparedAnswer | undefined {
    return this.#byType.get(qtype)?.get(key);
  }

  set(key: string, qtype: number, answer: PreparedAnswer): void {
    let lru = this.#byType.get(qtype);
    if (!lru) {
      // Bounded by `maxSize` rather than by `max`: with `max`, lru-cache preallocates its arrays
      // at construction, which for a 300k-name set stalled the first query of each type after
      // every reload by ~30-85 ms (measured in the reload benchmark). The entry bound is kept
      // below by popping.
      lru = new LRUCache<string, PreparedAnswer>({
        maxSize: this.#maxBytes,
        sizeCalculation: (value, k) => answerBytes(k, value),
      });
      this.#byType.set(qtype, lru);
    }
    lru.set(key, answer);
    if (lru.size > this.#max) lru.pop();
    if (this.#byType.size > 1) this.#trimAll();
  }

  /** Over the byte bound across qtypes: evict from the largest type, least recently used first. */
  #trimAll(): void {
    let total = this.bytes;
    while (total > this.#maxBytes) {
      let largest: LRUCache<string, PreparedAnswer> | undefined;
      for (const lru of this.#byType.values()) {
        if (largest === undefined || lru.calculatedSize > largest.calculatedSize) largest = lru;
      }
      if (largest === undefined || largest.size === 0) return;
      const before = largest.calculatedSize;
      largest.pop();
      total -= before - largest.calculatedSize;
    }
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

  get maxBytes(): number {
    return this.#maxBytes;
  }

  get size(): number {
    let n = 0;
    for (const lru of this.#byType.values()) n += lru.size;
    return n;
  }

  /** Estimated bytes held (answerBytes summed). */
  get bytes(): number {
    let n = 0;
    for (const lru of this.#byType.values()) n += lru.calculatedSize;
    return n;
  }
}
