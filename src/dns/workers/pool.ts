// The `workers` setting: N DNS threads on one port (SO_REUSEPORT), fed every record set the main
// store swaps in (as the changes to the set a thread holds, when the two share a base), counted
// into the main Metrics, restarted when they crash.
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { Backoff, retry } from '../../backoff.ts';
import { systemClock, type Clock } from '../../clock.ts';
import type { Config } from '../../config/types.ts';
import type { Logger } from '../../log.ts';
import type { RecordSet } from '../../records/recordset.ts';
import type { LoadInfo, RecordStore, SwapListener } from '../../records/store.ts';
import { TransferSender, type TransferStats } from '../../transfer/channel.ts';
import { DEFAULT_CHUNK_BUDGET, overlayDelta } from '../../transfer/record-transfer.ts';
import type { Zone } from '../authority.ts';
import { RelayHost } from '../transfer/relay.ts';
import type { TransferService } from '../transfer/service.ts';
import type { DnsThreadData, FromDnsThread, ThreadSetMeta, ToDnsThread } from './protocol.ts';
import { mergeTally, type TallyDelta, type TallySink } from './query-tally.ts';

const ownExtension = import.meta.url.slice(import.meta.url.lastIndexOf('.'));
/** dns-thread.ts next to this file in development, dns-thread.js in dist. */
export const defaultThreadUrl = new URL(`./dns-thread${ownExtension}`, import.meta.url);

/** What the pool needs from Metrics. */
export interface PoolMetrics extends TallySink {
  setCacheEntries(size: number): void;
  beforeRender(hook: () => Promise<void>): void;
}

export interface DnsThreadPoolOptions {
  readonly config: Config;
  readonly store: RecordStore;
  readonly metrics: PoolMetrics;
  readonly logger: Logger;
  /** Default config.workers. */
  readonly threads?: number;
  readonly threadUrl?: URL;
  /** How often threads report counts; default 1000 ms. */
  readonly reportMs?: number;
  /** First wait before restarting a crashed thread, doubled per quick crash up to 5 s. */
  readonly restartDelayMs?: number;
  /** A thread not listening this long after it starts is stopped (and restarted). */
  readonly startTimeoutMs?: number;
  readonly chunkBudget?: number;
  /** Default systemClock. */
  readonly clock?: Clock;
  /**
   * The main thread's zone transfer service (the one beside the store): the threads relay AXFR
   * and IXFR requests to it. Absent: the threads refuse every transfer.
   */
  readonly transfers?: { readonly service: TransferService; readonly zone: Zone };
}

/** One thread as tests and operators see it. */
export interface DnsThreadInfo {
  readonly index: number;
  /** Worker thread id of the running thread, or null between a crash and its restart. */
  readonly threadId: number | null;
  readonly listening: boolean;
  /** Threads started in this slot (1 + restarts). */
  readonly starts: number;
  /** Queries this slot answered, as far as reported to the main thread. */
  readonly queries: number;
  /** Zone transfer requests this slot relayed to the main thread. */
  readonly transfers: number;
  /** Main-store generation of the record set the thread serves (0: none yet). */
  readonly generation: number;
  /** What the last completed set transfer to this thread sent (null: none yet). */
  readonly lastTransfer: TransferStats | null;
}

const BIND_ATTEMPTS = 10;
const MAX_RESTART_DELAY_MS = 5000;
/** A thread that ran this long before crashing is not crash-looping: back-off starts over. */
const STABLE_MS = 30_000;
const FLUSH_TIMEOUT_MS = 500;
const CLOSE_TIMEOUT_MS = 2000;

