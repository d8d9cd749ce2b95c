// Starts the processes a benchmark measures: the simulated master (sim/serve.ts), the server
// (src/cli.ts with a temporary config.json) and the bare UDP responder, each as a child.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '../src/records/generate.ts';
import type { RecordSet } from '../src/records/recordset.ts';
import type { MesosState } from '../src/state/types.ts';
import { benchGenerateOptions } from './generate-options.ts';
import { jsonLine, LineTap, type Children } from './children.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SERVE_SCRIPT = join(ROOT, 'sim', 'serve.ts');
export const CLI_SCRIPT = join(ROOT, 'src', 'cli.ts');
export const BARE_UDP_SCRIPT = join(ROOT, 'bench', 'bare-udp.ts');

export interface SimCounts {
  readonly tasks: number;
  readonly instances: number;
  readonly agents: number;
  /** Tasks the sim replaces before each state request (so every reload has new records). */
  readonly churn?: number;
}

export interface StartedSim {
  readonly child: ChildProcess;
  /** "127.0.0.1:port" */
  readonly address: string;
  readonly args: readonly string[];
}

export async function startSim(
  children: Children,
  counts: SimCounts,
  cpu: number | null,
): Promise<StartedSim> {
  const args = [
    SERVE_SCRIPT,
    '--tasks',
    String(counts.tasks),
    '--instances',
    String(counts.instances),
    '--agents',
    String(counts.agents),
    '--port',
    '0',
    ...(counts.churn ? ['--churn', String(counts.churn)] : []),
  ];
  const child = children.spawn(process.execPath, args, { cpu });
  const address = await new LineTap(child).waitFor(
    (line) => {
      const a = jsonLine(line)?.['address'];
      return typeof a === 'string' ? a : undefined;
    },
    120_000,
    'sim/serve.ts',
  );
  return { child, address, args };
}

