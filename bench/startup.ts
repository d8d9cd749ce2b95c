// Startup benchmark (issue #15): how soon after start the server answers, at a given cluster size,
// beside mesos-dns (which opens its port only after its first load). One simulated master;
// each run spawns a server with refreshSeconds 3600 (one load), asks `leader.mesos` A every 50 ms
// from the spawn on, and records the time to the first NOERROR answer, with this server's
// per-phase times from its "state loaded" log line. Servers run one at a time, unpinned
// (as an operator starts them), ours and mesos-dns alternating.
//   node bench/startup.ts [--tasks 200000] [--runs 2] [--no-oracle] [--write]
//                         [--node-flags="--cpu-prof --cpu-prof-dir=/tmp/prof"] [--script other/dist/cli.js]
//                         [--hogs 0] [--section NAME]
// --script runs other builds instead of building this one: a comma-separated list (e.g. a worktree
// of main, then this one) runs each in turn within every round, so before and after share the
// machine's moment.
// --hogs N: N busy-loop processes (nice 0, not pinned) beside each server from its spawn to its
// first answer: a node busy with other work, where a thread at nice 19 gets a sliver of a core.
// --write puts the table in bench/results.md, section startup-<tasks> (startup-<tasks>-hogs<N>),
// or --section NAME.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Children, jsonLine, LineTap } from './children.ts';
import { machineInfo, machineLines } from './machine.ts';
import { benchConfig, oracleConfig, startSim } from './processes.ts';
import { writeSection } from './results-file.ts';
import { exitWatch, firstAnswer, freePort, ORACLE, oracleFound } from './scale.ts';
import { markdownTable } from './table.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TASKS_PER_AGENT = 20;
const PROBE_NAME = 'leader.mesos';
/** sysconf(_SC_CLK_TCK): 100 on every Linux Node runs on. */
const CLOCK_TICKS = 100;

interface Run {
  readonly server: string;
  readonly firstAnswerMs: number;
  /** CPU time (user + system, all threads) the server used until then: less noisy on a busy machine. */
  readonly cpuMs: number;
  /** This server's "state loaded" fields (fetchMs, generateMs, transferMs, durationMs). */
  readonly phases: Readonly<Record<string, number>> | null;
}

