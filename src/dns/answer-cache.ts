// Memoises prepared answers per (lower-case name, qtype) for one record-set generation, so the
// hot path skips record look-ups and encoding. Cleared whole when the record set is swapped.
//
// Everything lives off the V8 heap, in a few large ArrayBuffers: the packed answers
// (packed-answer.ts) with their keys in segments written in turn, and an open-addressing hash
// table in two Uint32Arrays. A cached answer is no JavaScript object at all, so a scavenge has
// nothing of the cache to copy. (Measured with bench/answer-cache.ts: the previous lru-cache of
// answer objects kept 670 bytes of heap per one-address A answer, 5.7 KB per 10-target SRV
// answer, and every new name's answer survived its scavenge: ~5 ms per scavenge while new names
// arrived.) The bound is in real bytes: segments plus table never exceed `maxBytes`.
//
// Eviction is first in, first out: segments are reused in turn, and an entry is dropped just
// before its bytes are written over (or, when the table is full and may not grow, the oldest
// one). A hit does not move an entry. A one-address A answer takes ~80 bytes plus its share of
// the table, so the default 64 MiB holds several hundred thousand; eviction only meets clients
// asking for very many names.
//
// Entry layout in a segment:
//   0  entry length  u32 (header, key and packed answer)
//   4  hash          u32
//   8  qtype         u16
//   10 key length    u16
//   12 key           one byte per character (keys are ASCII: names.ts escapes the rest)
//   …  packed answer
import { hashString } from '../hash.ts';
import type { PreparedAnswer } from './authority.ts';
import { packAnswerInto, packedLength } from './packed-answer.ts';

const ENTRY_HEADER = 12;
const MIN_SEGMENT = 4 * 1024;
const MAX_SEGMENT = 16 * 1024 * 1024;
/** Addresses (segment × size + offset, plus one) must fit a Uint32Array slot. */
const MAX_ARENA = 3 * 1024 * 1024 * 1024;
const MIN_SLOTS = 1024;
/** Bytes per hash table slot: the entry's address and its hash. */
const SLOT_BYTES = 8;

/** Where a cached packed answer is: filled in place by get() and set(). */
export interface AnswerRef {
  bytes: Uint8Array;
  at: number;
}

function floorPow2(n: number): number {
  return 2 ** Math.floor(Math.log2(n));
}

export class AnswerCache {
  readonly #maxBytes: number;
  readonly #segmentSize: number;
  readonly #segmentBits: number;
  readonly #segments: Uint8Array[] = [];
  /** Per segment, the live entries of its last completed round: [starts, ends). */
  readonly #starts: number[] = [];
  readonly #ends: number[] = [];
  /** The segment being written (-1 before the first entry), and where in it. */
  #current = -1;
  #write = 0;
  /** Entry address + 1, or 0 for an empty slot; the entry's hash beside it. */
  #slots: Uint32Array;
  #hashes: Uint32Array;
  #mask: number;
  #count = 0;

  /** `maxBytes` bounds segments and table together; `expected` presizes the table. */
  constructor(maxBytes = 64 * 1024 * 1024, expected = 0) {
    this.#maxBytes = Math.max(16 * 1024, maxBytes);
    this.#segmentSize = Math.min(
      MAX_SEGMENT,
      Math.max(MIN_SEGMENT, floorPow2(this.#maxBytes / 16)),
    );
    this.#segmentBits = Math.log2(this.#segmentSize);
    const slots = this.#slotsFor(expected);
    this.#slots = new Uint32Array(slots);
    this.#hashes = new Uint32Array(slots);
    this.#mask = slots - 1;
  }

  /** Table slots for `expected` entries (at most half full), within a quarter of the bound. */
  #slotsFor(expected: number): number {
    let n = MIN_SLOTS;
    while (n < expected * 2 && n * 2 * SLOT_BYTES <= this.#maxBytes / 4) n *= 2;
    return n;
  }

  get #arenaBytes(): number {
    return this.#segments.length * this.#segmentSize;
  }

