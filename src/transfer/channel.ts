// The one transfer channel between threads: a sender ships a RecordSet, whole or as a delta
// against the set the receiver serves, in chunks (record-transfer.ts) that the receiver pulls;
// the receiver assembles them. The receiver asks for each further chunk only after a full
// event-loop turn, so a thread answering DNS serves its queued packets between chunks, and keeps
// one chunk requested ahead (PULL_AHEAD): the sender serialises the next chunk while the receiver
// deserialises this one, instead of the two threads taking turns. A new transfer replaces the one
// in flight on both sides. Used by the load worker (sender) and
// the main thread (receiver), and by the main thread (sender) and each DNS thread (receiver).
import type { RecordDelta, RecordSet } from '../records/recordset.ts';
import {
  DEFAULT_CHUNK_BUDGET,
  deltaChunks,
  recordChunks,
  recordSetHeader,
  RecordSetAssembler,
  stepChunks,
  type RecordChunk,
  type RecordSetHeader,
} from './record-transfer.ts';

/** Sender → receiver. `meta` is whatever the two ends agree to carry with the set. */
export type TransferMessage<M> =
  | {
      readonly type: 'transfer-begin';
      readonly id: number;
      readonly header: RecordSetHeader;
      readonly meta: M;
    }
  | { readonly type: 'transfer-chunk'; readonly id: number; readonly chunk: RecordChunk }
  | { readonly type: 'transfer-end'; readonly id: number };

/** Receiver → sender: send the next chunk of transfer `id`. */
export interface TransferPull {
  readonly type: 'transfer-next';
  readonly id: number;
}

/**
 * What to send: a set whole, or `delta` (`set` minus the receiver's set) against the set the
 * receiver knows as `base` (a digest, a generation: any name both ends use). A whole set may
 * carry `since`, its delta against the receiver's set `base` (one too large to lay over it):
 * its names follow the set, so that the receiver compares the two at the cost of those names.
 */
export type Outgoing =
  | {
      readonly set: RecordSet;
      readonly since?: { readonly delta: RecordDelta; readonly base: string };
    }
  | { readonly set: RecordSet; readonly delta: RecordDelta; readonly base: string };

export interface TransferStats {
  readonly kind: 'full' | 'delta';
  /** Chunk messages sent (begin and end not counted). */
  readonly chunks: number;
  /** Names sent: changed or added, and removed. */
  readonly names: number;
}

/**
 * Chunks the receiver keeps requested. Two: one being serialised by the sender while the other
 * is deserialised here. A receiver busy for a while may then find both queued and take them in
 * one turn, so a turn holds at most two chunks' deserialisation (a few ms at the default budget).
 */
const PULL_AHEAD = 2;

export function isTransferMessage(message: { readonly type: string }): boolean {
  return (
    message.type === 'transfer-begin' ||
    message.type === 'transfer-chunk' ||
    message.type === 'transfer-end'
  );
}

