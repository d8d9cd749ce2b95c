// Scale benchmark (issue #15): 10k / 50k / 200k-task clusters (20 tasks per agent: 10,000 agents
// at 200k), this server and mesos-dns (the oracle, when present) side by side on one machine,
// server on CPU 0, master and load on CPU 1. Per size and server:
//   reload phase: refreshSeconds 2 and 100 tasks replaced per state request, for --window s:
//     first answer after start (spawn → first NOERROR A answer for a task), peak RSS (VmHWM),
//     RSS at the end of the window;
//   steady phase: no reload (refreshSeconds 3600): RSS after settling, then open-loop A queries
//     at --rate/s for --steady s: p50 / p99 / p99.9 / max, GC pauses per thread (this server),
//     and a per-thread memory breakdown (bench/scale-probe.ts) before and after the queries.
// A separate child measures what the state body, its string, the parsed tree and the record set
// occupy on a V8 heap (heap used after a full collection, before and after each step).
//   node bench/scale.ts [--sizes 10000,50000,200000] [--window 40] [--steady 20] [--rate 5000]
//                       [--no-oracle] [--no-stream] [--settle 10] [--source] [--tag NAME]
// The server runs as the image runs it, dist/cli.js (built first); --source runs src/cli.ts.
//   (or npm run bench -- --scale [--sizes ...])
// Each size writes its own section of bench/results.md (scale-10000, ...; with --tag NAME,
// scale-10000-NAME, beside the plain one), so sizes can run in separate parts.
import { spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generate } from '../src/records/generate.ts';
import type { RecordSet } from '../src/records/recordset.ts';
import { readState } from '../src/mesos/state-split.ts';
import type { LazyMesosState, MesosState } from '../src/state/types.ts';
import { benchGenerateOptions } from './generate-options.ts';
import { Children, jsonLine, LineTap, peakRssMb } from './children.ts';
import { encodeQuery, readReply } from './dns-query.ts';
import { machineInfo, machineLines } from './machine.ts';
import { oracleConfig, startServerProcess, startSim, type StartedServer } from './processes.ts';
import { buildQuerySets, writeQueryFile } from './query-files.ts';
import { offerLoad, relative } from './reload.ts';
import { writeSection } from './results-file.ts';
import type { ThreadSnapshot } from './scale-probe.ts';
import { markdownTable } from './table.ts';
import type { LoadReport } from './udp-load.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SCRIPT = fileURLToPath(import.meta.url);
const PROBE = fileURLToPath(new URL('scale-probe.ts', import.meta.url));
/**
 * The built mesos-dns: $MESOS_DNS_ORACLE, else shared/oracle/mesos-dns in the nearest directory
 * above this checkout that has one (a checkout beside shared/, or a worktree further down).
 */
export const ORACLE = process.env['MESOS_DNS_ORACLE'] ?? findOracle(ROOT);

/** Whether the mesos-dns binary is there; says so on stderr when it is not (it is then not run). */
export function oracleFound(): boolean {
  if (existsSync(ORACLE)) return true;
  process.stderr.write(`mesos-dns not found at ${ORACLE} (set MESOS_DNS_ORACLE); not run\n`);
  return false;
}

function findOracle(from: string): string {
  const wanted = join('shared', 'oracle', 'mesos-dns');
  let dir = resolve(from);
  for (;;) {
    const parent = dirname(dir);
    if (parent === dir) return join(resolve(from), '..', wanted);
    dir = parent;
    if (existsSync(join(dir, wanted))) return join(dir, wanted);
  }
}
const SERVER_CPU = 0;
/** $BENCH_SERVER_ENV (bench/processes.ts), shown before the server's command. */
const serverEnv = process.env['BENCH_SERVER_ENV'] ? `${process.env['BENCH_SERVER_ENV']} ` : '';
const LOAD_CPU = 1;
const TASKS_PER_AGENT = 20;
const CHURN = 100;
const RELOAD_SECONDS = 2;
const STEADY_REFRESH_SECONDS = 3600;
const MB = 1024 * 1024;
const POLL = 'mesos-dns-ts (poll)';
const STREAM = 'mesos-dns-ts (stream)';

