// Serves the query handler over TCP (RFC 7766): 2-byte length framing, pipelined queries answered
// as they complete, idle timeout, connection cap. Bad framing closes that connection only.
import net from 'node:net';
import type { Logger } from '../log.ts';
import type { QueryHandler } from './handler.ts';
import { HEADER_SIZE } from './wire.ts';

export interface TcpOptions {
  /** Close a connection with no complete query for this long (RFC 7766 6.2.3 suggests seconds). */
  readonly idleMs: number;
  readonly maxConnections: number;
  /** Queries in progress per connection before reading pauses. */
  readonly maxInFlight: number;
}

export const defaultTcpOptions: TcpOptions = {
  idleMs: 10_000,
  maxConnections: 1000,
  maxInFlight: 64,
};

export class TcpListener {
  readonly #handler: QueryHandler;
  readonly #logger: Logger;
  readonly #options: TcpOptions;
  readonly #sockets = new Set<net.Socket>();
  #server: net.Server | null = null;

  constructor(handler: QueryHandler, logger: Logger, options: TcpOptions = defaultTcpOptions) {
    this.#handler = handler;
    this.#logger = logger;
    this.#options = options;
  }

  /** With `reusePort` several servers (one per DNS thread) accept on the same port. */
  bind(
    address: string,
    port: number,
    options: { readonly reusePort?: boolean } = {},
  ): Promise<net.AddressInfo> {
    const server = net.createServer((socket) => this.#onConnection(socket));
    server.maxConnections = this.#options.maxConnections;
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
          resolve(server.address() as net.AddressInfo);
        },
      );
    });
  }

  #onConnection(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(this.#options.idleMs, () => socket.destroy());
    socket.on('error', () => {
      // Resets from clients are routine; 'close' does the clean-up.
    });
    socket.on('close', () => this.#sockets.delete(socket));

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
          const out = this.#handler.handle(msg, 'tcp');
          if (out === null) continue;
          if (out instanceof Uint8Array) {
            write(out);
            continue;
          }
          inFlight++;
          if (inFlight >= this.#options.maxInFlight) socket.pause();
          out.then(
            (reply) => {
              inFlight--;
              write(reply);
              if (inFlight < this.#options.maxInFlight && !socket.destroyed) socket.resume();
            },
            () => {
              inFlight--;
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

  get connections(): number {
    return this.#sockets.size;
  }

  close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    if (!server) return Promise.resolve();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
