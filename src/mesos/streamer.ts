// Main-thread side of stream mode (stateSource "subscribe"): runs the stream worker, swaps each
// batch it sends into the record store — a delta laid over the set in service, or a whole set —
// and reports subscriptions, their ends and the events to metrics and logs. Any disconnect keeps
// the records in service; the worker resubscribes by itself.
import type { ApiBody } from '../records/api-bodies.ts';
import { constants } from 'node:buffer';
import { Worker } from 'node:worker_threads';
import { Backoff } from '../backoff.ts';
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import type { Config } from '../config/types.ts';
import type { Logger } from '../log.ts';
import { totalRecords } from '../records/record-counts.ts';
import type { RecordStore } from '../records/store.ts';
import { deserializeStateError } from './errors.ts';
import type { LeaderSource, MasterView } from './leader.ts';
import { candidateMasters } from './masters-list.ts';
import { loadParamsFromConfig } from './poller.ts';
import { LOAD_WORKER_YOUNG_GENERATION_MB } from './state-loader.ts';
import {
  isTransferMessage,
  TransferReceiver,
  type Received,
  type TransferMessage,
} from '../transfer/channel.ts';
import {
  STREAM_BASE,
  type BatchInfo,
  type FromStreamWorker,
  type StreamEndCause,
  type StreamParams,
  type ToStreamWorker,
} from './stream-protocol.ts';

const ownExtension = import.meta.url.slice(import.meta.url.lastIndexOf('.'));
export const defaultStreamWorkerUrl = new URL(`./stream-worker${ownExtension}`, import.meta.url);

/** What the streamer reports to metrics. */
export interface StreamMetrics {
  streamEvents(
    counts: Readonly<Record<string, number>>,
    lastEventAtMs: number,
    lastHeartbeatAtMs: number,
  ): void;
  streamSubscribed(): void;
  streamEnded(cause: string): void;
  streamPropagated(seconds: number): void;
  /** A stream record of this many bytes was refused (over the limit); 0 again on SUBSCRIBED. */
  streamRecordTooLarge(recordBytes: number): void;
  masterSilent(): void;
}

export interface StateStreamerOptions {
  readonly store: RecordStore;
  readonly source: LeaderSource;
  /** Everything but the candidates, which come from `source`. */
  readonly params: Omit<StreamParams, 'candidates'>;
  readonly logger: Logger;
  readonly metrics?: StreamMetrics;
  readonly clock?: Clock;
  readonly workerUrl?: URL;
  /** Called once when no master serves the v1 API (stateSource "auto" falls back to polling). */
  readonly onUnsupported?: (message: string) => void;
  /**
   * Called once when the SUBSCRIBED snapshot is over the record limit (stateSource "auto" falls
   * back to polling, whose body is about half the size). Without it the streamer resubscribes
   * with back-off and keeps the last records in service.
   */
  readonly onTooLarge?: (message: string) => void;
}

export interface StreamerStatus {
  /** Subscriptions that reached SUBSCRIBED. */
  readonly subscriptions: number;
  readonly ends: Readonly<Partial<Record<StreamEndCause, number>>>;
  /** Batches swapped in: snapshots and event batches. */
  readonly snapshots: number;
  readonly batches: number;
  /** "host:port" streaming now, or null between subscriptions. */
  readonly master: string | null;
  readonly lastError: string | null;
  readonly events: Readonly<Record<string, number>>;
}

export class StateStreamer {
  readonly #o: StateStreamerOptions;
  readonly #clock: Clock;
  #worker: Worker | null = null;
  readonly #receiver = new TransferReceiver<BatchInfo>((pull) => this.#post(pull));
  /** performance.now() when the batch being received began. */
  #receiveStarted = 0;
  /** Restarts of a worker that died; reset once a restarted one subscribes. */
  readonly #restartBackoff = new Backoff({ initialMs: 1000, maxMs: 30_000, jitter: 0.5 });
  /** The store generation this streamer last swapped in: deltas apply only on top of it. */
  #swappedGeneration = -1;
  #stopped = true;
  #listening = false;
  #restartTimer: NodeJS.Timeout | null = null;
  readonly #renders = new Map<number, (c: readonly Uint8Array[] | null) => void>();
  #nextId = 1;
  #subscriptions = 0;
  readonly #ends: Partial<Record<StreamEndCause, number>> = {};
  #snapshots = 0;
  #batches = 0;
  #master: string | null = null;
  #lastError: string | null = null;
  readonly #events: Record<string, number> = {};
  #unsupportedReported = false;
  /** An over-limit record was logged; quiet until a subscription works again. */
  #tooLargeReported = false;

  constructor(options: StateStreamerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
  }