  /** Finds the answer for (`key`, `qtype`); on a hit fills `out` and returns true. */
  get(key: string, qtype: number, out: AnswerRef): boolean {
    const h = hashString(key, qtype);
    const slots = this.#slots;
    const hashes = this.#hashes;
    const mask = this.#mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = slots[i]!;
      if (v === 0) return false;
      if (hashes[i] !== h) continue;
      const address = v - 1;
      const seg = this.#segments[address >>> this.#segmentBits]!;
      const at = address & (this.#segmentSize - 1);
      if (((seg[at + 8]! << 8) | seg[at + 9]!) !== qtype) continue;
      if (((seg[at + 10]! << 8) | seg[at + 11]!) !== key.length) continue;
      let k = 0;
      const keyAt = at + ENTRY_HEADER;
      while (k < key.length && seg[keyAt + k] === key.charCodeAt(k)) k++;
      if (k !== key.length) continue;
      out.bytes = seg;
      out.at = keyAt + key.length;
      return true;
    }
  }

  /**
   * Packs `prepared` into the cache under (`key`, `qtype`), which must not be held yet, and fills
   * `out` with where it went. Returns false, caching nothing, when it cannot be held (an answer
   * larger than a segment, a key with characters beyond one byte).
   */
  set(key: string, qtype: number, prepared: PreparedAnswer, out: AnswerRef): boolean {
    const length = ENTRY_HEADER + key.length + packedLength(prepared);
    if (length > this.#segmentSize) return false;
    for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) > 0xff) return false;
    while ((this.#count + 1) * 2 > this.#slots.length) {
      if (this.#arenaBytes + this.#slots.length * 2 * SLOT_BYTES <= this.#maxBytes) {
        this.#rehash(this.#slots.length * 2);
      } else if (!this.#evictOldest()) {
        break;
      }
    }
    if (this.#current < 0 || this.#write + length > this.#segmentSize) this.#nextSegment();
    const cur = this.#current;
    const seg = this.#segments[cur]!;
    const at = this.#write;
    // Entries of the segment's previous round that the new one overlaps go first.
    while (this.#starts[cur]! < this.#ends[cur]! && this.#starts[cur]! < at + length) {
      this.#starts[cur]! += this.#evictAt(cur, this.#starts[cur]!);
    }
    const h = hashString(key, qtype);
    seg[at] = length >>> 24;
    seg[at + 1] = (length >>> 16) & 0xff;
    seg[at + 2] = (length >>> 8) & 0xff;
    seg[at + 3] = length & 0xff;
    seg[at + 4] = h >>> 24;
    seg[at + 5] = (h >>> 16) & 0xff;
    seg[at + 6] = (h >>> 8) & 0xff;
    seg[at + 7] = h & 0xff;
    seg[at + 8] = qtype >> 8;
    seg[at + 9] = qtype & 0xff;
    seg[at + 10] = key.length >> 8;
    seg[at + 11] = key.length & 0xff;
    const keyAt = at + ENTRY_HEADER;
    for (let i = 0; i < key.length; i++) seg[keyAt + i] = key.charCodeAt(i);
    packAnswerInto(prepared, seg, keyAt + key.length);
    this.#write = at + length;
    this.#insert(cur * this.#segmentSize + at + 1, h);
    out.bytes = seg;
    out.at = keyAt + key.length;
    return true;
  }

  /** Moves writing to the next segment: a new one while the bound allows, else the oldest. */
  #nextSegment(): void {
    const cur = this.#current;
    if (cur >= 0) {
      // What is left of this segment's previous round is older than anything else: drop it.
      while (this.#starts[cur]! < this.#ends[cur]!) {
        this.#starts[cur]! += this.#evictAt(cur, this.#starts[cur]!);
      }
      this.#starts[cur] = 0;
      this.#ends[cur] = this.#write;
    }
    // A new segment goes after the last one only, so reuse stays in order of age.
    const atEnd = cur === this.#segments.length - 1;
    const room =
      this.#arenaBytes + this.#segmentSize + this.#slots.length * SLOT_BYTES <= this.#maxBytes &&
      this.#arenaBytes + this.#segmentSize <= MAX_ARENA;
    if ((atEnd && room) || this.#segments.length === 0) {
      this.#segments.push(new Uint8Array(this.#segmentSize));
      this.#starts.push(0);
      this.#ends.push(0);
      this.#current = this.#segments.length - 1;
    } else {
      this.#current = (cur + 1) % this.#segments.length;
    }
    this.#write = 0;
  }

