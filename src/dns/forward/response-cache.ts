// The forwarder's answer cache: whole upstream replies kept with the offsets of their TTL fields,
// so a hit is a copy plus a few 32-bit patches. Lifetimes follow the answer's TTLs (RFC 2308 for
// negative answers, RFC 8767 for serving stale ones).
import { LRUCache } from 'lru-cache';

import type { Clock } from '../../clock.ts';
import { readTtl, writeU32, type ReplyInfo } from './reply-scan.ts';
import { RCODE_NOERROR, RCODE_NXDOMAIN } from '../wire.ts';

/** TTL given to every record of a stale answer (RFC 8767 recommends 30 seconds). */
export const STALE_TTL = 30;

interface Entry {
  readonly bytes: Uint8Array;
  readonly ttlOffsets: Uint32Array;
  /** Each record's TTL at insert time, already capped by the entry's lifetime. */
  readonly ttls: Uint32Array;
  readonly storedAt: number;
  readonly expiresAt: number;
}

export interface CacheOptions {
  /** Entries; 0 turns the cache off. */
  readonly size: number;
  readonly maxTtlSeconds: number;
  /** How long past expiry an entry may still be served when upstreams fail; 0 = off. */
  readonly serveStaleSeconds: number;
  readonly clock: Clock;
}

export type Lookup =
  { readonly kind: 'fresh'; readonly bytes: Uint8Array } | { readonly kind: 'miss' };

/**
 * How long a reply may be cached, in seconds, or 0 when it must not be: positive answers live
 * for their smallest answer/authority TTL, NXDOMAIN and NODATA for min(SOA TTL, SOA MINIMUM);
 * errors, truncated replies and negative answers without an SOA are not cached.
 */
export function cacheLifetime(info: ReplyInfo, maxTtlSeconds: number): number {
  if (info.truncated) return 0;
  let ttl: number | undefined;
  if (info.rcode === RCODE_NXDOMAIN || (info.rcode === RCODE_NOERROR && info.answerCount === 0)) {
    ttl = info.negativeTtl;
  } else if (info.rcode === RCODE_NOERROR) {
    ttl = info.minTtl;
  }
  if (ttl === undefined) return 0;
  return Math.max(0, Math.min(ttl, maxTtlSeconds));
}

export class ResponseCache {
  readonly #lru: LRUCache<string, Entry> | undefined;
  readonly #clock: Clock;
  readonly #maxTtl: number;
  readonly #staleMs: number;

  constructor(options: CacheOptions) {
    this.#clock = options.clock;
    this.#maxTtl = options.maxTtlSeconds;
    this.#staleMs = Math.max(0, options.serveStaleSeconds) * 1000;
    this.#lru = options.size > 0 ? new LRUCache<string, Entry>({ max: options.size }) : undefined;
  }

  get enabled(): boolean {
    return this.#lru !== undefined;
  }

  get size(): number {
    return this.#lru?.size ?? 0;
  }

  /** Stores `bytes` (copied) under `key` when the reply is cacheable; returns the lifetime used. */
  store(key: string, bytes: Uint8Array, info: ReplyInfo): number {
    if (!this.#lru) return 0;
    const lifetime = cacheLifetime(info, this.#maxTtl);
    if (lifetime <= 0) return 0;
    const copy = new Uint8Array(bytes);
    const offsets = Uint32Array.from(info.ttlOffsets);
    const ttls = new Uint32Array(offsets.length);
    for (let i = 0; i < offsets.length; i++)
      ttls[i] = Math.min(readTtl(copy, offsets[i]!), lifetime);
    const now = this.#clock.now();
    this.#lru.set(key, {
      bytes: copy,
      ttlOffsets: offsets,
      ttls,
      storedAt: now,
      expiresAt: now + lifetime * 1000,
    });
    return lifetime;
  }

  /** A fresh copy of the cached reply with every TTL counted down, or a miss. */
  lookup(key: string): Lookup {
    const entry = this.#lru?.get(key);
    if (!entry) return { kind: 'miss' };
    const now = this.#clock.now();
    if (now >= entry.expiresAt) {
      if (now >= entry.expiresAt + this.#staleMs) this.#lru!.delete(key);
      return { kind: 'miss' };
    }
    const elapsed = Math.floor((now - entry.storedAt) / 1000);
    return { kind: 'fresh', bytes: patch(entry, (ttl) => Math.max(0, ttl - elapsed)) };
  }

  /** An expired entry still inside the serve-stale window, every TTL set to STALE_TTL. */
  stale(key: string): Uint8Array | undefined {
    if (this.#staleMs <= 0) return undefined;
    const entry = this.#lru?.peek(key);
    if (!entry) return undefined;
    const now = this.#clock.now();
    if (now < entry.expiresAt || now >= entry.expiresAt + this.#staleMs) return undefined;
    return patch(entry, () => STALE_TTL);
  }
}

function patch(entry: Entry, ttlFor: (original: number) => number): Uint8Array {
  const out = entry.bytes.slice();
  for (let i = 0; i < entry.ttlOffsets.length; i++) {
    writeU32(out, entry.ttlOffsets[i]!, ttlFor(entry.ttls[i]!));
  }
  return out;
}
