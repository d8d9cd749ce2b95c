// The authoritative DNS server: one QueryHandler served over UDP and TCP on config.listener and
// a port. With port 0 both transports share the ephemeral port UDP was given. With `reusePort`
// several servers (one per DNS thread) bind the same port and the kernel spreads clients.
import type { AddressInfo } from 'node:net';
import { retry } from '../backoff.ts';
import type { Config } from '../config/types.ts';
import { QueryHandler, type HandlerOptions } from './handler.ts';
import { defaultTcpOptions, TcpListener, type TcpOptions } from './tcp.ts';
import { UdpListener } from './udp.ts';

export interface DnsServerOptions extends HandlerOptions {
  readonly tcp?: Partial<TcpOptions>;
  /** Open both sockets with SO_REUSEPORT (Linux), so other threads can bind the same port. */
  readonly reusePort?: boolean;
}

/** A bind failure with the errno code kept, so a caller can tell a port collision apart. */
export class BindError extends Error {
  readonly code: string;
  constructor(message: string, code: string, cause: unknown) {
    super(message, { cause });
    this.name = 'BindError';
    this.code = code;
  }
}

const BIND_ATTEMPTS = 10;

export class DnsServer {
  readonly handler: QueryHandler;
  readonly #config: Config;
  readonly #udp: UdpListener;
  readonly #tcp: TcpListener;
  readonly #reusePort: boolean;

  constructor(options: DnsServerOptions) {
    this.#config = options.config;
    this.#reusePort = options.reusePort === true;
    this.handler = new QueryHandler(options);
    this.#udp = new UdpListener(this.handler, options.logger);
    const config = options.config;
    this.#tcp = new TcpListener(
      this.handler,
      options.logger,
      {
        ...defaultTcpOptions,
        idleMs: config.tcpIdleSeconds * 1000,
        maxConnections: config.tcpMaxConnections,
        maxPerSource: config.tcpMaxConnectionsPerSource,
        ...options.tcp,
      },
      options.observer,
    );
  }

  /**
   * Binds UDP, then TCP on the port UDP got (`port` defaults to config.port; 0 picks one and
   * retries when TCP finds it taken). Rejects with a BindError naming the address and the fix.
   */
  async listen(port = this.#config.port): Promise<{ udp: AddressInfo; tcp: AddressInfo }> {
    const host = this.#config.listener === '' ? '0.0.0.0' : this.#config.listener;
    const options = { reusePort: this.#reusePort };
    /** Only a TCP collision on a port UDP picked itself is worth another pick. */
    let tcpTaken = false;
    return retry(
      async () => {
        tcpTaken = false;
        const udp = await this.#udp.bind(host, port, options).catch((err: unknown) => {
          throw new BindError(
            `cannot listen for DNS on udp ${host}:${port}: ${String(err)}; ` +
              'check "listener" and "port" in the config (ports below 1024 need privileges)',
            codeOf(err),
            err,
          );
        });
        try {
          const tcp = await this.#tcp.bind(host, udp.port, options);
          return { udp, tcp };
        } catch (err) {
          await this.#udp.close();
          tcpTaken = codeOf(err) === 'EADDRINUSE';
          throw new BindError(
            `cannot listen for DNS on tcp ${host}:${udp.port}: ${String(err)}; ` +
              'check "listener" and "port" in the config',
            codeOf(err),
            err,
          );
        }
      },
      // An ephemeral UDP port may be taken on TCP by someone else: try another one.
      { attempts: BIND_ATTEMPTS, retryIf: () => port === 0 && tcpTaken },
    );
  }

  /** Open DNS TCP connections. */
  get tcpConnections(): number {
    return this.#tcp.connections;
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
