// The HTTP listener: mesos-dns's v1 API, /health, /ready and /metrics on node:http, hardened
// against slow and oversized clients, logging one debug line per request. Connections are kept
// within a total and a per-source cap by closing the least recently active one (a slow-header
// client that never completed a request first), so a slow-loris flood cannot lock /health out.
import type { ApiBody } from '../records/api-bodies.ts';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { systemClock, type Clock } from '../clock.ts';
import type { Config } from '../config/types.ts';
import { rateLimitedWarn, type Logger } from '../log.ts';
import { ConnectionGuard } from '../net/connection-guard.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { RecordStore } from '../records/store.ts';
import { health, ready } from './health.ts';
import { LargeBodies } from './large-body.ts';
import { DEFAULT_STALL_MS, errorReply, send, type Reply } from './reply.ts';
import { Router, type Route } from './router.ts';
import * as v1 from './v1.ts';

export interface HttpLimits {
  /** Time a client has to send complete request headers (slow-loris cut-off). */
  readonly headersTimeoutMs: number;
  /** Time a client has to send a whole request. */
  readonly requestTimeoutMs: number;
  /** Idle time before a keep-alive connection is closed. */
  readonly keepAliveTimeoutMs: number;
  readonly maxHeaderSize: number;
  /** Open connections at most; at the cap the least recently active one is closed. */
  readonly maxConnections: number;
  /** Open connections from one source address at most. */
  readonly maxPerSource: number;
  /** How often Node checks connections against the two timeouts above. */
  readonly connectionsCheckingIntervalMs: number;
  /** /v1/enumerate and /v1/axfr bodies sent at once, and requests queued for one (then 503). */
  readonly bodyStreams: number;
  readonly bodyQueue: number;
  /** How long a rendered body is kept after its last request (a new record set drops it). */
  readonly bodyHoldMs: number;
  /** A client reading none of a large body for this long is cut off. */
  readonly bodyStallMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxHeaderSize: 16 * 1024,
  maxConnections: 1024,
  maxPerSource: 100,
  connectionsCheckingIntervalMs: 1_000,
  bodyStreams: 8,
  bodyQueue: 128,
  bodyHoldMs: 30_000,
  bodyStallMs: DEFAULT_STALL_MS,
};

export interface HttpServerOptions {
  readonly config: Config;
  readonly store: RecordStore;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly isDnsListening: () => boolean;
  readonly version: string;
  readonly limits?: Partial<HttpLimits>;
  /**
   * Renders /v1/enumerate and /v1/axfr's records off this thread, where the whole set is held
   * (the load or stream worker); without it they are rendered here.
   */
  readonly render?: (body: ApiBody) => Promise<readonly Uint8Array[] | null>;
  readonly clock?: Clock;
}

export interface HttpServerHandle {
  readonly address: AddressInfo;
  /** Stops accepting, lets in-flight requests finish (up to 2 s), then closes everything. */
  close(): Promise<void>;
}

type RouteHandler = (params: readonly string[]) => Reply | Promise<Reply>;

const CLOSE_GRACE_MS = 2_000;

