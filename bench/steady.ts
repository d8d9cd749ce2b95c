// Steady serving at one cluster size, variants side by side (#15 tail): the scale benchmark's
// steady phase alone (bench/scale.ts), for comparing builds and Node flags in one session.
//   node bench/steady.ts [--tasks 10000] [--rounds 2] [--rate 5000] [--steady 20] [--settle 10]
//                        [--variant name=path/to/cli.js[:--node-flag,...]]... [--section marker]
//                        [--hogs 0] [--warm 0] [--variant-env name=KEY=value]...
// Per variant and round: the server (stateSource poll, one load, workers 1) on CPU 0, master
// and load generator on CPU 1; first answer, RSS settled (--settle s after it) and after
// --steady s of open-loop A queries at --rate/s over every task A name (bench/udp-load.ts);
// p50/p99/p99.9/max; the main thread's GC pauses during the run (bench/scale-probe.ts).
// --hogs N: N busy-loop processes (nice 0, not pinned) from the first answer to the end of the
// run, to mimic a loaded node (the server's background threads run at nice 19).
// --warm S: the load generator's first S s are offered alike but not measured (bench/udp-load.ts
// --warm): the steady state of the server's query path and of the generator itself. The measured
// queries are names the warm-up did not ask for.
// --variant-env adds KEY=value to that variant's server environment (glibc's MALLOC_ARENA_MAX or
// GLIBC_TUNABLES, say: the same build under two environments alternates like two builds).
// A variant whose path is `oracle` runs mesos-dns (the built oracle binary, RSS and latency only).
// A variant whose path is `bare` runs bench/bare-udp.ts (a Node.js UDP echo with no DNS logic, on
// CPU 0 with the variant's node flags): the floor this machine and Node.js put under the tail.
// Variants alternate within a round so drift in the machine's load hits them alike.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generate } from '../src/records/generate.ts';
import type { MesosState } from '../src/state/types.ts';
import { benchGenerateOptions } from './generate-options.ts';
import { Children } from './children.ts';
import { machineInfo } from './machine.ts';
import { oracleConfig, parseEnvList, startServerProcess, startSim } from './processes.ts';
import { buildQuerySets, writeQueryFile } from './query-files.ts';
import { offerLoad } from './reload.ts';
import { writeSection } from './results-file.ts';
import { firstAnswer, freePort, ORACLE, pauseStats, rssMb } from './scale.ts';
import type { ThreadSnapshot } from './scale-probe.ts';
import { schedDelta, schedSnapshot, type SchedDelta } from './sched-stats.ts';
import { markdownTable } from './table.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PROBE = fileURLToPath(new URL('scale-probe.ts', import.meta.url));
const BARE = fileURLToPath(new URL('bare-udp.ts', import.meta.url));

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '2' },
    rate: { type: 'string', default: '5000' },
    steady: { type: 'string', default: '20' },
    settle: { type: 'string', default: '10' },
    variant: { type: 'string', multiple: true, default: [`this=${join(ROOT, 'dist', 'cli.js')}`] },
    section: { type: 'string' },
    hogs: { type: 'string', default: '0' },
    warm: { type: 'string', default: '0' },
    'variant-env': { type: 'string', multiple: true, default: [] },
  },
});
const tasks = Number(values.tasks);
const rounds = Number(values.rounds);
const rate = Number(values.rate);
const steadyS = Number(values.steady);
const settleS = Number(values.settle);
const hogCount = Number(values.hogs);
const warmS = Number(values.warm);
const variants = values.variant.map((v) => {
  // name=path[:flag,flag]; path `oracle` is mesos-dns, `bare` the UDP echo.
  const [name, rest] = [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)];
  const [script, flags = ''] = rest.split(':');
  const env: Record<string, string> = {};
  for (const e of values['variant-env']) {
    const [of, kv] = [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)];
    if (of === name) Object.assign(env, parseEnvList(kv));
  }
  return { name, script: script!, flags: flags === '' ? [] : flags.split(','), env };
});

interface Row {
  variant: string;
  round: number;
  load1: number;
  firstS: number;
  settledMb: number;
  afterMb: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  lost: number;
  lagMax: number;
  gc: ReturnType<typeof pauseStats> | undefined;
  heapSettled: ThreadSnapshot | undefined;
  heapAfter: ThreadSnapshot | undefined;
  sched: SchedDelta;
  /** Of the 20 slowest replies, how many overlapped a GC pause of the main thread. */
  worstInGc: number | undefined;
}