export interface ServerProcessOptions {
  /** The simulated master, "127.0.0.1:port". */
  readonly master: string;
  readonly refreshSeconds: number;
  readonly workers: number;
  /** Directory for the temporary config.json. */
  readonly dir: string;
  readonly cpu: number | string | null;
  /** Extra node flags, e.g. ["--cpu-prof", "--cpu-prof-dir=/tmp/x"]. */
  readonly nodeFlags?: readonly string[];
  /** Config keys added to benchConfig's, e.g. { transferAllow: ["127.0.0.1"] }. */
  readonly extra?: Readonly<Record<string, unknown>>;
  /** The CLI to run (default src/cli.ts; dist/cli.js measures what the image runs). */
  readonly script?: string;
  /** Called with the child as soon as it is spawned (before it is ready). */
  readonly onSpawn?: (child: ChildProcess) => void;
  /** Environment added for the server only, over process.env and $BENCH_SERVER_ENV. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * "KEY=value KEY2=value" (space-separated) as an object: $BENCH_SERVER_ENV, the environment every
 * benchmark adds to the server and to nothing else it starts (the master, the load generators,
 * dnsperf), to measure settings read from the environment such as glibc's MALLOC_ARENA_MAX or
 * GLIBC_TUNABLES: `BENCH_SERVER_ENV=MALLOC_ARENA_MAX=2 npm run bench`.
 */
export function parseEnvList(list: string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const item of (list ?? '').split(/\s+/)) {
    const eq = item.indexOf('=');
    if (item === '') continue;
    if (eq <= 0) throw new Error(`not KEY=value: ${JSON.stringify(item)}`);
    env[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return env;
}

export interface StartedServer {
  readonly child: ChildProcess;
  readonly lines: LineTap;
  readonly dnsPort: number;
  readonly httpPort: number;
  readonly configFile: string;
  readonly command: string;
}

/** The config the benchmark runs the server with: loopback, ephemeral ports, no forwarding. */
export function benchConfig(
  o: Pick<ServerProcessOptions, 'master' | 'refreshSeconds' | 'workers'>,
) {
  return {
    masters: [o.master],
    refreshSeconds: o.refreshSeconds,
    stateTimeoutSeconds: 30,
    ttl: 60,
    domain: 'mesos',
    port: 0,
    listener: '127.0.0.1',
    HTTPListener: '127.0.0.1',
    httpport: 0,
    dnson: true,
    httpon: true,
    externalon: false,
    resolvers: [],
    SOAMname: 'ns1.mesos',
    SOARname: 'root.ns1.mesos',
    IPSources: ['netinfo', 'mesos', 'host'],
    EnumerationOn: true,
    workers: o.workers,
    // Poll, as mesos-dns does: the reload and serving cases measure reloads (the sim replaces
    // tasks per state request, which only a poll makes), and the event stream has its own bench
    // (bench/stream.ts) and scale runs, which pass stateSource explicitly.
    stateSource: 'poll',
  };
}

/**
 * The config mesos-dns (the oracle) runs with beside the server: the same domain, SOA and IP
 * sources as benchConfig, on `port`, HTTP off.
 */
export function oracleConfig(master: string, refreshSeconds: number, port: number) {
  return {
    masters: [master],
    refreshSeconds,
    stateTimeoutSeconds: 120,
    port,
    domain: 'mesos',
    httpon: false,
    listener: '127.0.0.1',
    externalon: false,
    resolvers: [],
    SOAMname: 'ns1.mesos',
    SOARname: 'root.ns1.mesos',
    IPSources: ['netinfo', 'mesos', 'host'],
  };
}

function portOf(line: string, msg: string): number | undefined {
  const entry = jsonLine(line);
  if (entry?.['msg'] !== msg) return undefined;
  const port = entry['port'];
  return typeof port === 'number' ? port : undefined;
}

/** Starts src/cli.ts and resolves once /ready answers 200 (records loaded, DNS listening). */
export async function startServerProcess(
  children: Children,
  o: ServerProcessOptions,
): Promise<StartedServer> {
  const configFile = join(o.dir, 'config.json');
  writeFileSync(configFile, `${JSON.stringify({ ...benchConfig(o), ...o.extra }, null, 2)}\n`);
  const args = [...(o.nodeFlags ?? []), o.script ?? CLI_SCRIPT, '--config', configFile];
  const env = { ...parseEnvList(process.env['BENCH_SERVER_ENV']), ...o.env };
  const child = children.spawn(process.execPath, args, {
    cpu: o.cpu,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  o.onSpawn?.(child);
  const lines = new LineTap(child);
  const dns = lines.waitFor((l) => portOf(l, 'dns listening (udp, tcp)'), 60_000, 'server DNS');
  const http = lines.waitFor((l) => portOf(l, 'HTTP API listening'), 60_000, 'server HTTP');
  let dnsPort: number;
  let httpPort: number;
  try {
    [dnsPort, httpPort] = await Promise.all([dns, http]);
    await waitReady(httpPort, 180_000);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`${message}\nlast server log lines:\n${lines.recent()}`, { cause: err });
  }
  const pin = `${Object.entries(env)
    .map(([k, v]) => `${k}=${v} `)
    .join('')}${o.cpu === null ? '' : `taskset -c ${o.cpu} `}`;
  return {
    child,
    lines,
    dnsPort,
    httpPort,
    configFile,
    command: `${pin}node ${args.join(' ')}`,
  };
}

async function waitReady(httpPort: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${httpPort}/ready`, {
        signal: AbortSignal.timeout(2000),
      });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `server /ready on 127.0.0.1:${httpPort} not 200 within ${timeoutMs} ms (${last})`,
  );
}

/** Reads one counter or gauge value (summed over its label sets) from /metrics. */
export async function scrapeMetric(httpPort: number, name: string, labels = ''): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`, {
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith(' ') || rest.startsWith('{'))) continue;
    if (labels !== '' && !rest.includes(labels)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) {
      sum += value;
      found = true;
    }
  }
  return found ? sum : NaN;
}

export async function startBareUdp(
  children: Children,
  cpu: number | string | null,
): Promise<{
  child: ChildProcess;
  port: number;
}> {
  const child = children.spawn(process.execPath, [BARE_UDP_SCRIPT], { cpu });
  const port = await new LineTap(child).waitFor(
    (line) => {
      const p = jsonLine(line)?.['port'];
      return typeof p === 'number' ? p : undefined;
    },
    30_000,
    'bench/bare-udp.ts',
  );
  return { child, port };
}

/** Fetches the master state over loopback (for building query files from the same data). */
export async function fetchState(address: string): Promise<unknown> {
  const res = await fetch(`http://${address}/master/state`, {
    signal: AbortSignal.timeout(60_000),
  });
  if (res.status !== 200) throw new Error(`GET http://${address}/master/state: HTTP ${res.status}`);
  return res.json();
}

/**
 * The record set a server started with benchConfig builds from the sim at `address` (the same
 * domain, IP sources and SOA), generated here to write the query files from.
 */
export async function benchRecordSet(address: string): Promise<RecordSet> {
  const state = (await fetchState(address)) as MesosState;
  return generate(state, benchGenerateOptions({ masters: [address] }));
}
