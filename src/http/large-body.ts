// Bodies that grow with the cluster (/v1/enumerate is 72 MB at 50,000 tasks): rendered once per
// record-set generation and shared by every request for it, sent in chunks as the client reads
// them, and only a few at a time. A request beyond the running ones and a short queue gets 503
// with Retry-After, so a crowd of callers costs one rendering and a bounded number of sockets'
// worth of buffers, not one copy of the document each.
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

/** A rendered body: its bytes in order. */
export type Chunks = readonly Uint8Array[];

interface Cached {
  readonly key: string;
  readonly generation: number;
  readonly body: Promise<Chunks | null>;
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
    let chunks: Chunks | null;
    try {
      chunks = await this.#body(key, render);
    } catch (error) {
      release();
      throw error;
    }
    if (chunks === null) {
      release();
      return unavailable();
    }
    return { status: 200, body: null, chunks: { contentType, chunks }, done: release };
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

  #body(key: string, render: () => Promise<Chunks | null>): Promise<Chunks | null> {
    const generation = this.#store.generation;
    let cached = this.#cached.get(key);
    if (cached?.generation !== generation) {
      this.#renders++;
      const body = render().then(
        (chunks) => {
          // Not kept when unavailable (the keeper may have it on the next ask).
          if (chunks === null && this.#cached.get(key) === entry) this.#cached.delete(key);
          return chunks;
        },
        (error: unknown) => {
          if (this.#cached.get(key) === entry) this.#cached.delete(key);
          throw error;
        },
      );
      const entry: Cached = { key, generation, body };
      cached = entry;
      this.#cached.set(key, entry);
    }
    this.#hold(key);
    return cached.body;
  }

  /** (Re)starts the timer that frees `key`'s body once nobody has asked for it for a while. */
  #hold(key: string): void {
    clearTimeout(this.#holdTimers.get(key));
    const timer = setTimeout(() => {
      this.#holdTimers.delete(key);
      this.#cached.delete(key);
    }, this.#limits.holdMs);
    timer.unref();
    this.#holdTimers.set(key, timer);
  }

  #dropAll(): void {
    for (const timer of this.#holdTimers.values()) clearTimeout(timer);
    this.#holdTimers.clear();
    this.#cached.clear();
  }
}
