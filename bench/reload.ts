// Reload latency: a 50,000-task simulated master, the server reloading it every 2 s, and queries
// offered open-loop at a fixed 5,000/s for 20 s; reports latency percentiles, losses, peak RSS
// and the reloads inside the window. Same load against the bare UDP responder gives the floor.
//   node bench/reload.ts [--duration 20] [--rate 5000] [--tasks 50000] [--churn 100] [--profile DIR]
//     [--transfers]: zone transfers on (transferAllow loopback, ptron): each swap makes the IXFR
//     journal's diffs on the serving thread; written to section reload-transfers (or --section).
//   (or npm run bench -- --reload)
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Children, jsonLine, LineTap, peakRssMb } from './children.ts';
import { machineInfo, machineLines } from './machine.ts';
import {
  benchRecordSet,
  scrapeMetric,
  startBareUdp,
  startServerProcess,
  startSim,
} from './processes.ts';
import { buildQuerySets, writeQueryFile } from './query-files.ts';
import { writeSection } from './results-file.ts';
import { markdownTable } from './table.ts';
import type { LoadReport } from './udp-load.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const UDP_LOAD = fileURLToPath(new URL('udp-load.ts', import.meta.url));
const DEFAULT_SERVER_CPU = '0';
const LOAD_CPU = 1;
const REFRESH_SECONDS = 2;
const P99_TARGET_MS = 5;
const DEFAULT_CHURN = 100;

export interface ReloadBenchOptions {
  readonly durationS: number;
  readonly rate: number;
  readonly tasks: number;
  /**
   * Tasks the master replaces before each state request (default 100): every reload then has
   * new records to transfer and swap, as in a busy cluster. 0 measures an unchanged cluster,
   * where the server skips the transfer.
   */
  readonly churn?: number;
  /** Zone transfers allowed (and ptron): every swap adds a version to the IXFR journals. */
  readonly transfers?: boolean;
  /** The results section to write (default from the options). */
  readonly section?: string;
  /** CPUs for the server's taskset (default "0"; "0,1" to see what pinning costs). */
  readonly serverCpu?: string;
  /** Write a V8 CPU profile of the server here (node --cpu-prof). */
  readonly profileDir?: string;
}

interface LoadEvent {
  /** Date.now() when the log line arrived. */
  readonly atMs: number;
  readonly durationMs: number;
  readonly fetchMs: number;
  readonly generateMs: number;
  readonly transferMs: number;
}

function loadEvent(line: string): LoadEvent | undefined {
  const e = jsonLine(line);
  if (e?.['msg'] !== 'state loaded') return undefined;
  const n = (k: string): number => (typeof e[k] === 'number' ? e[k] : NaN);
  return {
    atMs: Date.now(),
    durationMs: n('durationMs'),
    fetchMs: n('fetchMs'),
    generateMs: n('generateMs'),
    transferMs: n('transferMs'),
  };
}

export async function offerLoad(
  children: Children,
  port: number,
  file: string,
  o: Pick<ReloadBenchOptions, 'rate' | 'durationS'> & { readonly warmS?: number },
  /** How the query file is named in the reported command. */
  label = 'mixed.txt',
): Promise<{ report: LoadReport; command: string }> {
  const args = [
    UDP_LOAD,
    '--port',
    String(port),
    '--file',
    file,
    '--rate',
    String(o.rate),
    '--duration',
    String(o.durationS),
    ...(o.warmS ? ['--warm', String(o.warmS)] : []),
  ];
  const child = children.spawn(process.execPath, args, { cpu: LOAD_CPU });
  const report = new LineTap(child).waitFor(
    (line) => jsonLine(line) as LoadReport | undefined,
    (o.durationS + (o.warmS ?? 0) + 60) * 1000,
    'bench/udp-load.ts',
  );
  const code = await children.wait(child, (o.durationS + (o.warmS ?? 0) + 70) * 1000);
  if (code !== 0) throw new Error(`bench/udp-load.ts exited with ${code}`);
  return {
    report: await report,
    command: `taskset -c ${LOAD_CPU} node bench/udp-load.ts ${args.slice(1).join(' ').replace(file, label)}`,
  };
}

/** A command line with the repository's absolute path taken out. */
export function relative(root: string, command: string): string {
  return command.split(root).join('');
}

function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '–');
const whole = (v: number): string => (Number.isFinite(v) ? v.toFixed(0) : '–');

