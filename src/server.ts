// The one composition function: wires config → leader source → poller → record store → DNS and
// HTTP servers. Nothing here parses input or touches process state; cli.ts owns the process.
import { networkInterfaces } from 'node:os';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from './clock.ts';
import type { Config } from './config/types.ts';
import { forwarderFromConfig } from './dns/forward/setup.ts';
import type { Forwarder } from './dns/forward/forwarder.ts';
import { Zone } from './dns/authority.ts';
import { DnsServer } from './dns/server.ts';
import { Primary } from './dns/transfer/primary.ts';
import { DnsThreadPool } from './dns/workers/pool.ts';
import { startHttpServer, type HttpServerHandle } from './http/server.ts';
import type { Logger } from './log.ts';
import type { LeaderObserver, LeaderSource } from './mesos/leader.ts';
import { MastersListSource } from './mesos/masters-list.ts';
import { StatePoller, loadParamsFromConfig } from './mesos/poller.ts';
import type { StateLoader } from './mesos/state-loader.ts';
import { StateStreamer, streamParamsFromConfig } from './mesos/streamer.ts';
import { Metrics } from './metrics/metrics.ts';
import { failOpenChange } from './records/fail-open.ts';
import type { RecordSet } from './records/recordset.ts';
import { RecordStore } from './records/store.ts';
import { VERSION } from './version.ts';

export interface ServerOptions {
  readonly logger: Logger;
  readonly clock?: Clock;
  /**
   * The loader of the first poller (stateSource "poll"), its worker already started by the
   * caller (cli.ts starts it before this module loads, so that the two overlap); default: a
   * worker started with the first load. Closed with the server, used or not.
   */
  readonly stateLoader?: StateLoader;
  /** Test hook: the interface table used when `listener` is a wildcard. */
  readonly interfaces?: () => ReturnType<typeof networkInterfaces>;
}

export interface RunningServer {
  readonly store: RecordStore;
  readonly metrics: Metrics;
  /** The poller (stateSource "poll", or "auto" where the master has no v1 API), else null. */
  readonly poller: StatePoller | null;
  /** The event stream follower (stateSource "subscribe" or "auto"), else null. */
  readonly streamer: StateStreamer | null;
  /** Bound DNS address (UDP and TCP share the port), or null when `dnson` is false. */
  readonly dns: AddressInfo | null;
  readonly http: AddressInfo | null;
  /** The DNS threads when `workers` > 1 (null when DNS is served on the main thread or off). */
  readonly dnsThreads: DnsThreadPool | null;
  /** Called when detection gives up for good (zkDetectionTimeout): the process should exit. */
  onFatal(listener: (error: Error) => void): void;
  close(): Promise<void>;
}

/**
 * The addresses `SOAMname` resolves to: the listener itself, or with a wildcard listener every
 * non-loopback interface address of the family, as mesos-dns does.
 */
export function nameserverAddresses(
  listener: string,
  interfaces: ReturnType<typeof networkInterfaces>,
): string[] {
  if (listener !== '' && listener !== '0.0.0.0' && listener !== '::') return [listener];
  const out: string[] = [];
  for (const list of Object.values(interfaces)) {
    for (const entry of list ?? []) {
      if (entry.internal) continue;
      if (listener === '0.0.0.0' && entry.family !== 'IPv4') continue;
      // Link-local IPv6 needs a zone to be usable; it is no address to hand out in DNS.
      if (entry.family === 'IPv6' && entry.address.toLowerCase().startsWith('fe80:')) continue;
      out.push(entry.address);
    }
  }
  return out;
}

async function leaderSourceFor(
  config: Config,
  logger: Logger,
  clock: Clock,
  observer: LeaderObserver,
): Promise<LeaderSource> {
  const list = config.masters.length > 0 ? new MastersListSource(config.masters) : null;
  if (config.zk === '') {
    if (!list) throw new Error('config: neither "masters" nor "zk" is set');
    return list;
  }
  // Loaded only when used: the ZooKeeper client library costs the main thread memory otherwise.
  const { createZkLeaderSource } = await import('./mesos/zk/leader-source.ts');
  return createZkLeaderSource({
    url: config.zk,
    detectionTimeoutSeconds: config.zkDetectionTimeout,
    logger,
    clock,
    observer,
    fallback: list,
  });
}