  get status(): StreamerStatus {
    return {
      subscriptions: this.#subscriptions,
      ends: { ...this.#ends },
      snapshots: this.#snapshots,
      batches: this.#batches,
      master: this.#master,
      lastError: this.#lastError,
      events: { ...this.#events },
    };
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    if (!this.#listening) {
      this.#listening = true;
      this.#o.source.onChange((view) => this.#onSourceChange(view));
    }
    this.#startWorker();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    const worker = this.#worker;
    this.#worker = null;
    for (const resolve of this.#renders.values()) resolve(null);
    this.#renders.clear();
    if (worker === null) return;
    // The worker keeps nothing worth a graceful goodbye: the master ends the stream itself.
    await worker.terminate();
  }

  /** An API body (records/api-bodies.ts) of the set in service, when this streamer put it there. */
  render(body: ApiBody): Promise<readonly Uint8Array[] | null> {
    const worker = this.#worker;
    if (worker === null || this.#swappedGeneration !== this.#o.store.generation) {
      return Promise.resolve(null);
    }
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#renders.set(id, resolve);
      worker.postMessage({ type: 'render', id, body } satisfies ToStreamWorker);
    });
  }

  #candidates(view: MasterView): { candidates: string[]; masters: readonly string[] } {
    return {
      candidates: candidateMasters(view),
      masters: view.masters.length > 0 ? view.masters : this.#o.params.generate.masters,
    };
  }

  #onSourceChange(view: MasterView): void {
    if (view.leader === null || view.leader === this.#master) return;
    this.#o.logger.info({ leader: view.leader }, 'leading master changed; resubscribing');
    const { candidates, masters } = this.#candidates(view);
    this.#post({ type: 'candidates', candidates, masters });
  }

