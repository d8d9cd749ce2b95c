// Stream benchmark (issue #12): how soon a task change is answered over DNS, and what learning
// the cluster costs, for stateSource "subscribe" and for polling. A simulated master
// (bench/stream-master.ts, its own process on CPU 1) holds 50,000 tasks and makes 100 task
// changes a second for 60 s — alternately a new single-task app appears and an old one is
// killed. The server (src/cli.ts, CPU 0) follows it; this process probes every Nth change over
// UDP until the answer shows it (the new name answers NOERROR, the killed one NXDOMAIN), and
// reports:
// - propagation p50/p99: the master's change → the first DNS answer that shows it;
// - the server's CPU seconds (utime + stime from /proc, every thread) and peak RSS (VmHWM);
// - bytes the master sent, per minute (state bodies, v1 answers, stream records).
// Both are measured from the first change until the last probed change was seen, so a slow
// poll's last download counts.
//   node bench/stream.ts [--tasks 50000] [--rate 100] [--duration 60] [--probe-every 5]
//                        [--modes subscribe,poll2,poll60]
//   (or npm run bench -- --stream [same flags])
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Children, peakRssMb } from './children.ts';
import { encodeQuery, readReply } from './dns-query.ts';
import { LatencySamples } from './latency.ts';
import { machineInfo } from './machine.ts';
import { startServerProcess } from './processes.ts';
import { relative } from './reload.ts';
import { writeSection } from './results-file.ts';
import { markdownTable, verdict } from './table.ts';
import {
  FRAMEWORK,
  type MasterCounters,
  type StreamMasterCommand,
  type StreamMasterMessage,
  type StreamMasterSetup,
} from './stream-master.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MASTER_SCRIPT = fileURLToPath(new URL('stream-master.ts', import.meta.url));
const SERVER_CPU = 0;
const MASTER_CPU = 1;
const INSTANCES = 4;
const AGENTS = 200;
const P99_TARGET_MS = 1000;
const BYTES_TARGET = 100;
const WORST = 8;

export interface StreamMode {
  readonly label: string;
  readonly stateSource: 'subscribe' | 'poll';
  readonly refreshSeconds: number;
}

export interface StreamBenchOptions {
  readonly tasks: number;
  /** Task changes per second. */
  readonly rate: number;
  readonly durationS: number;
  /** Probe one change in this many. */
  readonly probeEvery: number;
  readonly modes: readonly StreamMode[];
}

export interface ModeResult {
  readonly mode: StreamMode;
  readonly probed: number;
  readonly seen: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Seconds from the first change until the last probed change was seen (or given up). */
  readonly windowS: number;
  readonly cpuSeconds: number;
  readonly peakRssMb: number;
  readonly masterBytes: number;
  readonly stateRequests: number;
  readonly streamEvents: number;
  /** Largest delay of a change behind its schedule in the master (its own health). */
  readonly masterLagMaxMs: number;
  readonly oddAnswers: number;
  /** The slowest probed changes: seconds after the first change, and their propagation. */
  readonly worst: readonly { readonly atS: number; readonly ms: number }[];
  readonly command: string;
}

/** "subscribe", "poll2", "poll60": the modes a --modes list names. */
export function parseModes(text: string): StreamMode[] {
  const modes: StreamMode[] = [];
  for (const raw of text.split(',')) {
    const word = raw.trim().toLowerCase();
    if (word === '') continue;
    if (word === 'subscribe') {
      modes.push({ label: 'subscribe', stateSource: 'subscribe', refreshSeconds: 60 });
      continue;
    }
    const m = /^poll(\d+)$/.exec(word);
    if (m === null || Number(m[1]) < 1) {
      throw new Error(`--modes: "${raw}" is neither "subscribe" nor "poll<seconds>" (e.g. poll2)`);
    }
    const seconds = Number(m[1]);
    modes.push({ label: `poll ${seconds} s`, stateSource: 'poll', refreshSeconds: seconds });
  }
  if (modes.length === 0) throw new Error('--modes: name at least one mode');
  return modes;
}

