// LeaderSource over ZooKeeper: watches the Mesos master group (json.info_N children), reports the
// lowest-sequence master as leader, and gives up via onFatal after zkDetectionTimeout without one.
import zookeeper from 'node-zookeeper-client';
import type { Client, Event, Exception, State } from 'node-zookeeper-client';
import { systemClock, type Clock } from '../../clock.ts';
import { Backoff } from '../../backoff.ts';
import type { Logger } from '../../log.ts';
import { parseZkUrl, formatHost, type ZkUrl } from '../../net/zk-url.ts';
import type { LeaderObserver, LeaderSource, MasterView } from '../leader.ts';
import { closeZkClient, createZkClient, dropConnection } from './client.ts';
import { classifyChild, jsonInfoChildren, masterAddress } from './master-info.ts';

export interface ZkDetectorOptions {
  /** The `zk` setting, or an already parsed URL. */
  readonly url: string | ZkUrl;
  /** zkDetectionTimeout, seconds without a known leader before onFatal; 0 disables. */
  readonly detectionTimeoutSeconds: number;
  readonly logger: Logger;
  /** Requested ZooKeeper session timeout (the server clamps it). Default 10 s, as Mesos uses. */
  readonly sessionTimeoutMs?: number;
  /** Upper bound of the random pause before retrying after every host refused. Default 1 s. */
  readonly spinDelayMs?: number;
  /** Longest pause between new sessions after expiry or auth failure. Default 10 s. */
  readonly maxSessionBackoffMs?: number;
  /** Tells when the server stopped answering the probe; default the system clock. */
  readonly clock?: Clock;
  /** Told whenever the session connects or disconnects (the `mesos_dns_zk_connected` gauge). */
  readonly observer?: Pick<LeaderObserver, 'zkConnected'>;
}

const EMPTY: MasterView = Object.freeze({ leader: null, masters: Object.freeze([]) });

type ZkError = Error | Exception | null;

export class ZkDetector implements LeaderSource {
  readonly url: ZkUrl;
  private readonly timeoutMs: number;
  private readonly log: Logger;
  private readonly sessionTimeoutMs: number;
  private readonly spinDelayMs: number;
  private readonly clock: Clock;
  /** Pause before each new session: the first at once (expiry is usually one-off), then longer. */
  private readonly sessionBackoff: Backoff;
  private readonly observer: Pick<LeaderObserver, 'zkConnected'> | null;

  private view: MasterView = EMPTY;
  private client: Client | null = null;
  private session = 0;
  private connected = false;
  private running = false;
  private refreshing = false;
  private refreshSession = -1;
  private refreshAgain = false;
  private warnedLegacy = false;
  private readonly warnedNodes = new Set<string>();
  /** node name → address, or null when its MasterInfo could not be read (warned once). */
  private readonly infoCache = new Map<string, string | null>();
  private fatalTimer: NodeJS.Timeout | null = null;
  private sessionTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  private fatalFired = false;
  private readonly watchers = new Map<number, (event: Event) => void>();
  private readonly changeListeners: ((view: MasterView) => void)[] = [];
  private readonly fatalListeners: ((error: Error) => void)[] = [];

  constructor(options: ZkDetectorOptions) {
    this.url = typeof options.url === 'string' ? parseZkUrl(options.url) : options.url;
    if (!Number.isFinite(options.detectionTimeoutSeconds) || options.detectionTimeoutSeconds < 0) {
      throw new Error(
        `zkDetectionTimeout must be a number of seconds >= 0 (0 disables), got ${String(options.detectionTimeoutSeconds)}`,
      );
    }
    this.timeoutMs = options.detectionTimeoutSeconds * 1000;
    this.log = options.logger.child({ component: 'zk', zk: this.url.display });
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
    this.spinDelayMs = options.spinDelayMs ?? 1000;
    this.clock = options.clock ?? systemClock;
    this.sessionBackoff = new Backoff({
      initialMs: 500,
      maxMs: options.maxSessionBackoffMs ?? 10_000,
      // Jittered, so detectors that lost the same server do not all come back at once.
      jitter: 0.5,
      immediateFirst: true,
    });
    this.observer = options.observer ?? null;
  }

