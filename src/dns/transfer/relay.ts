// Zone transfers with `workers` > 1. The DNS threads own the port (SO_REUSEPORT), but the journal,
// the serial history and NOTIFY live with the record store on the main thread. A DNS thread hands
// each AXFR/IXFR request to the main thread (RelayClient); the main thread's TransferService
// answers it as it would a client of its own (RelayHost), and the messages come back in batches
// the thread pulls as its TCP connection takes them. Signed ordinary queries stay on the thread:
// they need only the keys.
import type { Logger } from '../../log.ts';
import type { Transport } from '../observer.ts';
import { ParsedQuery, parseQuery, TYPE_AXFR, TYPE_IXFR } from '../wire.ts';
import {
  TransferStream,
  type TransferResponder,
  type TransferService,
  type UnsignedAnswer,
} from './service.ts';

/** Thread → main. */
export type RelayRequest =
  | {
      readonly type: 'xfr-request';
      readonly id: number;
      readonly packet: Uint8Array;
      readonly transport: Transport;
      readonly peer: string;
    }
  /** The thread took the last batch: send the next. */
  | { readonly type: 'xfr-pull'; readonly id: number }
  /** The client went away: stop producing. */
  | { readonly type: 'xfr-cancel'; readonly id: number };

/** Main → thread: the next messages of transfer `id`; `done` after its last. */
export interface RelayBatch {
  readonly type: 'xfr-batch';
  readonly id: number;
  readonly messages: readonly Uint8Array[];
  readonly done: boolean;
}

/** Bytes of messages per batch at most (past one message): a few 16 KB messages per post. */
export const RELAY_BATCH_BYTES = 256 * 1024;

interface Pending {
  /** Batches received and not yet taken. */
  readonly queue: RelayBatch[];
  wake: (() => void) | null;
}

/** The DNS thread's side: the TransferResponder its handler uses. */
export class RelayClient implements TransferResponder {
  readonly #post: (message: RelayRequest) => void;
  readonly #signedQueries: TransferResponder;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;

  /**
   * `post` sends to the main thread; `signedQueries` answers signed ordinary queries here (a
   * TransferService with the keys and no zones).
   */
  constructor(post: (message: RelayRequest) => void, signedQueries: TransferResponder) {
    this.#post = post;
    this.#signedQueries = signedQueries;
  }

  /** Transfers waiting on the main thread. */
  get open(): number {
    return this.#pending.size;
  }

  respond(
    packet: Uint8Array,
    _q: ParsedQuery,
    transport: Transport,
    peer: string,
  ): Promise<Uint8Array> | TransferStream {
    const id = this.#nextId++;
    const pending: Pending = { queue: [], wake: null };
    this.#pending.set(id, pending);
    // A copy: the packet is a view into the connection's read buffer.
    this.#post({ type: 'xfr-request', id, packet: Uint8Array.from(packet), transport, peer });
    const messages = this.#messages(id, pending);
    if (transport === 'udp') {
      // One message over UDP (the SOA alone or a refusal); none if the thread closes first.
      return messages.next().then(async (first) => {
        await messages.return(undefined);
        if (first.done === true) throw new Error('DNS thread closing: transfer dropped');
        return first.value;
      });
    }
    return new TransferStream(messages);
  }

  signed(
    packet: Uint8Array,
    q: ParsedQuery,
    transport: Transport,
    peer: string,
    answer: UnsignedAnswer,
  ): Uint8Array | Promise<Uint8Array> | null {
    return this.#signedQueries.signed(packet, q, transport, peer, answer);
  }

  /** A batch from the main thread. */
  receive(batch: RelayBatch): void {
    const pending = this.#pending.get(batch.id);
    if (pending === undefined) return;
    pending.queue.push(batch);
    const wake = pending.wake;
    pending.wake = null;
    wake?.();
  }

