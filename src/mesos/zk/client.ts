// The one module that knows node-zookeeper-client's private ConnectionManager. The library cannot
// parse IPv6 hosts, has no way to drop a connection that stopped answering, and no "closed" event,
// so this reaches into its fields. package.json pins the library exactly, and
// test/zk/client-internals.test.ts fails naming the field when an upgrade changes any of them.
import zookeeper from 'node-zookeeper-client';
import type { Client } from 'node-zookeeper-client';
import type { Logger } from '../../log.ts';
import type { ZkHost, ZkUrl } from '../../net/zk-url.ts';

export interface ZkClientOptions {
  readonly sessionTimeoutMs: number;
  readonly spinDelayMs: number;
}

/** ConnectionManager.STATES.CLOSED in the pinned version. */
const CLOSED = -2;
const CLOSE_WAIT_MS = 2000;
const CLOSE_POLL_MS = 20;

/** The private fields used here, as the pinned version has them. */
interface ConnectionManagerInternals {
  /** The ensemble, as the library parsed it from the connection string; we replace it. */
  servers?: unknown;
  state?: unknown;
  socket?: { destroy?: () => void } | null;
  connectTimeoutHandler?: NodeJS.Timeout | null;
}

/**
 * A client for the URL's hosts and credentials, not yet connected. Throws when the hosts include
 * IPv6 literals and the library's server list cannot be replaced.
 */
export function createZkClient(url: ZkUrl, options: ZkClientOptions): Client {
  const client = zookeeper.createClient(url.hosts.map(hostForLibrary).join(','), {
    sessionTimeout: options.sessionTimeoutMs,
    spinDelay: options.spinDelayMs,
    retries: 0,
  });
  useServers(client, url.hosts);
  if (url.auth) {
    const { user, password } = url.auth;
    client.addAuthInfo('digest', Buffer.from(`${user}:${password}`));
  }
  return client;
}

/** Drops the client's socket; the library then reconnects (to the next host) on its own. */
export function dropConnection(client: Client): void {
  internals(client)?.socket?.destroy?.();
}

/**
 * Closes a client and waits until its connection manager is closed, so no socket or reconnect
 * timer outlives it. Resolves true once closed, false if it did not close within 2.5 s.
 */
export async function closeZkClient(client: Client, log: Logger): Promise<boolean> {
  try {
    client.close();
  } catch (err) {
    log.debug({ err }, 'closing the ZooKeeper client threw');
  }
  const cm = internals(client);
  if (!cm) {
    return false;
  }
  let destroyed = false;
  // Counted in poll steps rather than read from a clock: this waits on real timers either way.
  for (
    let waited = 0;
    cm.state !== CLOSED && waited < CLOSE_WAIT_MS + 500;
    waited += CLOSE_POLL_MS
  ) {
    if (!destroyed && waited >= CLOSE_WAIT_MS - 500) {
      // The server did not answer the close request: drop the socket (it then stops retrying).
      destroyed = true;
      cm.socket?.destroy?.();
    }
    await new Promise((resolve) => setTimeout(resolve, CLOSE_POLL_MS));
  }
  if (cm.connectTimeoutHandler) {
    // Left armed when a socket is destroyed before connecting.
    clearTimeout(cm.connectTimeoutHandler);
    cm.connectTimeoutHandler = null;
  }
  if (cm.state !== CLOSED) {
    log.warn('the ZooKeeper client did not close within 2.5s');
    return false;
  }
  return true;
}

/**
 * What no longer matches the private fields this module relies on, one line per field naming it;
 * empty when all is as expected. `socket` is checked only once the client has one.
 */
export function internalsProblems(client: Client): string[] {
  const where = 'node-zookeeper-client Client#connectionManager';
  const cm = internals(client);
  if (!cm) {
    return [`${where} is missing or not an object`];
  }
  const problems: string[] = [];
  const servers = cm.servers;
  if (
    !Array.isArray(servers) ||
    !servers.every(
      (s: unknown) =>
        typeof s === 'object' &&
        s !== null &&
        typeof (s as { host?: unknown }).host === 'string' &&
        typeof (s as { port?: unknown }).port === 'number',
    )
  ) {
    problems.push(`${where}.servers is no longer an array of { host, port }`);
  }
  if (typeof cm.state !== 'number') {
    problems.push(`${where}.state is no longer a number`);
  }
  if (!('connectTimeoutHandler' in cm)) {
    problems.push(`${where}.connectTimeoutHandler is gone`);
  }
  if (cm.socket != null && typeof cm.socket.destroy !== 'function') {
    problems.push(`${where}.socket has no destroy()`);
  }
  return problems;
}

function internals(client: Client): ConnectionManagerInternals | undefined {
  const cm = (client as unknown as { connectionManager?: unknown }).connectionManager;
  return typeof cm === 'object' && cm !== null ? cm : undefined;
}

/**
 * The library splits its connection string on ":" and so cannot parse "[::1]:2181"; it gets
 * placeholder text of the right host count, then our parsed hosts replace its server list.
 */
function hostForLibrary(h: ZkHost): string {
  return h.host.includes(':') ? `ipv6-placeholder:${h.port}` : `${h.host}:${h.port}`;
}

function useServers(client: Client, hosts: readonly ZkHost[]): void {
  const cm = internals(client);
  if (!cm || !Array.isArray(cm.servers) || cm.servers.length !== hosts.length) {
    if (hosts.some((h) => h.host.includes(':'))) {
      throw new Error(
        'this node-zookeeper-client version cannot take IPv6 ZooKeeper hosts; use hostnames or IPv4',
      );
    }
    return; // the library parsed the plain hosts itself
  }
  // Shuffled, as the library does, so many mesos-dns instances spread over the ensemble.
  const servers = hosts.map((h) => ({ host: h.host, port: h.port }));
  for (let i = servers.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [servers[i], servers[j]] = [servers[j]!, servers[i]!];
  }
  cm.servers = servers;
}