  start(): Promise<void> {
    if (this.running) {
      return Promise.resolve();
    }
    this.running = true;
    this.fatalFired = false;
    this.observer?.zkConnected(false);
    this.armFatalTimer();
    this.openSession();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.session += 1; // late callbacks of the old session see a stale id and do nothing
    this.clearTimer('fatalTimer');
    this.clearTimer('sessionTimer');
    this.clearTimer('expiryTimer');
    this.stopProbe();
    const client = this.client;
    this.client = null;
    this.setConnected(false);
    if (client) {
      await closeZkClient(client, this.log);
    }
  }

  current(): MasterView {
    return this.view;
  }

  noteLeader(_leader: string): void {
    // ZooKeeper says who leads; a state's word is older news.
  }

  onChange(listener: (view: MasterView) => void): void {
    this.changeListeners.push(listener);
  }

  onFatal(listener: (error: Error) => void): void {
    this.fatalListeners.push(listener);
  }

  private openSession(): void {
    if (!this.running) {
      return;
    }
    const id = ++this.session;
    let client: Client;
    try {
      client = createZkClient(this.url, {
        sessionTimeoutMs: this.sessionTimeoutMs,
        spinDelayMs: this.spinDelayMs,
      });
    } catch (err) {
      this.log.error({ err }, 'could not create a ZooKeeper client; retrying');
      this.scheduleSession();
      return;
    }
    this.client = client;
    client.on('state', (state: State) => {
      this.onState(id, client, state);
    });
    this.log.debug({ hosts: this.url.hosts.map(formatHost) }, 'connecting to ZooKeeper');
    client.connect();
    // Also bounds the handshake: the library waits forever for a server that accepted the TCP
    // connection but never answers (hung or stopped process).
    this.armExpiryTimer(id, client);
  }

  private onState(id: number, client: Client, state: State): void {
    if (id !== this.session || !this.running) {
      return;
    }
    const { State: S } = zookeeper;
    if (state === S.SYNC_CONNECTED || state === S.CONNECTED_READ_ONLY) {
      this.clearTimer('expiryTimer');
      this.setConnected(true);
      this.startProbe(id, client);
      this.log.info('connected to ZooKeeper');
      this.scheduleRefresh(id);
    } else if (state === S.DISCONNECTED) {
      if (this.connected) {
        this.log.warn('lost the ZooKeeper connection; reconnecting');
      }
      this.setConnected(false);
      this.stopProbe();
      this.armExpiryTimer(id, client);
      // The last view may be stale; keep the masters (still worth asking) but not the leader.
      this.setView({ leader: null, masters: this.view.masters });
    } else if (state === S.EXPIRED) {
      this.log.warn('ZooKeeper session expired; starting a new session');
      this.replaceSession(client);
    } else if (state === S.AUTH_FAILED) {
      this.log.error(
        'ZooKeeper rejected the credentials of the zk URL; check user:password; retrying',
      );
      this.replaceSession(client);
    }
  }

  /**
   * Disconnected for longer than the session timeout means the server has expired the session.
   * The library would keep retrying the dead session, and a server that lost its data (rebuilt
   * ensemble) refuses a client that has seen later zxids, so it would never recover on its own.
   */
  private armExpiryTimer(id: number, client: Client): void {
    if (this.expiryTimer) {
      return;
    }
    const timeout = Math.max(client.getSessionTimeout(), 1000);
    this.expiryTimer = setTimeout(() => {
      this.expiryTimer = null;
      if (id === this.session && this.running && !this.connected) {
        this.log.warn(
          { timeoutMs: timeout },
          'no ZooKeeper connection for the whole session timeout; starting a new session',
        );
        this.replaceSession(client);
      }
    }, timeout);
  }

  /**
   * The library sends pings but never checks that answers come back, so a hung server or a
   * silent network partition would look connected forever. A cheap read every third of the
   * session timeout, unanswered for two thirds of it, drops the socket and fails over.
   */
  private startProbe(id: number, client: Client): void {
    this.stopProbe();
    const every = Math.max(100, Math.floor(client.getSessionTimeout() / 3));
    let lastReply = this.clock.now();
    let outstanding = false;
    this.probeTimer = setInterval(() => {
      if (id !== this.session || !this.connected) {
        return;
      }
      if (this.clock.now() - lastReply > 2 * every) {
        this.log.warn('the ZooKeeper server stopped answering; reconnecting');
        this.stopProbe();
        dropConnection(client);
        return;
      }
      if (outstanding) {
        return;
      }
      outstanding = true;
      void call<unknown>((cb) => {
        client.exists(this.url.path, cb);
      }).then(({ error }) => {
        outstanding = false;
        if (!error || codeOf(error) === zookeeper.Exception.NO_NODE) {
          lastReply = this.clock.now();
        }
      });
    }, every);
  }