export async function runReloadBench(o: ReloadBenchOptions): Promise<void> {
  const children = new Children();
  const dir = mkdtempSync(join(tmpdir(), 'mesos-dns-reload-'));
  try {
    process.stderr.write(`reload: starting the simulated master (${o.tasks} tasks)\n`);
    const sim = await startSim(
      children,
      {
        tasks: o.tasks,
        instances: 4,
        agents: Math.max(1, Math.round(o.tasks / 50)),
        churn: o.churn ?? DEFAULT_CHURN,
      },
      LOAD_CPU,
    );
    const stateRes = await fetch(`http://${sim.address}/master/state`);
    const stateBytes = (await stateRes.arrayBuffer()).byteLength;
    const set = await benchRecordSet(sim.address);
    const file = join(dir, 'mixed.txt');
    writeQueryFile(file, buildQuerySets(set).mixed);

    process.stderr.write('reload: floor: the same load against the bare UDP responder\n');
    const serverCpu = o.serverCpu ?? DEFAULT_SERVER_CPU;
    const bare = await startBareUdp(children, serverCpu);
    const floor = await offerLoad(children, bare.port, file, o);
    await children.stop(bare.child);

    process.stderr.write(`reload: starting the server (refreshSeconds ${REFRESH_SECONDS})\n`);
    const server = await startServerProcess(children, {
      master: sim.address,
      refreshSeconds: REFRESH_SECONDS,
      workers: 1,
      dir,
      cpu: serverCpu,
      ...(o.transfers === true ? { extra: { transferAllow: ['127.0.0.1'], ptron: true } } : {}),
      nodeFlags:
        o.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(o.profileDir)}`],
    });
    const loads: LoadEvent[] = [];
    server.lines.onLine((line) => {
      const e = loadEvent(line);
      if (e) loads.push(e);
    });
    // Steady state: the first load (and the collection of its garbage) is start-up, not the
    // reload cost this measures, so the window opens once the server has reloaded once more.
    const warmDeadline = Date.now() + 60_000;
    while (loads.length < 2 && Date.now() < warmDeadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const loadsBefore = await scrapeMetric(
      server.httpPort,
      'mesos_dns_state_loads_total',
      'result="ok"',
    );
    process.stderr.write(`reload: offering ${o.rate}/s for ${o.durationS} s\n`);
    const run = await offerLoad(children, server.dnsPort, file, o);
    const loadsAfter = await scrapeMetric(
      server.httpPort,
      'mesos_dns_state_loads_total',
      'result="ok"',
    );
    const rss = peakRssMb(server.child.pid);
    await children.stop(server.child, 10_000);

    const r = run.report;
    const windowEnd = r.startedAtMs + r.durationS * 1000;
    const inWindow = loads.filter((l) => l.atMs >= r.startedAtMs && l.atMs <= windowEnd + 2000);
    const row = (name: string, x: LoadReport, rssMb: number, reloads: string): string[] => [
      name,
      String(x.sent),
      ((x.answered / x.sent) * 100).toFixed(3),
      String(x.lost),
      ms(x.p50Ms),
      ms(x.p99Ms),
      ms(x.p999Ms),
      ms(x.maxMs),
      ms(x.senderLagMaxMs),
      Number.isFinite(rssMb) ? rssMb.toFixed(0) : '–',
      reloads,
    ];
    const table = markdownTable(
      [
        'target',
        'sent',
        'answered %',
        'lost',
        'p50 ms',
        'p99 ms',
        'p99.9 ms',
        'max ms',
        'sender lag max ms',
        'peak RSS MB',
        'reloads in window',
      ],
      [
        row('bare UDP responder (floor)', floor.report, NaN, '–'),
        row(
          `server, reload every ${REFRESH_SECONDS} s`,
          r,
          rss,
          `${inWindow.length} (metrics: ${loadsAfter - loadsBefore})`,
        ),
      ],
    );
    const p99Verdict =
      r.p99Ms < P99_TARGET_MS
        ? `met (${ms(r.p99Ms)} ms)`
        : `MISSED (${ms(r.p99Ms)} ms, ${(((r.p99Ms - P99_TARGET_MS) / P99_TARGET_MS) * 100).toFixed(0)} % over)`;
    const lossVerdict = r.lost === 0 && r.answered === r.sent ? 'met' : `MISSED (${r.lost} lost)`;
    // Each load ran from (log time - durationMs) to its log time, relative to the load start.
    const intervals = loads.map((l) => ({
      from: l.atMs - l.durationMs - r.startedAtMs,
      to: l.atMs - r.startedAtMs,
    }));
    const whereIn = (atMs: number): string => {
      const during = intervals.find((i) => atMs >= i.from && atMs <= i.to);
      if (during) return `during a state load, ${Math.round(atMs - during.from)} ms after it began`;
      const before = intervals.filter((i) => i.to < atMs).at(-1);
      return before
        ? `${Math.round(atMs - before.to)} ms after a load finished`
        : 'before any load';
    };
    const body = [
      o.transfers === true
        ? `## Reload latency, zone transfers on (\`node bench/reload.ts --transfers --churn ${o.churn ?? DEFAULT_CHURN}\`), code at ${execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim()}`
        : (o.churn ?? DEFAULT_CHURN) === 0
          ? '## Reload latency, unchanged cluster (`node bench/reload.ts --churn 0`)'
          : serverCpu === DEFAULT_SERVER_CPU
            ? '## Reload latency (`node bench/reload.ts`, or `npm run bench -- --reload`)'
            : `## Reload latency, diagnostic: server on CPUs ${serverCpu} (\`node bench/reload.ts --server-cpu ${serverCpu}\`)`,
      '',
      ...machineLines(machineInfo('n/a')).filter((l) => !l.includes('dnsperf')),
      ...(o.transfers === true
        ? [
            `- zone transfers on (\`transferAllow\` 127.0.0.1, \`ptron\`): each swap adds a version to the cluster zone's and both reverse zones' IXFR journals, diffed on the serving thread; no secondary asks`,
          ]
        : []),
      `- master: ${o.tasks} tasks, state body ${(stateBytes / 1e6).toFixed(1)} MB; server \`refreshSeconds\` ${REFRESH_SECONDS}, pinned to CPU ${serverCpu}; load generator and master on CPU ${LOAD_CPU}; the window opens after the server's second load (steady state); the master replaces ${o.churn ?? DEFAULT_CHURN} tasks before each state request, so every reload carries changed records`,
      `- load: bench/udp-load.ts, open loop at ${o.rate} queries/s for ${o.durationS} s (mixed file: A, SRV, 20 % NXDOMAIN, SOA, NS, leader, master); latency from each query's send to its reply, matched by ID; a query without a reply 2 s after the last send is lost`,
      `- state loads (server log): median total ${whole(median(inWindow.map((l) => l.durationMs)))} ms, fetch ${whole(median(inWindow.map((l) => l.fetchMs)))} ms, generate ${whole(median(inWindow.map((l) => l.generateMs)))} ms, transfer ${whole(median(inWindow.map((l) => l.transferMs)))} ms`,
      '',
      table,
      '',
      `Targets: p99 < ${P99_TARGET_MS} ms: ${p99Verdict}; nothing lost: ${lossVerdict}.`,
      '',
      `Response codes (server): ${Object.entries(r.rcodes)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}; stray replies ${r.strays}.`,
      '',
      'Slowest replies (sent at ms after the load generator started → latency; where it fell relative to the state loads in the server log):',
      ...r.worst.slice(0, 8).map((w) => `- ${w.atMs} ms → ${ms(w.ms)} ms (${whereIn(w.atMs)})`),
      '',
      'Commands:',
      '```',
      `taskset -c ${LOAD_CPU} node ${relative(ROOT, sim.args.join(' '))}`,
      relative(ROOT, server.command),
      run.command,
      '```',
    ].join('\n');
    process.stdout.write(
      `\n${table}\n\np99 < ${P99_TARGET_MS} ms: ${p99Verdict}; nothing lost: ${lossVerdict}\n`,
    );
    // A diagnostic run on other CPUs gets its own section instead of replacing the standard one.
    const churn = o.churn ?? DEFAULT_CHURN;
    const section =
      o.section ??
      (serverCpu === DEFAULT_SERVER_CPU ? 'reload' : `reload-cpus-${serverCpu}`) +
        (churn === 0 ? '-unchanged' : '') +
        (o.transfers === true ? '-transfers' : '');
    writeSection(section, body);
    process.stderr.write(`wrote bench/results.md (section ${section})\n`);
  } finally {
    await children.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '20' },
      rate: { type: 'string', default: '5000' },
      tasks: { type: 'string', default: '50000' },
      profile: { type: 'string' },
      'server-cpu': { type: 'string', default: DEFAULT_SERVER_CPU },
      churn: { type: 'string', default: String(DEFAULT_CHURN) },
      transfers: { type: 'boolean', default: false },
      section: { type: 'string' },
    },
  });
  const num = (name: string, text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) {
      process.stderr.write(`--${name} must be a whole number ≥ 1, got "${text}"\n`);
      process.exit(2);
    }
    return n;
  };
  runReloadBench({
    durationS: num('duration', values.duration),
    rate: num('rate', values.rate),
    tasks: num('tasks', values.tasks),
    serverCpu: values['server-cpu'],
    churn: values.churn === '0' ? 0 : num('churn', values.churn),
    transfers: values.transfers,
    ...(values.section === undefined ? {} : { section: values.section }),
    ...(values.profile === undefined ? {} : { profileDir: values.profile }),
  }).catch((err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
