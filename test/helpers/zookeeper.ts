// Test helper: a real standalone ZooKeeper on a free loopback port (Debian's zookeeper package),
// and Mesos-master stand-ins that register json.info_ nodes from their own sessions.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zookeeper from 'node-zookeeper-client';
import type { Client } from 'node-zookeeper-client';

const ZK_JAR_CANDIDATES = ['/usr/share/java/zookeeper.jar', '/usr/share/zookeeper/zookeeper.jar'];
const START_TIMEOUT_MS = 30_000;

export interface ZooKeeperServer {
  readonly port: number;
  /** "127.0.0.1:port" */
  readonly hostPort: string;
  /** Whether the server process is running. */
  readonly running: boolean;
  /** Kills the server abruptly (as a crash would); data survives for start(). */
  kill(): Promise<void>;
  /** (Re)starts the server on the same port and data directory. */
  start(): Promise<void>;
  /** Freezes the server process (SIGSTOP): connections stay open but nothing is answered. */
  pause(): void;
  /** Thaws a paused server (SIGCONT). */
  resume(): void;
  /** Deletes the stored data (sessions, nodes) of a killed server, as if rebuilt empty. */
  wipe(): Promise<void>;
  /** Kills the server and removes its temporary directory. */
  close(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) {
    child.kill('SIGKILL');
  }
});

export async function startZooKeeper(): Promise<ZooKeeperServer> {
  const jar = ZK_JAR_CANDIDATES.find((p) => existsSync(p));
  if (!jar) {
    throw new Error(
      `ZooKeeper jar not found (looked at ${ZK_JAR_CANDIDATES.join(', ')}); apt-get install zookeeper`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'mesos-dns-ts-zk-'));
  const port = await freePort();
  const cfg = join(dir, 'zoo.cfg');
  await writeFile(
    cfg,
    [
      'tickTime=200',
      `dataDir=${join(dir, 'data')}`,
      `clientPort=${port}`,
      'clientPortAddress=127.0.0.1',
      'admin.enableServer=false',
      '4lw.commands.whitelist=ruok,srvr',
      // Short sessions for the detector under test; long ones let fake masters outlive outages.
      'minSessionTimeout=400',
      'maxSessionTimeout=30000',
      '',
    ].join('\n'),
  );

  let child: ChildProcess | null = null;
  let output = '';

  const start = async (): Promise<void> => {
    if (child) {
      return;
    }
    output = '';
    const proc = spawn(
      'java',
      [
        '-Xmx128m',
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        '-cp',
        jar,
        'org.apache.zookeeper.server.quorum.QuorumPeerMain',
        cfg,
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-4000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    proc.on('error', keep.bind(null, Buffer.from('spawn failed')));
    live.add(proc);
    child = proc;
    proc.once('exit', () => {
      live.delete(proc);
      if (child === proc) {
        child = null;
      }
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child !== proc) {
        throw new Error(`ZooKeeper exited during start-up on port ${port}:\n${output}`);
      }
      if ((await fourLetterWord(port, 'ruok')) === 'imok') {
        return;
      }
      await sleep(100);
    }
    await stopChild(proc);
    throw new Error(`ZooKeeper did not answer ruok on 127.0.0.1:${port} within 30s:\n${output}`);
  };

  const kill = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (proc) {
      await stopChild(proc);
    }
  };

  await start();
  return {
    port,
    hostPort: `127.0.0.1:${port}`,
    get running() {
      return child !== null;
    },
    kill,
    start,
    pause: () => {
      child?.kill('SIGSTOP');
    },
    resume: () => {
      child?.kill('SIGCONT');
    },
    wipe: async () => {
      if (child) {
        throw new Error('kill() the ZooKeeper server before wipe()');
      }
      await rm(join(dir, 'data'), { recursive: true, force: true });
    },
    close: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A Mesos master stand-in: its own ZooKeeper session holding one ephemeral group node. */
export interface FakeMaster {
  /** Full znode path, e.g. "/mesos/json.info_0000000003". */
  readonly node: string;
  /** Deletes the node but keeps the session (the master lost leadership). */
  remove(): Promise<void>;
  /** Ends the session, so ZooKeeper deletes the ephemeral node (the master died). */
  close(): Promise<void>;
}

export function masterInfo(ip: string, port = 5050): Record<string, unknown> {
  return {
    id: `master-${ip}-${port}`,
    ip: 0,
    port,
    pid: `master@${ip}:${port}`,
    hostname: `master-${ip.replaceAll('.', '-')}`,
    address: { hostname: `master-${ip.replaceAll('.', '-')}`, ip, port },
    version: '1.11.0',
  };
}

/** Registers as Mesos does: an ephemeral sequential `<prefix>NNNNNNNNNN` node under `group`. */
export async function registerMaster(
  hostPort: string,
  group: string,
  data: Record<string, unknown> | Buffer,
  prefix = 'json.info_',
): Promise<FakeMaster> {
  const client = await connectClient(hostPort);
  try {
    await new Promise<void>((resolve, reject) => {
      client.mkdirp(group, (err) => (err ? reject(toError(err)) : resolve()));
    });
    const payload = Buffer.isBuffer(data) ? data : Buffer.from(JSON.stringify(data));
    const node = await new Promise<string>((resolve, reject) => {
      client.create(
        `${group}/${prefix}`,
        payload,
        zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL,
        (err, path) => (err ? reject(toError(err)) : resolve(path)),
      );
    });
    return {
      node,
      remove: () =>
        new Promise<void>((resolve, reject) => {
          client.remove(node, (err) => (err ? reject(toError(err)) : resolve()));
        }),
      close: () => closeClient(client),
    };
  } catch (err) {
    await closeClient(client);
    throw err;
  }
}

export async function connectClient(hostPort: string, sessionTimeout = 30_000): Promise<Client> {
  const client = zookeeper.createClient(hostPort, { sessionTimeout, spinDelay: 200 });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.close();
      reject(new Error(`could not connect a ZooKeeper client to ${hostPort} within 10s`));
    }, 10_000);
    client.once('connected', () => {
      clearTimeout(timer);
      resolve();
    });
    client.connect();
  });
  return client;
}

/** Closes a session and waits until the server has acknowledged (ephemerals are then gone). */
export async function closeClient(client: Client): Promise<void> {
  if (client.getState() !== zookeeper.State.SYNC_CONNECTED) {
    client.close();
    return;
  }
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 3000);
    client.once('disconnected', () => {
      clearTimeout(timer);
      resolve();
    });
    client.close();
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

async function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) {
    return;
  }
  await new Promise<void>((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function fourLetterWord(port: number, word: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(1000, () => socket.destroy());
    socket.on('connect', () => socket.end(word));
    socket.on('data', (d: Buffer) => (reply += d.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(reply));
  });
}
