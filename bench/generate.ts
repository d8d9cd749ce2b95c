// Times record generation: parse + generate() of 10k- and 50k-task master states, each size in
// fresh child processes (one cold run for peak RSS, one with repeats for warm timings).
//   node bench/generate.ts [--sizes 10000,50000] [--iterations 5]     (or npm run bench -- --generate)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildCluster } from '../sim/cluster.ts';
import { SimMaster } from '../sim/master.ts';
import type { MesosState } from '../src/state/types.ts';
import { generate } from '../src/records/generate.ts';
import { benchGenerateOptions } from './generate-options.ts';
import { Children, jsonLine, LineTap } from './children.ts';
import { machineInfo, machineLines } from './machine.ts';
import { writeSection } from './results-file.ts';
import { markdownTable } from './table.ts';

const SCRIPT = fileURLToPath(import.meta.url);
const TARGET_50K_MS = 1000;
const TARGET_RSS_MB = 400;

/** The same cluster shape sim/serve.ts builds, at `tasks` tasks (4 per app, 50 per agent). */
export async function stateJson(tasks: number): Promise<string> {
  const cluster = buildCluster({
    apps: Math.ceil(tasks / 4),
    instancesPerApp: 4,
    agents: Math.max(1, Math.round(tasks / 50)),
    discoveryEvery: 4,
    containerIpEvery: 3,
    ipv6Agents: 1,
    stagingEvery: 50,
  });
  const master = await SimMaster.start({ cluster });
  try {
    return JSON.stringify(master.state());
  } finally {
    await master.close();
  }
}

interface ChildReport {
  bytes: number;
  tasks: number;
  parseMs: number[];
  generateMs: number[];
  maxRssMb: number;
}

/** In the child: parse and generate `iterations` times from the file's bytes. */
function measure(file: string, iterations: number): ChildReport {
  const bytes = readFileSync(file);
  const parseMs: number[] = [];
  const generateMs: number[] = [];
  let tasks = 0;
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    const state = JSON.parse(bytes.toString('utf8')) as MesosState;
    const t1 = performance.now();
    // As the load worker runs it: the records written packed (records/packing-builder.ts).
    const set = generate(state, benchGenerateOptions({ pack: true }));
    const t2 = performance.now();
    tasks = set.counts.tasks;
    parseMs.push(t1 - t0);
    generateMs.push(t2 - t1);
  }
  return {
    bytes: bytes.length,
    tasks,
    parseMs,
    generateMs,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

/** "met (828 ms)" or "MISSED (1200 ms, 20 % over)" for an upper-bound target. */
export function underTarget(value: number, limit: number, unit: string): string {
  if (!Number.isFinite(value)) return 'not measured';
  const shown = `${value.toFixed(0)} ${unit}`;
  if (value < limit) return `met (${shown})`;
  return `MISSED (${shown}, ${(((value - limit) / limit) * 100).toFixed(0)} % over)`;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function inChild(children: Children, file: string, iterations: number): Promise<ChildReport> {
  const child = children.spawn(
    process.execPath,
    [SCRIPT, '--child', file, '--iterations', String(iterations)],
    { cpu: 0 },
  );
  const report = new LineTap(child).waitFor(
    (line) => jsonLine(line) as ChildReport | undefined,
    300_000,
    'bench/generate.ts child',
  );
  const code = await children.wait(child, 310_000);
  if (code !== 0) throw new Error(`bench/generate.ts child exited with ${code}`);
  return report;
}

export interface GenerateBenchOptions {
  readonly sizes: readonly number[];
  readonly iterations: number;
}

export async function runGenerateBench(o: GenerateBenchOptions): Promise<void> {
  const children = new Children();
  const dir = mkdtempSync(join(tmpdir(), 'mesos-dns-gen-'));
  const rows: string[][] = [];
  const targets: string[] = [];
  try {
    for (const size of o.sizes) {
      process.stderr.write(`generation: building a ${size}-task state\n`);
      const file = join(dir, `state-${size}.json`);
      writeFileSync(file, await stateJson(size));
      const cold = await inChild(children, file, 1);
      const warm = await inChild(children, file, Math.max(2, o.iterations));
      // Drop the first (cold) iteration of the warm child.
      const warmParse = median(warm.parseMs.slice(1));
      const warmGen = median(warm.generateMs.slice(1));
      const coldTotal = (cold.parseMs[0] ?? NaN) + (cold.generateMs[0] ?? NaN);
      rows.push([
        `${size} (${cold.tasks} running)`,
        (cold.bytes / 1e6).toFixed(1),
        (cold.parseMs[0] ?? NaN).toFixed(0),
        (cold.generateMs[0] ?? NaN).toFixed(0),
        coldTotal.toFixed(0),
        warmParse.toFixed(0),
        warmGen.toFixed(0),
        (warmParse + warmGen).toFixed(0),
        cold.maxRssMb.toFixed(0),
      ]);
      if (size === 50_000) {
        targets.push(
          `- 50k tasks parse + generate under ${TARGET_50K_MS} ms (cold): ${underTarget(coldTotal, TARGET_50K_MS, 'ms')}`,
          `- 50k tasks peak RSS under ${TARGET_RSS_MB} MB: ${underTarget(cold.maxRssMb, TARGET_RSS_MB, 'MB')}`,
        );
      }
    }
  } finally {
    await children.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
  const table = markdownTable(
    [
      'tasks in state',
      'state MB',
      'parse ms (cold)',
      'generate ms (cold)',
      'total ms (cold)',
      'parse ms (warm)',
      'generate ms (warm)',
      'total ms (warm)',
      'peak RSS MB (cold child)',
    ],
    rows,
  );
  const body = [
    '## Record generation (`node bench/generate.ts`)',
    '',
    ...machineLines(machineInfo('n/a')).filter((l) => !l.includes('dnsperf')),
    `- each size: a fresh child (\`taskset -c 0\`) does one parse + generate (cold, and its peak RSS = \`process.resourceUsage().maxRSS\`, which includes the file bytes and the parsed state); a second child repeats ${Math.max(2, o.iterations)} times and reports the median of the warm runs`,
    '- parse = `JSON.parse(bytes.toString())`, generate = `generate()` from src/records/generate.ts with `pack: true`, as the load worker runs it (records written packed, records/packing-builder.ts)',
    '',
    table,
    '',
    'Targets: 50k tasks in under 1 s, peak RSS under 400 MB.',
    ...targets,
  ].join('\n');
  process.stdout.write(`\n${table}\n\n${targets.join('\n')}\n`);
  writeSection('generate', body);
  process.stderr.write('wrote bench/results.md (section generate)\n');
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      iterations: { type: 'string', default: '5' },
      sizes: { type: 'string', default: '10000,50000' },
    },
  });
  const iterations = Number(values.iterations);
  if (!Number.isInteger(iterations) || iterations < 1) {
    process.stderr.write(`--iterations must be a whole number ≥ 1, got "${values.iterations}"\n`);
    process.exit(2);
  }
  if (values.child !== undefined) {
    process.stdout.write(`${JSON.stringify(measure(values.child, iterations))}\n`);
  } else {
    const sizes = values.sizes.split(',').map(Number);
    if (sizes.some((n) => !Number.isInteger(n) || n < 1)) {
      process.stderr.write(
        `--sizes must be whole numbers like 10000,50000, got "${values.sizes}"\n`,
      );
      process.exit(2);
    }
    runGenerateBench({ sizes, iterations }).catch((err: unknown) => {
      process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    });
  }
}
