// The abuse benchmark's /v1/enumerate case: a 50,000-task master, then `clients` parallel
// GET /v1/enumerate kept up for the whole of an open-loop DNS load (each client asks again as
// soon as its body is read), against the same load on the idle server (the floor). Reports every
// response, DNS latency, and the server's RSS before, at its peak and after a quiet spell.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonLine, LineTap, type Children } from './children.ts';
import type { EnumerateClientsReport } from './enumerate-clients.ts';
import { benchRecordSet, startServerProcess, startSim } from './processes.ts';
import { buildQuerySets, writeQueryFile } from './query-files.ts';
import { offerLoad } from './reload.ts';
import type { LoadReport } from './udp-load.ts';

export interface EnumerateFloodOptions {
  readonly tasks: number;
  readonly clients: number;
  readonly durationS: number;
  readonly rate: number;
}

export interface EnumerateFloodResult {
  readonly floor: LoadReport;
  readonly during: LoadReport;
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
  /** The server exited before the case ended. */
  readonly crashed: boolean;
  readonly commands: readonly string[];
}

const CLIENTS_SCRIPT = fileURLToPath(new URL('enumerate-clients.ts', import.meta.url));

/** After the last request: the server keeps a body 30 s (bodyHoldMs), then frees it. */
const QUIET_S = 45;

function rssMb(pid: number | undefined): number {
  try {
    const kb = /VmRSS:\s*(\d+)\s*kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? NaN : Number(kb) / 1024;
  } catch {
    return NaN;
  }
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
  let crashed = false;
  const onExit = () => (crashed = true);
  server.child.once('exit', onExit);
  const load = { rate: o.rate, durationS: o.durationS, tasks: o.tasks };
  process.stderr.write(`abuse: enumerate flood: floor, ${o.rate} DNS queries/s, no HTTP\n`);
  const floor = await offerLoad(children, server.dnsPort, file, load);
  const rssBeforeMb = rssMb(pid);

  process.stderr.write(`abuse: enumerate flood: ${o.clients} clients for ${o.durationS} s\n`);
  let rssPeakMb = rssBeforeMb;
  const sampler = setInterval(() => (rssPeakMb = Math.max(rssPeakMb, rssMb(pid))), 100);
  const during = offerLoad(children, server.dnsPort, file, load);
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
  const duringReport = await during;
  const clients = await report;
  clearInterval(sampler);

  process.stderr.write(`abuse: enumerate flood: ${QUIET_S} s of DNS only, then RSS\n`);
  await offerLoad(children, server.dnsPort, file, { ...load, durationS: QUIET_S });
  const rssAfterMb = rssMb(pid);
  server.child.off('exit', onExit);
  await children.stop(server.child, 10_000);
  await children.stop(sim.child, 10_000);
  return {
    floor: floor.report,
    during: duringReport.report,
    responses: clients.responses,
    errors: clients.errors,
    everyClientServed: clients.everyClientServed,
    bodyBytes: clients.bodyBytes,
    bodiesRead: clients.bodiesRead,
    rssBeforeMb,
    rssPeakMb,
    rssAfterMb,
    quietS: QUIET_S,
    crashed,
    commands: [
      `taskset -c 1 node ${sim.args.join(' ')}`,
      server.command,
      floor.command,
      `taskset -c 1 nice -n 19 node bench/enumerate-clients.ts --port ${server.httpPort} --clients ${o.clients} --duration ${o.durationS}`,
    ],
  };
}
