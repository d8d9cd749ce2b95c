// Follows the leading master's v1 event stream (POST /api/v1 SUBSCRIBE) and keeps records up to
// date from it: the SUBSCRIBED snapshot is built into a fresh model whole, then every event
// changes only the entities it names (records/incremental.ts). Events are coalesced over a short
// window and handed out as one batch: the names that changed, or a whole set when the receiver
// has none (or too much has piled up over its base). Runs in the stream worker thread.
//
// Liveness and recovery, after dcos-net's dcos_net_mesos_listener: a stream silent for a few
// heartbeat intervals is dropped, and every end (silence, a cut, a malformed record, a redirect,
// a recovering master) leads to a resubscription with jittered, doubling back-off, while the
// last records stay in service. After a master failover, agents the new leader lists as
// `recovered_agents` keep their records until they reregister or `recoveryWaitMs` passes.
import { Backoff } from '../backoff.ts';
import { IncrementalRecords } from '../records/incremental.ts';
import { listOf } from '../records/list-of.ts';
import { upidAddress } from '../net/host-port.ts';
import type { RecordDelta, RecordSet } from '../records/recordset.ts';
import {
  TERMINAL_TASK_STATES,
  type StateSummary,
  type V1Agent,
  type V1Event,
  type V1Framework,
  type V1GetState,
  type V1MasterInfo,
  type V1Task,
} from '../state/v1-types.ts';
import {
  MesosStateError,
  StateHttpError,
  StateRedirectError,
  StateSilentError,
  serializeStateError,
} from './errors.ts';
import { RecordIoDecoder, RecordIoError } from './recordio.ts';
import { splitSubscribed, type SubscribedTasks } from './subscribed-split.ts';
import { recordDelta, sendAs } from '../transfer/record-transfer.ts';
import { hostsToResolve, resolveHosts } from './resolve-hosts.ts';
import type { OpenBody, StateClient } from './state-client.ts';
import type {
  BatchInfo,
  FromStreamWorker,
  StreamEndCause,
  StreamParams,
} from './stream-protocol.ts';
import type { MesosAgent, MesosFramework, MesosState, MesosTask } from '../state/types.ts';
import {
  agentFromV1,
  agentIdOf,
  compactTask,
  frameworkFromV1,
  frameworkIdOf,
  taskFromV1,
  updatedTask,
} from './v1-state.ts';

/**
 * Answers to SUBSCRIBE from a master that has no event stream: no /api/v1 (404, 405: Mesos
 * before 1.0), or a v1 API without the call (400: Mesos 1.0 cannot parse it; 501).
 */
const NO_STREAM_STATUS = new Set([400, 404, 405, 501]);
/** A reregistered agent's tasks that the new master has not re-added by then are dropped. */
const REREGISTER_GRACE_MS = 2000;
/** Heartbeat interval assumed until SUBSCRIBED names one (Mesos's default). */
const DEFAULT_HEARTBEAT_SECONDS = 15;
const MAX_STATUS_TIMES = 2000;
const EMPTY = Buffer.alloc(0);

export interface Batch {
  /** With its empty non-terminals and record counts, kept by the model. */
  readonly set: RecordSet;
  /** Present for a delta against the receiver's set; absent for a whole set. */
  readonly changes?: RecordDelta;
  /**
   * A whole set's delta against the receiver's set, when known and small (the whole set goes
   * because the receiver's overlay has grown): its names go with the set (transfer/channel.ts).
   */
  readonly since?: RecordDelta;
  readonly info: BatchInfo;
}

export interface FollowerHooks {
  /** A batch is ready; call `batchDone` when the receiver has it (the next waits until then). */
  readonly batch: (batch: Batch) => void;
  readonly report: (message: FromStreamWorker) => void;
  /**
   * A snapshot's model is built and its record, text and tree are garbage, before its records
   * go out (the stream worker gives the heap they grew back to the system here, src/heap.ts:
   * a pause of about a second at 50,000 tasks that delays the snapshot's swap rather than the
   * events after it).
   */
  readonly snapshotBuilt?: () => void;
}

class StreamEnd extends Error {
  readonly cause2: StreamEndCause;
  constructor(cause: StreamEndCause, message: string) {
    super(message);
    this.cause2 = cause;
  }
}