export interface ScaleOptions {
  readonly sizes: readonly number[];
  readonly windowS: number;
  readonly steadyS: number;
  readonly settleS: number;
  readonly rate: number;
  readonly oracle: boolean;
  /**
   * Also measure stateSource "subscribe" in the steady phase. Off with --no-stream: at 200k tasks
   * the simulated master alone spends minutes of CPU building the SUBSCRIBED record.
   */
  readonly stream: boolean;
  /** Run src/cli.ts (type stripping in every isolate) instead of the built dist/cli.js. */
  readonly source: boolean;
  /** Written to section scale-<size>-<tag> instead of scale-<size>. */
  readonly tag?: string;
}

/** Current resident set (VmRSS) of a live process in MB; NaN when unreadable. */
export function rssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const kb = /VmRSS:\s*(\d+)\s*kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? NaN : Number(kb) / 1024;
  } catch {
    return NaN;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A port free for both UDP and TCP on 127.0.0.1 (mesos-dns takes no port 0). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    const port = udp.address().port;
    const tcp = net.createServer();
    const ok = await new Promise<boolean>((r) => {
      tcp.once('error', () => r(false));
      tcp.listen(port, '127.0.0.1', () => r(true));
    });
    await new Promise<void>((r) => udp.close(() => r()));
    if (ok) {
      await new Promise<void>((r) => tcp.close(() => r()));
      return port;
    }
  }
  throw new Error('no port free for both UDP and TCP on 127.0.0.1');
}

/**
 * Asks `name` A of 127.0.0.1:`port` every 50 ms until a NOERROR reply with an answer arrives;
 * resolves with Date.now() of that reply. Rejects after `timeoutMs` or when `gaveUp` says so.
 */
export async function firstAnswer(
  port: number,
  name: string,
  timeoutMs: number,
  gaveUp: () => string | null,
): Promise<number> {
  const query = encodeQuery(name, 'A');
  const socket = dgram.createSocket('udp4');
  socket.on('error', () => {
    // Refused while the server is not listening yet: keep asking.
  });
  try {
    return await new Promise<number>((resolve, reject) => {
      let id = 1;
      const deadline = Date.now() + timeoutMs;
      socket.on('message', (msg) => {
        const reply = readReply(msg);
        if (reply?.rcode === 'NOERROR' && msg.readUInt16BE(6) > 0) {
          clearInterval(timer);
          resolve(Date.now());
        }
      });
      const timer = setInterval(() => {
        const why = gaveUp();
        if (why !== null || Date.now() > deadline) {
          clearInterval(timer);
          reject(new Error(why ?? `no answer for ${name} within ${timeoutMs} ms`));
          return;
        }
        id = (id + 1) & 0xffff;
        query.writeUInt16BE(id, 0);
        socket.send(query, port, '127.0.0.1');
      }, 50);
    });
  } finally {
    socket.close();
  }
}

/** Sizes of the state at each step on a V8 heap, from a child run with --expose-gc. */
export interface HeapSizes {
  readonly bodyBytes: number;
  /** The body decoded to one JS string. */
  readonly stringBytes: number;
  /** JSON.parse's object tree (string dropped): what a whole parse would hold. */
  readonly parsedBytes: number;
  /**
   * What the load worker holds instead: the state read task by task (state-split.ts readState),
   * the body's bytes kept and each framework's tasks unparsed until generate() reaches them.
   */
  readonly lazyBytes: number;
  /** generate()'s RecordSet with its enumeration, while the parsed state is still held. */
  readonly setBytes: number;
  /** The same set without the enumeration (what the serving thread holds). */
  readonly setServedBytes: number;
  readonly names: number;
}

function heapSizesChild(file: string): HeapSizes {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run the sizes child with --expose-gc');
  const used = (): number => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const body = readFileSync(file);
  // Held through properties so each step can be dropped before the next measurement.
  const hold: { text?: string; state?: MesosState; set?: RecordSet; served?: RecordSet } = {};
  const h0 = used();
  hold.text = body.toString('utf8');
  const h1 = used();
  hold.state = JSON.parse(hold.text) as MesosState;
  delete hold.text;
  const h2 = used();
  delete hold.state;
  const h2a = used();
  const lazy: { state?: LazyMesosState } = { state: readState(body, file) };
  const h2b = used();
  delete lazy.state;
  hold.state = JSON.parse(body.toString('utf8')) as MesosState;
  const h2c = used();
  hold.set = generate(hold.state, benchGenerateOptions());
  const h3 = used();
  const names = hold.set.a.size + hold.set.aaaa.size + hold.set.srv.size;
  // In a function of its own: a copy made in this frame left the whole set (enumeration
  // included) in one of its registers, alive through the collection below.
  swapServed(hold);
  const h4 = used();
  return {
    bodyBytes: body.length,
    stringBytes: h1 - h0,
    parsedBytes: h2 - h0,
    // The body buffer is outside the heap in both: this is the heap the split adds.
    lazyBytes: h2b - h2a,
    setBytes: h3 - h2c,
    setServedBytes: h4 - h2c,
    names,
  };
}

