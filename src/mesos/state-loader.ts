// Main-thread side of the load worker: one long-lived worker, one load at a time. Receives the
// RecordSet chunk by chunk, pulling the next only after a macrotask turn so DNS I/O interleaves.
import { Worker } from 'node:worker_threads';
import type { RecordSet } from '../records/recordset.ts';
import { deserializeStateError, StateWorkerError } from './errors.ts';
import { RecordSetAssembler } from '../transfer/record-transfer.ts';
import type { FromWorker, LoadParams, LoadTimings, ToWorker } from './reload-protocol.ts';

export interface LoadOutcome {
  /** The new set, or null when it equals the one in service (`previousDigest` matched). */
  readonly set: RecordSet | null;
  /** Fingerprint of the set this load generated (see recordSetDigest). */
  readonly digest: string;
  /** How the set crossed: whole, as changes against `base`, or not at all (unchanged). */
  readonly transfer: 'full' | 'delta' | 'none';
  /** "host:port" the state came from. */
  readonly master: string;
  /** "host:port" of the leader the state names. */
  readonly leader: string;
  /** Non-fatal problems from generation and host lookups. */
  readonly warnings: readonly string[];
  readonly timings: LoadTimings & { readonly transferMs: number };
}

/** What the poller needs from a loader; tests may substitute an in-process one. */
export interface StateLoader {
  /**
   * /v1/enumerate's body (enumeration-json.ts fragments) for the set with `digest`, from where
   * it is kept; null when no longer available. Optional: loaders that send it with the set omit it.
   */
  enumeration?(digest: string): Promise<readonly string[] | null>;
  /** `base`: the set in service (digest `params.previousDigest`), which a delta applies to. */
  load(params: LoadParams, base?: RecordSet | null): Promise<LoadOutcome>;
  close(): Promise<void>;
}

const ownExtension = import.meta.url.slice(import.meta.url.lastIndexOf('.'));
/** reload-worker.ts next to this file in development, reload-worker.js in dist. */
export const defaultWorkerUrl = new URL(`./reload-worker${ownExtension}`, import.meta.url);

interface Pending {
  readonly id: number;
  readonly resolve: (outcome: LoadOutcome) => void;
  readonly reject: (error: Error) => void;
  readonly base: RecordSet | null;
  assembler: RecordSetAssembler | null;
  header: Extract<FromWorker, { type: 'header' }> | null;
  transferStarted: number;
}

export interface WorkerStateLoaderOptions {
  readonly workerUrl?: URL;
  /**
   * End the worker after every load (default false). A fresh worker per round gives the parsed
   * state's memory back to the OS between rounds, but forgets the last set it sent, so every
   * changed load is a full transfer instead of a delta (deltaChunks) — which costs the serving
   * thread far more than the worker's memory costs the host.
   */
  readonly recycle?: boolean;
}

export class WorkerStateLoader implements StateLoader {
  readonly #workerUrl: URL;
  readonly #recycle: boolean;
  #worker: Worker | null = null;
  #pending: Pending | null = null;
  /** Enumeration requests in flight; answered null when the worker goes away. */
  readonly #enumerations = new Map<number, (fragments: readonly string[] | null) => void>();
  #nextId = 1;
  #starts = 0;
  #closed = false;

  constructor(options: WorkerStateLoaderOptions = {}) {
    this.#workerUrl = options.workerUrl ?? defaultWorkerUrl;
    this.#recycle = options.recycle ?? false;
  }

  /** Workers started so far (1 + restarts after crashes). */
  get workerStarts(): number {
    return this.#starts;
  }

  /** The running worker's thread id, or null when none runs (tests use it to crash it). */
  get workerThreadId(): number | null {
    return this.#worker?.threadId ?? null;
  }

