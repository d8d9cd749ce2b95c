// The abuse benchmark's /v1/enumerate case: a 50,000-task master, then `clients` parallel
// GET /v1/enumerate kept up for the whole of an open-loop DNS load (each client asks again as
// soon as its body is read), against the same load on the idle server (the floor). Reports every
// response, DNS latency, and the server's RSS before, at its peak and after a quiet spell.
// A bare UDP responder on the server's CPU takes the same DNS load in the same windows: what
// the machine itself (a shared 2-core box, the readers' own TCP work) adds to a DNS tail, as
// opposed to what the server's event loop adds. Each window also records the load average,
// how busy each core was, the server's main-thread CPU and its event-loop delay (/metrics).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonLine, LineTap, type Children } from './children.ts';
import type { EnumerateClientsReport } from './enumerate-clients.ts';
import { benchRecordSet, startBareUdp, startServerProcess, startSim } from './processes.ts';
import { buildQuerySets, writeQueryFile } from './query-files.ts';
import { offerLoad } from './reload.ts';
import type { LoadReport } from './udp-load.ts';

export interface EnumerateFloodOptions {
  readonly tasks: number;
  readonly clients: number;
  readonly durationS: number;
  readonly rate: number;
}

/** What else went on in a DNS window. */
export interface WindowConditions {
  /** 1-minute load average when the window opened. */
  readonly load1: number;
  /** Per core, the share of the window it was not idle (%). */
  readonly coreBusyPct: readonly number[];
  /** The server's main thread (DNS and HTTP), CPU time over wall time (%). */
  readonly mainThreadPct: number;
  /** Event-loop delay over the window (prom-client's monitor: a 10 ms timer, so 10 is on time). */
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
}

export interface EnumerateFloodResult {
  readonly floor: LoadReport;
  readonly during: LoadReport;
  /** The bare UDP responder on the server's CPU, loaded alongside in the same windows. */
  readonly bareFloor: LoadReport;
  readonly bareDuring: LoadReport;
  readonly floorConditions: WindowConditions;
  readonly duringConditions: WindowConditions;
  readonly responses: Readonly<Record<string, number>>;
  /** The first few failed requests' errors. */
  readonly errors: readonly string[];
  /** Every client got at least one whole 200 body. */
  readonly everyClientServed: boolean;
  readonly bodyBytes: number;
  readonly bodiesRead: number;
  readonly rssBeforeMb: number;
  readonly rssPeakMb: number;
  /** RSS after the flood ended and the server had `quietS` seconds with DNS only. */
  readonly rssAfterMb: number;
  readonly quietS: number;
  /** RSS at these seconds after the readers stopped (DNS load only), the last at `quietS`. */
  readonly rssQuiet: readonly { readonly s: number; readonly mb: number }[];
  /** The server exited before the case ended. */
  readonly crashed: boolean;
  readonly commands: readonly string[];
}

const CLIENTS_SCRIPT = fileURLToPath(new URL('enumerate-clients.ts', import.meta.url));

/** After the last request: the server keeps a body 30 s (bodyHoldMs), then frees it. */
export const HOLD_S = 30;
const QUIET_S = 45;
/**
 * When RSS is read after the readers stop: at once, before the hold is over, and after it (the
 * last request started before the readers stopped, so its hold is over by HOLD_S).
 */
const QUIET_SAMPLES_S = [0, 15, HOLD_S + 5, QUIET_S];

function rssMb(pid: number | undefined): number {
  try {
    const kb = /VmRSS:\s*(\d+)\s*kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? NaN : Number(kb) / 1024;
  } catch {
    return NaN;
  }
}

function coreTicks(): number[][] {
  return readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .filter((l) => /^cpu\d/.test(l))
    .map((l) => l.trim().split(/\s+/).slice(1).map(Number));
}

/** user + system clock ticks of thread `tid` of `pid`. */
function threadTicks(pid: number | undefined, tid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return NaN;
  }
}

