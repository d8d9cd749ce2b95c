// Runs dnsperf 2.10 and reads its output: the summary block for sent/completed/lost/qps, and
// the per-query lines of -v ("> NOERROR name A 0.000123") for p50/p99, which 2.10 lacks.
import { spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { LatencySamples } from './latency.ts';
import type { Children } from './children.ts';

export interface DnsperfSummary {
  readonly sent: number;
  readonly completed: number;
  readonly lost: number;
  readonly qps: number;
  readonly runTimeS: number;
  readonly avgLatencyMs: number;
  /** "NOERROR" → count, from "Response codes:". */
  readonly rcodes: Readonly<Record<string, number>>;
}

function numberAfter(text: string, label: string): number {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`${escaped}\\s*([\\d.]+)`).exec(text);
  return match ? Number(match[1]) : NaN;
}

/** Parses dnsperf's "Statistics:" block; throws when it is missing (dnsperf failed). */
export function parseDnsperfSummary(text: string): DnsperfSummary {
  const sent = numberAfter(text, 'Queries sent:');
  if (Number.isNaN(sent)) {
    throw new Error(
      `dnsperf output has no "Queries sent:" line; it probably failed to start:\n${text.slice(-600)}`,
    );
  }
  const rcodes: Record<string, number> = {};
  const codes = /Response codes:\s*(.*)/.exec(text)?.[1] ?? '';
  for (const m of codes.matchAll(/([A-Z]+) (\d+) \(/g)) rcodes[m[1]!] = Number(m[2]);
  return {
    sent,
    completed: numberAfter(text, 'Queries completed:'),
    lost: numberAfter(text, 'Queries lost:'),
    qps: numberAfter(text, 'Queries per second:'),
    runTimeS: numberAfter(text, 'Run time (s):'),
    avgLatencyMs: numberAfter(text, 'Average Latency (s):') * 1000,
    rcodes,
  };
}

const VERBOSE_LINE = /^> (\S+) \S+ \S+ (\d+(?:\.\d+)?)$/;

/** One -v line → its rcode and latency in ms; null for any other line. */
export function parseVerboseLine(line: string): { rcode: string; ms: number } | null {
  const m = VERBOSE_LINE.exec(line);
  return m ? { rcode: m[1]!, ms: Number(m[2]) * 1000 } : null;
}

export interface DnsperfOptions {
  readonly port: number;
  readonly file: string;
  readonly durationS: number;
  readonly clients: number;
  readonly outstanding: number;
  /** Rate limit in queries/s (-Q); omitted: as fast as the server answers. */
  readonly maxQps?: number;
}

/** The exact dnsperf argument list (loopback only: -s is always 127.0.0.1). */
export function dnsperfArgs(o: DnsperfOptions): string[] {
  const args = ['-s', '127.0.0.1', '-p', String(o.port), '-d', o.file, '-l', String(o.durationS)];
  args.push('-c', String(o.clients), '-T', '1', '-q', String(o.outstanding), '-t', '2');
  if (o.maxQps !== undefined) args.push('-Q', String(o.maxQps));
  args.push('-v');
  return args;
}

export interface DnsperfResult extends DnsperfSummary {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly command: string;
}

/** Runs dnsperf (pinned with `taskset -c cpu` when given) and collects its results. */
export async function runDnsperf(
  children: Children,
  options: DnsperfOptions,
  cpu: number | null,
): Promise<DnsperfResult> {
  const args = dnsperfArgs(options);
  const child = children.spawn('dnsperf', args, { cpu, stdio: ['ignore', 'pipe', 'pipe'] });
  const samples = new LatencySamples();
  let tail: string[] = [];
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    const q = parseVerboseLine(line);
    if (q) samples.add(q.ms);
    else tail.push(line);
    if (tail.length > 200) tail = tail.slice(-100);
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    if (stderr.length < 10_000) stderr += chunk.toString();
  });
  const deadlineMs = (options.durationS + 30) * 1000;
  const code = await children.wait(child, deadlineMs);
  const summaryText = tail.join('\n');
  if (code !== 0) {
    throw new Error(`dnsperf exited with ${code}: ${stderr.trim().slice(-400) || summaryText}`);
  }
  const summary = parseDnsperfSummary(summaryText);
  return {
    ...summary,
    p50Ms: samples.percentile(50),
    p99Ms: samples.percentile(99),
    p999Ms: samples.percentile(99.9),
    maxMs: samples.max(),
    command: `${cpu === null ? '' : `taskset -c ${cpu} `}dnsperf ${args.join(' ')}`,
  };
}

/** Makes sure dnsperf is installed: installs it with apt-get when root, else explains how. */
export function ensureDnsperf(): string {
  const probe = (): string | null => {
    const r = spawnSync('dnsperf', ['-h'], { encoding: 'utf8' });
    if (r.error) return null;
    return /Version (\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? 'unknown';
  };
  const found = probe();
  if (found !== null) return found;
  if (process.getuid?.() !== 0) {
    throw new Error(
      'dnsperf is not installed; run `sudo apt-get install -y dnsperf` (Debian/Ubuntu) and retry',
    );
  }
  process.stderr.write('dnsperf not found; installing it with apt-get\n');
  const install = spawnSync('apt-get', ['install', '-y', 'dnsperf'], { stdio: 'inherit' });
  const after = install.status === 0 ? probe() : null;
  if (after === null) {
    throw new Error('apt-get install -y dnsperf failed; install dnsperf by hand and retry');
  }
  return after;
}
