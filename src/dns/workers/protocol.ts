// Messages between the DNS thread pool (pool.ts, main thread) and each DNS thread
// (dns-thread.ts). Record sets travel in pulled chunks so no message stalls a thread for long.
import type { Config } from '../../config/types.ts';
import type { RecordChunk, RecordSetHeader } from '../../transfer/record-transfer.ts';
import type { LoadInfo } from '../../records/store.ts';
import type { TallyDelta } from './query-tally.ts';

/** Given to each thread at start (workerData). */
export interface DnsThreadData {
  readonly config: Config;
  /** The main logger's level name; the thread logs only what the main thread would. */
  readonly logLevel: string;
  readonly index: number;
  /** How often the thread reports its counts, ms. */
  readonly reportMs: number;
}

export type ToDnsThread =
  /** A new record set begins; chunks of an older `gen` still in flight are dropped. */
  | {
      readonly type: 'set-begin';
      readonly gen: number;
      readonly header: RecordSetHeader;
      readonly info: LoadInfo;
    }
  | { readonly type: 'set-chunk'; readonly gen: number; readonly chunk: RecordChunk }
  /** The set is complete: the thread swaps it in whole. */
  | { readonly type: 'set-end'; readonly gen: number }
  | { readonly type: 'listen'; readonly port: number }
  | { readonly type: 'flush'; readonly id: number }
  | { readonly type: 'close' };

export type FromDnsThread =
  /** Modules loaded, handler built; ready for a record set or `listen`. */
  | { readonly type: 'started' }
  /** Send the next chunk of `gen` (pulled after a full event-loop turn on the thread). */
  | { readonly type: 'set-next'; readonly gen: number }
  | { readonly type: 'set-swapped'; readonly gen: number }
  | {
      readonly type: 'listening';
      readonly address: string;
      readonly family: string;
      readonly port: number;
    }
  | { readonly type: 'listen-failed'; readonly message: string; readonly code: string }
  /** Counts since the last report; `flushId` answers a `flush`. */
  | { readonly type: 'counts'; readonly delta: TallyDelta | null; readonly flushId?: number }
  /** One pino JSON line, re-logged by the main thread's logger. */
  | { readonly type: 'log'; readonly line: string }
  | { readonly type: 'closed'; readonly delta: TallyDelta | null };