/** Replaces hold.set by hold.served: the same set without its enumeration. */
function swapServed(hold: { set?: RecordSet; served?: RecordSet }): void {
  hold.served = { ...hold.set!, enumeration: undefined };
  delete hold.set;
}

async function measureHeapSizes(children: Children, file: string): Promise<HeapSizes> {
  const child = children.spawn(process.execPath, ['--expose-gc', SCRIPT, '--sizes-child', file], {
    cpu: SERVER_CPU,
  });
  const report = new LineTap(child).waitFor(
    (line) => jsonLine(line) as HeapSizes | undefined,
    600_000,
    'bench/scale.ts sizes child',
  );
  const code = await children.wait(child, 610_000);
  if (code !== 0) throw new Error(`bench/scale.ts sizes child exited with ${code}`);
  return report;
}

interface ReloadResult {
  readonly firstAnswerMs: number;
  readonly peakRssMb: number;
  readonly maxSampledRssMb: number;
  readonly endRssMb: number;
  readonly reloads: number;
  readonly command: string;
}

interface SteadyResult {
  readonly firstAnswerMs: number;
  readonly settledRssMb: number;
  readonly afterRssMb: number;
  readonly peakRssMb: number;
  readonly load: LoadReport;
  readonly settled: readonly ThreadSnapshot[];
  readonly after: readonly ThreadSnapshot[];
  readonly command: string;
  readonly loadCommand: string;
}

/** One server under test: how to start it and how long to wait for it. */
interface Target {
  readonly name: string;
  readonly start: (refreshSeconds: number, port: number, steady: boolean) => Promise<StartedTarget>;
}

interface StartedTarget {
  readonly child: ChildProcess;
  readonly command: string;
  /** Resolves once it serves (ours: /ready; the oracle: at once). */
  readonly ready: Promise<unknown>;
  /** The reason the run must stop (the child exited), or null. */
  readonly failed: () => string | null;
  readonly reloads: () => number;
}

export function exitWatch(child: ChildProcess): () => string | null {
  let why: string | null = null;
  child.once('exit', (code, signal) => {
    why = `${child.spawnfile} exited (code ${code}, signal ${signal}) before answering`;
  });
  return () => why;
}

/**
 * The server as the image runs it (dist/cli.js, freshly built) or, with --source, src/cli.ts.
 * Running .ts makes Node load its type stripper in every isolate (~13 MB RSS each), so the probe
 * goes in as plain JavaScript too.
 */
function prepareServer(dir: string, source: boolean): { script: string; probe: string } {
  const probe = join(dir, 'scale-probe.mjs');
  writeFileSync(probe, stripTypeScriptTypes(readFileSync(PROBE, 'utf8')));
  if (source) return { script: join(ROOT, 'src', 'cli.ts'), probe };
  process.stderr.write('scale: npm run build (the benchmark runs dist/cli.js)\n');
  const built = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error(`npm run build failed (${built.status})`);
  return { script: join(ROOT, 'dist', 'cli.js'), probe };
}