let clockTicks: number | null = null;

/** CPU seconds (user + system, all threads) a live process has used; NaN when unreadable. */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  clockTicks ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return NaN;
  }
}

interface Probe {
  readonly packet: Buffer;
  readonly want: 'NOERROR' | 'NXDOMAIN';
  readonly atMs: number;
  timer: NodeJS.Timeout | null;
}

/**
 * Asks the server about each probed change until the answer shows it: often at first (every
 * 5 ms), then every tenth of the time waited so far, at most every 500 ms, so thousands of
 * changes waiting for a 60 s poll cost a few thousand queries a second, not a flood.
 */
class Prober {
  readonly #socket = dgram.createSocket('udp4');
  readonly #port: number;
  readonly #byId = new Map<number, Probe>();
  readonly #open = new Set<Probe>();
  #nextId = 0;
  readonly samples = new LatencySamples();
  /** The slowest changes seen: when they were made (Date.now()) and how long they took. */
  readonly worst: { atMs: number; ms: number }[] = [];
  probed = 0;
  /** Answers neither NOERROR nor NXDOMAIN (SERVFAIL, REFUSED): the server misbehaving. */
  odd = 0;
  #idle: (() => void) | null = null;

  constructor(port: number) {
    this.#port = port;
    this.#socket.on('message', (msg) => this.#onReply(msg));
  }

  probe(name: string, want: Probe['want'], atMs: number): void {
    const probe: Probe = { packet: encodeQuery(name, 'A'), want, atMs, timer: null };
    this.probed++;
    this.#open.add(probe);
    this.#send(probe);
  }

  /** Resolves when every probe has been seen, or at `deadlineMs` (Date.now()). */
  async settle(deadlineMs: number): Promise<void> {
    if (this.#open.size === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadlineMs - Date.now()));
      this.#idle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#idle = null;
  }

  close(): void {
    for (const p of this.#open) if (p.timer) clearTimeout(p.timer);
    this.#open.clear();
    this.#socket.close();
  }

  #send(probe: Probe): void {
    const id = this.#nextId;
    this.#nextId = (this.#nextId + 1) & 0xffff;
    this.#byId.set(id, probe);
    probe.packet.writeUInt16BE(id, 0);
    this.#socket.send(probe.packet, this.#port, '127.0.0.1');
    const waited = Date.now() - probe.atMs;
    probe.timer = setTimeout(
      () => this.#send(probe),
      Math.min(500, Math.max(5, Math.round(waited / 10))),
    );
  }

  #onReply(msg: Buffer): void {
    const now = Date.now();
    const reply = readReply(msg);
    if (reply === null) return;
    const probe = this.#byId.get(reply.id);
    if (probe === undefined) return;
    this.#byId.delete(reply.id);
    if (!this.#open.has(probe)) return;
    if (reply.rcode !== 'NOERROR' && reply.rcode !== 'NXDOMAIN') this.odd++;
    if (reply.rcode !== probe.want) return;
    if (probe.timer) clearTimeout(probe.timer);
    this.#open.delete(probe);
    this.samples.add(now - probe.atMs);
    this.worst.push({ atMs: probe.atMs, ms: now - probe.atMs });
    if (this.worst.length > 2 * WORST) {
      this.worst.sort((a, b) => b.ms - a.ms);
      this.worst.length = WORST;
    }
    if (this.#open.size === 0) this.#idle?.();
  }

  get unseen(): number {
    return this.#open.size;
  }
}

/** One DNS answer's rcode, for the checks before the run. */
async function rcodeOf(port: number, name: string): Promise<string> {
  const socket = dgram.createSocket('udp4');
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no DNS answer for ${name}`)), 5000);
      socket.on('message', (msg) => {
        clearTimeout(timer);
        resolve(readReply(msg)?.rcode ?? 'unreadable');
      });
      socket.send(encodeQuery(name, 'A'), port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

class MasterChild {
  readonly child: ChildProcess;
  readonly #listeners = new Set<(m: StreamMasterMessage) => void>();

  constructor(child: ChildProcess) {
    this.child = child;
    child.on('message', (m: StreamMasterMessage) => {
      for (const l of this.#listeners) l(m);
    });
  }

  on(listener: (m: StreamMasterMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  next<T extends StreamMasterMessage['type']>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<StreamMasterMessage, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`bench/stream-master.ts: no "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.on((m) => {
        if (m.type !== type) return;
        clearTimeout(timer);
        off();
        resolve(m as Extract<StreamMasterMessage, { type: T }>);
      });
    });
  }

  send(command: StreamMasterCommand): void {
    this.child.send(command);
  }

  async counters(): Promise<MasterCounters> {
    const answer = this.next('counters', 60_000);
    this.send({ type: 'counters' });
    return answer;
  }
}