class Slot {
  readonly index: number;
  worker: Worker | null = null;
  started = false;
  listenRequested = false;
  listening = false;
  starts = 0;
  /** Wait before restarting after a crash; starts over once a thread ran STABLE_MS. */
  readonly restartBackoff: Backoff;
  startedAtMs = 0;
  queries = 0;
  transfers = 0;
  generation = 0;
  cacheSize = -1;
  /** Sends sets to the running thread; replaced with the thread. */
  sender: TransferSender<ThreadSetMeta> | null = null;
  /** Answers the zone transfers the running thread relays; replaced with the thread. */
  relay: RelayHost | null = null;
  /** The set in flight, and the last one whose end was sent: the thread swaps it in next. */
  sending: { readonly gen: number; readonly set: RecordSet } | null = null;
  served: { readonly gen: number; readonly set: RecordSet } | null = null;
  restartTimer: NodeJS.Timeout | null = null;
  startTimer: NodeJS.Timeout | null = null;
  /** Settles when this thread listens or fails to start. */
  waiter: { resolve: (a: AddressInfo) => void; reject: (e: PoolStartError) => void } | null = null;
  readonly flushes = new Map<number, () => void>();
  onClosed: (() => void) | null = null;

  constructor(index: number, restartBackoff: Backoff) {
    this.index = index;
    this.restartBackoff = restartBackoff;
  }
}

class PoolStartError extends Error {
  readonly code: string;
  constructor(message: string, code = '') {
    super(message);
    this.name = 'PoolStartError';
    this.code = code;
  }
}

export class DnsThreadPool {
  readonly #config: Config;
  readonly #store: RecordStore;
  readonly #metrics: PoolMetrics;
  readonly #logger: Logger;
  readonly #url: URL;
  readonly #reportMs: number;
  readonly #startTimeoutMs: number;
  readonly #chunkBudget: number;
  readonly #clock: Clock;
  readonly #transfers: DnsThreadPoolOptions['transfers'];
  readonly #slots: Slot[];
  #port: number;
  #address: AddressInfo | null = null;
  /** True once start() succeeded: from then on, a thread that exits is restarted. */
  #running = false;
  #closed = false;
  #nextFlushId = 1;
  /** Main-store generation every running thread was last found serving. */
  #allServing = 0;
  readonly #servingListeners: ((set: RecordSet) => void)[] = [];
  readonly #onSwap: SwapListener = (set, gen) => {
    for (const slot of this.#slots) if (slot.started) this.#beginTransfer(slot, set, gen);
  };

