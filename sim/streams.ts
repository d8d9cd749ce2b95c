// The open SUBSCRIBE streams of the simulated master: RecordIO records out, a HEARTBEAT every
// interval, and the faults tests need — a stream that goes silent, one cut in the middle of a
// record, raw bytes that are no record at all.
import type http from 'node:http';
import { recordIo } from './v1.ts';

interface Stream {
  readonly res: http.ServerResponse;
  readonly heartbeat: NodeJS.Timeout;
  stalled: boolean;
}

export class SimStreams {
  readonly #streams = new Set<Stream>();
  readonly #heartbeatMs: number;
  #subscriptions = 0;
  #bytes = 0;
  #events = 0;

  constructor(heartbeatSeconds: number) {
    this.#heartbeatMs = heartbeatSeconds * 1000;
  }

  /** Streams open now. */
  get open(): number {
    return this.#streams.size;
  }

  /** SUBSCRIBE requests answered with a stream, since start. */
  get subscriptions(): number {
    return this.#subscriptions;
  }

  /** Events published (to however many streams), since start. */
  get events(): number {
    return this.#events;
  }

  /** Body bytes written to streams, since start. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Starts a stream whose first record is `subscribed`: the SUBSCRIBED record's RecordIO bytes
   * in pieces (built by the caller), all written before anything else goes out on the stream.
   */
  start(res: http.ServerResponse, subscribed: readonly Uint8Array[]): void {
    this.#subscriptions++;
    res.writeHead(200, { 'content-type': 'application/json' });
    const stream: Stream = {
      res,
      stalled: false,
      heartbeat: setInterval(() => {
        if (!stream.stalled) this.#write(stream, recordIo({ type: 'HEARTBEAT' }));
      }, this.#heartbeatMs),
    };
    this.#streams.add(stream);
    res.on('close', () => {
      clearInterval(stream.heartbeat);
      this.#streams.delete(stream);
    });
    for (const piece of subscribed) this.#write(stream, piece);
  }

  /** Sends one event to every stream that is not stalled. */
  publish(event: unknown): void {
    this.#events++;
    if (this.#streams.size === 0) return;
    const record = recordIo(event);
    for (const stream of this.#streams) if (!stream.stalled) this.#write(stream, record);
  }

  /** The streams open now go silent: no events, no heartbeats; the connections stay open. */
  stall(): void {
    for (const stream of this.#streams) stream.stalled = true;
  }

  /** Writes bytes as they are to every open stream (malformed records). */
  sendRaw(bytes: Buffer | string): void {
    for (const stream of this.#streams) this.#write(stream, Buffer.from(bytes));
  }

  /**
   * Ends every open stream: with `midRecord`, after the length and half the body of one more
   * event, by destroying the connection; otherwise cleanly at a record boundary.
   */
  cut(midRecord: boolean): void {
    for (const stream of [...this.#streams]) {
      if (midRecord) {
        // Nothing more goes out on it: the half record is the last thing the client sees.
        stream.stalled = true;
        const record = recordIo({ type: 'HEARTBEAT', padding: 'x'.repeat(64) });
        this.#write(stream, record.subarray(0, Math.floor(record.length / 2)));
        // Let the half record reach the socket before the connection is torn down.
        setTimeout(() => stream.res.destroy(), 20);
      } else {
        stream.res.end();
      }
    }
  }

  closeAll(): void {
    for (const stream of [...this.#streams]) stream.res.destroy();
  }

  #write(stream: Stream, bytes: Uint8Array): void {
    if (stream.res.destroyed || stream.res.writableEnded) return;
    this.#bytes += bytes.length;
    stream.res.write(bytes);
  }
}
