// A simulated Mesos master: serves GET /master/state (and its aliases) from a cluster model
// on 127.0.0.1, can be changed while running, fail on demand, require auth or TLS.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { makeTask, type SimCluster, type SimTask, type TaskSpec } from './cluster.ts';

export type FailureMode =
  | null
  /** Answer with this HTTP status. */
  | number
  /** Accept the request and never answer. */
  | 'hang'
  /** 200 with a body that is not JSON. */
  | 'garbage'
  /** 200 with JSON that is not a Mesos state. */
  | 'not-a-state'
  /** Headers and the first bytes at once, then the rest of the body never comes. */
  | 'slow-body'
  /** Response headers one byte every 200 ms, never complete: alive, but never answering. */
  | 'trickle';

export interface SimMasterOptions {
  readonly cluster: SimCluster;
  /** UPID this master names as leader ("master@ip:port"); default: itself. */
  readonly leader?: string;
  readonly auth?: { readonly principal: string; readonly secret: string };
  readonly tls?: {
    readonly key: string;
    readonly cert: string;
    /** CA that client certificates must chain to. */
    readonly ca?: string;
    readonly requireClientCert?: boolean;
  };
  /** Send the body with chunked encoding (no Content-Length). */
  readonly chunked?: boolean;
  /** Listen here instead of a fresh port 0 (to restart a master on the same port). */
  readonly port?: number;
  /**
   * Replace this many running tasks before answering each state request (a new instance of the
   * same app on the next agent), so every load sees changed records — as a busy cluster does.
   */
  readonly churnPerRequest?: number;
}

export interface StartTaskSpec {
  readonly name: string;
  /** Framework name; default the first framework. */
  readonly framework?: string;
  /** Agent index; default 0. */
  readonly agent?: number;
  readonly ports?: readonly (readonly [number, number])[];
  readonly containerIps?: readonly string[];
  readonly state?: string;
}

const STATE_PATHS = new Set(['/master/state', '/master/state.json', '/state', '/state.json']);

export class SimMaster {
  readonly #options: SimMasterOptions;
  readonly #server: http.Server;
  readonly #cluster: SimCluster;
  readonly #started = Date.now() / 1000;
  readonly #id = randomUUID();
  #leader: string | null;
  #failing: FailureMode = null;
  #churned = 0;
  #body: Buffer | null = null;
  #requests = 0;
  #stateRequests = 0;

