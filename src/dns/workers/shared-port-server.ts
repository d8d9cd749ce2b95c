// One DNS thread's listeners: a QueryHandler over UDP and TCP sockets opened with SO_REUSEPORT,
// so every thread binds the same port and the kernel spreads clients across them.
import type { AddressInfo } from 'node:net';
import type { Config } from '../../config/types.ts';
import type { Logger } from '../../log.ts';
import type { RecordStore } from '../../records/store.ts';
import type { Forwarder } from '../forwarding.ts';
import { QueryHandler } from '../handler.ts';
import type { DnsObserver } from '../observer.ts';
import { TcpListener, defaultTcpOptions } from '../tcp.ts';
import { UdpListener } from '../udp.ts';

export interface SharedPortServerOptions {
  readonly config: Config;
  readonly store: RecordStore;
  readonly forwarder: Forwarder | null;
  readonly observer: DnsObserver;
  readonly logger: Logger;
}

/** A bind failure with the errno code kept, so the pool can tell a port collision apart. */
export class BindError extends Error {
  readonly code: string;
  constructor(message: string, code: string, cause: unknown) {
    super(message, { cause });
    this.name = 'BindError';
    this.code = code;
  }
}

const BIND_ATTEMPTS = 10;

export class SharedPortServer {
  readonly handler: QueryHandler;
  readonly #config: Config;
  readonly #udp: UdpListener;
  readonly #tcp: TcpListener;

  constructor(options: SharedPortServerOptions) {
    this.#config = options.config;
    this.handler = new QueryHandler(options);
    this.#udp = new UdpListener(this.handler, options.logger);
    this.#tcp = new TcpListener(this.handler, options.logger, defaultTcpOptions);
  }

  /**
   * Binds UDP and TCP on `config.listener` and `port` (0: an ephemeral port UDP picks, then TCP
   * on the same one, retried when TCP finds it taken). Rejects with a BindError.
   */
  async listen(port: number): Promise<AddressInfo> {
    const host = this.#config.listener === '' ? '0.0.0.0' : this.#config.listener;
    const reuse = { reusePort: true };
    for (let attempt = 1; ; attempt++) {
      const udp = await this.#udp.bind(host, port, reuse).catch((err: unknown) => {
        throw new BindError(
          `cannot listen for DNS on udp ${host}:${port}: ${String(err)}; ` +
            'check "listener" and "port" in the config (ports below 1024 need privileges)',
          codeOf(err),
          err,
        );
      });
      try {
        await this.#tcp.bind(host, udp.port, reuse);
        return udp;
      } catch (err) {
        await this.#udp.close();
        if (port !== 0 || codeOf(err) !== 'EADDRINUSE' || attempt >= BIND_ATTEMPTS) {
          throw new BindError(
            `cannot listen for DNS on tcp ${host}:${udp.port}: ${String(err)}; ` +
              'check "listener" and "port" in the config',
            codeOf(err),
            err,
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

function codeOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : '';
}
