// Messages between the main thread (state-loader.ts) and the load worker (reload-worker.ts).
import type { ApiBody } from '../records/api-bodies.ts';
import type { GenerateOptions } from '../records/generate.ts';
import type { SerializedStateError } from './errors.ts';
import type { TransferMessage, TransferPull } from '../transfer/channel.ts';
import type { StateClientOptions } from './state-client-options.ts';

/** Generation options that cross the thread boundary (no functions; hosts are resolved there). */
export type WorkerGenerateOptions = Omit<GenerateOptions, 'resolvedHosts' | 'warn'>;

export interface LoadParams {
  /** Masters to ask, in order ("host:port"). */
  readonly candidates: readonly string[];
  readonly client: StateClientOptions;
  readonly generate: WorkerGenerateOptions;
  /** Deadline of each host name lookup. */
  readonly resolveTimeoutMs: number;
  /** Weighted entries per transfer message. */
  readonly chunkBudget?: number;
  /** Digest of the set in service; a load that generates the same set answers 'unchanged'. */
  readonly previousDigest?: string;
  /**
   * Records are in service (this worker's or another source's): the work is background work
   * from its start (thread-priority.ts, lowerThisThread). Until then a worker runs at the
   * priority it was made with, and lowers itself once its first set is in service.
   */
  readonly serving?: boolean;
}

export interface LoadTimings {
  readonly fetchMs: number;
  readonly resolveMs: number;
  readonly generateMs: number;
}

/** What crosses with a changed set (transfer-begin's meta). */
export interface LoadMeta {
  readonly master: string;
  readonly leader: string;
  readonly digest: string;
  readonly warnings: readonly string[];
  readonly timings: LoadTimings;
}

export type ToWorker =
  | { readonly type: 'load'; readonly id: number; readonly params: LoadParams }
  | TransferPull
  /** An API body (/v1/enumerate, /v1/axfr's records) of the set with this digest, rendered on request. */
  | {
      readonly type: 'render';
      readonly id: number;
      readonly digest: string;
      readonly body: ApiBody;
    };

export type FromWorker =
  | {
      readonly type: 'rendered';
      readonly id: number;
      /** The body in UTF-8 chunks (records/api-bodies.ts); null when the worker no longer holds that set. */
      readonly chunks: readonly Uint8Array[] | null;
    }
  /** During a load: a master sent nothing within stateHeadersTimeoutSeconds; the next is asked. */
  | {
      readonly type: 'master-silent';
      readonly id: number;
      readonly master: string;
      readonly message: string;
    }
  /** The load generated the set the main thread already serves: nothing to transfer. */
  | ({ readonly type: 'unchanged'; readonly id: number } & LoadMeta)
  /** A changed set, whole or as a delta, pulled chunk by chunk (transfer/channel.ts). */
  | TransferMessage<LoadMeta>
  | { readonly type: 'error'; readonly id: number; readonly error: SerializedStateError };
