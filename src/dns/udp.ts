// Serves the query handler over one UDP socket. Nothing thrown by a packet escapes the socket
// handler; failed sends are counted and logged at debug level, never thrown.
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.ts';
import type { QueryHandler } from './handler.ts';

const RECV_BUFFER_BYTES = 8 * 1024 * 1024;

export interface BindOptions {
  readonly reusePort?: boolean;
}

export class UdpListener {
  readonly #handler: QueryHandler;
  readonly #logger: Logger;
  #socket: dgram.Socket | null = null;
  /** Responses the kernel refused to send (e.g. ICMP-unreachable clients, full buffers). */
  sendErrors = 0;
  readonly #onSent = (err: Error | null): void => {
    if (err) {
      this.sendErrors++;
      if (this.#logger.isLevelEnabled('debug')) {
        this.#logger.debug({ err: err.message }, 'udp send failed');
      }
    }
  };

  constructor(handler: QueryHandler, logger: Logger) {
    this.#handler = handler;
    this.#logger = logger;
  }

  /**
   * Binds `address:port` (udp6 when `address` is IPv6); rejects with the bind error. With
   * `reusePort` several sockets (one per DNS thread) share the port and the kernel spreads
   * clients across them (Linux SO_REUSEPORT).
   */
  bind(address: string, port: number, options: BindOptions = {}): Promise<AddressInfo> {
    const type = address.includes(':') ? 'udp6' : 'udp4';
    const socket = dgram.createSocket({
      type,
      reusePort: options.reusePort === true,
      // Room for queries that arrive while the thread is busy (a GC pause, a record swap): the
      // default (~208 KB, ~300 queries) overflows in tens of ms at high rates and drops them.
      // The kernel caps this at net.core.rmem_max; raise that sysctl to get all of it.
      recvBufferSize: RECV_BUFFER_BYTES,
    });
    return new Promise<AddressInfo>((resolve, reject) => {
      const onError = (err: Error): void => {
        socket.close();
        reject(err);
      };
      socket.once('error', onError);
      socket.bind(port, address, () => {
        socket.off('error', onError);
        socket.on('error', (err) => this.#logger.error({ err: err.message }, 'udp socket error'));
        socket.on('message', (msg, rinfo) => this.#onMessage(socket, msg, rinfo));
        this.#socket = socket;
        resolve(socket.address());
      });
    });
  }

  #onMessage(socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    try {
      const out = this.#handler.handle(msg, 'udp');
      if (out === null) return;
      if (out instanceof Uint8Array) {
        socket.send(out, rinfo.port, rinfo.address, this.#onSent);
        return;
      }
      out.then(
        (reply) => {
          if (this.#socket === socket) socket.send(reply, rinfo.port, rinfo.address, this.#onSent);
        },
        (err: unknown) => this.#logger.error({ err }, 'udp query failed'),
      );
    } catch (err) {
      // A bug, not bad input: keep serving and say so.
      this.#logger.error({ err }, 'udp query handler threw');
    }
  }

  close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = null;
    if (!socket) return Promise.resolve();
    return new Promise<void>((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