/** The event-loop delay since the last scrape, from one /metrics scrape, in ms. */
async function loopDelay(httpPort: number): Promise<{ p99: number; max: number }> {
  try {
    const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`, {
      signal: AbortSignal.timeout(5000),
    });
    const text = await res.text();
    const value = (name: string) =>
      1000 * Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    return {
      p99: value('nodejs_eventloop_lag_p99_seconds'),
      max: value('nodejs_eventloop_lag_max_seconds'),
    };
  } catch {
    return { p99: NaN, max: NaN };
  }
}

/** Measures what else happened while `run` ran (ticks are 1/100 s, Linux's USER_HZ). */
async function watched<T>(
  pid: number | undefined,
  httpPort: number,
  run: () => Promise<T>,
): Promise<{ value: T; conditions: WindowConditions }> {
  await loopDelay(httpPort); // prom-client restarts its delay histogram at every scrape
  const load1 = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  const cores0 = coreTicks();
  const main0 = threadTicks(pid, pid);
  const started = performance.now();
  const value = await run();
  const wallTicks = ((performance.now() - started) / 1000) * 100;
  const mainThreadPct = (100 * (threadTicks(pid, pid) - main0)) / wallTicks;
  const coreBusyPct = coreTicks().map((row, i) => {
    const d = row.map((v, j) => v - (cores0[i]?.[j] ?? 0));
    const total = d.reduce((a, b) => a + b, 0);
    // Fields 4 and 5: idle and iowait.
    return total > 0 ? (100 * (total - (d[3] ?? 0) - (d[4] ?? 0))) / total : NaN;
  });
  const { p99: loopDelayP99Ms, max: loopDelayMaxMs } = await loopDelay(httpPort);
  return {
    value,
    conditions: { load1, coreBusyPct, mainThreadPct, loopDelayP99Ms, loopDelayMaxMs },
  };
}

export async function enumerateFlood(
  children: Children,
  dir: string,
  o: EnumerateFloodOptions,
): Promise<EnumerateFloodResult> {
  process.stderr.write(`abuse: enumerate flood: starting a ${o.tasks}-task master\n`);
  const sim = await startSim(
    children,
    { tasks: o.tasks, instances: 4, agents: Math.max(1, Math.round(o.tasks / 50)) },
    1,
  );
  const set = await benchRecordSet(sim.address);
  const file = join(dir, 'mixed.txt');
  writeQueryFile(file, buildQuerySets(set).mixed);
  const server = await startServerProcess(children, {
    master: sim.address,
    // No reload inside the window: one generation, so one rendering serves the whole flood.
    refreshSeconds: 3600,
    workers: 1,
    dir,
    cpu: 0,
  });
  const pid = server.child.pid;
  const bare = await startBareUdp(children, 0);
  // The server and, beside it on the same CPU, the bare responder, under the same load at once.
  const both = () =>
    Promise.all([
      offerLoad(children, server.dnsPort, file, load),
      offerLoad(children, bare.port, file, load),
    ]);
  let crashed = false;
  const onExit = () => (crashed = true);
  server.child.once('exit', onExit);
  const load = { rate: o.rate, durationS: o.durationS, tasks: o.tasks };
  process.stderr.write(
    `abuse: enumerate flood: floor, ${o.rate} DNS queries/s to the server and to a bare responder, no HTTP\n`,
  );
  const floorWindow = await watched(pid, server.httpPort, both);
  const [floor, bareFloor] = floorWindow.value;
  const rssBeforeMb = rssMb(pid);

  process.stderr.write(`abuse: enumerate flood: ${o.clients} clients for ${o.durationS} s\n`);
  let rssPeakMb = rssBeforeMb;
  const sampler = setInterval(() => (rssPeakMb = Math.max(rssPeakMb, rssMb(pid))), 100);
  const during = watched(pid, server.httpPort, both);
  // The readers at nice 19 on the load generator's CPU: the DNS load must not wait for them.
  const readers = children.spawn(
    'nice',
    [
      '-n',
      '19',
      process.execPath,
      CLIENTS_SCRIPT,
      '--port',
      String(server.httpPort),
      '--clients',
      String(o.clients),
      '--duration',
      String(o.durationS),
    ],
    { cpu: 1 },
  );
  const report = new LineTap(readers).waitFor(
    (line) => jsonLine(line) as EnumerateClientsReport | undefined,
    (o.durationS + 180) * 1000,
    'bench/enumerate-clients.ts',
  );
  const duringWindow = await during;
  const [duringReport, bareDuring] = duringWindow.value;
  const clients = await report;
  clearInterval(sampler);

  process.stderr.write(`abuse: enumerate flood: ${QUIET_S} s of DNS only, RSS along the way\n`);
  const quietStart = performance.now();
  const rssQuiet: { s: number; mb: number }[] = [];
  const timers = QUIET_SAMPLES_S.filter((s) => s < QUIET_S).map((s) =>
    setTimeout(() => rssQuiet.push({ s, mb: rssMb(pid) }), s * 1000),
  );
  await offerLoad(children, server.dnsPort, file, { ...load, durationS: QUIET_S });
  for (const t of timers) clearTimeout(t);
  const rssAfterMb = rssMb(pid);
  rssQuiet.push({ s: Math.round((performance.now() - quietStart) / 1000), mb: rssAfterMb });
  server.child.off('exit', onExit);
  await children.stop(bare.child);
  await children.stop(server.child, 10_000);
  await children.stop(sim.child, 10_000);
  return {
    floor: floor.report,
    during: duringReport.report,
    bareFloor: bareFloor.report,
    bareDuring: bareDuring.report,
    floorConditions: floorWindow.conditions,
    duringConditions: duringWindow.conditions,
    responses: clients.responses,
    errors: clients.errors,
    everyClientServed: clients.everyClientServed,
    bodyBytes: clients.bodyBytes,
    bodiesRead: clients.bodiesRead,
    rssBeforeMb,
    rssPeakMb,
    rssAfterMb,
    quietS: QUIET_S,
    rssQuiet,
    crashed,
    commands: [
      `taskset -c 1 node ${sim.args.join(' ')}`,
      server.command,
      floor.command,
      `taskset -c 0 node bench/bare-udp.ts   # beside the server, the same load at the same time`,
      `taskset -c 1 nice -n 19 node bench/enumerate-clients.ts --port ${server.httpPort} --clients ${o.clients} --duration ${o.durationS}`,
    ],
  };
}