  constructor(options: DnsThreadPoolOptions) {
    this.#config = options.config;
    this.#store = options.store;
    this.#metrics = options.metrics;
    this.#logger = options.logger;
    this.#url = options.threadUrl ?? defaultThreadUrl;
    this.#reportMs = options.reportMs ?? 1000;
    this.#startTimeoutMs = options.startTimeoutMs ?? 30_000;
    this.#chunkBudget = options.chunkBudget ?? DEFAULT_CHUNK_BUDGET;
    this.#clock = options.clock ?? systemClock;
    this.#transfers = options.transfers;
    const n = options.threads ?? options.config.workers;
    if (!Number.isInteger(n) || n < 1) {
      throw new Error(`DNS thread pool: thread count must be a whole number >= 1, got ${n}`);
    }
    const restartDelayMs = options.restartDelayMs ?? 200;
    this.#slots = Array.from(
      { length: n },
      (_, i) =>
        new Slot(i, new Backoff({ initialMs: restartDelayMs, maxMs: MAX_RESTART_DELAY_MS })),
    );
    this.#port = options.config.port;
    this.#store.onSwap(this.#onSwap);
    this.#metrics.beforeRender(() => this.flush());
  }

  /** The bound address (shared by UDP and TCP on every thread), once started. */
  get address(): AddressInfo | null {
    return this.#address;
  }

  /** Every thread is listening (what /ready requires). */
  get listening(): boolean {
    return this.#running && this.#slots.every((s) => s.listening);
  }

  get threads(): DnsThreadInfo[] {
    return this.#slots.map((s) => ({
      index: s.index,
      threadId: s.worker?.threadId ?? null,
      listening: s.listening,
      starts: s.starts,
      queries: s.queries,
      transfers: s.transfers,
      generation: s.generation,
      lastTransfer: s.sender?.lastStats ?? null,
    }));
  }

  /**
   * Starts every thread and resolves with the bound address once all listen. With port 0 the
   * first thread picks the port and the others join it; a collision restarts the whole pool.
   */
  async start(): Promise<AddressInfo> {
    const ephemeral = this.#config.port === 0;
    return retry(
      async () => {
        try {
          this.#port = this.#config.port;
          const [first, ...rest] = this.#slots;
          if (first === undefined) throw new PoolStartError('DNS thread pool has no threads');
          const address = await this.#startSlot(first);
          this.#port = address.port;
          this.#address = address;
          await Promise.all(rest.map((slot) => this.#startSlot(slot)));
          this.#running = true;
          this.#logger.info(
            { address: address.address, port: address.port, threads: this.#slots.length },
            // The same message as a single-threaded server: log watchers need not care.
            'dns listening (udp, tcp)',
          );
          return address;
        } catch (err) {
          await this.#stopAll();
          if (this.#closed) {
            throw new Error('DNS thread pool closed while starting', { cause: err });
          }
          throw err;
        }
      },
      {
        attempts: BIND_ATTEMPTS,
        // The port the first thread picked was taken for another: start over on a new one.
        retryIf: (err) => ephemeral && err instanceof PoolStartError && err.code === 'EADDRINUSE',
      },
    );
  }

  /**
   * Calls `listener` with the store's current set once every running thread serves it (a
   * thread that is restarting is not waited for: it listens only once it has the set).
   */
  onAllServing(listener: (set: RecordSet) => void): void {
    this.#servingListeners.push(listener);
  }

  #checkAllServing(): void {
    const set = this.#store.current;
    const gen = this.#store.generation;
    if (set === null || gen <= this.#allServing) return;
    if (!this.#slots.every((s) => !s.started || s.generation >= gen)) return;
    this.#allServing = gen;
    for (const listener of this.#servingListeners) listener(set);
  }

  /** Pulls fresh counts from every thread (before a metrics scrape); gives up on a slow one. */
  async flush(): Promise<void> {
    await Promise.all(
      this.#slots.map(
        (slot) =>
          new Promise<void>((resolve) => {
            const worker = slot.worker;
            if (worker === null || !slot.started) {
              resolve();
              return;
            }
            const id = this.#nextFlushId++;
            const timer = setTimeout(() => {
              slot.flushes.delete(id);
              resolve();
            }, FLUSH_TIMEOUT_MS);
            slot.flushes.set(id, () => {
              clearTimeout(timer);
              resolve();
            });
            this.#post(slot, { type: 'flush', id });
          }),
      ),
    );
  }

  /** Stops one thread the way a crash would; the pool logs it and starts a replacement. */
  async kill(index: number): Promise<void> {
    const worker = this.#slots[index]?.worker;
    if (!worker) throw new Error(`DNS thread pool: no running thread at index ${index}`);
    await worker.terminate();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#running = false;
    this.#store.offSwap(this.#onSwap);
    await this.#stopAll();
  }

  #startSlot(slot: Slot): Promise<AddressInfo> {
    return new Promise<AddressInfo>((resolve, reject) => {
      slot.waiter = { resolve, reject };
      this.#spawn(slot);
    });
  }

  #spawn(slot: Slot): void {
    const data: DnsThreadData = {
      config: this.#config,
      logLevel: this.#logger.level,
      index: slot.index,
      reportMs: this.#reportMs,
      relayTransfers: this.#transfers !== undefined,
    };
    const worker = new Worker(this.#url, { workerData: data });
    slot.worker = worker;
    slot.started = false;
    slot.listenRequested = false;
    slot.listening = false;
    slot.sender = new TransferSender((message) => this.#post(slot, message), this.#chunkBudget);
    slot.relay?.close();
    const transfers = this.#transfers;
    slot.relay =
      transfers === undefined
        ? null
        : new RelayHost(
            transfers.service,
            transfers.zone.apexWire,
            (batch) => {
              if (slot.worker === worker) this.#post(slot, batch);
            },
            this.#logger,
          );
    slot.sending = null;
    slot.served = null;
    slot.cacheSize = -1;
    slot.starts++;
    slot.startedAtMs = this.#clock.now();
    slot.startTimer = setTimeout(() => {
      if (slot.worker !== worker || slot.listening) return;
      this.#logger.error(
        { thread: slot.index, ms: this.#startTimeoutMs },
        'DNS thread did not start listening in time; stopping it',
      );
      this.#settle(slot, new PoolStartError(`DNS thread ${slot.index} did not start in time`));
      void worker.terminate();
    }, this.#startTimeoutMs);
    slot.startTimer.unref();
    worker.on('message', (message: FromDnsThread) => {
      if (slot.worker !== worker) return;
      try {
        this.#onMessage(slot, worker, message);
      } catch (err) {
        this.#logger.error({ err, thread: slot.index }, 'bad message from a DNS thread');
      }
    });
    worker.on('error', (err) => {
      this.#logger.error({ err, thread: slot.index }, 'DNS thread crashed');
    });
    worker.on('messageerror', (err) => {
      this.#logger.error({ err, thread: slot.index }, 'DNS thread sent an unreadable message');
    });
    worker.on('exit', (code) => this.#onExit(slot, worker, code));
  }

  #onExit(slot: Slot, worker: Worker, code: number): void {
    slot.onClosed?.();
    if (slot.worker !== worker) return;
    slot.worker = null;
    slot.started = false;
    slot.listening = false;
    slot.sender = null;
    slot.relay?.close();
    slot.relay = null;
    slot.sending = null;
    slot.served = null;
    if (slot.startTimer) clearTimeout(slot.startTimer);
    for (const done of slot.flushes.values()) done();
    slot.flushes.clear();
    this.#settle(
      slot,
      new PoolStartError(`DNS thread ${slot.index} exited (code ${code}) before listening`),
    );
    if (this.#closed || !this.#running) return;
    if (this.#clock.now() - slot.startedAtMs >= STABLE_MS) slot.restartBackoff.reset();
    const delay = slot.restartBackoff.next();
    this.#logger.error(
      { thread: slot.index, code, restartInMs: delay },
      'DNS thread exited; restarting it',
    );
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      if (this.#closed) return;
      this.#spawn(slot);
    }, delay);
  }

  #onMessage(slot: Slot, worker: Worker, message: FromDnsThread): void {
    switch (message.type) {
      case 'started': {
        slot.started = true;
        const set = this.#store.current;
        // A thread joins the port only with the current records, so it never answers "not ready".
        if (set !== null) this.#beginTransfer(slot, set, this.#store.generation);
        else this.#requestListen(slot);
        return;
      }
      case 'transfer-next':
        if (slot.sender?.pull(message) === true) {
          // The thread swaps this set in on the end just sent: the next delta starts from it.
          slot.served = slot.sending;
          slot.sending = null;
          // Messages arrive in order: the thread swaps the set in before it binds.
          this.#requestListen(slot);
        }
        return;
      case 'set-swapped':
        slot.generation = Math.max(slot.generation, message.gen);
        this.#checkAllServing();
        return;
      case 'set-failed': {
        this.#logger.error(
          { thread: slot.index, err: message.message },
          'DNS thread could not apply a record set',
        );
        // Deltas go against `served`: forget it, and send the set whole (once: a whole set
        // that fails waits for the next swap rather than looping).
        const wasDelta = slot.served !== null;
        slot.served = null;
        const set = this.#store.current;
        if (wasDelta && set !== null) this.#beginTransfer(slot, set, this.#store.generation);
        return;
      }
      case 'listening': {
        slot.listening = true;
        if (slot.startTimer) clearTimeout(slot.startTimer);
        if (this.#running) {
          this.#logger.info({ thread: slot.index, port: message.port }, 'DNS thread listening');
        }
        const { address, family, port } = message;
        this.#settleOk(slot, { address, family, port });
        return;
      }
      case 'listen-failed':
        this.#logger.error({ thread: slot.index, err: message.message }, 'DNS thread cannot bind');
        if (slot.waiter !== null) {
          this.#settle(slot, new PoolStartError(message.message, message.code));
        }
        void worker.terminate();
        return;
      case 'counts':
        if (message.delta !== null) this.#merge(slot, message.delta);
        if (message.flushId !== undefined) {
          slot.flushes.get(message.flushId)?.();
          slot.flushes.delete(message.flushId);
        }
        return;
      case 'log':
        this.#relog(message.line);
        return;
      case 'closed':
        if (message.delta !== null) this.#merge(slot, message.delta);
        slot.onClosed?.();
        return;
      case 'xfr-request':
        slot.transfers++;
        slot.relay?.receive(message);
        return;
      case 'xfr-pull':
      case 'xfr-cancel':
        slot.relay?.receive(message);
        return;
    }
  }

  #beginTransfer(slot: Slot, set: RecordSet, gen: number): void {
    const info: LoadInfo = this.#store.lastLoad ?? {
      atMs: this.#clock.now(),
      durationMs: 0,
      master: '',
      tasks: set.counts.tasks,
      records: 0,
    };
    const served = slot.served;
    // Cheap when both sets are overlays on one base (sets that came as deltas); otherwise whole.
    const delta = served === null ? null : overlayDelta(served.set, set);
    slot.sending = { gen, set };
    slot.sender?.send(
      gen,
      delta === null || served === null ? { set } : { set, delta, base: String(served.gen) },
      { info },
    );
  }

  #requestListen(slot: Slot): void {
    if (slot.listenRequested) return;
    slot.listenRequested = true;
    this.#post(slot, { type: 'listen', port: this.#port });
  }

  #merge(slot: Slot, delta: TallyDelta): void {
    slot.queries += mergeTally(this.#metrics, delta);
    if (delta.cacheSize >= 0) {
      slot.cacheSize = delta.cacheSize;
      let total = 0;
      for (const s of this.#slots) if (s.cacheSize > 0) total += s.cacheSize;
      this.#metrics.setCacheEntries(total);
    }
  }

  #relog(line: string): void {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.#logger.warn({ line }, 'unreadable log line from a DNS thread');
      return;
    }
    const { level, msg, ...rest } = entry;
    // The main logger adds its own time.
    delete rest['time'];
    const text = typeof msg === 'string' ? msg : '';
    const n = typeof level === 'number' ? level : 30;
    const log = this.#logger;
    if (n >= 60) log.fatal(rest, text);
    else if (n >= 50) log.error(rest, text);
    else if (n >= 40) log.warn(rest, text);
    else if (n >= 30) log.info(rest, text);
    else if (n >= 20) log.debug(rest, text);
    else log.trace(rest, text);
  }

  #post(slot: Slot, message: ToDnsThread): void {
    try {
      slot.worker?.postMessage(message);
    } catch (err) {
      this.#logger.error({ err, thread: slot.index }, 'cannot send to a DNS thread');
    }
  }

  #settleOk(slot: Slot, address: AddressInfo): void {
    const waiter = slot.waiter;
    slot.waiter = null;
    waiter?.resolve(address);
  }

  #settle(slot: Slot, error: PoolStartError): void {
    const waiter = slot.waiter;
    slot.waiter = null;
    waiter?.reject(error);
  }

  /** Asks every thread to close its sockets and report its last counts, then ends it. */
  async #stopAll(): Promise<void> {
    await Promise.all(
      this.#slots.map(async (slot) => {
        if (slot.restartTimer) clearTimeout(slot.restartTimer);
        slot.restartTimer = null;
        if (slot.startTimer) clearTimeout(slot.startTimer);
        const worker = slot.worker;
        if (worker === null) return;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
          slot.onClosed = () => {
            clearTimeout(timer);
            resolve();
          };
          if (slot.started) this.#post(slot, { type: 'close' });
          else resolve();
        });
        slot.onClosed = null;
        slot.relay?.close();
        slot.relay = null;
        slot.worker = null;
        slot.listening = false;
        slot.started = false;
        this.#settle(slot, new PoolStartError(`DNS thread ${slot.index} stopped`));
        await worker.terminate();
      }),
    );
  }
}