async function runOurs(
  children: Children,
  master: string,
  dir: string,
  nodeFlags: readonly string[],
  script: string,
  label: string,
): Promise<Run> {
  const port = await freePort();
  const config = join(dir, 'ours.json');
  // benchConfig polls; one load (refreshSeconds 3600), with time for a 200k-task state.
  writeFileSync(
    config,
    JSON.stringify({
      ...benchConfig({ master, refreshSeconds: 3600, workers: 1 }),
      port,
      stateTimeoutSeconds: 120,
    }),
  );
  const t0 = Date.now();
  const child = children.spawn(process.execPath, [...nodeFlags, script, '--config', config], {
    cpu: null,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const loaded = new LineTap(child).waitFor(
    (line) => {
      const entry = jsonLine(line);
      return entry?.['msg'] === 'state loaded' ? entry : undefined;
    },
    300_000,
    'state loaded',
  );
  try {
    const answeredAt = await firstAnswer(port, PROBE_NAME, 300_000, exitWatch(child));
    const cpuMs = cpuTimeMs(child.pid);
    const entry = await loaded;
    const phases: Record<string, number> = {};
    for (const key of ['fetchMs', 'generateMs', 'transferMs', 'durationMs']) {
      const v = entry[key];
      if (typeof v === 'number') phases[key] = v;
    }
    return { server: label, firstAnswerMs: answeredAt - t0, cpuMs, phases };
  } finally {
    await children.stop(child, 10_000);
  }
}

async function runOracle(children: Children, master: string, dir: string): Promise<Run> {
  const port = await freePort();
  const config = join(dir, 'oracle.json');
  writeFileSync(config, JSON.stringify(oracleConfig(master, 3600, port)));
  const t0 = Date.now();
  const child = children.spawn(ORACLE, [`-config=${config}`], {
    cpu: null,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.resume();
  try {
    const answeredAt = await firstAnswer(port, PROBE_NAME, 300_000, exitWatch(child));
    return {
      server: 'mesos-dns',
      firstAnswerMs: answeredAt - t0,
      cpuMs: cpuTimeMs(child.pid),
      phases: null,
    };
  } finally {
    await children.stop(child, 10_000);
  }
}

/** utime + stime of a live process, from /proc (Linux); NaN when unreadable. */
function cpuTimeMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS) * 1000;
  } catch {
    return NaN;
  }
}

const s = (ms: number | undefined): string => (ms === undefined ? '–' : (ms / 1000).toFixed(2));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      tasks: { type: 'string', default: '200000' },
      runs: { type: 'string', default: '2' },
      'no-oracle': { type: 'boolean', default: false },
      write: { type: 'boolean', default: false },
      'node-flags': { type: 'string', default: '' },
      script: { type: 'string' },
      hogs: { type: 'string', default: '0' },
      section: { type: 'string' },
    },
  });
  const hogCount = Number(values.hogs);
  /** Busy loops for one server's run; the returned function ends them. */
  const hogs = (children: Children): (() => void) => {
    const loops = Array.from({ length: hogCount }, () =>
      children.spawn('sh', ['-c', 'while :; do :; done'], { cpu: null, stdio: 'ignore' }),
    );
    return () => {
      for (const loop of loops) loop.kill('SIGKILL');
    };
  };
  const tasks = Number(values.tasks);
  const runs = Number(values.runs);
  const nodeFlags = values['node-flags'].split(' ').filter((f) => f !== '');
  const oracle = !values['no-oracle'] && oracleFound();
  const machine = machineInfo('not used');
  const scripts = values.script?.split(',') ?? [join(ROOT, 'dist', 'cli.js')];
  // Several builds: each row names its worktree (the directory above dist/).
  const label = (script: string): string =>
    scripts.length === 1 ? 'mesos-dns-ts' : `mesos-dns-ts (${basename(dirname(dirname(script)))})`;
  if (values.script === undefined) {
    process.stderr.write('startup: npm run build (the benchmark runs dist/cli.js)\n');
    if (spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' }).status !== 0) {
      throw new Error('npm run build failed');
    }
  }
  const children = new Children();
  const dir = mkdtempSync(join(tmpdir(), 'mesos-dns-startup-'));
  const results: Run[] = [];
  try {
    const agents = Math.max(1, Math.round(tasks / TASKS_PER_AGENT));
    const sim = await startSim(children, { tasks, instances: 4, agents }, null);
    // The sim renders its state on the first request: do that before anything is timed.
    await (await fetch(`http://${sim.address}/master/state`)).arrayBuffer();
    for (let i = 0; i < runs; i++) {
      for (const script of scripts) {
        const endHogs = hogs(children);
        const ours = await runOurs(
          children,
          sim.address,
          dir,
          nodeFlags,
          script,
          label(script),
        ).finally(endHogs);
        results.push(ours);
        process.stderr.write(
          `startup: ${ours.server} ${s(ours.firstAnswerMs)} s, CPU ${s(ours.cpuMs)} s ${JSON.stringify(ours.phases)}\n`,
        );
      }
      if (oracle) {
        const endHogs = hogs(children);
        const theirs = await runOracle(children, sim.address, dir).finally(endHogs);
        results.push(theirs);
        process.stderr.write(
          `startup: mesos-dns ${s(theirs.firstAnswerMs)} s, CPU ${s(theirs.cpuMs)} s\n`,
        );
      }
    }
  } finally {
    await children.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
  const table = markdownTable(
    [
      'server',
      'first answer (s)',
      'CPU until then (s)',
      'fetch + parse (s)',
      'generate (s)',
      'transfer (s)',
      'load (s)',
    ],
    results.map((r) => [
      r.server,
      s(r.firstAnswerMs),
      s(r.cpuMs),
      s(r.phases?.['fetchMs']),
      s(r.phases?.['generateMs']),
      s(r.phases?.['transferMs']),
      s(r.phases?.['durationMs']),
    ]),
  );
  process.stdout.write(`${table}\n`);
  if (values.write) {
    writeSection(
      values.section ?? (hogCount > 0 ? `startup-${tasks}-hogs${hogCount}` : `startup-${tasks}`),
      [
        `## Startup at ${tasks.toLocaleString('en-US')} tasks (\`node bench/startup.ts --tasks ${tasks}${hogCount > 0 ? ` --hogs ${hogCount}` : ''}\`)`,
        '',
        ...machineLines(machine),
        `- sim: ${tasks} tasks, 4 instances per app, ${Math.round(tasks / TASKS_PER_AGENT)} agents; servers unpinned, one at a time, refreshSeconds 3600${hogCount > 0 ? `; ${hogCount} busy-loop processes at nice 0 (not pinned) beside each server from its spawn to its first answer` : ''}`,
        `- first answer: from spawning the server to the first NOERROR answer for \`${PROBE_NAME}\` A (asked every 50 ms); CPU: the server process's user + system time at that moment (all threads); phases from this server's "state loaded" log line`,
        '',
        table,
      ].join('\n'),
    );
  }
}

main().then(
  () => process.exit(),
  (err: unknown) => {
    process.stderr.write(`startup: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