function oursTarget(
  children: Children,
  master: string,
  dir: string,
  probeDir: string,
  server: { script: string; probe: string },
  stateSource: 'poll' | 'subscribe',
): Target {
  return {
    name: stateSource === 'poll' ? POLL : STREAM,
    start(refreshSeconds, port, steady) {
      process.env['SCALE_PROBE_DIR'] = probeDir;
      let child: ChildProcess | null = null;
      const started = startServerProcess(children, {
        master,
        refreshSeconds,
        workers: 1,
        dir,
        cpu: SERVER_CPU,
        nodeFlags: steady ? ['--expose-gc', '--import', server.probe] : ['--import', server.probe],
        script: server.script,
        extra: { port, stateTimeoutSeconds: 120, stateSource },
        onSpawn: (c) => {
          child = c;
        },
      });
      // startServerProcess spawns synchronously before its first await.
      const spawned = child as ChildProcess | null;
      if (spawned === null) throw new Error('startServerProcess did not spawn');
      const exited = exitWatch(spawned);
      let why: string | null = null;
      // A server that cannot load (an event stream record over its limit, say) never answers:
      // stop at its first such line instead of waiting out the timeout.
      // The streamer says it once, as an error line with the sizes (src/mesos/streamer.ts); the
      // subscription ends it causes are logged at debug only.
      spawned.stdout?.on('data', (chunk: Buffer) => {
        if (why !== null) return;
        for (const line of chunk.toString().split('\n')) {
          const entry = jsonLine(line);
          const msg = entry?.['msg'];
          if (typeof msg === 'string' && msg.includes('over the record limit')) {
            why = `${msg} (${String(entry?.['recordBytes'])} bytes, limit ${String(entry?.['limitBytes'])})`;
            return;
          }
        }
      });
      const failed = (): string | null => exited() ?? why;
      let loads = 0;
      const serving = started.then((s: StartedServer) => {
        s.lines.onLine((line) => {
          if (jsonLine(line)?.['msg'] === 'state loaded') loads++;
        });
        return s;
      });
      // Awaited only after the first answer: record a failure meanwhile instead of crashing.
      serving.catch((err: unknown) => {
        why ??= err instanceof Error ? err.message.split('\n')[0]! : String(err);
      });
      return Promise.resolve({
        child: spawned,
        command: `${serverEnv}taskset -c ${SERVER_CPU} node ${steady ? '--expose-gc ' : ''}--import scale-probe.mjs ${relative(ROOT, server.script)} --config config.json  # stateSource ${stateSource}, refreshSeconds ${refreshSeconds}`,
        ready: serving,
        failed,
        reloads: () => loads,
      });
    },
  };
}