  load(params: LoadParams, base: RecordSet | null = null): Promise<LoadOutcome> {
    if (this.#closed) return Promise.reject(new StateWorkerError('state loader is closed', ''));
    if (this.#pending !== null) {
      return Promise.reject(
        new StateWorkerError('a state load is already running; rounds must not overlap', ''),
      );
    }
    // "Unchanged" and deltas are both relative to a set the caller serves: without one, ask for
    // a full transfer.
    if (base === null) params = { ...params, previousDigest: undefined };
    const worker = this.#ensureWorker();
    return new Promise<LoadOutcome>((resolve, reject) => {
      const id = this.#nextId++;
      this.#pending = {
        id,
        resolve,
        reject,
        base,
        assembler: null,
        header: null,
        transferStarted: 0,
      };
      worker.ref();
      this.#post({ type: 'load', id, params });
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = null;
    this.#fail(new StateWorkerError('state loader closed during a load', ''));
    if (worker) await worker.terminate();
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(this.#workerUrl);
    this.#starts++;
    worker.unref();
    worker.on('message', (message: FromWorker) => this.#onMessage(worker, message));
    worker.on('error', (error) => {
      if (this.#worker !== worker) return;
      this.#fail(
        new StateWorkerError(`state load worker failed: ${error.message}`, '', { cause: error }),
      );
    });
    worker.on('messageerror', (error) => {
      this.#fail(
        new StateWorkerError(`state load worker sent an unreadable message: ${error.message}`, ''),
      );
    });
    worker.on('exit', (code) => {
      // A recycled worker ending is expected; only the current one's exit fails a round (the
      // next load starts a fresh worker).
      if (this.#worker !== worker) return;
      this.#worker = null;
      for (const resolve of this.#enumerations.values()) resolve(null);
      this.#enumerations.clear();
      this.#fail(new StateWorkerError(`state load worker exited (code ${code}) during a load`, ''));
    });
    this.#worker = worker;
    return worker;
  }

  #post(message: ToWorker): void {
    this.#worker?.postMessage(message);
  }

  #fail(error: Error): void {
    const pending = this.#pending;
    if (pending === null) return;
    this.#pending = null;
    this.#worker?.unref();
    this.#finishRound();
    pending.reject(error);
  }

  /** With recycling on, the worker that served the round ends; the next round starts another. */
  #finishRound(): void {
    const worker = this.#worker;
    if (!this.#recycle || worker === null) return;
    this.#worker = null;
    void worker.terminate();
  }

  enumeration(digest: string): Promise<readonly string[] | null> {
    const worker = this.#worker;
    if (worker === null || this.#closed) return Promise.resolve(null);
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#enumerations.set(id, resolve);
      worker.postMessage({ type: 'enumerate', id, digest } satisfies ToWorker);
    });
  }

  #onMessage(worker: Worker, message: FromWorker): void {
    if (message.type === 'enumeration') {
      this.#enumerations.get(message.id)?.(message.fragments);
      this.#enumerations.delete(message.id);
      return;
    }
    const pending = this.#pending;
    if (pending?.id !== message.id || worker !== this.#worker) return;
    switch (message.type) {
      case 'error':
        this.#fail(deserializeStateError(message.error));
        return;
      case 'unchanged':
        this.#pending = null;
        worker.unref();
        this.#finishRound();
        pending.resolve({
          set: null,
          digest: message.digest,
          transfer: 'none',
          master: message.master,
          leader: message.leader,
          warnings: message.warnings,
          timings: { ...message.timings, transferMs: 0 },
        });
        return;
      case 'header':
        pending.header = message;
        try {
          pending.assembler = new RecordSetAssembler(message.header, pending.base);
        } catch (error) {
          this.#fail(new StateWorkerError(String(error), ''));
          return;
        }
        pending.transferStarted = performance.now();
        break;
      case 'chunk':
        try {
          pending.assembler?.add(message.chunk);
        } catch (error) {
          this.#fail(new StateWorkerError(String(error), ''));
          return;
        }
        break;
      case 'done': {
        const header = pending.header;
        if (header === null || pending.assembler === null) {
          this.#fail(new StateWorkerError('state load worker finished without a header', ''));
          return;
        }
        this.#pending = null;
        worker.unref();
        this.#finishRound();
        pending.resolve({
          set: pending.assembler.finish(),
          digest: header.digest,
          transfer: header.header.base === undefined ? 'full' : 'delta',
          master: header.master,
          leader: header.leader,
          warnings: header.warnings,
          timings: { ...header.timings, transferMs: performance.now() - pending.transferStarted },
        });
        return;
      }
    }
    // Yield a full event-loop turn (timers and socket I/O run) before the next piece arrives.
    setImmediate(() => {
      if (this.#pending?.id === message.id) this.#post({ type: 'next', id: message.id });
    });
  }
}
