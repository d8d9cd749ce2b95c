// Serves the query handler over TCP (RFC 7766): 2-byte length framing, pipelined queries answered
// as they complete. Bad framing closes that connection only. A connection must deliver a whole
// query within `idleMs` of connecting or of its last query (a byte now and then does not count),
// and the connection guard keeps the count within a total and a per-source cap by closing the
// least recently active connection, so floods of idle or dripping connections never lock out
// a client that sends a query.
import net from 'node:net';
import { rateLimitedWarn, type Logger } from '../log.ts';
import { ConnectionGuard, type CloseReason } from '../net/connection-guard.ts';
import type { QueryHandler } from './handler.ts';
import { nullObserver, type DnsObserver } from './observer.ts';
import { TransferStream } from './transfer/service.ts';
import { HEADER_SIZE } from './wire.ts';

export interface TcpOptions {
  /** Close a connection with no complete query for this long (RFC 7766 6.2.3 suggests seconds). */
  readonly idleMs: number;
  readonly maxConnections: number;
  /** Connections from one source address at most. */
  readonly maxPerSource: number;
  /** Queries in progress per connection before reading pauses. */
  readonly maxInFlight: number;
}

export const defaultTcpOptions: TcpOptions = {
  idleMs: 10_000,
  maxConnections: 1000,
  maxPerSource: 100,
  maxInFlight: 64,
};

/** How often connections are checked against the deadline, at most (a fraction of idleMs). */
const SWEEP_MS = 1000;

export class TcpListener {
  readonly #handler: QueryHandler;
  readonly #logger: Logger;
  readonly #options: TcpOptions;
  readonly #observer: DnsObserver;
  readonly #guard: ConnectionGuard;
  readonly #warnLimit: (fields: Record<string, unknown>) => void;
  #server: net.Server | null = null;
  #sweeper: NodeJS.Timeout | null = null;

  constructor(
    handler: QueryHandler,
    logger: Logger,
    options: TcpOptions = defaultTcpOptions,
    observer: DnsObserver = nullObserver,
  ) {
    this.#handler = handler;
    this.#logger = logger;
    this.#options = options;
    this.#observer = observer;
    this.#warnLimit = rateLimitedWarn(
      logger,
      'DNS TCP connection limit reached; closing the least recently active connections',
    );
    this.#guard = new ConnectionGuard(
      { maxConnections: options.maxConnections, maxPerSource: options.maxPerSource },
      (reason, source) => this.#onGuardClose(reason, source),
    );
  }

  #onGuardClose(reason: CloseReason, source: string): void {
    this.#observer.tcpClosed(reason);
    if (reason === 'deadline') return; // routine: idle clients and slow drips
    this.#warnLimit({
      reason,
      source,
      maxConnections: this.#options.maxConnections,
      maxPerSource: this.#options.maxPerSource,
    });
  }

  /** With `reusePort` several servers (one per DNS thread) accept on the same port. */
  bind(
    address: string,
    port: number,
    options: { readonly reusePort?: boolean } = {},
  ): Promise<net.AddressInfo> {
    // No server.maxConnections: Node would refuse newcomers; the guard evicts instead.
    const server = net.createServer((socket) => this.#onConnection(socket));
    return new Promise<net.AddressInfo>((resolve, reject) => {
      const onError = (err: Error): void => {
        server.close();
        reject(err);
      };
      server.once('error', onError);
      server.listen(
        { port, host: address, exclusive: true, reusePort: options.reusePort === true },
        () => {
          server.off('error', onError);
          server.on('error', (err) => this.#logger.error({ err: err.message }, 'tcp server error'));
          this.#server = server;
          const every = Math.max(10, Math.min(SWEEP_MS, this.#options.idleMs / 4));
          this.#sweeper = setInterval(() => this.#guard.sweep(this.#options.idleMs), every);
          this.#sweeper.unref();
          resolve(server.address() as net.AddressInfo);
        },
      );
    });
  }

  #onConnection(socket: net.Socket): void {
    const guard = this.#guard;
    guard.admit(socket);
    socket.setNoDelay(true);
    socket.on('error', () => {
      // Resets from clients are routine; 'close' does the clean-up.
    });

    const peerAddress = socket.remoteAddress ?? '';
    let pending: Buffer | null = null;
    let inFlight = 0;
    const write = (reply: Uint8Array): void => {
      if (socket.destroyed || !socket.writable || reply.length > 0xffff) return;
      const frame = Buffer.allocUnsafe(reply.length + 2);
      frame.writeUInt16BE(reply.length, 0);
      frame.set(reply, 2);
      if (!socket.write(frame)) {
        socket.pause();
        socket.once('drain', () => socket.resume());
      }
    };

    socket.on('data', (chunk: Buffer) => {
      try {
        let buf: Buffer = pending ? Buffer.concat([pending, chunk]) : chunk;
        pending = null;
        let pos = 0;
        while (buf.length - pos >= 2) {
          const len = buf.readUInt16BE(pos);
          if (len < HEADER_SIZE) {
            // Nothing shorter than a header is a DNS message: the stream is out of sync.
            socket.destroy();
            return;
          }
          if (buf.length - pos - 2 < len) break;
          const msg = buf.subarray(pos + 2, pos + 2 + len);
          pos += 2 + len;
          guard.touch(socket);
          const out = this.#handler.handle(msg, 'tcp', peerAddress);
          if (out === null) continue;
          if (out instanceof Uint8Array) {
            write(out);
            continue;
          }
          if (out instanceof TransferStream) {
            // Secondaries open a connection per transfer; anything pipelined behind it is
            // answered as usual, its replies between the transfer's messages (each has its ID).
            // Busy while it streams: a long transfer is not an idle connection.
            guard.busy(socket, 1);
            void this.#stream(socket, out, write).finally(() => guard.busy(socket, -1));
            continue;
          }
          inFlight++;
          guard.busy(socket, 1);
          if (inFlight >= this.#options.maxInFlight) socket.pause();
          out.then(
            (reply) => {
              inFlight--;
              guard.busy(socket, -1);
              guard.touch(socket);
              write(reply);
              if (inFlight < this.#options.maxInFlight && !socket.destroyed) socket.resume();
            },
            () => {
              inFlight--;
              guard.busy(socket, -1);
            },
          );
        }
        if (pos < buf.length) {
          buf = buf.subarray(pos);
          // Copy the partial frame so the big chunk it came in can be freed.
          pending = Buffer.from(buf);
        }
      } catch (err) {
        this.#logger.error({ err }, 'tcp query handler threw; closing connection');
        socket.destroy();
      }
    });
  }

  /** Writes a transfer's messages, waiting for the socket to drain between them as needed. */
  async #stream(
    socket: net.Socket,
    stream: TransferStream,
    write: (reply: Uint8Array) => void,
  ): Promise<void> {
    try {
      for await (const message of stream) {
        if (socket.destroyed) return;
        write(message);
        if (socket.writableNeedDrain) {
          await new Promise<void>((resolve) => {
            const done = (): void => {
              socket.off('drain', done);
              socket.off('close', done);
              resolve();
            };
            socket.on('drain', done);
            socket.on('close', done);
          });
        }
      }
    } catch (err) {
      this.#logger.error({ err }, 'zone transfer failed; closing connection');
      socket.destroy();
    }
  }

  get connections(): number {
    return this.#guard.size;
  }

  close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = null;
    this.#guard.closeAll();
    if (!server) return Promise.resolve();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
