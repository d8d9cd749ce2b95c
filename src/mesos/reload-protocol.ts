// Messages between the main thread (state-loader.ts) and the load worker (reload-worker.ts).
import type { GenerateOptions } from '../records/generate.ts';
import type { SerializedStateError } from './errors.ts';
import type { RecordChunk, RecordSetHeader } from '../transfer/record-transfer.ts';
import type { StateClientOptions } from './state-client.ts';

/** Generation options that cross the thread boundary (no functions; hosts are resolved there). */
export type WorkerGenerateOptions = Omit<GenerateOptions, 'resolvedHosts' | 'warn'>;

export interface LoadParams {
  /** Masters to ask, in order ("host:port"). */
  readonly candidates: readonly string[];
  readonly client: StateClientOptions;
  readonly generate: WorkerGenerateOptions;
  /** Deadline of each host name lookup. */
  readonly resolveTimeoutMs: number;
  /** Module exporting `generate` (default ../records/generate); tests substitute their own. */
  readonly generatorUrl?: string;
  /** Weighted entries per transfer message. */
  readonly chunkBudget?: number;
  /** Digest of the set in service; a load that generates the same set answers 'unchanged'. */
  readonly previousDigest?: string;
}

export interface LoadTimings {
  readonly fetchMs: number;
  readonly resolveMs: number;
  readonly generateMs: number;
}

export type ToWorker =
  | { readonly type: 'load'; readonly id: number; readonly params: LoadParams }
  | { readonly type: 'next'; readonly id: number }
  /** /v1/enumerate's body for the set with this digest, rendered on request. */
  | { readonly type: 'enumerate'; readonly id: number; readonly digest: string };

export type FromWorker =
  | {
      readonly type: 'enumeration';
      readonly id: number;
      /** null when the worker no longer holds that set. */
      readonly fragments: readonly string[] | null;
    }
  | {
      readonly type: 'header';
      readonly id: number;
      readonly master: string;
      readonly leader: string;
      readonly header: RecordSetHeader;
      readonly digest: string;
      readonly warnings: readonly string[];
      readonly timings: LoadTimings;
    }
  | {
      readonly type: 'unchanged';
      readonly id: number;
      readonly master: string;
      readonly leader: string;
      readonly digest: string;
      readonly warnings: readonly string[];
      readonly timings: LoadTimings;
    }
  | { readonly type: 'chunk'; readonly id: number; readonly chunk: RecordChunk }
  | { readonly type: 'done'; readonly id: number }
  | { readonly type: 'error'; readonly id: number; readonly error: SerializedStateError };
