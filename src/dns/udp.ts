// Serves the query handler over one UDP socket. Nothing thrown by a packet escapes the socket
// handler. Replies are sent without a completion callback (see #onMessage): a reply the kernel
// cannot deliver is lost like any UDP datagram, and the client retries.
import dgram from 'node:dgram';
import dns from 'node:dns';
import { isIP } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.ts';
import type { QueryHandler } from './handler.ts';
import { TransferStream } from './transfer/service.ts';

const RECV_BUFFER_BYTES = 8 * 1024 * 1024;

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/** dgram calls this with a family number (Node 22) though the types name an options object. */
function literalLookup(
  address: string,
  options: dns.LookupOneOptions | number,
  callback: LookupCallback,
): void {
  const literal = isIP(address);
  if (literal !== 0) {
    callback(null, address, literal);
    return;
  }
  const family = typeof options === 'number' ? options : (options.family ?? 0);
  dns.lookup(address, { family: family === 4 || family === 6 ? family : 0 }, callback);
}

export interface BindOptions {
  readonly reusePort?: boolean;
}

export class UdpListener {
  readonly #handler: QueryHandler;
  readonly #logger: Logger;
  #socket: dgram.Socket | null = null;
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
      // Replies go to the address a query came from, always an IP literal: answer the "lookup"
      // dgram does before every send synchronously instead of through dns.lookup's nextTick.
      lookup: literalLookup,
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
      const out = this.#handler.handle(msg, 'udp', rinfo.address);
      if (out === null) return;
      if (out instanceof Uint8Array) {
        // No callback: Node then tries a synchronous sendmsg first instead of queueing a send
        // request and a completion callback per reply (measured: ~10 % more replies per second).
        socket.send(out, rinfo.port, rinfo.address);
        return;
      }
      if (out instanceof TransferStream) {
        // Transfers answer UDP with one message (an IXFR's SOA, or a refusal), never a stream.
        this.#logger.error('a zone transfer stream was answered over UDP; dropped');
        return;
      }
      out.then(
        (reply) => {
          if (this.#socket === socket) socket.send(reply, rinfo.port, rinfo.address);
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
