// Bodies that grow with the cluster (/v1/enumerate is 72 MB at 50,000 tasks): rendered once per
// record-set generation and shared by every request for it, sent in chunks as the client reads
// them, and only a few at a time. A request beyond the running ones and a short queue gets 503
// with Retry-After, so a crowd of callers costs one rendering and a bounded number of sockets'
// worth of buffers, not one copy of the document each.
// A body's memory is given back as soon as it is dropped (its hold over, or a new record set)
// and no response is still sending it: its buffers are detached, which frees them at once. Left
// to the garbage collector they stayed for as long as no major collection ran (a minute and
// more after a flood of readers: the buffers had lived long enough to be in the old generation).
import type { RecordStore } from '../records/store.ts';
import { errorReply, type Reply } from './reply.ts';

export interface LargeBodyLimits {
  /** Bodies being sent at once. */
  readonly streams: number;
  /** Requests waiting for a stream slot; beyond them, 503. */
  readonly queue: number;
  /** How long a rendered body is kept after its last request (a new generation drops it at once). */
  readonly holdMs: number;
}

/**
 * A rendered body: its bytes in order. The renderer hands them over: once the body is dropped
 * and sent, their buffers are detached (emptied), so they must be nobody else's.
 */
export type Chunks = readonly Uint8Array[];

interface Cached {
  readonly key: string;
  readonly generation: number;
  readonly body: Promise<Chunks | null>;
  /** The body once rendered. */
  chunks: Chunks | null;
  /** Requests between asking for the body and the end of their response. */
  users: number;
  /** No longer served to new requests: freed when its last user leaves. */
  dropped: boolean;
}

export class LargeBodies {
  readonly #limits: LargeBodyLimits;
  readonly #store: RecordStore;
  #active = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #cached = new Map<string, Cached>();
  readonly #holdTimers = new Map<string, NodeJS.Timeout>();
  #renders = 0;

  constructor(store: RecordStore, limits: LargeBodyLimits) {
    this.#store = store;
    this.#limits = limits;
    // A new set makes every rendered body stale: free it now rather than at the next request.
    store.onSwap(() => this.#dropAll());
  }

  /** Renderings started since the server started (each generation's body once while held). */
  get renders(): number {
    return this.#renders;
  }

  /**
   * The reply for body `key` of the set in service: `render` runs at most once per generation
   * however many requests ask; `unavailable` answers when it gives null.
   */
  async serve(
    key: string,
    contentType: string,
    render: () => Promise<Chunks | null>,
    unavailable: () => Reply,
  ): Promise<Reply> {
    const release = await this.#enter();
    if (release === null) {
      return errorReply(
        503,
        'busy',
        `too many ${key} requests at once (${this.#limits.streams} sending, ${this.#limits.queue} waiting); retry in a moment`,
        { 'Retry-After': '1' },
      );
    }
    // The entry is in use from here until the response is over, so it is not freed under it.
    const entry = this.#body(key, render);
    entry.users++;
    let left = false;
    const leave = (): void => {
      if (left) return;
      left = true;
      release();
      entry.users--;
      if (entry.users === 0 && entry.dropped) free(entry);
    };
    let chunks: Chunks | null;
    try {
      chunks = await entry.body;
    } catch (error) {
      leave();
      throw error;
    }
    if (chunks === null) {
      leave();
      return unavailable();
    }
    return { status: 200, body: null, chunks: { contentType, chunks }, done: leave };
  }

  close(): void {
    this.#dropAll();
  }

  /** A stream slot (its release function), after waiting in the queue if need be; null if full. */
  #enter(): Promise<(() => void) | null> {
    if (this.#active < this.#limits.streams) {
      this.#active++;
      return Promise.resolve(this.#releaser());
    }
    if (this.#waiting.length >= this.#limits.queue) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiting.push(() => resolve(this.#releaser())));
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The slot passes straight to the next waiter, if any.
      const next = this.#waiting.shift();
      if (next !== undefined) next();
      else this.#active--;
    };
  }

  /** The entry of `key` for the set in service, its rendering started if need be. */
  #body(key: string, render: () => Promise<Chunks | null>): Cached {
    const generation = this.#store.generation;
    let cached = this.#cached.get(key);
    if (cached?.generation !== generation) {
      if (cached !== undefined) this.#drop(cached);
      this.#renders++;
      const body = render().then(
        (chunks) => {
          entry.chunks = chunks;
          // Not kept when unavailable (the keeper may have it on the next ask).
          if (chunks === null && this.#cached.get(key) === entry) this.#cached.delete(key);
          // Dropped while rendering, with nobody left to send it.
          if (entry.dropped && entry.users === 0) free(entry);
          return chunks;
        },
        (error: unknown) => {
          if (this.#cached.get(key) === entry) this.#cached.delete(key);
          throw error;
        },
      );
      const entry: Cached = { key, generation, body, chunks: null, users: 0, dropped: false };
      cached = entry;
      this.#cached.set(key, entry);
    }
    this.#hold(key);
    return cached;
  }

  /** (Re)starts the timer that frees `key`'s body once nobody has asked for it for a while. */
  #hold(key: string): void {
    clearTimeout(this.#holdTimers.get(key));
    const timer = setTimeout(() => {
      this.#holdTimers.delete(key);
      const cached = this.#cached.get(key);
      if (cached !== undefined) this.#drop(cached);
    }, this.#limits.holdMs);
    timer.unref();
    this.#holdTimers.set(key, timer);
  }

  /** Serves `entry` to no new request; frees it now if nobody is sending it. */
  #drop(entry: Cached): void {
    if (this.#cached.get(entry.key) === entry) this.#cached.delete(entry.key);
    entry.dropped = true;
    if (entry.users === 0) free(entry);
  }

  #dropAll(): void {
    for (const timer of this.#holdTimers.values()) clearTimeout(timer);
    this.#holdTimers.clear();
    for (const entry of [...this.#cached.values()]) this.#drop(entry);
  }
}

/**
 * Gives a body's memory back now: detaching a buffer frees it without waiting for the garbage
 * collector. Only once nothing sends it: a response's 'close' comes after its socket has
 * written (or dropped) every slice.
 */
function free(entry: Cached): void {
  const chunks = entry.chunks;
  entry.chunks = null;
  for (const chunk of chunks ?? []) {
    const buffer = chunk.buffer;
    if (buffer instanceof ArrayBuffer && !buffer.detached) buffer.transfer(0);
  }
}