async function runMode(
  children: Children,
  dir: string,
  o: StreamBenchOptions,
  mode: StreamMode,
): Promise<ModeResult> {
  const gone = Math.ceil((o.rate * o.durationS) / 2);
  const setup: StreamMasterSetup = { tasks: o.tasks, gone, instances: INSTANCES, agents: AGENTS };
  process.stderr.write(`[${mode.label}] starting the simulated master (${o.tasks} tasks)\n`);
  const master = new MasterChild(
    children.spawn(process.execPath, [MASTER_SCRIPT, JSON.stringify(setup)], {
      cpu: MASTER_CPU,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    }),
  );
  const { address } = await master.next('ready', 180_000);
  process.stderr.write(`[${mode.label}] starting the server\n`);
  const server = await startServerProcess(children, {
    master: address,
    refreshSeconds: mode.refreshSeconds,
    workers: 1,
    dir,
    cpu: SERVER_CPU,
    extra: { stateSource: mode.stateSource },
  });
  const prober = new Prober(server.dnsPort);
  try {
    // The server serves the starting cluster: the tasks to kill answer, the new ones do not yet.
    const domain = `${FRAMEWORK}.mesos`;
    for (const [name, want] of [
      [`gone-0.${domain}`, 'NOERROR'],
      [`new-0.${domain}`, 'NXDOMAIN'],
    ] as const) {
      const got = await rcodeOf(server.dnsPort, name);
      if (got !== want) throw new Error(`before the run ${name} answered ${got}, not ${want}`);
    }
    const before = await master.counters();
    const cpuBefore = cpuSeconds(server.child.pid);
    const startedMs = Date.now();
    const off = master.on((m) => {
      if (m.type !== 'change') return;
      prober.probe(`${m.name}.${domain}`, m.kind === 'start' ? 'NOERROR' : 'NXDOMAIN', m.atMs);
    });
    process.stderr.write(
      `[${mode.label}] ${o.rate} changes/s for ${o.durationS} s, probing 1 in ${o.probeEvery}\n`,
    );
    master.send({
      type: 'run',
      rate: o.rate,
      durationS: o.durationS,
      probeEvery: o.probeEvery,
    });
    const done = await master.next('done', (o.durationS + 120) * 1000);
    off();
    // A change made just before the end waits at most one more poll (and its load).
    await prober.settle(Date.now() + mode.refreshSeconds * 1500 + 30_000);
    const endedMs = Date.now();
    const cpuAfter = cpuSeconds(server.child.pid);
    const after = await master.counters();
    const rss = peakRssMb(server.child.pid);
    return {
      mode,
      probed: prober.probed,
      seen: prober.samples.length,
      p50Ms: prober.samples.percentile(50),
      p99Ms: prober.samples.percentile(99),
      maxMs: prober.samples.max(),
      windowS: (endedMs - startedMs) / 1000,
      cpuSeconds: cpuAfter - cpuBefore,
      peakRssMb: rss,
      masterBytes: after.bytesSent - before.bytesSent,
      stateRequests: after.stateRequests - before.stateRequests,
      streamEvents: done.streamEvents - before.streamEvents,
      masterLagMaxMs: done.lagMaxMs,
      oddAnswers: prober.odd,
      worst: prober.worst
        .sort((a, b) => b.ms - a.ms)
        .slice(0, WORST)
        .map((w) => ({ atS: (w.atMs - startedMs) / 1000, ms: w.ms })),
      command: relative(ROOT, server.command),
    };
  } finally {
    prober.close();
    await children.stop(server.child);
    await children.stop(master.child);
  }
}