export async function startServer(config: Config, options: ServerOptions): Promise<RunningServer> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const metrics = new Metrics({ version: VERSION });
  const store = new RecordStore();
  store.onLoad((info, set) => metrics.stateLoaded(info, set));
  let previous: RecordSet | null = null;
  store.onSwap((set) => {
    const { started, ended } = failOpenChange(previous, set);
    previous = set;
    // Once per name when it starts and when it ends, however many loads it lasts.
    for (const name of started) {
      logger.warn(
        { name },
        'every task behind this name is unhealthy; answering them all (fail open)',
      );
    }
    for (const name of ended) logger.info({ name }, 'fail open ended: healthy tasks answer again');
    metrics.failOpenStarted(started.length);
  });
  store.onFailure(() => metrics.stateLoadFailed());

  const fatalListeners: ((error: Error) => void)[] = [];
  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    // Reverse start order: stop polling before the servers that serve what it loads.
    for (const closer of closers.reverse()) {
      await closer().catch((err: unknown) => logger.warn({ err }, 'error while closing'));
    }
    closers.length = 0;
  };
  // Taken by the first poller (whose stop closes it too; closing again does nothing).
  let earlyLoader = options.stateLoader ?? null;
  if (earlyLoader !== null) {
    const l = earlyLoader;
    closers.push(() => l.close());
  }

  try {
    // With workers > 1 each DNS thread runs its own forwarder (and cache) instead.
    const threaded = config.dnson && config.workers > 1;
    let forwarder: Forwarder | null = null;
    if (config.dnson && config.externalon) {
      if (config.resolvers.length === 0 && Object.keys(config.zoneResolvers).length === 0) {
        logger.warn(
          'externalon is true but no resolvers are known: names outside the domain get SERVFAIL',
        );
      }
    }
    if (config.dnson && config.externalon && !threaded) {
      forwarder = forwarderFromConfig(config, { observer: metrics, logger, clock });
      const f = forwarder;
      closers.push(() => f.close());
    }

    let dnsAddress: AddressInfo | null = null;
    let dnsListening = false;
    let pool: DnsThreadPool | null = null;
    // The zone's versions (IXFR journal) and NOTIFY follow the store here on the main thread,
    // whichever thread owns the DNS port; DNS threads relay transfer requests to it.
    const zone = new Zone(config);
    const primary = config.dnson
      ? new Primary({
          config,
          store,
          zone,
          // Each version has the serial the store stamped on its set, as queries see it.
          serial: (set) => set.serial ?? 0,
          observer: metrics,
          logger,
          // DNS threads answer the secondaries' SOA checks: NOTIFY once they serve the set.
          announceOnSwap: !threaded,
        })
      : null;
    if (primary !== null) closers.push(() => Promise.resolve(primary.close()));
    if (threaded && primary !== null) {
      const threads = new DnsThreadPool({
        config,
        store,
        metrics,
        logger,
        transfers: { service: primary.service, zone },
      });
      pool = threads;
      threads.onAllServing((set) => primary.announce(set));
      closers.push(() => threads.close());
      primary.start();
      dnsAddress = await threads.start();
    } else if (primary !== null) {
      const dns = new DnsServer({
        config,
        store,
        forwarder,
        observer: metrics,
        logger,
        transfers: primary.service,
      });
      primary.start();
      const bound = await dns.listen();
      logger.info({ address: bound.udp.address, port: bound.udp.port }, 'dns listening (udp, tcp)');
      closers.push(() => dns.close());
      dnsAddress = bound.udp;
      dnsListening = true;
    }

    let poller: StatePoller | null = null;
    let streamer: StateStreamer | null = null;
    let http: HttpServerHandle | null = null;
    if (config.httpon) {
      http = await startHttpServer({
        config,
        store,
        metrics,
        logger,
        isDnsListening: () => (pool ? pool.listening : dnsListening || !config.dnson),
        version: VERSION,
        clock,
        // The load or stream worker holds the whole set and renders the large bodies; both
        // start below.
        render: (body) => poller?.render(body) ?? streamer?.render(body) ?? Promise.resolve(null),
      });
      const h = http;
      closers.push(() => h.close());
    }

    const source = await leaderSourceFor(config, logger, clock, metrics);
    source.onFatal((error) => {
      logger.fatal({ err: error.message }, 'leader detection gave up');
      for (const listener of fatalListeners) listener(error);
    });
    await source.start();
    closers.push(() => source.stop());

    const addresses = nameserverAddresses(
      config.listener,
      (options.interfaces ?? networkInterfaces)(),
    );
    const startPolling = (): StatePoller => {
      const loader = earlyLoader ?? undefined;
      earlyLoader = null;
      const p = new StatePoller({
        store,
        source,
        params: loadParamsFromConfig(config, addresses),
        refreshSeconds: config.refreshSeconds,
        logger,
        clock,
        observer: metrics,
        ...(loader === undefined ? {} : { loader }),
      });
      p.start();
      closers.push(() => p.stop());
      return p;
    };
    if (config.stateSource === 'poll') {
      poller = startPolling();
    } else {
      const s = new StateStreamer({
        store,
        source,
        params: streamParamsFromConfig(config, addresses),
        logger,
        metrics,
        clock,
        ...(config.stateSource === 'auto'
          ? {
              onUnsupported: (message: string) => {
                logger.warn(
                  { err: message },
                  'the masters do not serve the v1 event stream; polling /master/state instead',
                );
                fallBack();
              },
              // Logged by the streamer, with the sizes and what to change.
              onTooLarge: () => fallBack(),
            }
          : {}),
      });
      const fallBack = (): void => {
        if (streamer !== s) return;
        streamer = null;
        void s.stop();
        poller = startPolling();
      };
      streamer = s;
      s.start();
      closers.push(() => s.stop());
    }

    return {
      store,
      metrics,
      get poller() {
        return poller;
      },
      get streamer() {
        return streamer;
      },
      dns: dnsAddress,
      http: http?.address ?? null,
      dnsThreads: pool,
      onFatal: (listener) => fatalListeners.push(listener),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