  /** Ends every transfer in progress (the thread is closing). */
  close(): void {
    this.#closed = true;
    for (const id of this.#pending.keys()) {
      this.receive({ type: 'xfr-batch', id, messages: [], done: true });
    }
  }

  async *#messages(id: number, pending: Pending): AsyncGenerator<Uint8Array, void, undefined> {
    let finished = false;
    try {
      for (;;) {
        while (pending.queue.length === 0 && !this.#closed) {
          await new Promise<void>((resolve) => (pending.wake = resolve));
        }
        const batch = pending.queue.shift();
        if (batch === undefined) return;
        // Ask for the next batch now, so it crosses while this one is written.
        if (batch.done) finished = true;
        else this.#post({ type: 'xfr-pull', id });
        yield* batch.messages;
        if (finished) return;
      }
    } finally {
      this.#pending.delete(id);
      if (!finished && !this.#closed) this.#post({ type: 'xfr-cancel', id });
    }
  }
}

/** The main thread's side, one per DNS thread: answers its relayed requests. */
export class RelayHost {
  readonly #service: TransferService;
  readonly #apexWire: Uint8Array;
  readonly #send: (batch: RelayBatch) => void;
  readonly #logger: Logger;
  readonly #streams = new Map<number, AsyncIterator<Uint8Array>>();
  readonly #q = new ParsedQuery();

  constructor(
    service: TransferService,
    apexWire: Uint8Array,
    send: (batch: RelayBatch) => void,
    logger: Logger,
  ) {
    this.#service = service;
    this.#apexWire = apexWire;
    this.#send = send;
    this.#logger = logger;
  }

  /** Transfers being produced for this thread. */
  get open(): number {
    return this.#streams.size;
  }

  receive(message: RelayRequest): void {
    switch (message.type) {
      case 'xfr-request':
        this.#request(message.id, message.packet, message.transport, message.peer);
        return;
      case 'xfr-pull':
        void this.#batch(message.id);
        return;
      case 'xfr-cancel':
        void this.#end(message.id);
        return;
    }
  }

  /** The thread is gone: stop every transfer it had. */
  close(): void {
    for (const id of [...this.#streams.keys()]) void this.#end(id);
  }

  #request(id: number, packet: Uint8Array, transport: Transport, peer: string): void {
    const q = this.#q;
    try {
      parseQuery(packet, this.#apexWire, q);
    } catch {
      q.status = 'drop';
    }
    // The thread parsed it as a transfer already; anything else here is a bug, not input.
    if (q.status !== 'ok' || (q.qtype !== TYPE_AXFR && q.qtype !== TYPE_IXFR)) {
      this.#logger.error({ id, status: q.status }, 'relayed transfer request does not parse');
      this.#send({ type: 'xfr-batch', id, messages: [], done: true });
      return;
    }
    const out = this.#service.respond(packet, q, transport, peer);
    if (out instanceof TransferStream) {
      this.#streams.set(id, out[Symbol.asyncIterator]());
      void this.#batch(id);
      return;
    }
    void Promise.resolve(out).then((message) =>
      this.#send({ type: 'xfr-batch', id, messages: [message], done: true }),
    );
  }

  async #batch(id: number): Promise<void> {
    const stream = this.#streams.get(id);
    if (stream === undefined) return;
    const messages: Uint8Array[] = [];
    let bytes = 0;
    let done = false;
    try {
      while (bytes < RELAY_BATCH_BYTES) {
        const next = await stream.next();
        if (next.done === true) {
          done = true;
          break;
        }
        messages.push(next.value);
        bytes += next.value.length;
      }
    } catch (err) {
      this.#logger.error({ err, id }, 'zone transfer failed while relaying it to a DNS thread');
      done = true;
    }
    if (!this.#streams.has(id)) return;
    if (done) this.#streams.delete(id);
    this.#send({ type: 'xfr-batch', id, messages, done });
  }

  async #end(id: number): Promise<void> {
    const stream = this.#streams.get(id);
    this.#streams.delete(id);
    await stream?.return?.(undefined);
  }
}