export class StreamFollower {
  #params: StreamParams;
  readonly #client: StateClient;
  readonly #hooks: FollowerHooks;
  #engine: IncrementalRecords | null = null;
  /** The receiver holds the set of the current engine (possibly with overlays). */
  #receiverHas = false;
  /** The fail-open names of the last set sent (onlyHealthy). */
  #sentFailOpen = '';
  #overlaid = 0;
  #transferring = false;
  #flushTimer: NodeJS.Timeout | null = null;
  #pendingEvents = 0;
  #statusTimes: number[] = [];
  #warnings: string[] = [];
  /** A new subscription's snapshot waits to go out (whole, or as a diff against the old set). */
  #snapshot: { readonly old: RecordSet | null; readonly builtMs: number } | null = null;
  #master = '';
  #leader = '';
  #stopped = false;
  #abort: AbortController | null = null;
  #restart = false;
  #running: Promise<void> | null = null;
  /** Resubscription waits; jittered so servers resubscribing after a failover spread out. */
  readonly #backoff: Backoff;
  /** The current subscription got as far as SUBSCRIBED. */
  #gotSubscribed = false;
  #backoffTimer: { timer: NodeJS.Timeout; resolve: () => void } | null = null;
  readonly #resolved = new Map<string, readonly string[]>();
  /** #intern's strings; started over with each snapshot's model. */
  #interned = new Map<string, string>();
  #sameObjects = new Map<string, object>();
  #pids = new Map<string, string>();
  /** Failover: agent id → the carried-over tasks not yet re-added by the new master. */
  readonly #carried = new Map<string, Set<string>>();
  #recoveryTimer: NodeJS.Timeout | null = null;
  readonly #eventCounts = new Map<string, number>();
  #lastEventAtMs = 0;
  #lastHeartbeatAtMs = 0;
  #reportTimer: NodeJS.Timeout | null = null;
  #silenceTimer: NodeJS.Timeout | null = null;
  #heartbeatSeconds = DEFAULT_HEARTBEAT_SECONDS;
  /** Records received so far, and how many of them the last pid summary postdates. */
  #arrivals = 0;
  #pidsAsOf = 0;
  /** performance.now() of the last bytes received on the stream. */
  #lastDataAt = 0;

