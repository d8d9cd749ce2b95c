// The authoritative DNS server: one QueryHandler served over UDP and TCP on config.listener and
// config.port. With port 0 both transports share the ephemeral port UDP was given.
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/types.ts';
import type { Logger } from '../log.ts';
import type { RecordStore } from '../records/store.ts';
import type { Forwarder } from './forwarding.ts';
import type { DnsObserver } from './observer.ts';
import { QueryHandler } from './handler.ts';
import { defaultTcpOptions, TcpListener, type TcpOptions } from './tcp.ts';
import { UdpListener } from './udp.ts';

export interface DnsServerOptions {
  readonly config: Config;
  readonly store: RecordStore;
  readonly forwarder: Forwarder | null;
  readonly observer: DnsObserver;
  readonly logger: Logger;
  /** Prepared answers cached per qtype; 0 disables the fast path. */
  readonly answerCacheSize?: number;
  readonly tcp?: Partial<TcpOptions>;
}

const BIND_ATTEMPTS = 10;

export class DnsServer {
  readonly handler: QueryHandler;
  readonly #config: Config;
  readonly #logger: Logger;
  readonly #udp: UdpListener;
  readonly #tcp: TcpListener;

  constructor(options: DnsServerOptions) {
    this.#config = options.config;
    this.#logger = options.logger;
    this.handler = new QueryHandler(options);
    this.#udp = new UdpListener(this.handler, options.logger);
    this.#tcp = new TcpListener(this.handler, options.logger, {
      ...defaultTcpOptions,
      ...options.tcp,
    });
  }

  async listen(): Promise<{ udp: AddressInfo; tcp: AddressInfo }> {
    const host = this.#config.listener === '' ? '0.0.0.0' : this.#config.listener;
    const port = this.#config.port;
    for (let attempt = 1; ; attempt++) {
      const udp = await this.#udp.bind(host, port).catch((err: unknown) => {
        throw new Error(
          `cannot listen for DNS on udp ${host}:${port}: ${String(err)}; ` +
            'check "listener" and "port" in the config (ports below 1024 need privileges)',
          { cause: err },
        );
      });
      try {
        const tcp = await this.#tcp.bind(host, udp.port);
        this.#logger.info({ address: udp.address, port: udp.port }, 'dns listening (udp, tcp)');
        return { udp, tcp };
      } catch (err) {
        await this.#udp.close();
        const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        // An ephemeral UDP port may be taken on TCP by someone else: try another one.
        if (port !== 0 || !inUse || attempt >= BIND_ATTEMPTS) {
          throw new Error(
            `cannot listen for DNS on tcp ${host}:${udp.port}: ${String(err)}; ` +
              'check "listener" and "port" in the config',
            { cause: err },
          );
        }
      }
    }
  }

  async close(): Promise<void> {
    this.handler.close();
    await Promise.all([this.#udp.close(), this.#tcp.close()]);
  }
}
