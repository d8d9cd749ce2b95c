// Messages between the DNS thread pool (pool.ts, main thread) and each DNS thread
// (dns-thread.ts). Record sets travel over the transfer channel (transfer/channel.ts): pulled
// chunks, so no message stalls a thread for long, and only the changes once a thread holds a set.
import type { Config } from '../../config/types.ts';
import type { LoadInfo } from '../../records/store.ts';
import type { TransferMessage, TransferPull } from '../../transfer/channel.ts';
import type { RelayBatch, RelayRequest } from '../transfer/relay.ts';
import type { TallyDelta } from './query-tally.ts';

/** Given to each thread at start (workerData). */
export interface DnsThreadData {
  readonly config: Config;
  /** The main logger's level name; the thread logs only what the main thread would. */
  readonly logLevel: string;
  readonly index: number;
  /** How often the thread reports its counts, ms. */
  readonly reportMs: number;
  /** Zone transfers go to the main thread (relay.ts); false: every transfer is refused. */
  readonly relayTransfers: boolean;
}

/**
 * What crosses with a set. The transfer id is the main store's generation; a delta's base is
 * the generation (as a string) the thread last swapped in.
 */
export interface ThreadSetMeta {
  readonly info: LoadInfo;
}

export type ToDnsThread =
  /** A new set (a newer one replaces one in flight); at its end the thread swaps it in. */
  | TransferMessage<ThreadSetMeta>
  | { readonly type: 'listen'; readonly port: number }
  | { readonly type: 'flush'; readonly id: number }
  /** Messages of a zone transfer the thread relayed (relay.ts). */
  | RelayBatch
  | { readonly type: 'close' };

export type FromDnsThread =
  /** Modules loaded, handler built; ready for a record set or `listen`. */
  | { readonly type: 'started' }
  /** Send the next chunk (pulled after a full event-loop turn on the thread). */
  | TransferPull
  | { readonly type: 'set-swapped'; readonly gen: number }
  /** The thread could not apply transfer `gen` and dropped it; it needs the set whole. */
  | { readonly type: 'set-failed'; readonly gen: number; readonly message: string }
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
  | { readonly type: 'closed'; readonly delta: TallyDelta | null }
  /** A zone transfer request for the main thread to answer, and its flow control. */
  | RelayRequest;
