// A simulated Mesos master: serves GET /master/state (and its aliases, /master/state-summary)
// and the v1 operator API's POST /api/v1 (SUBSCRIBE, GET_MASTER) from a cluster model on
// 127.0.0.1, can be changed while running (every change goes out as a v1 event), fail on
// demand, require auth or TLS.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  makeFramework,
  makeTask,
  type SimAgent,
  type SimCluster,
  type SimFramework,
  type SimTask,
  type TaskSpec,
} from './cluster.ts';
import { TERMINAL_TASK_STATES } from '../src/state/v1-types.ts';
import { SimStreams } from './streams.ts';
import {
  agentToV1,
  frameworkInfoToV1,
  frameworkToV1,
  recordIoPieces,
  statusToV1,
  taskJson,
  taskToV1,
} from './v1.ts';
import { Utf8Pieces } from '../src/records/utf8-pieces.ts';

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
  /** Seconds between HEARTBEAT events on SUBSCRIBE streams (Mesos: 15). */
  readonly heartbeatSeconds?: number;
  /** Serve the v1 operator API (default true); false answers /api/v1 with 404, as Mesos < 1.0. */
  readonly v1?: boolean;
  /**
   * Answer SUBSCRIBE (default true); false answers 400, as Mesos 1.0 does: its v1 API has no
   * SUBSCRIBE call, so the request does not parse.
   */
  readonly v1Subscribe?: boolean;
}

/** What the master last told its subscribers about each entity (see `changed`). */
interface Seen {
  readonly tasks: Map<string, string>;
  readonly agents: Map<string, string>;
  readonly frameworks: Map<string, string>;
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
  readonly healthy?: boolean;
}