const fixed = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : '–');

export function perMinute(r: ModeResult, value: number): number {
  return r.windowS > 0 ? (value / r.windowS) * 60 : NaN;
}

export function streamTable(results: readonly ModeResult[]): string {
  return markdownTable(
    [
      'mode',
      'probed',
      'seen',
      'p50 ms',
      'p99 ms',
      'max ms',
      'window s',
      'server CPU s',
      'CPU s/min',
      'peak RSS MB',
      'master MB/min',
      'state GETs',
    ],
    results.map((r) => [
      r.mode.label,
      String(r.probed),
      String(r.seen),
      fixed(r.p50Ms, 0),
      fixed(r.p99Ms, 0),
      fixed(r.maxMs, 0),
      fixed(r.windowS, 1),
      fixed(r.cpuSeconds, 1),
      fixed(perMinute(r, r.cpuSeconds), 1),
      fixed(r.peakRssMb, 0),
      fixed(perMinute(r, r.masterBytes) / 1e6, 3),
      String(r.stateRequests),
    ]),
  );
}

export function streamTargets(results: readonly ModeResult[]): string[] {
  const lines: string[] = [];
  const sub = results.find((r) => r.mode.stateSource === 'subscribe');
  const poll2 = results.find((r) => r.mode.stateSource === 'poll' && r.mode.refreshSeconds === 2);
  if (sub !== undefined) {
    const ok = sub.seen === sub.probed && sub.p99Ms < P99_TARGET_MS;
    lines.push(
      `- subscribe: p99 under ${P99_TARGET_MS} ms: ${ok ? 'met' : 'MISSED'} (${fixed(sub.p99Ms, 0)} ms; ${sub.seen} of ${sub.probed} probed changes seen)`,
    );
  }
  if (sub !== undefined && poll2 !== undefined) {
    const subPerMinute = perMinute(sub, sub.masterBytes);
    const ratio = perMinute(poll2, poll2.masterBytes) / subPerMinute;
    lines.push(
      `- master bytes: subscribe ≥ ${BYTES_TARGET}× fewer than polling every 2 s (as measured, ${poll2.stateRequests} polls in ${fixed(poll2.windowS, 1)} s): ${verdict(ratio, BYTES_TARGET)}`,
    );
    // A poller that cannot finish a load in 2 s polls less often than asked: also compare with
    // the 30 state bodies a minute that polling every 2 s means.
    if (poll2.stateRequests > 0) {
      const body = poll2.masterBytes / poll2.stateRequests;
      lines.push(
        `- master bytes against a true 2 s cadence (30 bodies of ${fixed(body / 1e6, 1)} MB a minute): ${verdict((30 * body) / subPerMinute, BYTES_TARGET)}`,
      );
    }
  }
  return lines;
}

