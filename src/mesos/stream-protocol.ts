// Messages between the main thread (streamer.ts) and the stream worker (stream-worker.ts).
import type { ApiBody } from '../records/api-bodies.ts';
import type { SerializedStateError } from './errors.ts';
import type { TransferMessage, TransferPull } from '../transfer/channel.ts';
import type { LoadParams } from './reload-protocol.ts';

/** The load worker's parameters (masters, client, generation, lookups, chunks), and the stream's. */
export interface StreamParams extends Omit<LoadParams, 'previousDigest'> {
  /** Largest single RecordIO record accepted (a SUBSCRIBED snapshot is one record). */
  readonly maxRecordBytes: number;
  /** Events arriving within this window after the first are applied and swapped as one. */
  readonly coalesceMs: number;
  /** The stream is dead after this many heartbeat intervals without a record. */
  readonly heartbeatMisses: number;
  /** After a failover, records of agents that have not reregistered are kept this long. */
  readonly recoveryWaitMs: number;
  /** First resubscription delay (jittered, doubling up to maxBackoffMs). */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
}

/** Why a subscription ended. */
export type StreamEndCause =
  | 'silence'
  | 'closed'
  | 'error'
  | 'malformed'
  | 'too-large'
  | 'redirect'
  | 'recovering'
  | 'leader-changed'
  | 'unsupported'
  | 'stopped';

export type ToStreamWorker =
  | { readonly type: 'start'; readonly params: StreamParams }
  /** The leader source moved: resubscribe with these candidates. */
  | {
      readonly type: 'candidates';
      readonly candidates: readonly string[];
      readonly masters: readonly string[];
    }
  | TransferPull
  /** The main thread cannot apply a delta (its set in service is not the stream's): send whole. */
  | { readonly type: 'resync'; readonly id: number }
  /** An API body of the model's records, rendered on request. */
  | { readonly type: 'render'; readonly id: number; readonly body: ApiBody }
  | { readonly type: 'stop' };

export interface BatchInfo {
  /** "snapshot": a new subscription's whole state; "events": changes since the last batch. */
  readonly cause: 'snapshot' | 'events';
  readonly master: string;
  /** "host:port" of the leader (the master streaming). */
  readonly leader: string;
  readonly events: number;
  /** Status timestamps (seconds) of the task events in the batch, for the propagation delay. */
  readonly statusTimes: readonly number[];
  readonly builtMs: number;
  readonly warnings: readonly string[];
}

/** Name both ends give the set a stream delta applies to: the last one the stream put in service. */
export const STREAM_BASE = 'stream';

export type FromStreamWorker =
  /** A batch of changed records, whole or as a delta, pulled chunk by chunk (transfer/channel.ts). */
  | TransferMessage<BatchInfo>
  | {
      readonly type: 'rendered';
      readonly id: number;
      readonly chunks: readonly Uint8Array[] | null;
    }
  | {
      readonly type: 'subscribed';
      readonly master: string;
      readonly heartbeatSeconds: number;
      readonly recoveredAgents: number;
    }
  | {
      readonly type: 'ended';
      readonly cause: StreamEndCause;
      readonly master: string;
      readonly error: SerializedStateError | null;
      readonly retryMs: number;
    }
  /** Events received since the last report, by type, and when the last event and heartbeat came. */
  | {
      readonly type: 'events';
      readonly counts: Readonly<Record<string, number>>;
      readonly lastEventAtMs: number;
      readonly lastHeartbeatAtMs: number;
    }
  /**
   * A record announced a length over `maxRecordBytes`; the subscription ends ('too-large').
   * `snapshot`: it was the subscription's first record, the SUBSCRIBED snapshot.
   */
  | {
      readonly type: 'record-too-large';
      readonly master: string;
      readonly recordBytes: number;
      readonly limitBytes: number;
      readonly snapshot: boolean;
    }
  /** A master sent nothing within stateHeadersTimeoutSeconds; the next one is asked. */
  | { readonly type: 'master-silent'; readonly master: string; readonly message: string }
  /** No master serves the v1 operator API (every candidate answered 404/405/501). */
  | { readonly type: 'unsupported'; readonly message: string };