  /** Drops the oldest entry; false when only the segment being written holds any. */
  #evictOldest(): boolean {
    const n = this.#segments.length;
    for (let k = 0; k < n; k++) {
      const s = (this.#current + k + n) % n;
      if (this.#starts[s]! < this.#ends[s]!) {
        this.#starts[s]! += this.#evictAt(s, this.#starts[s]!);
        return true;
      }
    }
    return false;
  }

  /** Removes the entry at `at` of segment `s` from the table; returns its length. */
  #evictAt(s: number, at: number): number {
    const seg = this.#segments[s]!;
    const length =
      ((seg[at]! << 24) | (seg[at + 1]! << 16) | (seg[at + 2]! << 8) | seg[at + 3]!) >>> 0;
    const h =
      ((seg[at + 4]! << 24) | (seg[at + 5]! << 16) | (seg[at + 6]! << 8) | seg[at + 7]!) >>> 0;
    const value = s * this.#segmentSize + at + 1;
    const slots = this.#slots;
    const mask = this.#mask;
    let i = h & mask;
    while (slots[i] !== value) {
      if (slots[i] === 0) return length; // not held (cannot happen: every entry is indexed)
      i = (i + 1) & mask;
    }
    // Backward-shift deletion: later entries of the same probe run move up, leaving no holes.
    const hashes = this.#hashes;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (slots[j] === 0) break;
      const home = hashes[j]! & mask;
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (stays) continue;
      slots[i] = slots[j]!;
      hashes[i] = hashes[j]!;
      i = j;
    }
    slots[i] = 0;
    this.#count--;
    return length;
  }

  #insert(value: number, h: number): void {
    const slots = this.#slots;
    const mask = this.#mask;
    let i = h & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = value;
    this.#hashes[i] = h;
    this.#count++;
  }

  #rehash(size: number): void {
    const oldSlots = this.#slots;
    const oldHashes = this.#hashes;
    this.#slots = new Uint32Array(size);
    this.#hashes = new Uint32Array(size);
    this.#mask = size - 1;
    this.#count = 0;
    for (let i = 0; i < oldSlots.length; i++) {
      if (oldSlots[i] !== 0) this.#insert(oldSlots[i]!, oldHashes[i]!);
    }
  }

  /** Empties the cache and gives its memory back (the handler closing). */
  clear(): void {
    this.reset(0);
    this.#segments.length = 0;
    this.#starts.length = 0;
    this.#ends.length = 0;
  }

  /**
   * Empties the cache for the next generation, its table sized for `expected` entries. The
   * segments stay allocated for the next generation's answers (within the bound).
   */
  reset(expected: number): void {
    const slots = this.#slotsFor(expected);
    if (slots === this.#slots.length) {
      this.#slots.fill(0);
      this.#hashes.fill(0);
    } else {
      this.#slots = new Uint32Array(slots);
      this.#hashes = new Uint32Array(slots);
      this.#mask = slots - 1;
    }
    while (this.#segments.length > 1 && this.#arenaBytes + slots * SLOT_BYTES > this.#maxBytes) {
      this.#segments.pop();
      this.#starts.pop();
      this.#ends.pop();
    }
    this.#starts.fill(0);
    this.#ends.fill(0);
    this.#current = -1;
    this.#write = 0;
    this.#count = 0;
  }

  get maxBytes(): number {
    return this.#maxBytes;
  }

  /** Answers held. */
  get size(): number {
    return this.#count;
  }

  /** Bytes allocated: segments plus table (what the bound limits). */
  get bytes(): number {
    return this.#arenaBytes + this.#slots.length * SLOT_BYTES;
  }

  /** Bytes per segment (the largest entry that can be held). */
  get segmentSize(): number {
    return this.#segmentSize;
  }
}
