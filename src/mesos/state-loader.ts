// Main-thread side of the load worker: one long-lived worker, one load at a time. Receives the
// RecordSet over the transfer channel (transfer/channel.ts), which pulls chunk by chunk so DNS
// I/O interleaves.
import type { ApiBody } from '../records/api-bodies.ts';
import { Worker } from 'node:worker_threads';
import type { RecordSet } from '../records/recordset.ts';
import { deserializeStateError, StateWorkerError } from './errors.ts';
import { isTransferMessage, TransferReceiver, type TransferMessage } from '../transfer/channel.ts';
import type { FromWorker, LoadMeta, LoadParams, LoadTimings, ToWorker } from './reload-protocol.ts';

export interface LoadOutcome {
  /** The new set, or null when it equals the one in service (`previousDigest` matched). */
  readonly set: RecordSet | null;
  /**
   * The name the load worker keeps the set under: its fingerprint (see recordSetDigest), or, for
   * a set sent before it was fingerprinted (a first load), a name unique to the load.
   */
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
   * An API body (records/api-bodies.ts chunks) of the set with `digest`, from where
   * it is kept; null when no longer available. Optional: loaders that send it with the set omit it.
   */
  render?(digest: string, body: ApiBody): Promise<readonly Uint8Array[] | null>;
  /**
   * `base`: the set in service (digest `params.previousDigest`), which a delta applies to.
   * `onSilent` hears of each master skipped for sending nothing, as it happens.
   */
  load(
    params: LoadParams,
    base?: RecordSet | null,
    onSilent?: (master: string, message: string) => void,
  ): Promise<LoadOutcome>;
  close(): Promise<void>;
}

const ownExtension = import.meta.url.slice(import.meta.url.lastIndexOf('.'));
/** reload-worker.ts next to this file in development, reload-worker.js in dist. */
export const defaultWorkerUrl = new URL(`./reload-worker${ownExtension}`, import.meta.url);

/**
 * The load worker's young generation (V8 `maxYoungGenerationSizeMb`; the default is 48 MB). A
 * load allocates a state tree that lives until the set is generated, so a large young space only
 * copies it and then stays resident: 34 MB of the worker at 10,000 tasks with 2 s reloads, for
 * loads no faster than with this one (median 0.76 s against 1.06 s at 10,000 tasks, 3.6 s against
 * 3.5 s at 50,000).
 */
export const LOAD_WORKER_YOUNG_GENERATION_MB = 6;

interface Pending {
  readonly id: number;
  readonly resolve: (outcome: LoadOutcome) => void;
  readonly reject: (error: Error) => void;
  /** The set in service, which a delta applies to, and its digest. */
  readonly base: RecordSet | null;
  readonly baseDigest: string | undefined;
  transferStarted: number;
  readonly onSilent: ((master: string, message: string) => void) | undefined;
}

export interface WorkerStateLoaderOptions {
  /** The worker module (default reload-worker next to this file); tests substitute a wrapper. */
  readonly workerUrl?: URL;
}

export class WorkerStateLoader implements StateLoader {
  readonly #workerUrl: URL;
  #worker: Worker | null = null;
  #pending: Pending | null = null;
  /** Enumeration requests in flight; answered null when the worker goes away. */
  readonly #renders = new Map<number, (chunks: readonly Uint8Array[] | null) => void>();
  #nextId = 1;
  #starts = 0;
  #closed = false;
  readonly #receiver = new TransferReceiver<LoadMeta>((pull) => this.#post(pull));

  constructor(options: WorkerStateLoaderOptions = {}) {
    this.#workerUrl = options.workerUrl ?? defaultWorkerUrl;
  }

  /** Workers started so far (1 + restarts after crashes). */
  get workerStarts(): number {
    return this.#starts;
  }

  /** The running worker's thread id, or null when none runs (tests use it to crash it). */
  get workerThreadId(): number | null {
    return this.#worker?.threadId ?? null;
  }

  /**
   * Starts the worker thread now rather than with the first load: a thread and its modules take
   * ~0.2 s to start (more than the main thread takes to load the server and listen), which the
   * first load then does not wait for. The thread starts at the priority of the thread that
   * calls this (thread-priority.ts: a first load runs at normal priority).
   */
  start(): void {
    if (!this.#closed) this.#ensureWorker();
  }

  load(
    params: LoadParams,
    base: RecordSet | null = null,
    onSilent?: (master: string, message: string) => void,
  ): Promise<LoadOutcome> {
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
        baseDigest: params.previousDigest,
        transferStarted: 0,
        onSilent,
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
    const worker = new Worker(this.#workerUrl, {
      resourceLimits: { maxYoungGenerationSizeMb: LOAD_WORKER_YOUNG_GENERATION_MB },
    });
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
      // Only the current worker's exit fails a round (the next load starts a fresh worker).
      if (this.#worker !== worker) return;
      this.#worker = null;
      for (const resolve of this.#renders.values()) resolve(null);
      this.#renders.clear();
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
    this.#receiver.cancel();
    this.#worker?.unref();
    pending.reject(error);
  }

  render(digest: string, body: ApiBody): Promise<readonly Uint8Array[] | null> {
    const worker = this.#worker;
    if (worker === null || this.#closed) return Promise.resolve(null);
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#renders.set(id, resolve);
      worker.postMessage({ type: 'render', id, digest, body } satisfies ToWorker);
    });
  }

  #onMessage(worker: Worker, message: FromWorker): void {
    if (message.type === 'rendered') {
      this.#renders.get(message.id)?.(message.chunks);
      this.#renders.delete(message.id);
      return;
    }
    const pending = this.#pending;
    if (pending?.id !== message.id || worker !== this.#worker) return;
    if (isTransferMessage(message)) {
      this.#onTransfer(pending, message as TransferMessage<LoadMeta>);
      return;
    }
    switch (message.type) {
      case 'master-silent':
        pending.onSilent?.(message.master, message.message);
        return;
      case 'error':
        this.#fail(deserializeStateError(message.error));
        return;
      case 'unchanged': {
        this.#pending = null;
        worker.unref();
        pending.resolve(outcome(null, 'none', message, 0));
        return;
      }
    }
  }

  #onTransfer(pending: Pending, message: TransferMessage<LoadMeta>): void {
    if (message.type === 'transfer-begin') pending.transferStarted = performance.now();
    let received;
    try {
      received = this.#receiver.receive(message, (digest) =>
        digest === pending.baseDigest ? pending.base : null,
      );
    } catch (error) {
      this.#fail(new StateWorkerError(String(error), ''));
      return;
    }
    if (received === null) return;
    this.#pending = null;
    this.#worker?.unref();
    pending.resolve(
      outcome(
        received.set,
        received.header.base === undefined ? 'full' : 'delta',
        received.meta,
        performance.now() - pending.transferStarted,
      ),
    );
  }
}

function outcome(
  set: RecordSet | null,
  transfer: LoadOutcome['transfer'],
  meta: LoadMeta,
  transferMs: number,
): LoadOutcome {
  return {
    set,
    digest: meta.digest,
    transfer,
    master: meta.master,
    leader: meta.leader,
    warnings: meta.warnings,
    timings: { ...meta.timings, transferMs },
  };
}
