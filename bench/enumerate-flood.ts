// The abuse benchmark's /v1/enumerate case: a 50,000-task master, then `clients` parallel
// GET /v1/enumerate kept up for the whole of an open-loop DNS load (each client asks again as
// soon as its body is read), against the same load on the idle server (the floor). Reports every
// response, DNS latency, and the server's RSS before, at its peak and after a quiet spell.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MesosState } from '../src/state/types.ts';
import { generate } from '../src/records/generate.ts';
import type { Children } from './children.ts';
import { fetchState, startServerProcess, startSim } from './processes.ts';
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

/**
 * GET /v1/enumerate once on its own connection from `from`: status and body bytes (the body is
 * dropped). Clients spread over loopback addresses, as separate hosts would: one address may
 * hold only httpMaxConnectionsPerSource (100) connections.
 */
function getEnumerate(
  port: number,
  from: string,
): Promise<{ status: number; bytes: number; error?: string }> {
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: '/v1/enumerate', agent: false, localAddress: from },
      (res) => {
        let bytes = 0;
        res.on('data', (d: Buffer) => (bytes += d.length));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
        res.on('error', (e) => resolve({ status: -1, bytes, error: e.message }));
      },
    );
    req.on('error', (e) => resolve({ status: -1, bytes: 0, error: e.message }));
    req.setTimeout(120_000, () => req.destroy());
  });
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
  const state = (await fetchState(sim.address)) as MesosState;
  const set = generate(state, {
    domain: 'mesos',
    ipSources: ['netinfo', 'mesos', 'host'],
    enforceRFC952: false,
    srvWeight: 1,
    masters: [sim.address],
    soaMname: 'ns1.mesos',
    nameserverAddresses: ['127.0.0.1'],
  });
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
  const responses: Record<string, number> = {};
  let bodyBytes = 0;
  let bodiesRead = 0;
  let flooding = true;
  const errors: string[] = [];
  const served = new Array<boolean>(o.clients).fill(false);
  const client = async (i: number) => {
    while (flooding) {
      const r = await getEnumerate(server.httpPort, `127.0.0.${10 + (i % 10)}`);
      responses[String(r.status)] = (responses[String(r.status)] ?? 0) + 1;
      if (r.error !== undefined && errors.length < 5)
        errors.push(`${r.error} after ${r.bytes} bytes`);
      if (r.status === 200) {
        served[i] = true;
        bodiesRead++;
        bodyBytes = r.bytes;
      } else {
        await new Promise((res) => setTimeout(res, 1000)); // Retry-After: 1
      }
    }
  };
  const during = offerLoad(children, server.dnsPort, file, load);
  const clients = Array.from({ length: o.clients }, (_, i) => client(i));
  const duringReport = await during;
  flooding = false;
  await Promise.all(clients);
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
    responses,
    errors,
    everyClientServed: served.every(Boolean),
    bodyBytes,
    bodiesRead,
    rssBeforeMb,
    rssPeakMb,
    rssAfterMb,
    quietS: QUIET_S,
    crashed,
    commands: [`taskset -c 1 node ${sim.args.join(' ')}`, server.command, floor.command],
  };
}