  private constructor(options: SimMasterOptions) {
    this.#options = options;
    this.#cluster = options.cluster;
    this.#leader = options.leader ?? null;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      this.#handle(req, res);
    };
    this.#server = options.tls
      ? https.createServer(
          {
            key: options.tls.key,
            cert: options.tls.cert,
            ...(options.tls.ca !== undefined ? { ca: options.tls.ca } : {}),
            requestCert: options.tls.requireClientCert === true,
            rejectUnauthorized: options.tls.requireClientCert === true,
          },
          handler,
        )
      : http.createServer(handler);
  }

  static async start(options: SimMasterOptions): Promise<SimMaster> {
    const master = new SimMaster(options);
    await new Promise<void>((resolve, reject) => {
      master.#server.once('error', reject);
      master.#server.listen(options.port ?? 0, '127.0.0.1', () => {
        master.#server.off('error', reject);
        resolve();
      });
    });
    return master;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** "127.0.0.1:port", as the `masters` config lists it. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get upid(): string {
    return `master@${this.address}`;
  }

  get url(): string {
    return `${this.#options.tls ? 'https' : 'http'}://${this.address}`;
  }

  /** Requests for the state so far (any alias). */
  get stateRequests(): number {
    return this.#stateRequests;
  }

  get requests(): number {
    return this.#requests;
  }

  get cluster(): SimCluster {
    return this.#cluster;
  }

  /** null: this master leads; otherwise the UPID ("master@ip:port") it names as leader. */
  setLeader(leader: string | null): void {
    this.#leader = leader;
    this.#body = null;
  }

  setFailing(mode: FailureMode): void {
    this.#failing = mode;
  }

  /** Adds a running task; returns its id. */
  startTask(spec: StartTaskSpec): string {
    const framework =
      spec.framework === undefined
        ? this.#cluster.frameworks[0]
        : this.#cluster.frameworks.find((f) => f.name === spec.framework);
    if (!framework) throw new Error(`sim: no framework named ${spec.framework ?? '(first)'}`);
    const agent = this.#cluster.slaves[spec.agent ?? 0];
    if (!agent) throw new Error(`sim: no agent ${spec.agent ?? 0}`);
    const taskSpec: TaskSpec = {
      id: `${spec.name}.${randomUUID()}`,
      name: spec.name,
      frameworkId: framework.id,
      agentId: agent.id,
      timestamp: Date.now() / 1000,
      ...(spec.ports ? { ports: spec.ports } : {}),
      ...(spec.containerIps ? { containerIps: spec.containerIps } : {}),
      ...(spec.state !== undefined ? { state: spec.state } : {}),
    };
    framework.tasks.push(makeTask(taskSpec));
    this.#body = null;
    return taskSpec.id;
  }

  /** Moves a task to TASK_KILLED in completed_tasks; false when no such task runs. */
  killTask(taskId: string): boolean {
    for (const framework of this.#cluster.frameworks) {
      const index = framework.tasks.findIndex((t) => t.id === taskId);
      if (index < 0) continue;
      const [task] = framework.tasks.splice(index, 1) as [SimTask];
      task.state = 'TASK_KILLED';
      task.statuses = [
        ...(task.statuses ?? []),
        { state: 'TASK_KILLED', timestamp: Date.now() / 1000 },
      ];
      framework.completed_tasks.push(task);
      this.#body = null;
      return true;
    }
    return false;
  }

  /** Call after editing `cluster` directly. */
  changed(): void {
    this.#body = null;
  }

  /** The state document as Mesos 1.x serves it. */
  state(): Record<string, unknown> {
    const leader = this.#leader ?? this.upid;
    const leaderAddress = leader.slice(leader.indexOf('@') + 1);
    const colon = leaderAddress.lastIndexOf(':');
    const leaderIp = leaderAddress.slice(0, colon).replace(/^\[|\]$/g, '');
    const leaderPort = Number(leaderAddress.slice(colon + 1));
    const slaves = this.#cluster.slaves;
    return {
      version: '1.11.0',
      git_sha: '0ba40f86759307cefab1c8702724debe87007bb0',
      build_date: '2020-11-19 09:10:32',
      build_time: 1605777032,
      build_user: '',
      start_time: this.#started,
      elected_time: this.#started + 1,
      id: this.#id,
      pid: this.upid,
      hostname: '127.0.0.1',
      capabilities: ['AGENT_UPDATE', 'AGENT_DRAINING', 'QUOTA_V2'],
      activated_slaves: slaves.filter((s) => s.active !== false).length,
      deactivated_slaves: slaves.filter((s) => s.active === false).length,
      unreachable_slaves: 0,
      cluster: 'sim',
      leader,
      leader_info: {
        id: this.#leader === null ? this.#id : randomUUID(),
        pid: leader,
        port: leaderPort,
        ip: ipv4ToMesosInt(leaderIp),
        hostname: leaderIp,
        address: { ip: leaderIp, hostname: leaderIp, port: leaderPort },
        version: '1.11.0',
        domain: {},
      },
      log_dir: '/var/log/mesos',
      flags: { port: String(this.port), quorum: '1', work_dir: '/var/lib/mesos' },
      slaves,
      frameworks: this.#cluster.frameworks,
      completed_frameworks: [],
      orphan_tasks: [],
      unregistered_frameworks: [],
    };
  }

  /** Ends the server and drops open connections (including hung ones). */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.#requests++;
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (path === '/health') {
      res.writeHead(200).end();
      return;
    }
    if (path === '/master/redirect' || path === '/redirect') {
      const leader = this.#leader ?? this.upid;
      res.writeHead(307, { location: `//${leader.slice(leader.indexOf('@') + 1)}` }).end();
      return;
    }
    if (!STATE_PATHS.has(path)) {
      res.writeHead(404).end();
      return;
    }
    this.#stateRequests++;
    if (!this.#authorized(req)) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="mesos"' }).end();
      return;
    }
    const failing = this.#failing;
    if (typeof failing === 'number') {
      res.writeHead(failing, { 'content-type': 'text/plain' }).end(`simulated ${failing}\n`);
      return;
    }
    if (failing === 'hang') return;
    if (failing === 'trickle') {
      const socket = req.socket;
      const head = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: ';
      let sent = 0;
      const timer = setInterval(() => {
        if (socket.destroyed) return;
        socket.write(sent < head.length ? head.charAt(sent) : 'a');
        sent++;
      }, 200);
      socket.once('close', () => clearInterval(timer));
      return;
    }
    if (failing === 'garbage') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>not a state</html>');
      return;
    }
    if (failing === 'not-a-state') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"hello":"world"}');
      return;
    }
    this.#churn(this.#options.churnPerRequest ?? 0);
    const body = (this.#body ??= Buffer.from(JSON.stringify(this.state())));
    if (failing === 'slow-body') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.write(body.subarray(0, Math.min(100, body.length - 1)));
      return;
    }
    if (this.#options.chunked === true) {
      res.writeHead(200, { 'content-type': 'application/json' });
      const step = 64 * 1024;
      for (let i = 0; i < body.length; i += step) res.write(body.subarray(i, i + step));
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** Replaces `count` running tasks of the first framework, round-robin over its tasks. */
  #churn(count: number): void {
    const framework = this.#cluster.frameworks[0];
    const agents = this.#cluster.slaves.length;
    if (!framework || agents === 0) return;
    for (let i = 0; i < count && framework.tasks.length > 0; i++) {
      const victim = framework.tasks[this.#churned++ % framework.tasks.length]!;
      const agentIndex = this.#cluster.slaves.findIndex((a) => a.id === victim.slave_id);
      const ports = parsePorts(victim.resources?.ports);
      this.killTask(victim.id);
      this.startTask({
        name: victim.name,
        agent: (agentIndex + 1) % agents,
        ...(ports.length > 0 ? { ports } : {}),
      });
    }
  }

  #authorized(req: http.IncomingMessage): boolean {
    const auth = this.#options.auth;
    if (!auth) return true;
    const header = req.headers.authorization ?? '';
    const expected = `Basic ${Buffer.from(`${auth.principal}:${auth.secret}`).toString('base64')}`;
    return header === expected;
  }
}

/** Mesos's leader_info.ip: the IPv4 address's network-order bytes read as a little-endian int. */
function ipv4ToMesosInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return 0;
  return ((parts[3]! << 24) >>> 0) + (parts[2]! << 16) + (parts[1]! << 8) + parts[0]!;
}

/** "[31000-31001, 31005-31005]" → [[31000, 31001], [31005, 31005]]. */
function parsePorts(text: string | undefined): [number, number][] {
  const out: [number, number][] = [];
  for (const match of (text ?? '').matchAll(/(\d+)-(\d+)/g)) {
    out.push([Number(match[1]), Number(match[2])]);
  }
  return out;
}