  #post(message: ToStreamWorker): void {
    this.#worker?.postMessage(message);
  }

  #startWorker(): void {
    // The same small young generation as the load worker's: the snapshot's tree outlives it.
    const worker = new Worker(this.#o.workerUrl ?? defaultStreamWorkerUrl, {
      resourceLimits: { maxYoungGenerationSizeMb: LOAD_WORKER_YOUNG_GENERATION_MB },
    });
    this.#worker = worker;
    worker.on('message', (message: FromStreamWorker) => {
      if (this.#worker === worker) this.#onMessage(message);
    });
    worker.on('error', (error) => {
      if (this.#worker !== worker) return;
      this.#o.logger.error({ err: error.message }, 'stream worker failed; restarting it');
    });
    worker.on('exit', (code) => {
      if (this.#worker !== worker) return;
      this.#worker = null;
      this.#receiver.cancel();
      if (this.#stopped) return;
      const delayMs = Math.round(this.#restartBackoff.next());
      this.#o.logger.error(
        { code, restartInMs: delayMs },
        'stream worker exited; keeping the last records, restarting',
      );
      this.#restartTimer = setTimeout(() => {
        this.#restartTimer = null;
        if (!this.#stopped) this.#startWorker();
      }, delayMs);
    });
    const { candidates, masters } = this.#candidates(this.#o.source.current());
    const params: StreamParams = {
      ...this.#o.params,
      candidates,
      generate: { ...this.#o.params.generate, masters },
      serving: this.#o.store.current !== null,
    };
    worker.postMessage({ type: 'start', params } satisfies ToStreamWorker);
  }

  #onMessage(message: FromStreamWorker): void {
    const { logger, store, metrics } = this.#o;
    if (isTransferMessage(message)) {
      this.#onTransfer(message as TransferMessage<BatchInfo>);
      return;
    }
    switch (message.type) {
      case 'rendered':
        this.#renders.get(message.id)?.(message.chunks);
        this.#renders.delete(message.id);
        return;
      case 'subscribed':
        this.#restartBackoff.reset();
        this.#tooLargeReported = false;
        this.#subscriptions++;
        this.#master = message.master;
        this.#lastError = null;
        metrics?.streamSubscribed();
        logger.info(
          {
            master: message.master,
            heartbeatSeconds: message.heartbeatSeconds,
            recoveredAgents: message.recoveredAgents,
          },
          'subscribed to the master event stream',
        );
        return;
      case 'ended': {
        this.#ends[message.cause] = (this.#ends[message.cause] ?? 0) + 1;
        this.#master = null;
        metrics?.streamEnded(message.cause);
        if (message.cause === 'stopped' || message.cause === 'leader-changed') return;
        const error = message.error === null ? null : deserializeStateError(message.error);
        this.#lastError = error?.message ?? message.cause;
        store.recordFailure({ atMs: this.#clock.now(), message: this.#lastError });
        // An over-limit record was said once, clearly ('record-too-large'); the ends it causes
        // until a subscription works again are routine.
        (message.cause === 'too-large' ? logger.debug.bind(logger) : logger.warn.bind(logger))(
          {
            cause: message.cause,
            master: message.master,
            err: error?.message,
            retryInMs: message.retryMs,
            keeping: store.current === null ? 'no records yet' : 'last good records',
          },
          'master event stream ended; resubscribing',
        );
        return;
      }
      case 'events':
        for (const [type, n] of Object.entries(message.counts)) {
          this.#events[type] = (this.#events[type] ?? 0) + n;
        }
        metrics?.streamEvents(message.counts, message.lastEventAtMs, message.lastHeartbeatAtMs);
        return;
      case 'record-too-large':
        this.#onTooLarge(message);
        return;
      case 'master-silent':
        logger.warn(
          { master: message.master, err: message.message },
          'master sent nothing within stateHeadersTimeoutSeconds; asking the next one',
        );
        metrics?.masterSilent();
        return;
      case 'unsupported':
        if (this.#unsupportedReported) return;
        this.#unsupportedReported = true;
        this.#o.onUnsupported?.(message.message);
        return;
    }
  }

  #onTooLarge(message: Extract<FromStreamWorker, { type: 'record-too-large' }>): void {
    const { logger, metrics, onTooLarge } = this.#o;
    metrics?.streamRecordTooLarge(message.recordBytes);
    if (this.#tooLargeReported) return;
    this.#tooLargeReported = true;
    const what = message.snapshot
      ? 'the master event stream snapshot (SUBSCRIBED)'
      : 'a master event stream record';
    const fields = {
      master: message.master,
      recordBytes: message.recordBytes,
      limitBytes: message.limitBytes,
      hint: `a stream record may be ${STREAM_RECORD_FACTOR} × stateMaxBytes (at most ${MAX_STREAM_RECORD_BYTES} bytes); raise stateMaxBytes to follow the stream`,
    };
    if (message.snapshot && onTooLarge !== undefined) {
      logger.error(fields, `${what} is over the record limit; polling /master/state instead`);
      onTooLarge(`${what} of ${message.recordBytes} bytes is over ${message.limitBytes}`);
      return;
    }
    logger.error(
      {
        ...fields,
        keeping: this.#o.store.current === null ? 'no records yet' : 'last good records',
      },
      `${what} is over the record limit; resubscribing with back-off`,
    );
  }

  #onTransfer(message: TransferMessage<BatchInfo>): void {
    if (message.type === 'transfer-begin') this.#receiveStarted = performance.now();
    let received: Received<BatchInfo> | null;
    try {
      received = this.#receiver.receive(message, (base) =>
        // A delta applies only on top of the set this streamer last swapped in.
        base === STREAM_BASE && this.#swappedGeneration === this.#o.store.generation
          ? this.#o.store.current
          : null,
      );
    } catch {
      // The set in service is not the one the worker's delta is against: ask for it whole.
      this.#post({ type: 'resync', id: message.id });
      return;
    }
    if (received !== null) this.#swap(received);
  }

  #swap(received: Received<BatchInfo>): void {
    const { store, logger, metrics, source } = this.#o;
    const { set, meta: info } = received;
    const nowMs = this.#clock.now();
    store.swap(set, {
      atMs: nowMs,
      durationMs: Math.round(info.builtMs + performance.now() - this.#receiveStarted),
      master: info.master,
      tasks: set.counts.tasks,
      records: totalRecords(set),
    });
    this.#swappedGeneration = store.generation;
    if (metrics) for (const t of info.statusTimes) metrics.streamPropagated(nowMs / 1000 - t);
    if (info.cause === 'snapshot') {
      this.#snapshots++;
      if (info.leader !== '') source.noteLeader(info.leader);
      logger.info(
        {
          master: info.master,
          tasks: set.counts.tasks,
          records: totalRecords(set),
          builtMs: Math.round(info.builtMs),
        },
        'event stream snapshot in service',
      );
    } else {
      this.#batches++;
      logger.debug(
        { events: info.events, tasks: set.counts.tasks },
        'event stream changes in service',
      );
    }
    if (info.warnings.length > 0) {
      logger.warn(
        { count: info.warnings.length, first: info.warnings.slice(0, 5) },
        'event stream warnings',
      );
    }
  }
}

/**
 * A stream record may be this many times stateMaxBytes: the v1 JSON of a state (the SUBSCRIBED
 * snapshot is one record) is about 2.2 times its /master/state body, so a limit sized for the
 * state body lets the stream of the same cluster through.
 */
export const STREAM_RECORD_FACTOR = 3;
/** A record is decoded as one string: no longer than V8's longest (2^29 - 24 on 64-bit). */
export const MAX_STREAM_RECORD_BYTES = constants.MAX_STRING_LENGTH;

/** The largest stream record accepted with this stateMaxBytes. */
export function streamRecordLimit(stateMaxBytes: number): number {
  return Math.min(STREAM_RECORD_FACTOR * stateMaxBytes, MAX_STREAM_RECORD_BYTES);
}

/** Stream parameters from the config (the state client's, with the stream's own limits). */
export function streamParamsFromConfig(
  config: Config,
  nameserverAddresses: readonly string[],
): Omit<StreamParams, 'candidates'> {
  const load = loadParamsFromConfig(config, nameserverAddresses);
  return {
    client: load.client,
    generate: load.generate,
    resolveTimeoutMs: load.resolveTimeoutMs,
    maxRecordBytes: streamRecordLimit(config.stateMaxBytes),
    coalesceMs: config.streamCoalesceMs,
    heartbeatMisses: 3,
    recoveryWaitMs: config.streamRecoverySeconds * 1000,
    backoffMs: 500,
    maxBackoffMs: 30_000,
  };
}