function routes(
  options: HttpServerOptions,
  clock: Clock,
  largeBodies: LargeBodies,
): Route<RouteHandler>[] {
  const ctx: v1.ApiContext = {
    config: options.config,
    store: options.store,
    version: options.version,
    startedAtMs: clock.now(),
    largeBodies,
    ...(options.render ? { render: options.render } : {}),
  };
  const get = (path: string, handler: RouteHandler): Route<RouteHandler> => ({
    path,
    methods: ['GET'],
    handler,
  });
  const table: Route<RouteHandler>[] = [
    get('/v1/version', () => v1.version(ctx)),
    get('/v1/config', () => v1.config(ctx)),
    get('/v1/hosts/{host}', (p) => v1.hosts(ctx, p[0] ?? '')),
    get('/v1/hosts/{host}/ports', () => v1.hostPorts()),
    get('/v1/services/{service}', (p) => v1.services(ctx, p[0] ?? '')),
    get('/health', () => health()),
    get('/ready', () =>
      ready({ store: options.store, isDnsListening: options.isDnsListening, nowMs: clock.now() }),
    ),
    get('/metrics', async () => ({
      status: 200,
      body: null,
      text: { contentType: options.metrics.contentType, content: await options.metrics.render() },
    })),
  ];
  // As in mesos-dns, these routes only exist when enumeration is on (404 otherwise).
  if (options.config.EnumerationOn) {
    table.push(get('/v1/enumerate', () => v1.enumerate(ctx)));
    table.push(get('/v1/axfr', () => v1.axfr(ctx)));
  }
  return table;
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServerHandle> {
  const limits: HttpLimits = {
    ...DEFAULT_HTTP_LIMITS,
    maxConnections: options.config.httpMaxConnections,
    maxPerSource: options.config.httpMaxConnectionsPerSource,
    ...options.limits,
  };
  const clock = options.clock ?? systemClock;
  const { logger } = options;
  const largeBodies = new LargeBodies(options.store, {
    streams: limits.bodyStreams,
    queue: limits.bodyQueue,
    holdMs: limits.bodyHoldMs,
  });
  const router = new Router(routes(options, clock, largeBodies));

  const respond = (req: IncomingMessage, res: ServerResponse, reply: Reply): void => {
    if (res.headersSent || res.destroyed) {
      reply.done?.();
      return;
    }
    send(req, res, reply, limits.bodyStallMs);
  };

  const failed = (req: IncomingMessage, res: ServerResponse, path: string, error: unknown) => {
    logger.error({ err: error, method: req.method, path }, 'HTTP handler failed');
    respond(req, res, errorReply(500, 'internal error', `${path} failed; see the server log`));
  };

  const warnLimit = rateLimitedWarn(
    logger,
    'HTTP connection limit reached; closing the least recently active connections',
  );
  const guard = new ConnectionGuard(limits, (reason, source) => {
    options.metrics.httpClosed(reason);
    warnLimit({
      reason,
      source,
      maxConnections: limits.maxConnections,
      maxPerSource: limits.maxPerSource,
    });
  });

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    // A request whose headers arrived: the connection is useful and evicted last while it runs.
    const socket = req.socket;
    guard.touch(socket);
    guard.busy(socket, 1);
    res.once('close', () => {
      guard.busy(socket, -1);
      guard.touch(socket);
    });
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (logger.isLevelEnabled('debug')) {
      const started = performance.now();
      res.once('finish', () => {
        const ms = Math.round((performance.now() - started) * 1000) / 1000;
        logger.debug({ method, path, status: res.statusCode, ms }, 'http request');
      });
    }
    // Bodies mean nothing to this API. Rather than read (or drain) one of unknown size, answer
    // and close the connection.
    if (hasBody(req)) res.setHeader('Connection', 'close');

    if (!path.startsWith('/')) {
      respond(req, res, errorReply(400, 'bad request', `request target "${url}" is not a path`));
      return;
    }
    const match = router.match(method, path);
    switch (match.kind) {
      case 'not found':
        respond(
          req,
          res,
          errorReply(
            404,
            'not found',
            `no resource at ${path}; try /v1/version, /v1/config, /v1/hosts/{host}, /v1/services/{service}, /health, /ready or /metrics`,
          ),
        );
        return;
      case 'method not allowed':
        respond(
          req,
          res,
          errorReply(405, 'method not allowed', `${path} accepts ${match.allow}, not ${method}`, {
            Allow: match.allow,
          }),
        );
        return;
      case 'bad path':
        respond(req, res, errorReply(400, 'bad request', match.reason));
        return;
      case 'found':
        break;
    }
    try {
      const reply = match.handler(match.params);
      if (reply instanceof Promise) {
        reply.then(
          (r) => respond(req, res, r),
          (error: unknown) => failed(req, res, path, error),
        );
      } else {
        respond(req, res, reply);
      }
    } catch (error) {
      failed(req, res, path, error);
    }
  };

  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderSize,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.connectionsCheckingIntervalMs,
    },
    handle,
  );
  // No server.maxConnections: Node would refuse newcomers (health checks included) while slow
  // clients hold every slot; the guard makes room by closing the least recently active.
  server.on('connection', (socket: Socket) => guard.admit(socket));
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;

  const host = options.config.HTTPListener === '' ? undefined : options.config.HTTPListener;
  const port = options.config.httpport;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      const where = `${host ?? '*'}:${port}`;
      reject(
        new Error(
          `cannot listen for HTTP on ${where}: ${error.message}; free the port or set "HTTPListener"/"httpport" in the config`,
          { cause: error },
        ),
      );
    };
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (error) => logger.error({ err: error }, 'HTTP server error'));

  const address = server.address() as AddressInfo;
  logger.info({ address: address.address, port: address.port }, 'HTTP API listening');

  let closing: Promise<void> | null = null;
  return {
    address,
    close() {
      largeBodies.close();
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