export class TransferSender<M> {
  readonly #post: (message: TransferMessage<M>) => void;
  readonly #budget: number;
  #current: {
    readonly id: number;
    readonly chunks: Iterator<RecordChunk>;
    stats: { kind: 'full' | 'delta'; chunks: number; names: number };
  } | null = null;
  #last: TransferStats | null = null;

  constructor(post: (message: TransferMessage<M>) => void, budget = DEFAULT_CHUNK_BUDGET) {
    this.#post = post;
    this.#budget = budget;
  }

  /** Starts transfer `id`, replacing any in flight; chunks follow as the receiver pulls. */
  send(id: number, outgoing: Outgoing, meta: M): void {
    const isDelta = 'delta' in outgoing;
    const since = 'delta' in outgoing ? undefined : outgoing.since;
    const header = recordSetHeader(outgoing.set);
    this.#current = {
      id,
      chunks: isDelta
        ? deltaChunks(outgoing.delta, this.#budget)
        : this.#whole(outgoing.set, since?.delta),
      stats: { kind: isDelta ? 'delta' : 'full', chunks: 0, names: 0 },
    };
    this.#post({
      type: 'transfer-begin',
      id,
      header: isDelta
        ? { ...header, base: outgoing.base }
        : since !== undefined
          ? { ...header, since: since.base }
          : header,
      meta,
    });
  }

  *#whole(set: RecordSet, since: RecordDelta | undefined): Generator<RecordChunk> {
    yield* recordChunks(set, this.#budget);
    if (since !== undefined) yield* stepChunks(since, this.#budget);
  }

  /**
   * Answers a pull with the next chunk, or the end. Returns true when this pull ended the
   * transfer; a pull for a replaced transfer is ignored.
   */
  pull(message: TransferPull): boolean {
    const current = this.#current;
    if (current?.id !== message.id) return false;
    const step = current.chunks.next();
    if (step.done === true) {
      this.#current = null;
      this.#last = current.stats;
      this.#post({ type: 'transfer-end', id: current.id });
      return true;
    }
    const chunk = step.value;
    current.stats.chunks++;
    current.stats.names +=
      chunk.kind === 'names'
        ? 0 // the set's own names are counted; these only say which of them differ
        : chunk.kind === 'remove'
          ? chunk.names.length
          : chunk.kind === 'packed'
            ? chunk.size
            : chunk.entries.length;
    this.#post({ type: 'transfer-chunk', id: current.id, chunk });
    return false;
  }

  /** Drops the transfer in flight (the receiver went away). */
  cancel(): void {
    this.#current = null;
  }

  /** What the last completed transfer sent. */
  get lastStats(): TransferStats | null {
    return this.#last;
  }
}

export interface Received<M> {
  readonly set: RecordSet;
  readonly header: RecordSetHeader;
  readonly meta: M;
}

export class TransferReceiver<M> {
  readonly #pull: (message: TransferPull) => void;
  #current: {
    readonly id: number;
    readonly header: RecordSetHeader;
    readonly meta: M;
    readonly assembler: RecordSetAssembler;
  } | null = null;

  constructor(pull: (message: TransferPull) => void) {
    this.#pull = pull;
  }

  /** The id of the transfer being assembled, or null. */
  get active(): number | null {
    return this.#current?.id ?? null;
  }

  /**
   * Takes one message. `base` is the set a delta applies to: the receiver's set in service,
   * when its name is `name` (null otherwise: the delta is refused). Returns the assembled set at
   * the end, else null. Throws on a message it cannot apply; that transfer is dropped.
   */
  receive(
    message: TransferMessage<M>,
    base: (name: string) => RecordSet | null = () => null,
  ): Received<M> | null {
    try {
      return this.#receive(message, base);
    } catch (error) {
      if (this.#current?.id === message.id) this.#current = null;
      throw error;
    }
  }

  #receive(
    message: TransferMessage<M>,
    base: (name: string) => RecordSet | null,
  ): Received<M> | null {
    switch (message.type) {
      case 'transfer-begin': {
        this.#current = null;
        const { header } = message;
        const known = header.base ?? header.since;
        const assembler = new RecordSetAssembler(header, known === undefined ? null : base(known));
        this.#current = { id: message.id, header, meta: message.meta, assembler };
        for (let i = 0; i < PULL_AHEAD; i++) this.#pullNext(message.id);
        return null;
      }
      case 'transfer-chunk':
        if (this.#current?.id !== message.id) return null;
        this.#current.assembler.add(message.chunk);
        this.#pullNext(message.id);
        return null;
      case 'transfer-end': {
        const current = this.#current;
        if (current?.id !== message.id) return null;
        this.#current = null;
        return { set: current.assembler.finish(), header: current.header, meta: current.meta };
      }
    }
  }

  /** Drops the transfer being assembled; its late chunks are ignored. */
  cancel(): void {
    this.#current = null;
  }

  /** Asks for the next chunk after a full event-loop turn, so queued I/O goes first. */
  #pullNext(id: number): void {
    setImmediate(() => {
      if (this.#current?.id === id) this.#pull({ type: 'transfer-next', id });
    });
  }
}