/** How the SUBSCRIBED record's JSON begins: its tasks list comes first. */
const SUBSCRIBED_HEAD = '{"type":"SUBSCRIBED","subscribed":{"get_state":{"get_tasks":{"tasks":[';

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
  #stateBytes = 0;
  readonly #streams: SimStreams;
  #recovering = false;
  /** Filler bytes in each SUBSCRIBED record (see setSubscribedPadding). */
  #subscribedPadding = 0;
  /** Agents a failed-over master knows from its registry that have not reregistered yet. */
  readonly #recovered = new Set<string>();
  #seen: Seen | null = null;

  private constructor(options: SimMasterOptions) {
    this.#options = options;
    this.#cluster = options.cluster;
    this.#leader = options.leader ?? null;
    this.#streams = new SimStreams(options.heartbeatSeconds ?? 15);
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

  /** Bytes sent so far: state bodies plus event streams. */
  get bytesSent(): number {
    return this.#stateBytes + this.#streams.bytes;
  }

  /** The SUBSCRIBE streams (counts, faults). */
  get streams(): SimStreams {
    return this.#streams;
  }

  /**
   * Adds a field of `bytes` filler (which clients ignore) to the SUBSCRIBED record of later
   * subscriptions: a snapshot as large as a big cluster's, over a record size limit, while
   * /master/state stays small.
   */
  setSubscribedPadding(bytes: number): void {
    this.#subscribedPadding = bytes;
  }

  /** While true, /api/v1 answers 503, as a master that is still recovering its registry. */
  setRecovering(recovering: boolean): void {
    this.#recovering = recovering;
  }

  get cluster(): SimCluster {
    return this.#cluster;
  }

  /** null: this master leads; otherwise the UPID ("master@ip:port") it names as leader. */
  setLeader(leader: string | null): void {
    this.#leader = leader;
    this.#body = null;
    // A master that stops leading ends its subscribers' streams.
    if (leader !== null) this.#streams.closeAll();
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
      ...(spec.healthy !== undefined ? { healthy: spec.healthy } : {}),
    };
    const task = makeTask(taskSpec);
    framework.tasks.push(task);
    this.#body = null;
    this.#taskAdded(task);
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
      this.#taskUpdated(task);
      return true;
    }
    return false;
  }

  /**
   * A new status for a running task (state, health, container addresses), as an executor
   * sends; terminal states move it to completed_tasks. False when no such task runs.
   */
  updateTask(
    taskId: string,
    change: {
      state?: string;
      healthy?: boolean;
      containerIps?: readonly string[];
      /** A Mesos TaskStatus.Reason name, e.g. REASON_TASK_HEALTH_CHECK_STATUS_UPDATED. */
      reason?: string;
    },
  ): boolean {
    for (const framework of this.#cluster.frameworks) {
      const index = framework.tasks.findIndex((t) => t.id === taskId);
      if (index < 0) continue;
      const task = framework.tasks[index]!;
      const state = change.state ?? task.state;
      const last = (task.statuses?.at(-1) ?? {}) as Record<string, unknown>;
      const status: Record<string, unknown> = { ...last, state, timestamp: Date.now() / 1000 };
      delete status['reason'];
      if (change.reason !== undefined) status['reason'] = change.reason;
      if (change.healthy !== undefined) status['healthy'] = change.healthy;
      if (change.containerIps !== undefined) {
        status['container_status'] = {
          container_id: { value: `c-${task.id}` },
          network_infos: [{ ip_addresses: change.containerIps.map((ip) => ({ ip_address: ip })) }],
        };
      }
      task.state = state;
      task.statuses = [
        ...(task.statuses ?? []),
        status as unknown as NonNullable<SimTask['statuses']>[number],
      ];
      if (TERMINAL_TASK_STATES.has(state)) {
        framework.tasks.splice(index, 1);
        framework.completed_tasks.push(task);
      }
      this.#body = null;
      this.#taskUpdated(task);
      return true;
    }
    return false;
  }

  /**
   * A health check result arrives, as Mesos reports it: a new TASK_RUNNING status with reason
   * REASON_TASK_HEALTH_CHECK_STATUS_UPDATED carrying `healthy` (in the stream, a TASK_UPDATED).
   * False when no such task runs.
   */
  setTaskHealth(taskId: string, healthy: boolean): boolean {
    const running = this.#cluster.frameworks.some((f) =>
      f.tasks.some((t) => t.id === taskId && t.state === 'TASK_RUNNING'),
    );
    return (
      running &&
      this.updateTask(taskId, { healthy, reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED' })
    );
  }

  /** Registers a new agent (hostname an IP, as the sim's agents have); returns its id. */
  addAgent(hostname: string): string {
    const template = this.#cluster.slaves[0];
    const index = this.#cluster.slaves.length;
    const id = `${this.#cluster.id}-S${index}-${randomUUID().slice(0, 4)}`;
    const ip = hostname.includes(':') ? `[${hostname}]` : hostname;
    const agent: SimAgent = {
      ...(template ?? {}),
      id,
      hostname,
      pid: `slave(1)@${ip}:5051`,
      active: true,
    };
    this.#cluster.slaves.push(agent);
    this.#body = null;
    this.#agentAdded(agent);
    return id;
  }

  /** Removes an agent (its tasks stay in the model, unserved); false when unknown. */
  removeAgent(agentId: string): boolean {
    const index = this.#cluster.slaves.findIndex((a) => a.id === agentId);
    if (index < 0) return false;
    this.#cluster.slaves.splice(index, 1);
    this.#body = null;
    this.#seen?.agents.delete(agentId);
    this.#streams.publish({
      type: 'AGENT_REMOVED',
      agent_removed: { agent_id: { value: agentId } },
    });
    return true;
  }

  /** Registers a framework named `name`; returns its id. */
  addFramework(name: string): string {
    const index = this.#cluster.frameworks.length + 1;
    const framework = makeFramework(this.#cluster.id, index, name);
    // A master never gives out an id twice, even after frameworks were removed.
    framework.id = `${this.#cluster.id}-${randomUUID().slice(0, 8)}`;
    this.#cluster.frameworks.push(framework);
    this.#body = null;
    this.#frameworkEvent('FRAMEWORK_ADDED', framework);
    return framework.id;
  }

  /** A framework reregisters with a new name or scheduler pid. */
  updateFramework(frameworkId: string, change: { name?: string; pid?: string }): boolean {
    const framework = this.#cluster.frameworks.find((f) => f.id === frameworkId);
    if (!framework) return false;
    if (change.name !== undefined) framework.name = change.name;
    if (change.pid !== undefined) framework.pid = change.pid;
    this.#body = null;
    this.#frameworkEvent('FRAMEWORK_UPDATED', framework);
    return true;
  }

  /** Tears a framework down (its tasks go with it). */
  removeFramework(frameworkId: string): boolean {
    const index = this.#cluster.frameworks.findIndex((f) => f.id === frameworkId);
    if (index < 0) return false;
    const [framework] = this.#cluster.frameworks.splice(index, 1) as [SimFramework];
    this.#body = null;
    if (this.#seen) {
      this.#seen.frameworks.delete(frameworkId);
      for (const t of framework.tasks) this.#seen.tasks.delete(taskKey(t));
    }
    this.#streams.publish({
      type: 'FRAMEWORK_REMOVED',
      framework_removed: { framework_info: frameworkInfoToV1(framework) },
    });
    return true;
  }

  /**
   * As a master just failed over: these agents are known from the registry but have not
   * reregistered, so neither the state nor the stream shows them or their tasks (the stream
   * lists them as get_agents.recovered_agents). No events.
   */
  setRecoveredAgents(agentIds: readonly string[]): void {
    this.#recovered.clear();
    for (const id of agentIds) this.#recovered.add(id);
    this.#body = null;
    this.#seen = null;
  }

  /** A recovered agent reregisters: AGENT_ADDED, then TASK_ADDED for each of its tasks. */
  reregisterAgent(agentId: string): boolean {
    if (!this.#recovered.delete(agentId)) return false;
    this.#body = null;
    const agent = this.#cluster.slaves.find((a) => a.id === agentId);
    if (agent) this.#agentAdded(agent);
    for (const f of this.#cluster.frameworks) {
      for (const t of f.tasks) if (t.slave_id === agentId) this.#taskAdded(t);
    }
    return true;
  }

  /**
   * Call after editing `cluster` directly: subscribers get the events that turn what they were
   * last told into the cluster as it is now (a task gone from every list ends TASK_KILLED).
   */
  changed(): void {
    this.#body = null;
    const seen = this.#seen;
    if (seen === null) return;
    const now = this.#signatures();
    for (const agent of this.#visibleAgents()) {
      if (seen.agents.get(agent.id) !== now.agents.get(agent.id)) this.#agentAdded(agent);
    }
    for (const f of this.#cluster.frameworks) {
      const before = seen.frameworks.get(f.id);
      if (before !== now.frameworks.get(f.id)) {
        this.#frameworkEvent(before === undefined ? 'FRAMEWORK_ADDED' : 'FRAMEWORK_UPDATED', f);
      }
    }
    const tasks = new Map<string, SimTask>();
    for (const f of this.#cluster.frameworks) {
      for (const t of f.tasks) if (!this.#recovered.has(t.slave_id)) tasks.set(taskKey(t), t);
    }
    for (const [key, task] of tasks) {
      const before = seen.tasks.get(key);
      const after = now.tasks.get(key)!;
      if (before === after) continue;
      if (before !== undefined && withoutStatus(before) === withoutStatus(after)) {
        this.#taskUpdated(task);
      } else this.#taskAdded(task);
    }
    for (const key of seen.tasks.keys()) {
      if (tasks.has(key)) continue;
      const [frameworkId, taskId] = key.split('\u0000') as [string, string];
      const done = this.#cluster.frameworks
        .find((f) => f.id === frameworkId)
        ?.completed_tasks.find((t) => t.id === taskId);
      const last = done?.statuses?.at(-1);
      const state = done && TERMINAL_TASK_STATES.has(done.state) ? done.state : 'TASK_KILLED';
      this.#streams.publish({
        type: 'TASK_UPDATED',
        task_updated: {
          framework_id: { value: frameworkId },
          status: {
            task_id: { value: taskId },
            state,
            timestamp: last && last.state === state ? last.timestamp : Date.now() / 1000,
          },
          state,
        },
      });
    }
    for (const id of seen.frameworks.keys()) {
      if (now.frameworks.has(id)) continue;
      this.#streams.publish({
        type: 'FRAMEWORK_REMOVED',
        framework_removed: { framework_info: { id: { value: id }, name: '', user: 'root' } },
      });
    }
    for (const id of seen.agents.keys()) {
      if (now.agents.has(id)) continue;
      this.#streams.publish({ type: 'AGENT_REMOVED', agent_removed: { agent_id: { value: id } } });
    }
    this.#seen = now;
  }

  /** The state document as Mesos 1.x serves it. */
  state(): Record<string, unknown> {
    const leader = this.#leader ?? this.upid;
    const leaderAddress = leader.slice(leader.indexOf('@') + 1);
    const colon = leaderAddress.lastIndexOf(':');
    const leaderIp = leaderAddress.slice(0, colon).replace(/^\[|\]$/g, '');
    const leaderPort = Number(leaderAddress.slice(colon + 1));
    const slaves = this.#visibleAgents();
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
      frameworks: this.#visibleFrameworks(),
      completed_frameworks: [],
      orphan_tasks: [],
      unregistered_frameworks: [],
    };
  }

  /** The v1 GET_STATE: what SUBSCRIBED carries. */
  v1State(): Record<string, unknown> {
    const tasks: unknown[] = [];
    for (const t of this.#visibleTasks()) tasks.push(taskToV1(t));
    return this.#v1StateOf(tasks);
  }

  /**
   * The SUBSCRIBED event as one object (GET_STATE whole, then JSON.stringify): the reference
   * that `subscribedRecord`, which the master sends, is tested against.
   */
  subscribedEvent(): Record<string, unknown> {
    return this.#subscribedOf(this.v1State());
  }

  /**
   * The SUBSCRIBED record as the master sends it: RecordIO bytes in pieces of up to 33 MiB (records/utf8-pieces.ts),
   * `recordIo(subscribedEvent())` byte for byte. Each task is rendered to JSON on its own and
   * written out as UTF-8 at once, so at 200,000 tasks neither a tree of the whole state nor a
   * 274 MB string (nor its copies) is built: ~2 s of CPU instead of ~11. `onTask` is given each
   * task listed with its JSON.
   */
  subscribedRecord(onTask?: (task: SimTask, json: string) => void): Uint8Array[] {
    // The record around the tasks: the same object, with no tasks, split where they go.
    const shell = JSON.stringify(this.#subscribedOf(this.#v1StateOf([])));
    if (!shell.startsWith(`${SUBSCRIBED_HEAD}]`)) {
      throw new Error('sim: the SUBSCRIBED record does not start with its tasks list');
    }
    const pieces = new Utf8Pieces();
    pieces.write(SUBSCRIBED_HEAD);
    let first = true;
    for (const task of this.#visibleTasks()) {
      const json = taskJson(task);
      onTask?.(task, json);
      if (!first) pieces.write(',');
      first = false;
      pieces.write(json);
    }
    pieces.write(shell.slice(SUBSCRIBED_HEAD.length));
    return recordIoPieces(pieces.finish());
  }

  #v1StateOf(tasks: unknown[]): Record<string, unknown> {
    return {
      get_tasks: { tasks, completed_tasks: [], unreachable_tasks: [] },
      get_executors: { executors: [] },
      get_frameworks: {
        frameworks: this.#cluster.frameworks.map((f) => frameworkToV1(f)),
        completed_frameworks: [],
      },
      get_agents: {
        agents: this.#visibleAgents().map((a) => agentToV1(a)),
        recovered_agents: this.#cluster.slaves
          .filter((a) => this.#recovered.has(a.id))
          .map((a) => agentToV1(a).agent_info),
      },
    };
  }

  #subscribedOf(state: Record<string, unknown>): Record<string, unknown> {
    return {
      type: 'SUBSCRIBED',
      subscribed: {
        get_state: state,
        heartbeat_interval_seconds: this.#options.heartbeatSeconds ?? 15,
      },
      ...(this.#subscribedPadding > 0 ? { padding: 'x'.repeat(this.#subscribedPadding) } : {}),
    };
  }

  /** /master/state-summary: frameworks (with their pids) and agents, no tasks. */
  stateSummary(): Record<string, unknown> {
    return {
      hostname: '127.0.0.1',
      cluster: 'sim',
      slaves: this.#visibleAgents().map((a) => ({
        id: a.id,
        pid: a.pid,
        hostname: a.hostname,
        active: a.active !== false,
        framework_ids: [],
      })),
      frameworks: this.#cluster.frameworks.map((f) => ({
        id: f.id,
        name: f.name,
        ...(f.pid !== undefined ? { pid: f.pid } : {}),
        hostname: f.hostname ?? '',
        active: f.active !== false,
        connected: true,
        recovered: false,
        TASK_RUNNING: f.tasks.filter((t) => t.state === 'TASK_RUNNING').length,
        slave_ids: [],
      })),
    };
  }

  /** Ends the server and drops open connections (including hung ones). */
  async close(): Promise<void> {
    this.#streams.closeAll();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.#requests++;
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/api/v1' && this.#options.v1 !== false) {
      this.#api(req, res);
      return;
    }
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
    if (path === '/master/state-summary' || path === '/state-summary') {
      if (!this.#authorized(req)) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="mesos"' }).end();
        return;
      }
      if (this.#leader !== null) {
        res.writeHead(307, { location: `//${this.#leaderAddress()}${path}` }).end();
        return;
      }
      const summary = Buffer.from(JSON.stringify(this.stateSummary()));
      this.#stateBytes += summary.length;
      res.writeHead(200, { 'content-type': 'application/json' }).end(summary);
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
    if (req.method !== 'HEAD') this.#stateBytes += body.length;
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** POST /api/v1: SUBSCRIBE and GET_MASTER, as master/http.cpp answers them. */
  #api(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= 64 * 1024) parts.push(chunk);
    });
    req.on('end', () => {
      if (!this.#authorized(req)) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="mesos"' }).end();
        return;
      }
      // Mesos redirects calls that need the leader to it, scheme-relative.
      if (this.#leader !== null) {
        res.writeHead(307, { location: `//${this.#leaderAddress()}/api/v1` }).end();
        return;
      }
      if (this.#recovering) {
        res
          .writeHead(503, { 'content-type': 'text/plain' })
          .end('Master has not finished recovery');
        return;
      }
      const failing = this.#failing;
      if (typeof failing === 'number') {
        res.writeHead(failing, { 'content-type': 'text/plain' }).end(`simulated ${failing}\n`);
        return;
      }
      if (failing === 'hang') return;
      let call: { type?: unknown };
      try {
        call = JSON.parse(Buffer.concat(parts).toString('utf8')) as { type?: unknown };
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('Failed to parse body into JSON');
        return;
      }
      if (call?.type === 'GET_MASTER') {
        const body = JSON.stringify({ type: 'GET_MASTER', get_master: this.#masterInfo() });
        this.#stateBytes += body.length;
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
        return;
      }
      if (call?.type !== 'SUBSCRIBE' || this.#options.v1Subscribe === false) {
        res
          .writeHead(400, { 'content-type': 'text/plain' })
          .end(`unsupported call ${String(call?.type)}`);
        return;
      }
      // The first subscriber's snapshot is also what subscribers were last told of each task.
      const told = this.#seen === null ? new Map<string, string>() : null;
      const record = this.subscribedRecord(
        told === null ? undefined : (task, json) => told.set(taskKey(task), json),
      );
      this.#seen ??= this.#signatures(told ?? undefined);
      this.#streams.start(res, record);
    });
  }

  #leaderAddress(): string {
    const leader = this.#leader ?? this.upid;
    return leader.slice(leader.indexOf('@') + 1);
  }

  #masterInfo(): Record<string, unknown> {
    return {
      master_info: {
        id: this.#id,
        ip: ipv4ToMesosInt('127.0.0.1'),
        port: this.port,
        pid: this.upid,
        hostname: '127.0.0.1',
        version: '1.11.0',
        address: { hostname: '127.0.0.1', ip: '127.0.0.1', port: this.port },
      },
      start_time: this.#started,
      elected_time: this.#started + 1,
    };
  }

  #visibleAgents(): SimAgent[] {
    if (this.#recovered.size === 0) return this.#cluster.slaves;
    return this.#cluster.slaves.filter((a) => !this.#recovered.has(a.id));
  }

  #visibleFrameworks(): SimFramework[] {
    if (this.#recovered.size === 0) return this.#cluster.frameworks;
    return this.#cluster.frameworks.map((f) => ({
      ...f,
      tasks: f.tasks.filter((t) => !this.#recovered.has(t.slave_id)),
    }));
  }

  /** Tasks the master shows: all running ones but those of agents not yet reregistered. */
  *#visibleTasks(): Generator<SimTask> {
    for (const f of this.#cluster.frameworks) {
      for (const t of f.tasks) if (!this.#recovered.has(t.slave_id)) yield t;
    }
  }

  /** The cluster as subscribers would be told it now; `tasks`: the tasks' part, already made. */
  #signatures(tasks?: Map<string, string>): Seen {
    const seen: Seen = {
      tasks: tasks ?? new Map<string, string>(),
      agents: new Map(),
      frameworks: new Map(),
    };
    for (const a of this.#visibleAgents()) seen.agents.set(a.id, JSON.stringify(agentToV1(a)));
    for (const f of this.#cluster.frameworks) seen.frameworks.set(f.id, frameworkSignature(f));
    if (tasks === undefined) {
      for (const t of this.#visibleTasks()) seen.tasks.set(taskKey(t), taskJson(t));
    }
    return seen;
  }

  #taskAdded(task: SimTask): void {
    if (this.#recovered.has(task.slave_id)) return;
    this.#seen?.tasks.set(taskKey(task), taskJson(task));
    this.#streams.publish({ type: 'TASK_ADDED', task_added: { task: taskToV1(task) } });
  }

  #taskUpdated(task: SimTask): void {
    if (this.#recovered.has(task.slave_id)) return;
    if (TERMINAL_TASK_STATES.has(task.state)) this.#seen?.tasks.delete(taskKey(task));
    else this.#seen?.tasks.set(taskKey(task), taskJson(task));
    const last = task.statuses?.at(-1);
    this.#streams.publish({
      type: 'TASK_UPDATED',
      task_updated: {
        framework_id: { value: task.framework_id },
        status: last ? statusToV1(task, last) : { task_id: { value: task.id }, state: task.state },
        state: task.state,
      },
    });
  }

  #agentAdded(agent: SimAgent): void {
    this.#seen?.agents.set(agent.id, JSON.stringify(agentToV1(agent)));
    this.#streams.publish({ type: 'AGENT_ADDED', agent_added: { agent: agentToV1(agent) } });
  }

  #frameworkEvent(type: 'FRAMEWORK_ADDED' | 'FRAMEWORK_UPDATED', f: SimFramework): void {
    this.#seen?.frameworks.set(f.id, frameworkSignature(f));
    const key = type === 'FRAMEWORK_ADDED' ? 'framework_added' : 'framework_updated';
    this.#streams.publish({ type, [key]: { framework: frameworkToV1(f) } });
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

function taskKey(task: SimTask): string {
  return `${task.framework_id}\u0000${task.id}`;
}

/** A framework as subscribers know it: its v1 form, and the pid only v0 shows. */
function frameworkSignature(f: SimFramework): string {
  return `${JSON.stringify(frameworkToV1(f))} ${f.pid ?? ''}`;
}

/** A task's v1 JSON without its status fields: equal when only its state moved. */
function withoutStatus(signature: string): string {
  const task = JSON.parse(signature) as Record<string, unknown>;
  delete task['state'];
  delete task['statuses'];
  delete task['status_update_state'];
  return JSON.stringify(task);
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