export async function runStreamBench(o: StreamBenchOptions): Promise<ModeResult[]> {
  const children = new Children();
  const dir = mkdtempSync(join(tmpdir(), 'mesos-dns-stream-'));
  const machine = machineInfo('not used');
  const results: ModeResult[] = [];
  try {
    for (const mode of o.modes) {
      const r = await runMode(children, dir, o, mode);
      results.push(r);
      process.stderr.write(
        `[${mode.label}] p50 ${fixed(r.p50Ms, 0)} ms, p99 ${fixed(r.p99Ms, 0)} ms, seen ${r.seen}/${r.probed}, CPU ${fixed(r.cpuSeconds, 1)} s, master ${fixed(perMinute(r, r.masterBytes) / 1e6, 2)} MB/min\n`,
      );
    }
  } finally {
    await children.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
  const table = streamTable(results);
  const targets = streamTargets(results);
  const body = [
    '## Task changes over the event stream (`npm run bench -- --stream`)',
    '',
    `- date: ${machine.date}`,
    `- machine: ${machine.nproc} CPUs (nproc), ${machine.cpu}; node ${machine.node}`,
    `- 1-minute load average at the start: ${machine.load1.toFixed(2)} (shared machine: other jobs may run)`,
    `- cluster: ${o.tasks} tasks (apps × ${INSTANCES} on ${AGENTS} agents, plus ${Math.ceil((o.rate * o.durationS) / 2)} single-task apps to kill); ${o.rate} changes/s for ${o.durationS} s, alternately a new single-task app and a kill; 1 in ${o.probeEvery} changes probed`,
    '- server on CPU 0, simulated master on CPU 1 (bench/stream-master.ts), probes unpinned',
    '- propagation: the master changes its model and publishes the event (its clock) → the first UDP answer showing the change (NOERROR for a new name, NXDOMAIN for a killed one); probes repeat every 5 ms at first, then every tenth of the wait so far (at most 500 ms)',
    '- CPU, bytes: from the first change until the last probed change was seen; master bytes are body bytes (state, v1 answers, stream records)',
    '',
    table,
    '',
    `Targets: ${targets.length > 0 ? '' : 'not measured (run subscribe and poll2)'}`,
    ...targets,
    '',
    ...results.map(
      (r) =>
        `- ${r.mode.label}: ${r.streamEvents} stream events published, master lag max ${r.masterLagMaxMs} ms, odd answers ${r.oddAnswers}; slowest changes (s after the first: ms) ${r.worst.map((w) => `${w.atS.toFixed(1)}: ${w.ms}`).join(', ')}`,
    ),
    '',
    'Commands:',
    '```',
    `node bench/stream.ts --tasks ${o.tasks} --rate ${o.rate} --duration ${o.durationS} --probe-every ${o.probeEvery} --modes ${o.modes.map((m) => (m.stateSource === 'subscribe' ? 'subscribe' : `poll${m.refreshSeconds}`)).join(',')}`,
    ...results.map(
      (r) =>
        `${r.command}   # stateSource ${r.mode.stateSource}, refreshSeconds ${r.mode.refreshSeconds}`,
    ),
    '```',
  ].join('\n');
  process.stdout.write(`\n${table}\n\n${targets.join('\n')}\n`);
  writeSection('stream', body);
  process.stderr.write('wrote bench/results.md (section stream)\n');
  return results;
}

function count(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}`);
  return n;
}

/** Parses the stream benchmark's flags (`args` without --stream) and runs it. */
export async function streamMain(args: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      tasks: { type: 'string', default: '50000' },
      rate: { type: 'string', default: '100' },
      duration: { type: 'string', default: '60' },
      'probe-every': { type: 'string', default: '5' },
      modes: { type: 'string', default: 'subscribe,poll2,poll60' },
      quick: { type: 'boolean', default: false },
    },
  });
  await runStreamBench({
    tasks: values.quick ? 5000 : Math.round(count('tasks', values.tasks, 100)),
    rate: count('rate', values.rate, 1),
    durationS: values.quick ? 10 : count('duration', values.duration, 1),
    probeEvery: Math.round(count('probe-every', values['probe-every'], 1)),
    modes: parseModes(values.modes),
  });
}

if (import.meta.main) {
  streamMain(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