  private stopProbe(): void {
    if (this.probeTimer) {
      clearInterval(this.probeTimer);
      this.probeTimer = null;
    }
  }

  private replaceSession(client: Client): void {
    this.stopProbe();
    this.clearTimer('expiryTimer');
    this.setConnected(false);
    this.setView({ leader: null, masters: this.view.masters });
    if (this.client === client) {
      this.client = null;
    }
    client.removeAllListeners('state');
    void closeZkClient(client, this.log);
    this.scheduleSession();
  }

  private scheduleSession(): void {
    if (!this.running || this.sessionTimer) {
      return;
    }
    const delay = this.sessionBackoff.next();
    this.sessionTimer = setTimeout(() => {
      this.sessionTimer = null;
      this.openSession();
    }, delay);
  }

  /** One refresh at a time per session; events during one coalesce into a single rerun. */
  private scheduleRefresh(id: number): void {
    // A dead session's read may never call back (the library drops unsent requests on
    // expiry), so only a refresh of the same session blocks a new one.
    if (this.refreshing && this.refreshSession === id) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    this.refreshSession = id;
    this.refreshAgain = false;
    void this.refresh(id)
      .catch((err: unknown) => {
        this.log.error({ err }, 'reading the Mesos master group failed');
      })
      .finally(() => {
        if (this.refreshSession !== id) {
          return;
        }
        this.refreshing = false;
        if (this.refreshAgain && id === this.session && this.running) {
          this.scheduleRefresh(id);
        }
      });
  }

  /** Re-reads the group and re-arms the watches; any watch firing schedules another refresh. */
  private async refresh(id: number): Promise<void> {
    const client = this.client;
    if (!client || id !== this.session) {
      return;
    }
    const path = this.url.path;
    const watcher = this.watcherFor(id);
    const listed = await call<string[]>((cb) => {
      client.getChildren(path, watcher, cb);
    });
    if (id !== this.session) {
      return;
    }
    if (listed.error) {
      if (codeOf(listed.error) === zookeeper.Exception.NO_NODE) {
        // Mesos has not created the group yet: wait for it to appear.
        this.log.warn({ path }, 'the Mesos master group path does not exist yet; waiting for it');
        const exists = await call<unknown>((cb) => {
          client.exists(path, watcher, cb);
        });
        if (id === this.session && !exists.error) {
          this.setView(EMPTY);
        }
        if (!exists.error && exists.value) {
          this.scheduleRefresh(id); // created in between
        }
        return;
      }
      this.reportReadError(listed.error, path);
      return;
    }
    const children = listed.value ?? [];
    this.warnLegacy(children);

    const nodes = jsonInfoChildren(children);
    const names = new Set(nodes.map((n) => n.name));
    for (const name of this.infoCache.keys()) {
      if (!names.has(name)) {
        this.infoCache.delete(name);
      }
    }
    for (const [index, node] of nodes.entries()) {
      // MasterInfo is written once at creation, so only new nodes are read; the leader's read
      // also watches it, so its deletion is seen even if a children event were missed.
      const isLeader = index === 0;
      if (this.infoCache.has(node.name) && !isLeader) {
        continue;
      }
      const nodePath = `${path}/${node.name}`;
      const data = await call<Buffer>((cb) => {
        if (isLeader) {
          client.getData(nodePath, watcher, cb);
        } else {
          client.getData(nodePath, cb);
        }
      });
      if (id !== this.session) {
        return;
      }
      if (data.error) {
        if (codeOf(data.error) === zookeeper.Exception.NO_NODE) {
          this.infoCache.delete(node.name);
          continue; // gone already; the children watch brings the next list
        }
        this.reportReadError(data.error, nodePath);
        return;
      }
      this.infoCache.set(node.name, this.parseInfo(nodePath, data.value));
    }

    const masters: string[] = [];
    let leader: string | null = null;
    for (const node of nodes) {
      const address = this.infoCache.get(node.name);
      if (address == null) {
        continue;
      }
      leader ??= address;
      if (!masters.includes(address)) {
        masters.push(address);
      }
    }
    if (nodes.length === 0) {
      this.log.debug({ path }, 'no Mesos master is registered in ZooKeeper');
    }
    this.sessionBackoff.reset();
    this.setView({ leader, masters });
  }