/** The main thread's memory and GC pauses (bench/scale-probe.ts; no forced collection). */
async function mainSnapshot(probeDir: string, label: string): Promise<ThreadSnapshot | undefined> {
  writeFileSync(join(probeDir, 'request'), label);
  for (let i = 0; i < 40; i++) {
    await sleep(250);
    const file = join(probeDir, `${label}.0.json`);
    if (existsSync(file)) {
      await sleep(100);
      return JSON.parse(readFileSync(file, 'utf8')) as ThreadSnapshot;
    }
  }
  return undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const children = new Children();
const dir = mkdtempSync(join(tmpdir(), 'mesos-dns-steady-'));
const rows: Row[] = [];
const startLoad = loadavg()[0]!;
let nameCount: number | undefined;
try {
  const probe = join(dir, 'scale-probe.mjs');
  writeFileSync(probe, stripTypeScriptTypes(readFileSync(PROBE, 'utf8')));
  const agents = Math.max(1, Math.round(tasks / 20));
  const sim = await startSim(children, { tasks, instances: 4, agents }, 1);
  const body = await (await fetch(`http://${sim.address}/master/state`)).text();
  const set = generate(
    JSON.parse(body) as MesosState,
    benchGenerateOptions({ masters: [sim.address] }),
  );
  const queryFile = join(dir, 'a.txt');
  const names = buildQuerySets(set, { mixedLines: 1 }).a;
  writeQueryFile(queryFile, names);
  nameCount = names.length;
  for (let round = 1; round <= rounds; round++) {
    for (const v of variants) {
      const probeDir = join(dir, `probe-${v.name}-${round}`);
      mkdirSync(probeDir);
      process.env['SCALE_PROBE_DIR'] = probeDir;
      const port = await freePort();
      const load1 = loadavg()[0]!;
      const t0 = Date.now();
      const bare = v.script === 'bare';
      const oracle = v.script === 'oracle';
      // Neither mesos-dns nor the echo has the probe: RSS and latency only.
      const probed = !oracle && !bare;
      let child: ChildProcess;
      if (bare) {
        child = children.spawn(process.execPath, [...v.flags, BARE, '--port', String(port)], {
          cpu: 0,
          stdio: ['ignore', 'ignore', 'inherit'],
        });
      } else if (oracle) {
        const file = join(dir, 'oracle.json');
        writeFileSync(file, JSON.stringify(oracleConfig(sim.address, 3600, port)));
        child = children.spawn(ORACLE, [`-config=${file}`], {
          cpu: 0,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        child.stderr?.resume();
      } else {
        const started = await startServerProcess(children, {
          master: sim.address,
          refreshSeconds: 3600,
          workers: 1,
          dir,
          cpu: 0,
          nodeFlags: [...v.flags, '--import', probe],
          script: v.script,
          env: v.env,
          extra: { port, stateTimeoutSeconds: 120, stateSource: 'poll' },
        });
        child = started.child;
      }
      const s = { child };
      const hogs: ChildProcess[] = [];
      try {
        // The echo answers with no records, which firstAnswer does not count: give it a second.
        const answered = bare
          ? await sleep(1000).then(() => Date.now())
          : await firstAnswer(port, 'leader.mesos', 300_000, () => null);
        for (let i = 0; i < hogCount; i++) {
          hogs.push(spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
        }
        await sleep(settleS * 1000);
        const settledMb = rssMb(s.child.pid);
        const settledHeap = probed ? await mainSnapshot(probeDir, 'settled') : undefined;
        const pid = s.child.pid ?? 0;
        // Taken when the measured part starts (after the warm-up).
        let schedBefore = schedSnapshot(pid);
        const marked = sleep(warmS * 1000).then(() => {
          schedBefore = schedSnapshot(pid);
        });
        const run = await offerLoad(
          children,
          port,
          queryFile,
          { rate, durationS: steadyS, warmS },
          'a.txt',
        );
        await marked;
        const sched = schedDelta(pid, schedBefore, schedSnapshot(pid));
        const afterMb = rssMb(s.child.pid);
        const main = probed ? await mainSnapshot(probeDir, 'after') : undefined;
        const r = run.report;
        const from = r.startedAtMs;
        rows.push({
          variant: v.name,
          round,
          load1,
          firstS: (answered - t0) / 1000,
          settledMb,
          afterMb,
          p50: r.p50Ms,
          p99: r.p99Ms,
          p999: r.p999Ms,
          max: r.maxMs,
          lost: r.lost,
          lagMax: r.senderLagMaxMs,
          gc: probed
            ? pauseStats(main?.gc ?? [], from, from + r.durationS * 1000 + 1000)
            : undefined,
          heapSettled: settledHeap,
          heapAfter: main,
          sched,
          worstInGc:
            main === undefined
              ? undefined
              : r.worst.filter((w) => {
                  const t = from + w.atMs;
                  return main.gc.some((p) => p.at <= t + w.ms && p.at + p.ms >= t - 1);
                }).length,
        });
        // The slowest replies' send times (ms into the run): one stall or many?
        process.stderr.write(`${JSON.stringify({ ...rows.at(-1), worst: r.worst })}\n`);
      } finally {
        for (const h of hogs) h.kill('SIGKILL');
        await children.stop(s.child, 10_000);
      }
    }
  }
  await children.stop(sim.child);
} finally {
  await children.stopAll();
  rmSync(dir, { recursive: true, force: true });
}

const machine = machineInfo('');
const mbOf = (bytes: number | undefined): string =>
  bytes === undefined ? '–' : (bytes / 1024 / 1024).toFixed(1);
const f = (n: number, d = 2): string => (Number.isFinite(n) ? n.toFixed(d) : '–');
const table = markdownTable(
  [
    'variant',
    'round',
    'load1',
    'first answer s',
    'RSS settled MB',
    'RSS after MB',
    'p50 ms',
    'p99 ms',
    'p99.9 ms',
    'max ms',
    'lost',
    'sender lag max ms',
    'main GC pauses',
    'GC total ms',
    'GC max ms',
    'GC ≥ 1 ms',
    'GC ≥ 5 ms',
    'major',
    'main heap total MB settled / after',
    'main external MB after',
    'main thread ran / waited for a CPU ms',
    'other threads ran ms (longest)',
    'CPU 0 / 1 steal ms',
    'CPU 0 busy outside the server ms',
    'worst 20 in a GC pause',
  ],
  rows.map((r) => [
    r.variant,
    String(r.round),
    f(r.load1),
    f(r.firstS, 1),
    f(r.settledMb, 0),
    f(r.afterMb, 0),
    f(r.p50),
    f(r.p99),
    f(r.p999),
    f(r.max),
    String(r.lost),
    f(r.lagMax, 1),
    r.gc ? String(r.gc.count) : '–',
    r.gc ? f(r.gc.totalMs, 1) : '–',
    r.gc ? f(r.gc.maxMs) : '–',
    r.gc ? String(r.gc.over1) : '–',
    r.gc ? String(r.gc.over5) : '–',
    r.gc ? String(r.gc.major) : '–',
    `${mbOf(r.heapSettled?.heapTotal)} / ${mbOf(r.heapAfter?.heapTotal)}`,
    mbOf(r.heapAfter?.external),
    `${f(r.sched.mainRunMs, 0)} / ${f(r.sched.mainWaitMs, 0)}`,
    `${f(r.sched.othersRunMs, 0)} (${r.sched.topOther})`,
    `${r.sched.stealMs[0] ?? '–'} / ${r.sched.stealMs[1] ?? '–'}`,
    f((r.sched.busyMs[0] ?? 0) - r.sched.mainRunMs - r.sched.othersRunMs, 0),
    r.worstInGc === undefined ? '–' : String(r.worstInGc),
  ]),
);
const lines = [
  `## Steady serving, ${tasks} tasks (\`node bench/steady.ts\`)`,
  '',
  `- date: ${new Date().toISOString()}`,
  `- machine: ${machine.nproc} CPUs (nproc), ${machine.cpu}, node ${machine.node}`,
  `- 1-minute load average: ${f(startLoad)} at the start, ${f(loadavg()[0]!)} at the end`,
  `- ${nameCount ?? '?'} task A names; ${rate} A/s open loop for ${warmS + steadyS} s after ${settleS} s settled${warmS > 0 ? `, the first ${warmS} s of it unmeasured (warm-up)` : ''}; server on CPU 0 (stateSource poll, one load, workers 1), master and load on CPU 1${hogCount > 0 ? `; ${hogCount} busy-loop processes at nice 0 (not pinned) from the first answer to the end of each run` : ''}`,
  `- variants: ${variants
    .map((v) =>
      v.script === 'oracle'
        ? `${v.name} = the mesos-dns binary (${ORACLE.replace(ROOT, '')})`
        : v.script === 'bare'
          ? `${v.name} = \`node ${[...v.flags, BARE.replace(ROOT, '')].join(' ')}\` (UDP echo, no DNS logic)`
          : `${v.name} = \`${Object.entries(v.env)
              .map(([k, e]) => `${k}=${e} `)
              .join('')}node ${[...v.flags, v.script.replace(ROOT, '')].join(' ')}\``,
    )
    .join('; ')}`,
  '',
  table,
];
process.stdout.write(`${lines.join('\n')}\n`);
if (values.section !== undefined) writeSection(values.section, lines.join('\n'));