  constructor(params: StreamParams, client: StateClient, hooks: FollowerHooks) {
    this.#params = params;
    this.#client = client;
    this.#hooks = hooks;
    this.#backoff = new Backoff({
      initialMs: params.backoffMs,
      maxMs: params.maxBackoffMs,
      jitter: 0.5,
    });
  }

  start(): void {
    this.#running ??= this.#loop();
    this.#reportTimer = setInterval(() => this.#reportEvents(), 1000);
    this.#reportTimer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort?.abort();
    this.#wake();
    for (const t of [this.#flushTimer, this.#recoveryTimer, this.#silenceTimer]) {
      if (t) clearTimeout(t);
    }
    if (this.#reportTimer) clearInterval(this.#reportTimer);
    await this.#running;
  }

  /** New masters to follow (the leader moved): drop the stream and subscribe again. */
  setCandidates(candidates: readonly string[], masters: readonly string[]): void {
    this.#params = {
      ...this.#params,
      candidates,
      generate: { ...this.#params.generate, masters },
    };
    this.#restart = true;
    this.#abort?.abort();
    this.#wake();
  }

  /** The receiver finished taking the last batch. */
  batchDone(): void {
    this.#transferring = false;
    this.#receiverHas = true;
    if (this.#snapshot !== null || this.#hasPending()) this.#flush();
  }

  /** The receiver could not apply a delta: next batch goes whole. */
  resync(): void {
    this.#transferring = false;
    this.#receiverHas = false;
    this.#overlaid = 0;
    this.#flush();
  }

  /** The model's state in /master/state's shape (enumeration), or null before a snapshot. */
  state(): MesosState | null {
    return this.#engine?.state() ?? null;
  }

  get generateOptions(): StreamParams['generate'] {
    return this.#params.generate;
  }

  get resolvedHosts(): ReadonlyMap<string, readonly string[]> {
    return this.#resolved;
  }

  // --- Subscribing.

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      this.#restart = false;
      let cause: StreamEndCause = 'closed';
      let error: MesosStateError | null = null;
      this.#gotSubscribed = false;
      try {
        await this.#subscribeOnce();
      } catch (err) {
        if (err instanceof StreamEnd) {
          cause = err.cause2;
          error = new MesosStateError('MESOS_STATE_HTTP', err.message, this.#master);
        } else if (err instanceof MesosStateError) {
          error = err;
          cause =
            err instanceof StateHttpError && err.status === 503
              ? 'recovering'
              : err instanceof StateRedirectError
                ? 'redirect'
                : 'error';
        } else {
          error = new MesosStateError(
            'MESOS_STATE_CONNECT',
            err instanceof Error ? err.message : String(err),
            this.#master,
          );
          cause = 'error';
        }
      }
      this.#clearSilence();
      if (this.#stopped) cause = 'stopped';
      else if (this.#restart) cause = 'leader-changed';
      // Back-off starts over after a subscription that worked.
      if (this.#gotSubscribed) this.#backoff.reset();
      const retryMs = this.#stopped || this.#restart ? 0 : Math.round(this.#backoff.next());
      this.#hooks.report({
        type: 'ended',
        cause,
        master: this.#master,
        error: error === null ? null : serializeStateError(error, this.#master),
        retryMs,
      });
      if (this.#stopped) return;
      if (retryMs > 0) await this.#sleep(retryMs);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#backoffTimer = null;
        resolve();
      }, ms);
      this.#backoffTimer = { timer, resolve };
    });
  }

  #wake(): void {
    const b = this.#backoffTimer;
    if (b === null) return;
    clearTimeout(b.timer);
    this.#backoffTimer = null;
    b.resolve();
  }

  /** Opens a stream on the first candidate that takes it (following one redirect) and reads it. */
  async #subscribeOnce(): Promise<void> {
    const abort = new AbortController();
    this.#abort = abort;
    const failures: string[] = [];
    let unsupported = 0;
    const candidates = this.#params.candidates;
    let body: OpenBody | null = null;
    let lastError: Error | null = null;
    for (const candidate of candidates) {
      let target = candidate;
      for (let hop = 0; hop < 2 && body === null; hop++) {
        try {
          this.#master = target;
          body = await this.#client.openStream(target, { type: 'SUBSCRIBE' }, abort.signal);
        } catch (err) {
          if (err instanceof StateRedirectError && hop === 0) {
            target = err.location;
            continue;
          }
          if (err instanceof StateHttpError && NO_STREAM_STATUS.has(err.status)) unsupported++;
          if (err instanceof StateSilentError) {
            this.#hooks.report({ type: 'master-silent', master: target, message: err.message });
          }
          lastError = err instanceof Error ? err : new Error(String(err));
          failures.push(lastError.message);
          break;
        }
      }
      if (body !== null || abort.signal.aborted) break;
    }
    if (body === null) {
      if (unsupported === candidates.length && candidates.length > 0) {
        this.#hooks.report({
          type: 'unsupported',
          message: `no master serves the v1 operator API (${failures.join('; ')})`,
        });
        throw new StreamEnd('unsupported', failures.join('; '));
      }
      // One master: its own error (auth, TLS, 503) says best what is wrong.
      if (candidates.length === 1 && lastError !== null) throw lastError;
      throw new StreamEnd(
        'error',
        `no master took the subscription (tried ${candidates.join(', ') || '(none)'}): ${failures.join('; ')}`,
      );
    }
    return this.#read(body, abort);
  }

  /** Reads records until the stream ends. */
  async #read(body: OpenBody, abort: AbortController): Promise<void> {
    body.on('error', () => undefined);
    const decoder = new RecordIoDecoder(this.#params.maxRecordBytes);
    /** Records of this subscription decoded so far (the first is SUBSCRIBED). */
    let received = 0;
    let queue: Promise<void> = Promise.resolve();
    let failed: StreamEnd | null = null;
    const fail = (end: StreamEnd): void => {
      failed ??= end;
      abort.abort();
      body.destroy();
    };
    this.#heartbeatSeconds = DEFAULT_HEARTBEAT_SECONDS;
    /** Decodes a chunk and queues its events; false when the stream has failed. */
    const take = (chunk: Buffer): boolean => {
      let records: Buffer[];
      try {
        records = decoder.push(chunk);
      } catch (err) {
        const e = err as RecordIoError;
        if (e.problem === 'too-large') {
          this.#hooks.report({
            type: 'record-too-large',
            master: this.#master,
            recordBytes: e.recordBytes,
            limitBytes: e.limitBytes,
            snapshot: received === 0,
          });
        }
        fail(new StreamEnd(e.problem === 'too-large' ? 'too-large' : 'malformed', e.message));
        return false;
      }
      const first = received;
      received += records.length;
      for (let i = 0; i < records.length; i++) {
        const bytes = records[i]!;
        records[i] = EMPTY;
        // A subscription's first record is SUBSCRIBED, the whole cluster: its tasks are parsed
        // one by one from its bytes as the model is built (subscribed-split.ts).
        const split = first + i === 0 ? splitSubscribed(bytes) : null;
        let event: V1Event;
        if (split !== null) event = split.event;
        else {
          // The bytes can go while the text is parsed (the text goes when this function
          // returns, before the event is applied).
          const text = bytes.toString('utf8');
          try {
            event = JSON.parse(text) as V1Event;
          } catch {
            fail(
              new StreamEnd(
                'malformed',
                `a stream record is not JSON (starts with ${JSON.stringify(text.slice(0, 40))})`,
              ),
            );
            return false;
          }
        }
        if (typeof event !== 'object' || event === null) {
          fail(new StreamEnd('malformed', 'a stream record is not a JSON object'));
          return false;
        }
        if (event.type === 'SUBSCRIBED') {
          this.#gotSubscribed = true;
          // Silence is measured in the interval the master names, from this record on.
          const hb = event.subscribed?.heartbeat_interval_seconds;
          if (typeof hb === 'number' && hb > 0) this.#heartbeatSeconds = hb;
        }
        // Events are applied in order; a snapshot may await lookups and the v0 endpoints.
        const arrival = ++this.#arrivals;
        const tasks = split?.tasks ?? null;
        queue = queue.then(() =>
          failed === null ? this.#onEvent(event, arrival, tasks) : undefined,
        );
        queue.catch((err: unknown) =>
          fail(
            // A task of a split SUBSCRIBED record that is not JSON.
            err instanceof SyntaxError
              ? new StreamEnd('malformed', `a SUBSCRIBED task is not JSON: ${err.message}`)
              : new StreamEnd('error', err instanceof Error ? err.message : String(err)),
          ),
        );
      }
      if (failed !== null) return false;
      if (records.length > 0) this.#armSilence(this.#silenceMs(), fail);
      return true;
    };
    // Until SUBSCRIBED (a large snapshot), the state timeout bounds the wait instead.
    this.#armSilence(Math.max(this.#params.client.timeoutMs, this.#silenceMs()), fail);
    try {
      for await (const chunk of body) {
        this.#lastDataAt = performance.now();
        // Decoded in a function of its own: the record buffers and the parsed events stay in
        // its frame, not in this async one's, which lives as long as the stream (a SUBSCRIBED
        // record kept there is the whole snapshot's bytes held until the next chunk arrives).
        if (!take(chunk)) break;
      }
    } catch (err) {
      if (failed === null && !abort.signal.aborted) {
        failed = new StreamEnd('closed', `stream from ${this.#master} broke: ${String(err)}`);
      }
    }
    await queue.catch(() => undefined);
    this.#clearSilence();
    if (failed !== null) throw failed;
    if (abort.signal.aborted) return;
    throw new StreamEnd(
      'closed',
      `${this.#master} ended the stream${decoder.atBoundary ? '' : ' in the middle of a record'}`,
    );
  }

  #silenceMs(): number {
    return Math.max(100, this.#heartbeatSeconds * this.#params.heartbeatMisses * 1000);
  }

  #armSilence(ms: number, fail: (end: StreamEnd) => void): void {
    this.#clearSilence();
    const armedAt = performance.now();
    this.#silenceTimer = setTimeout(() => {
      // A thread that was busy (a large snapshot) runs its timers before reading the socket:
      // let pending input in first, and only then call the stream silent.
      setImmediate(() => {
        if (this.#lastDataAt > armedAt) {
          this.#armSilence(Math.max(1, ms - (performance.now() - this.#lastDataAt)), fail);
          return;
        }
        fail(
          new StreamEnd(
            'silence',
            `no event or heartbeat from ${this.#master} for ${Math.round(ms / 100) / 10}s`,
          ),
        );
      });
    }, ms);
  }

  #clearSilence(): void {
    if (this.#silenceTimer) clearTimeout(this.#silenceTimer);
    this.#silenceTimer = null;
  }

  // --- Events.

  /** `tasks`: a SUBSCRIBED record's tasks, when split from it (subscribed-split.ts). */
  async #onEvent(
    event: V1Event,
    arrival: number,
    tasks: SubscribedTasks | null = null,
  ): Promise<void> {
    const type = typeof event.type === 'string' ? event.type : 'UNKNOWN';
    this.#eventCounts.set(type, (this.#eventCounts.get(type) ?? 0) + 1);
    const now = Date.now();
    this.#lastEventAtMs = now;
    if (type === 'HEARTBEAT') {
      this.#lastHeartbeatAtMs = now;
      return;
    }
    if (type === 'SUBSCRIBED') {
      await this.#onSubscribed(event.subscribed ?? {}, tasks);
      return;
    }
    const engine = this.#engine;
    if (engine === null) return;
    switch (type) {
      case 'TASK_ADDED': {
        const task = event.task_added?.task;
        const converted = task === undefined ? null : taskFromV1(task);
        if (converted === null) return this.#warn('TASK_ADDED without task, framework or agent id');
        this.#uncarry(converted);
        this.#applyTask(engine, converted);
        this.#noteStatus(converted.statuses?.at(-1)?.timestamp);
        break;
      }
      case 'TASK_UPDATED': {
        const u = event.task_updated;
        const frameworkId = agentIdOf(u?.framework_id);
        const taskId = agentIdOf(u?.status?.task_id);
        if (frameworkId === null || taskId === null || u?.status === undefined) {
          return this.#warn('TASK_UPDATED without framework or task id');
        }
        const known = engine.task(frameworkId, taskId);
        if (known === undefined) break; // a task the model does not hold (e.g. already ended)
        const state = typeof u.state === 'string' ? u.state : (u.status.state ?? known.state);
        this.#applyTask(engine, updatedTask(known, state, u.status));
        this.#noteStatus(u.status.timestamp);
        break;
      }
      case 'AGENT_ADDED': {
        const agent = this.#agent(event.agent_added?.agent);
        if (agent === null) return this.#warn('AGENT_ADDED without agent id');
        await this.#resolveFor({ slaves: [agent] });
        engine.setAgent(agent);
        this.#reregistered(agent.id);
        break;
      }
      case 'AGENT_REMOVED': {
        const id = agentIdOf(event.agent_removed?.agent_id);
        if (id === null) return this.#warn('AGENT_REMOVED without agent id');
        this.#dropCarried(id);
        engine.removeAgent(id);
        break;
      }
      case 'FRAMEWORK_ADDED':
      case 'FRAMEWORK_UPDATED': {
        const f =
          type === 'FRAMEWORK_ADDED'
            ? event.framework_added?.framework
            : event.framework_updated?.framework;
        const id = frameworkIdOf(f?.framework_info);
        if (id === null) return this.#warn(`${type} without framework id`);
        // v1 carries no scheduler pid: ask the v0 summary again for this framework's, unless
        // a summary fetched after this event arrived is already in hand (bursts share one).
        if (this.#pidsAsOf < arrival) await this.#fetchPids();
        const framework = this.#framework(f);
        if (framework === null) return;
        await this.#resolveFor({ frameworks: [framework] });
        engine.setFramework(framework);
        break;
      }
      case 'FRAMEWORK_REMOVED': {
        const id = frameworkIdOf(event.framework_removed?.framework_info);
        if (id === null) return this.#warn('FRAMEWORK_REMOVED without framework id');
        engine.removeFramework(id);
        break;
      }
      default:
        return;
    }
    this.#pendingEvents++;
    this.#scheduleFlush();
  }

  #applyTask(engine: IncrementalRecords, task: MesosTask): void {
    if (TERMINAL_TASK_STATES.has(task.state)) engine.removeTask(task.framework_id, task.id);
    else engine.setTask(compactTask(task, this.#intern, this.#same));
  }

  /** One copy of each framework id, agent id and state among the tasks the model keeps. */
  readonly #intern = (text: string): string => {
    const known = this.#interned.get(text);
    if (known !== undefined) return known;
    this.#interned.set(text, text);
    return text;
  };

  /** One copy of each distinct discovery info (equal by their JSON). */
  readonly #same = <T extends object>(value: T): T => {
    const key = JSON.stringify(value);
    const known = this.#sameObjects.get(key);
    if (known !== undefined) return known as T;
    this.#sameObjects.set(key, value);
    return value;
  };

  #noteStatus(timestamp: number | undefined): void {
    if (typeof timestamp === 'number' && this.#statusTimes.length < MAX_STATUS_TIMES) {
      this.#statusTimes.push(timestamp);
    }
  }

  #agent(agent: V1Agent | undefined): MesosAgent | null {
    return agent === undefined ? null : agentFromV1(agent);
  }

  #framework(f: V1Framework | undefined): MesosFramework | null {
    const id = frameworkIdOf(f?.framework_info);
    return frameworkFromV1(f?.framework_info, id === null ? undefined : this.#pids.get(id));
  }

  async #onSubscribed(
    subscribed: {
      get_state?: V1GetState;
      heartbeat_interval_seconds?: number;
    },
    splitTasks: SubscribedTasks | null,
  ): Promise<void> {
    const started = performance.now();
    const recoveredCount = listOf(subscribed.get_state?.get_agents?.recovered_agents).length;
    this.#hooks.report({
      type: 'subscribed',
      master: this.#master,
      heartbeatSeconds: this.#heartbeatSeconds,
      recoveredAgents: recoveredCount,
    });
    const [leaderUpid] = await Promise.all([this.#fetchLeader(), this.#fetchPids()]);
    // A new model interns its own strings.
    this.#interned = new Map();
    this.#sameObjects = new Map();
    const { state, tasks, recovered } = this.#convertSnapshot(leaderUpid, subscribed, splitTasks);
    await this.#resolveFor(state);

    const old = this.#engine;
    const engine = new IncrementalRecords({
      ...this.#params.generate,
      resolvedHosts: this.#resolved,
      warn: (m) => this.#warn(m),
    });
    engine.setLeader(leaderUpid);
    for (const agent of state.slaves!) engine.setAgent(agent);
    for (const framework of state.frameworks!) engine.setFramework(framework);
    for (const task of tasks) engine.setTask(task);
    tasks.length = 0;
    this.#carryRecovered(old, engine, recovered);
    engine.takeChanges();
    // Its records packed (the bytes that go to the serving threads); their JS values go.
    engine.rebase();
    this.#hooks.snapshotBuilt?.();

    const oldSet = old !== null && this.#receiverHas ? this.#setOf(old) : null;
    this.#engine = engine;
    this.#leader = upidAddress(leaderUpid) ?? this.#master;
    // Events of the old stream not yet sent are part of the new snapshot.
    this.#pendingEvents = 0;
    this.#snapshot = { old: oldSet, builtMs: performance.now() - started };
    if (!this.#transferring) this.#flush();
  }

  /**
   * The snapshot's entities in /master/state's shapes. The v1 tree is detached from the event
   * as it is read: the converted entities are a fraction of its size, and the tree (several
   * times the record's bytes) can go while the model is built.
   */
  #convertSnapshot(
    leaderUpid: string,
    subscribed: { get_state?: V1GetState },
    splitTasks: SubscribedTasks | null,
  ): { state: MesosState; tasks: MesosTask[]; recovered: string[] } {
    const getState = subscribed.get_state ?? {};
    delete subscribed.get_state;
    const state: MesosState = { leader: leaderUpid, frameworks: [], slaves: [] };
    for (const a of listOf(getState.get_agents?.agents)) {
      const agent = this.#agent(a);
      if (agent) state.slaves!.push(agent);
    }
    const recovered: string[] = [];
    for (const info of listOf(getState.get_agents?.recovered_agents)) {
      const id = agentIdOf(info?.id);
      if (id !== null) recovered.push(id);
    }
    for (const f of listOf(getState.get_frameworks?.frameworks)) {
      const framework = this.#framework(f);
      if (framework === null) continue;
      framework.tasks = [];
      state.frameworks!.push(framework);
    }
    // Compacted as they are converted: what the model keeps of each (v1-state.ts).
    const tasks: MesosTask[] = [];
    const add = (t: V1Task): void => {
      const task = taskFromV1(t);
      if (task === null || TERMINAL_TASK_STATES.has(task.state)) return;
      tasks.push(compactTask(task, this.#intern, this.#same));
    };
    const inTree = listOf(getState.get_tasks?.tasks);
    delete getState.get_tasks;
    for (let i = 0; i < inTree.length; i++) {
      add(inTree[i]!);
      // Each converted task's tree can go before the next is read.
      (inTree as (V1Task | undefined)[])[i] = undefined;
    }
    if (splitTasks !== null) for (const t of splitTasks) add(t);
    return { state, tasks, recovered };
  }

  /** The leader's UPID from GET_MASTER; the master streaming when that fails. */
  async #fetchLeader(): Promise<string> {
    try {
      const answer = (await this.#client.callJson(this.#master, { type: 'GET_MASTER' })) as {
        get_master?: { master_info?: V1MasterInfo };
      };
      const pid = answer?.get_master?.master_info?.pid;
      if (typeof pid === 'string' && pid !== '') return pid;
      this.#warn(`GET_MASTER from ${this.#master} names no pid; using its address`);
    } catch (err) {
      this.#warn(`GET_MASTER from ${this.#master} failed (${String(err)}); using its address`);
    }
    return `master@${this.#master}`;
  }

  /** Scheduler pids (F.D, _framework._tcp.F.D) from the v0 /master/state-summary. */
  async #fetchPids(): Promise<void> {
    const asOf = this.#arrivals;
    const url = `${this.#params.client.https ? 'https' : 'http'}://${this.#master}/master/state-summary`;
    try {
      const summary = JSON.parse(await this.#client.fetchText(url)) as StateSummary;
      const pids = new Map<string, string>();
      for (const f of Array.isArray(summary?.frameworks) ? summary.frameworks : []) {
        if (typeof f?.id === 'string' && typeof f.pid === 'string') pids.set(f.id, f.pid);
      }
      this.#pids = pids;
      this.#pidsAsOf = asOf;
    } catch (err) {
      this.#warn(
        `${url} failed (${err instanceof Error ? err.message : String(err)}); frameworks keep the scheduler addresses known before`,
      );
    }
  }

  async #resolveFor(state: MesosState): Promise<void> {
    const names = hostsToResolve(state, this.#params.generate.masters).filter(
      (n) => !this.#resolved.has(n),
    );
    if (names.length === 0) return;
    const { resolved, failures } = await resolveHosts(names, {
      timeoutMs: this.#params.resolveTimeoutMs,
    });
    for (const [name, addresses] of resolved) this.#resolved.set(name, addresses);
    for (const f of failures) this.#warn(`host name did not resolve: ${f}`);
  }

  // --- Failover: agents the new leader has not heard from yet.

  #carryRecovered(
    old: IncrementalRecords | null,
    engine: IncrementalRecords,
    recovered: readonly string[],
  ): void {
    this.#carried.clear();
    if (this.#recoveryTimer) clearTimeout(this.#recoveryTimer);
    this.#recoveryTimer = null;
    if (old === null) return;
    for (const id of recovered) {
      if (engine.agent(id) !== undefined) continue;
      const agent = old.agent(id);
      if (agent === undefined) continue;
      engine.setAgent(agent);
      const keys = new Set<string>();
      for (const [frameworkId, taskId] of old.tasksOn(id)) {
        const task = old.task(frameworkId, taskId);
        if (task === undefined || engine.hasTask(frameworkId, taskId)) continue;
        engine.setTask(task);
        keys.add(`${frameworkId}\u0000${taskId}`);
      }
      this.#carried.set(id, keys);
    }
    if (this.#carried.size === 0) return;
    this.#warn(
      `${this.#carried.size} agents have not reregistered with ${this.#master} yet; keeping their records up to ${this.#params.recoveryWaitMs} ms`,
    );
    this.#recoveryTimer = setTimeout(() => {
      this.#recoveryTimer = null;
      for (const id of [...this.#carried.keys()]) {
        this.#dropCarried(id);
        this.#engine?.removeAgent(id);
      }
      this.#pendingEvents++;
      this.#scheduleFlush();
    }, this.#params.recoveryWaitMs);
  }

  /** A task the new master reports is its own now, not a carried copy. */
  #uncarry(task: MesosTask): void {
    this.#carried.get(task.slave_id)?.delete(`${task.framework_id}\u0000${task.id}`);
  }

  /** The agent is back: its carried tasks the master has not re-added soon after are gone. */
  #reregistered(agentId: string): void {
    const keys = this.#carried.get(agentId);
    if (keys === undefined) return;
    this.#carried.delete(agentId);
    const engine = this.#engine;
    setTimeout(() => {
      if (this.#engine !== engine || engine === null) return;
      for (const key of keys) {
        const [frameworkId, taskId] = key.split('\u0000') as [string, string];
        engine.removeTask(frameworkId, taskId);
      }
      this.#pendingEvents++;
      this.#scheduleFlush();
    }, REREGISTER_GRACE_MS).unref();
  }

  #dropCarried(agentId: string): void {
    const keys = this.#carried.get(agentId);
    if (keys === undefined) return;
    this.#carried.delete(agentId);
    for (const key of keys) {
      const [frameworkId, taskId] = key.split('\u0000') as [string, string];
      this.#engine?.removeTask(frameworkId, taskId);
    }
  }

  // --- Batches.

  #hasPending(): boolean {
    return this.#pendingEvents > 0;
  }

  #scheduleFlush(): void {
    if (this.#flushTimer !== null || this.#transferring) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = null;
      this.#flush();
    }, this.#params.coalesceMs);
  }

  #flush(): void {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    const engine = this.#engine;
    if (engine === null || this.#transferring) return;
    const snapshot = this.#snapshot;
    if (snapshot === null && !this.#hasPending() && this.#receiverHas) return;
    const started = performance.now();
    const changes = engine.takeChanges();
    let set = this.#setOf(engine);
    const names = set.a.size + set.aaaa.size + set.srv.size + set.ptr.size;
    let delta: RecordDelta | undefined;
    if (snapshot !== null) {
      delta = snapshot.old === null ? undefined : recordDelta(snapshot.old, set);
    } else if (this.#receiverHas) {
      delta = changes;
    }
    let since: RecordDelta | undefined;
    if (delta !== undefined) {
      const as = sendAs(this.#overlaid, delta.size, names);
      if (as === 'since') since = delta;
      if (as !== 'delta') delta = undefined;
    }
    // onlyHealthy: a name can start failing open with the same records (every instance
    // turned unhealthy at once): the log line and metric need that set all the same.
    const failOpen = (set.failOpen ?? []).join(' ');
    if (
      snapshot === null &&
      delta !== undefined &&
      delta.size === 0 &&
      this.#receiverHas &&
      failOpen === this.#sentFailOpen
    ) {
      // Events that changed no record: nothing to send.
      this.#pendingEvents = 0;
      this.#statusTimes = [];
      return;
    }
    if (delta === undefined && engine.overlaid > 0) {
      // A whole set goes as packed buffers: the records are packed again with the changes
      // since, and the engine keeps the new buffers the receiver will serve.
      engine.rebase();
      set = this.#setOf(engine);
    }
    this.#overlaid = delta === undefined ? 0 : this.#overlaid + delta.size;
    this.#sentFailOpen = failOpen;
    const info: BatchInfo = {
      cause: snapshot === null ? 'events' : 'snapshot',
      master: this.#master,
      leader: this.#leader,
      events: this.#pendingEvents,
      statusTimes: this.#statusTimes,
      builtMs: (snapshot?.builtMs ?? 0) + performance.now() - started,
      warnings: this.#warnings,
    };
    this.#snapshot = null;
    this.#pendingEvents = 0;
    this.#statusTimes = [];
    this.#warnings = [];
    this.#transferring = true;
    this.#hooks.batch({
      set: { ...set, emptyNonTerminals: new Set(engine.emptyNonTerminals()) },
      ...(delta === undefined ? {} : { changes: delta }),
      ...(since === undefined ? {} : { since }),
      info,
    });
  }

  #setOf(engine: IncrementalRecords): RecordSet {
    const failOpen = engine.failOpen();
    return {
      domain: engine.domain,
      a: engine.a,
      aaaa: engine.aaaa,
      srv: engine.srv,
      ptr: engine.ptr,
      leader: engine.leader,
      counts: engine.counts,
      recordCounts: engine.recordCounts,
      ...(failOpen.length > 0 ? { failOpen } : {}),
    };
  }

  #warn(message: string): void {
    if (this.#warnings.length < 100) this.#warnings.push(message);
  }

  #reportEvents(): void {
    if (this.#eventCounts.size === 0) return;
    const counts = Object.fromEntries(this.#eventCounts);
    this.#eventCounts.clear();
    this.#hooks.report({
      type: 'events',
      counts,
      lastEventAtMs: this.#lastEventAtMs,
      lastHeartbeatAtMs: this.#lastHeartbeatAtMs,
    });
  }
}