  private watcherFor(id: number): (event: Event) => void {
    // One function per session: the library then keeps a single registration per path.
    const existing = this.watchers.get(id);
    if (existing) {
      return existing;
    }
    this.watchers.clear();
    const watcher = (event: Event): void => {
      if (id === this.session && this.running) {
        this.log.debug({ event: event.toString() }, 'ZooKeeper watch fired');
        this.scheduleRefresh(id);
      }
    };
    this.watchers.set(id, watcher);
    return watcher;
  }

  private parseInfo(nodePath: string, data: Buffer | undefined): string | null {
    try {
      return masterAddress(nodePath, data ?? Buffer.alloc(0));
    } catch (err) {
      if (!this.warnedNodes.has(nodePath)) {
        this.warnedNodes.add(nodePath);
        this.log.warn({ err }, 'ignoring a Mesos master whose MasterInfo cannot be read');
      }
      return null;
    }
  }

  private warnLegacy(children: readonly string[]): void {
    if (this.warnedLegacy) {
      return;
    }
    const legacy = children.filter((c) => classifyChild(c).kind === 'legacy');
    if (legacy.length > 0) {
      this.warnedLegacy = true;
      this.log.warn(
        { nodes: legacy },
        'ignoring info_ nodes (protobuf MasterInfo from Mesos before 0.24); only json.info_ nodes are read',
      );
    }
  }

  private reportReadError(error: Error | Exception, path: string): void {
    const code = codeOf(error);
    if (code === zookeeper.Exception.NO_AUTH) {
      this.log.error(
        { path },
        'ZooKeeper denied reading the Mesos master group; give user:password@ in the zk URL',
      );
    } else if (
      code !== zookeeper.Exception.CONNECTION_LOSS &&
      code !== zookeeper.Exception.SESSION_EXPIRED
    ) {
      this.log.error({ path, err: error }, 'reading the Mesos master group failed');
    }
    // Connection loss and expiry come back through the state events, which refresh again.
  }

  private setConnected(connected: boolean): void {
    if (connected === this.connected) {
      return;
    }
    this.connected = connected;
    this.observer?.zkConnected(connected);
  }

  private setView(next: MasterView): void {
    const prev = this.view;
    const same =
      prev.leader === next.leader &&
      prev.masters.length === next.masters.length &&
      prev.masters.every((m, i) => m === next.masters[i]);
    if (!same) {
      this.view = Object.freeze({
        leader: next.leader,
        masters: Object.freeze([...next.masters]),
      });
      this.log.info({ leader: next.leader, masters: next.masters }, 'Mesos masters changed');
      for (const listener of this.changeListeners) {
        try {
          listener(this.view);
        } catch (err) {
          this.log.error({ err }, 'a master-change listener threw');
        }
      }
    }
    this.armFatalTimer();
  }

  private armFatalTimer(): void {
    if (this.view.leader !== null || !this.running) {
      this.clearTimer('fatalTimer');
      return;
    }
    if (this.timeoutMs === 0 || this.fatalTimer || this.fatalFired) {
      return;
    }
    this.fatalTimer = setTimeout(() => {
      this.fatalTimer = null;
      this.fatalFired = true;
      const why = this.connected
        ? `no json.info_ node under ${this.url.path}`
        : 'ZooKeeper unreachable';
      const error = new Error(
        `no Mesos leader found in ZooKeeper ${this.url.display} within ${this.timeoutMs / 1000}s (${why})`,
      );
      this.log.error({ err: error }, 'Mesos leader detection timed out');
      for (const listener of this.fatalListeners) {
        try {
          listener(error);
        } catch (err) {
          this.log.error({ err }, 'a fatal-error listener threw');
        }
      }
    }, this.timeoutMs);
  }

  private clearTimer(which: 'fatalTimer' | 'sessionTimer' | 'expiryTimer'): void {
    const timer = this[which];
    if (timer) {
      clearTimeout(timer);
      this[which] = null;
    }
  }
}

interface CallResult<T> {
  readonly error: Error | Exception | null;
  readonly value: T | undefined;
}

/** Runs a callback-style client call as a promise that never rejects (sync throws included). */
function call<T>(run: (cb: (error: ZkError, value: T) => void) => void): Promise<CallResult<T>> {
  return new Promise((resolve) => {
    try {
      run((error, value) => {
        resolve({ error, value });
      });
    } catch (err) {
      resolve({ error: err instanceof Error ? err : new Error(String(err)), value: undefined });
    }
  });
}

function codeOf(error: Error | Exception): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}