function oracleTarget(children: Children, master: string, dir: string): Target {
  return {
    name: 'mesos-dns',
    start(refreshSeconds, port) {
      const file = join(dir, 'oracle.json');
      writeFileSync(file, JSON.stringify(oracleConfig(master, refreshSeconds, port)));
      const child = children.spawn(ORACLE, [`-config=${file}`], {
        cpu: SERVER_CPU,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      // Drained so a chatty child never blocks on a full pipe.
      child.stderr?.resume();
      return Promise.resolve({
        child,
        command: `taskset -c ${SERVER_CPU} mesos-dns -config=oracle.json  # refreshSeconds ${refreshSeconds}`,
        ready: Promise.resolve(),
        failed: exitWatch(child),
        // mesos-dns logs nothing per reload below -v=2 (which logs every query too).
        reloads: () => NaN,
      });
    },
  };
}

async function reloadPhase(
  children: Children,
  target: Target,
  name: string,
  o: ScaleOptions,
): Promise<ReloadResult> {
  const port = await freePort();
  const t0 = Date.now();
  const s = await target.start(RELOAD_SECONDS, port, false);
  try {
    const answeredAt = await firstAnswer(port, name, 300_000, s.failed);
    await s.ready;
    let maxSampled = 0;
    const end = Date.now() + o.windowS * 1000;
    while (Date.now() < end && s.failed() === null) {
      maxSampled = Math.max(maxSampled, rssMb(s.child.pid));
      await sleep(250);
    }
    return {
      firstAnswerMs: answeredAt - t0,
      peakRssMb: peakRssMb(s.child.pid),
      maxSampledRssMb: maxSampled,
      endRssMb: rssMb(s.child.pid),
      reloads: s.reloads(),
      command: s.command,
    };
  } finally {
    await children.stop(s.child, 10_000);
  }
}

async function snapshots(probeDir: string, label: string): Promise<ThreadSnapshot[]> {
  writeFileSync(join(probeDir, 'request'), label);
  const deadline = Date.now() + 20_000;

  // Every thread answers within a poll interval unless busy; wait a little longer for stragglers.
  while (Date.now() < deadline) {
    await sleep(500);
    const found = readdirSync(probeDir)
      .filter((f) => f.startsWith(`${label}.`))
      .map((f) => JSON.parse(readFileSync(join(probeDir, f), 'utf8')) as ThreadSnapshot);
    if (found.length >= 2) {
      await sleep(500);
      break;
    }
  }
  return readdirSync(probeDir)
    .filter((f) => f.startsWith(`${label}.`))
    .map((f) => JSON.parse(readFileSync(join(probeDir, f), 'utf8')) as ThreadSnapshot)
    .sort((a, b) => a.threadId - b.threadId);
}

async function steadyPhase(
  children: Children,
  target: Target,
  name: string,
  queryFile: string,
  probeDir: string | null,
  o: ScaleOptions,
): Promise<SteadyResult> {
  const port = await freePort();
  const t0 = Date.now();
  const s = await target.start(STEADY_REFRESH_SECONDS, port, true);
  try {
    const answeredAt = await firstAnswer(port, name, 300_000, s.failed);
    await s.ready;
    await sleep(o.settleS * 1000);
    const settledRssMb = rssMb(s.child.pid);
    const tag = `${target.name}-${Date.now()}`;
    const settled = probeDir === null ? [] : await snapshots(probeDir, `settled-${tag}`);
    const run = await offerLoad(
      children,
      port,
      queryFile,
      { rate: o.rate, durationS: o.steadyS },
      'a.txt',
    );
    const afterRssMb = rssMb(s.child.pid);
    const after = probeDir === null ? [] : await snapshots(probeDir, `after-${tag}`);
    return {
      firstAnswerMs: answeredAt - t0,
      settledRssMb,
      afterRssMb,
      peakRssMb: peakRssMb(s.child.pid),
      load: run.report,
      settled,
      after,
      command: s.command,
      loadCommand: run.command,
    };
  } finally {
    await children.stop(s.child, 10_000);
  }
}

const fmt = (v: number, digits = 0): string => (Number.isFinite(v) ? v.toFixed(digits) : '–');
const mb = (bytes: number): string => fmt(bytes / MB, 1);

interface PauseStats {
  count: number;
  totalMs: number;
  maxMs: number;
  over1: number;
  over5: number;
  major: number;
}

export function pauseStats(pauses: ThreadSnapshot['gc'], fromMs: number, toMs: number): PauseStats {
  const s: PauseStats = { count: 0, totalMs: 0, maxMs: 0, over1: 0, over5: 0, major: 0 };
  for (const p of pauses) {
    if (p.at < fromMs || p.at > toMs) continue;
    s.count++;
    s.totalMs += p.ms;
    s.maxMs = Math.max(s.maxMs, p.ms);
    if (p.ms >= 1) s.over1++;
    if (p.ms >= 5) s.over5++;
    if (p.kind === 2) s.major++;
  }
  return s;
}

async function runSize(
  children: Children,
  tasks: number,
  o: ScaleOptions,
  server: { script: string; probe: string },
): Promise<void> {
  // Taken before the run: the section's "load average at the start" line reads it.
  const m = machineInfo('n/a');
  const dir = mkdtempSync(join(tmpdir(), 'mesos-dns-scale-'));
  const probeDir = join(dir, 'probe');
  mkdirSync(probeDir);
  try {
    const agents = Math.max(1, Math.round(tasks / TASKS_PER_AGENT));
    process.stderr.write(`scale ${tasks}: starting the simulated master (${agents} agents)\n`);
    const sim = await startSim(children, { tasks, instances: 4, agents, churn: CHURN }, LOAD_CPU);
    const res = await fetch(`http://${sim.address}/master/state`, {
      signal: AbortSignal.timeout(300_000),
    });
    const stateBody = Buffer.from(await res.arrayBuffer());
    const stateFile = join(dir, 'state.json');
    writeFileSync(stateFile, stateBody);
    let queryFile = join(dir, 'a.txt');
    let probeName: string;
    let aNames: number;
    {
      const state = JSON.parse(stateBody.toString('utf8')) as MesosState;
      const set = generate(state, benchGenerateOptions({ masters: [sim.address] }));
      const sets = buildQuerySets(set, { mixedLines: 1 });
      writeQueryFile(queryFile, sets.a);
      aNames = sets.a.length;
      // Asked until the first answer: leader.<domain> comes from the same state load as every
      // task's records (in both servers), and, unlike a task, the master's churn never removes it.
      probeName = 'leader.mesos';
    }
    process.stderr.write(`scale ${tasks}: heap sizes of the state and the record set\n`);
    const sizes = await measureHeapSizes(children, stateFile);
    rmSync(stateFile);

    // Polling is what mesos-dns does (the 2 s reloads apply to it); the event stream (#10) has
    // no reloads, so it is measured in the steady phase only.
    const poll = oursTarget(children, sim.address, dir, probeDir, server, 'poll');
    const stream = o.stream
      ? [oursTarget(children, sim.address, dir, probeDir, server, 'subscribe')]
      : [];
    const withOracle = o.oracle && oracleFound();
    const oracle = withOracle ? [oracleTarget(children, sim.address, dir)] : [];
    const targets = [poll, ...stream, ...oracle];
    const reload = new Map<string, ReloadResult>();
    const steady = new Map<string, SteadyResult>();
    const failures = new Map<string, string>();
    for (const t of [poll, ...oracle]) {
      process.stderr.write(`scale ${tasks}: ${t.name}, reload every 2 s for ${o.windowS} s\n`);
      reload.set(t.name, await reloadPhase(children, t, probeName, o));
    }
    for (const t of targets) {
      process.stderr.write(`scale ${tasks}: ${t.name}, steady ${o.rate} A/s for ${o.steadyS} s\n`);
      const ours = t !== oracle[0];
      try {
        steady.set(
          t.name,
          await steadyPhase(children, t, probeName, queryFile, ours ? probeDir : null, o),
        );
      } catch (err) {
        const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
        failures.set(t.name, message);
        process.stderr.write(`scale ${tasks}: ${t.name} failed: ${message}\n`);
      }
    }
    await children.stop(sim.child);
    queryFile = '';

    const names = targets.map((t) => t.name);
    const cell = <T>(m: Map<string, T>, n: string, f: (v: T) => string): string => {
      const v = m.get(n);
      if (v !== undefined) return f(v);
      return failures.has(n) && m === (steady as unknown) ? 'failed (below)' : '–';
    };
    const summary = markdownTable(
      ['measure', ...names],
      [
        [
          'first answer after start, reload phase (s)',
          ...names.map((n) => cell(reload, n, (r) => fmt(r.firstAnswerMs / 1000, 1))),
        ],
        [
          'first answer after start, steady phase (s)',
          ...names.map((n) => cell(steady, n, (r) => fmt(r.firstAnswerMs / 1000, 1))),
        ],
        [
          `peak RSS MB, ${o.windowS} s of 2 s reloads (VmHWM)`,
          ...names.map((n) => cell(reload, n, (r) => fmt(r.peakRssMb))),
        ],
        [
          'RSS MB at the end of the reload window',
          ...names.map((n) => cell(reload, n, (r) => fmt(r.endRssMb))),
        ],
        ['reloads seen in the window', ...names.map((n) => cell(reload, n, (r) => fmt(r.reloads)))],
        [
          `RSS MB settled, no reload (${o.settleS} s after first answer)`,
          ...names.map((n) => cell(steady, n, (r) => fmt(r.settledRssMb))),
        ],
        [
          'RSS MB after the query run',
          ...names.map((n) => cell(steady, n, (r) => fmt(r.afterRssMb))),
        ],
        [
          'peak RSS MB, steady phase (VmHWM)',
          ...names.map((n) => cell(steady, n, (r) => fmt(r.peakRssMb))),
        ],
        [
          `steady ${o.rate} A/s: p50 ms`,
          ...names.map((n) => cell(steady, n, (r) => fmt(r.load.p50Ms, 2))),
        ],
        [
          `steady ${o.rate} A/s: p99 ms`,
          ...names.map((n) => cell(steady, n, (r) => fmt(r.load.p99Ms, 2))),
        ],
        [
          `steady ${o.rate} A/s: p99.9 ms`,
          ...names.map((n) => cell(steady, n, (r) => fmt(r.load.p999Ms, 2))),
        ],
        [
          `steady ${o.rate} A/s: max ms`,
          ...names.map((n) => cell(steady, n, (r) => fmt(r.load.maxMs, 2))),
        ],
        [
          'steady: answered % (lost)',
          ...names.map((n) =>
            cell(
              steady,
              n,
              (r) => `${fmt((r.load.answered / r.load.sent) * 100, 3)} (${r.load.lost})`,
            ),
          ),
        ],
        [
          'steady: load generator lag max ms',
          ...names.map((n) => cell(steady, n, (r) => fmt(r.load.senderLagMaxMs, 1))),
        ],
      ],
    );
    const ours = steady.get(POLL);
    const threadRows: string[][] = [];
    const gcRows: string[][] = [];
    for (const name of [POLL, STREAM]) {
      const r = steady.get(name);
      if (r === undefined) continue;
      const from = r.load.startedAtMs;
      const to = from + r.load.durationS * 1000;
      for (const [when, snaps] of [
        ['settled', r.settled],
        ['after queries', r.after],
      ] as const) {
        for (const s of snaps) {
          threadRows.push([
            name,
            when,
            `${s.role} (${s.threadId})`,
            mb(s.heapUsed),
            mb(s.heapTotal),
            mb(s.external),
            mb(s.arrayBuffers),
            mb(s.mallocedMemory),
          ]);
        }
      }
      for (const s of r.after) {
        const p = pauseStats(s.gc, from, to);
        gcRows.push([
          name,
          `${s.role} (${s.threadId})`,
          String(p.count),
          String(p.major),
          fmt(p.totalMs, 1),
          fmt(p.maxMs, 2),
          String(p.over1),
          String(p.over5),
        ]);
      }
    }
    const mainBefore = ours?.settled.find((s) => s.role === 'main')?.heapUsed ?? NaN;
    const mainAfter = ours?.after.find((s) => s.role === 'main')?.heapUsed ?? NaN;
    const sizeTable = markdownTable(
      ['part', 'MB', 'how'],
      [
        ['state body (bytes on the wire)', mb(sizes.bodyBytes), 'HTTP body length'],
        [
          'state as one JS string',
          mb(sizes.stringBytes),
          'heap used after gc, before/after `toString()` (one-byte string when ASCII)',
        ],
        [
          'parsed state, whole (object tree)',
          mb(sizes.parsedBytes),
          'heap used after gc, before reading / after `JSON.parse` with the string dropped (the server no longer parses it whole; for comparison)',
        ],
        [
          'state read task by task (what the load worker holds)',
          mb(sizes.lazyBytes),
          'heap used after gc, around `readState()` of state-split.ts (the body bytes are kept outside the heap, counted above)',
        ],
        [
          `record set with enumeration (${sizes.names} names)`,
          mb(sizes.setBytes),
          'heap used after gc, around `generate()` (the load worker keeps up to 2)',
        ],
        [
          'record set without enumeration',
          mb(sizes.setServedBytes),
          'same, with the enumeration dropped (what the serving thread holds, before its own indexes)',
        ],
        [
          `answer cache after ${ours?.load.sent ?? '–'} A queries over ${aNames} names`,
          mb(mainAfter - mainBefore),
          'main thread heap used after gc, after minus before the query run (the cache is the only thing the run adds)',
        ],
      ],
    );
    const body = [
      `## Scale: ${tasks} tasks (\`node bench/scale.ts --sizes ${tasks}${o.oracle ? '' : ' --no-oracle'}${o.stream ? '' : ' --no-stream'}${o.tag === undefined ? '' : ` --tag ${o.tag}`}\`)`,
      '',
      ...machineLines(m).filter((l) => !l.includes('dnsperf')),
      `- cluster: ${tasks} tasks, ${Math.ceil(tasks / 4)} apps × 4 on ${agents} agents (sim/serve.ts; DiscoveryInfo on every 4th app, container IPs on every 3rd task, staging every 50th); state body ${mb(sizes.bodyBytes)} MB; ${aNames} task A names`,
      `- servers on CPU ${SERVER_CPU}, master and load generator on CPU ${LOAD_CPU}; one server at a time. Reload phase: \`refreshSeconds\` 2, the master replaces ${CHURN} tasks per state request, ${o.windowS} s after the first answer. this server with \`stateSource: "poll"\` as mesos-dns. Steady phase: \`refreshSeconds\` ${STEADY_REFRESH_SECONDS} (one load; this server also with \`stateSource: "subscribe"\`, the v1 event stream of #10), ${o.settleS} s to settle, then bench/udp-load.ts offers the A file open loop at ${o.rate}/s for ${o.steadyS} s`,
      `- first answer: from spawning the server to the first NOERROR answer for \`${probeName}\` A (asked every 50 ms)`,
      `- mesos-dns: ${withOracle ? ORACLE.replace(ROOT, '').replace(/^.*shared/, 'shared') : 'not run'}`,
      `- 1-minute load average at the end: ${machineInfo('n/a').load1.toFixed(2)}`,
      '',
      summary,
      '',
      `Memory per thread of this server, steady phase (bench/scale-probe.ts, \`process.memoryUsage()\` in each isolate after a forced full collection; RSS is per process only):`,
      '',
      threadRows.length > 0
        ? markdownTable(
            [
              'server',
              'when',
              'thread',
              'V8 heap used MB',
              'V8 heap total MB',
              'external MB',
              'array buffers MB',
              'malloced MB',
            ],
            threadRows,
          )
        : '(no probe snapshots)',
      '',
      `GC pauses during the ${o.steadyS} s steady query run (perf_hooks 'gc' entries; kind 2 = major):`,
      '',
      gcRows.length > 0
        ? markdownTable(
            ['server', 'thread', 'pauses', 'major', 'total ms', 'max ms', '≥ 1 ms', '≥ 5 ms'],
            gcRows,
          )
        : '(none recorded)',
      '',
      ...(failures.size > 0
        ? ['Failed runs:', ...[...failures].map(([name, message]) => `- ${name}: ${message}`), '']
        : []),
      'What the state and the records occupy on a V8 heap (a separate `node --expose-gc` child, one step at a time):',
      '',
      sizeTable,
      '',
      'Commands:',
      '```',
      `taskset -c ${LOAD_CPU} node ${relative(ROOT, sim.args.join(' '))}`,
      ...[...reload.values()].map((r) => r.command),
      ...[...steady.values()].map((r) => r.command),
      ours?.loadCommand ?? '',
      '```',
    ].join('\n');
    process.stdout.write(`\n${summary}\n`);
    const section = o.tag === undefined ? `scale-${tasks}` : `scale-${tasks}-${o.tag}`;
    writeSection(section, body);
    process.stderr.write(`wrote bench/results.md (section ${section})\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runScaleBench(o: ScaleOptions): Promise<void> {
  const children = new Children();
  const dir = mkdtempSync(join(tmpdir(), 'mesos-dns-scale-probe-'));
  try {
    const server = prepareServer(dir, o.source);
    for (const size of o.sizes) await runSize(children, size, o, server);
  } finally {
    await children.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function parseSizes(text: string): number[] {
  const sizes = text.split(',').map((s) => Number(s.trim()));
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 100)) {
    throw new Error(`--sizes must be whole numbers ≥ 100 like 10000,50000, got "${text}"`);
  }
  return sizes;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      'sizes-child': { type: 'string' },
      sizes: { type: 'string', default: '10000,50000,200000' },
      window: { type: 'string', default: '40' },
      steady: { type: 'string', default: '20' },
      settle: { type: 'string', default: '10' },
      rate: { type: 'string', default: '5000' },
      'no-oracle': { type: 'boolean', default: false },
      'no-stream': { type: 'boolean', default: false },
      source: { type: 'boolean', default: false },
      tag: { type: 'string' },
    },
  });
  if (values['sizes-child'] !== undefined) {
    process.stdout.write(`${JSON.stringify(heapSizesChild(values['sizes-child']))}\n`);
  } else {
    const num = (name: string, text: string): number => {
      const n = Number(text);
      if (!Number.isInteger(n) || n < 1) {
        process.stderr.write(`--${name} must be a whole number ≥ 1, got "${text}"\n`);
        process.exit(2);
      }
      return n;
    };
    runScaleBench({
      sizes: parseSizes(values.sizes),
      windowS: num('window', values.window),
      steadyS: num('steady', values.steady),
      settleS: num('settle', values.settle),
      rate: num('rate', values.rate),
      oracle: !values['no-oracle'],
      stream: !values['no-stream'],
      source: values.source,
      ...(values.tag !== undefined ? { tag: values.tag } : {}),
    })
      // A server that never became ready leaves startServerProcess polling /ready until its
      // timeout; the results are written, so do not wait for it.
      .then(() => process.exit())
      .catch((err: unknown) => {
        process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
      });
  }
}
