// `npm run bench`: dnsperf against the server (A, SRV, mixed) and against a bare Node.js UDP
// responder (the ceiling), server and responder pinned to CPU 0 and dnsperf to CPU 1.
//   node bench/run.ts [--duration S] [--tasks N] [--workers N] [--only a,srv,mixed] [--quick]
//                     [--clients N] [--outstanding N] [--reload] [--generate] [--transfer] [--all]
// --reload runs bench/reload.ts instead, --generate bench/generate.ts, --transfer
// bench/transfer.ts, --all all four.
//   node bench/run.ts --abuse [--packets N] [--frames N] [--tcp-flood N] [--http-flood N] [--seed N]
//                     [--enumerate-clients N (0: skip)] [--enumerate-tasks N]
// runs bench/abuse.ts alone: fuzzing and connection floods against the server, loopback only.
//   node bench/run.ts --scale [--sizes 10000,50000,200000] [--quick]
// runs bench/scale.ts alone (#15): memory, first answer and tail at each size beside mesos-dns;
// not part of --all (the 200k case alone takes ~8 minutes).
//   node bench/run.ts --stream [--tasks N] [--rate N] [--duration S] [--modes subscribe,poll2,poll60]
// runs bench/stream.ts alone (its own flags): task changes over the event stream against polling.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Children, peakRssMb } from './children.ts';
import { ensureDnsperf, runDnsperf, type DnsperfResult } from './dnsperf.ts';
import { machineInfo, machineLines } from './machine.ts';
import {
  benchRecordSet,
  startBareUdp,
  startServerProcess,
  startSim,
  type StartedServer,
} from './processes.ts';
import { buildQuerySets, writeQueryFile } from './query-files.ts';
import { relative } from './reload.ts';
import { writeSection } from './results-file.ts';
import { servingTable, verdict, type ServingRow } from './table.ts';

export const CASES = ['a', 'srv', 'mixed'] as const;
export type Case = (typeof CASES)[number];

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVER_CPU = 0;
const LOAD_CPU = 1;
const CEILING_TARGET = 0.75;

export interface RunOptions {
  readonly durationS: number;
  readonly tasks: number;
  readonly workers: number;
  readonly only: readonly Case[];
  readonly clients: number;
  readonly outstanding: number;
}

function wholeNumber(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    throw new Error(`--${name} must be a whole number ≥ ${min}, got "${text}"`);
  }
  return n;
}

export function parseOnly(text: string): Case[] {
  const picked = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  for (const c of picked) {
    if (!(CASES as readonly string[]).includes(c)) {
      throw new Error(`--only: unknown case "${c}"; use a comma list of ${CASES.join(', ')}`);
    }
  }
  if (picked.length === 0) throw new Error(`--only: name at least one of ${CASES.join(', ')}`);
  return picked as Case[];
}

async function runServing(o: RunOptions): Promise<void> {
  const dnsperfVersion = ensureDnsperf();
  const children = new Children();
  const dir = mkdtempSync(join(tmpdir(), 'mesos-dns-bench-'));
  try {
    const instances = 4;
    const agents = 200;
    process.stderr.write(`starting the simulated master (${o.tasks} tasks)\n`);
    const sim = await startSim(children, { tasks: o.tasks, instances, agents }, LOAD_CPU);
    const set = await benchRecordSet(sim.address);
    const sets = buildQuerySets(set);
    const files: Record<Case, string> = {
      a: join(dir, 'a.txt'),
      srv: join(dir, 'srv.txt'),
      mixed: join(dir, 'mixed.txt'),
    };
    writeQueryFile(files.a, sets.a);
    writeQueryFile(files.srv, sets.srv);
    writeQueryFile(files.mixed, sets.mixed);

    const perf = (port: number, file: string): Promise<DnsperfResult> =>
      runDnsperf(
        children,
        {
          port,
          file,
          durationS: o.durationS,
          clients: o.clients,
          outstanding: o.outstanding,
        },
        LOAD_CPU,
      );

    process.stderr.write('measuring the ceiling: bare UDP responder\n');
    const bare = await startBareUdp(children, SERVER_CPU);
    const ceiling = await perf(bare.port, files.a);
    const bareRss = peakRssMb(bare.child.pid);
    await children.stop(bare.child);

    process.stderr.write('starting the server\n');
    const server: StartedServer = await startServerProcess(children, {
      master: sim.address,
      refreshSeconds: 60,
      workers: o.workers,
      dir,
      cpu: SERVER_CPU,
    });
    // Records are loaded (/ready): stop the master so no reload competes with serving and
    // dnsperf has CPU 1 to itself. The server keeps serving its last good records.
    await children.stop(sim.child);
    let reloads = 0;
    server.lines.onLine((line) => {
      if (line.includes('"state loaded"')) reloads++;
    });

    const results = new Map<Case, DnsperfResult>();
    for (const c of o.only) {
      process.stderr.write(`dnsperf: ${c} for ${o.durationS} s\n`);
      results.set(c, await perf(server.dnsPort, files[c]));
    }
    const serverRss = peakRssMb(server.child.pid);
    await children.stop(server.child);

    const rows: ServingRow[] = [
      {
        case: 'bare UDP ceiling (A file)',
        qps: ceiling.qps,
        p50Ms: ceiling.p50Ms,
        p99Ms: ceiling.p99Ms,
        answered: ceiling.completed / ceiling.sent,
        peakRssMb: bareRss,
        ofCeiling: 1,
      },
    ];
    for (const [c, r] of results) {
      rows.push({
        case: `server ${c} (workers ${o.workers})`,
        qps: r.qps,
        p50Ms: r.p50Ms,
        p99Ms: r.p99Ms,
        answered: r.completed / r.sent,
        peakRssMb: serverRss,
        ofCeiling: r.qps / ceiling.qps,
      });
    }
    const table = servingTable(rows);
    const targets = [...results].map(
      ([c, r]) =>
        `- ${c}: ≥ ${CEILING_TARGET} of the bare-UDP ceiling: ${verdict(r.qps / ceiling.qps, CEILING_TARGET)}`,
    );
    const rcodes = [...results].map(
      ([c, r]) =>
        `- ${c}: ${Object.entries(r.rcodes)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}; lost ${r.lost}`,
    );
    const machine = machineInfo(dnsperfVersion);
    const body = [
      '## Serving throughput (`npm run bench`)',
      '',
      ...machineLines(machine),
      `- cluster: ${o.tasks} tasks (${Math.ceil(o.tasks / instances)} apps × ${instances} on ${agents} agents; DiscoveryInfo on every 4th app, container IPs on every 3rd task, staging every 50th), ${sets.a.length} A names, ${sets.srv.length} SRV names, ${sets.mixed.length} mixed lines`,
      `- reloads during measurement: ${reloads} (master stopped once /ready)`,
      '',
      table,
      '',
      'Targets (one worker): A, SRV, mixed each ≥ 0.75 of the bare-UDP ceiling.',
      ...targets,
      '',
      'Response codes:',
      ...rcodes,
      '',
      'Commands:',
      '```',
      `taskset -c ${LOAD_CPU} node ${relative(ROOT, sim.args.join(' '))}`,
      relative(ROOT, server.command),
      `taskset -c ${SERVER_CPU} node bench/bare-udp.ts`,
      ceiling.command.replace(/-d \S+/, '-d a.txt'),
      ...[...results].map(([c, r]) => r.command.replace(/-d \S+/, `-d ${c}.txt`)),
      '```',
      '',
      'Latency percentiles come from dnsperf -v (one line per answered query; dnsperf 2.10 has',
      'no histogram option). dnsperf is closed-loop: with `-q` queries outstanding, latency is',
      'mostly queueing (≈ outstanding / qps), so p50/p99 here describe a saturated server;',
      'the reload benchmark measures latency at a fixed offered rate instead.',
    ].join('\n');
    process.stdout.write(`\n${table}\n\n${targets.join('\n')}\n`);
    writeSection('serving', body);
    process.stderr.write('wrote bench/results.md (section serving)\n');
  } finally {
    await children.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--stream')) {
    const { streamMain } = await import('./stream.ts');
    await streamMain(argv.filter((a) => a !== '--stream'));
    return;
  }
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '20' },
      tasks: { type: 'string', default: '10000' },
      workers: { type: 'string', default: '1' },
      only: { type: 'string', default: CASES.join(',') },
      quick: { type: 'boolean', default: false },
      // Enough concurrency that dnsperf's one thread, not the responder, is never the limit
      // (with -c 8 -q 200 the SRV run measured dnsperf: 84k qps, against 107k with 16 / 500).
      clients: { type: 'string', default: '16' },
      outstanding: { type: 'string', default: '500' },
      reload: { type: 'boolean', default: false },
      generate: { type: 'boolean', default: false },
      transfer: { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
      abuse: { type: 'boolean', default: false },
      scale: { type: 'boolean', default: false },
      sizes: { type: 'string', default: '10000,50000,200000' },
      packets: { type: 'string', default: '1000000' },
      frames: { type: 'string', default: '100000' },
      'tcp-flood': { type: 'string', default: '5000' },
      'http-flood': { type: 'string', default: '2000' },
      seed: { type: 'string', default: '1' },
      'enumerate-clients': { type: 'string', default: '100' },
      'enumerate-tasks': { type: 'string', default: '50000' },
    },
  });
  if (values.abuse) {
    const { runAbuse } = await import('./abuse.ts');
    await runAbuse({
      udpPackets: wholeNumber('packets', values.packets, 1),
      tcpFrames: wholeNumber('frames', values.frames, 1),
      tcpFlood: wholeNumber('tcp-flood', values['tcp-flood'], 1),
      httpFlood: wholeNumber('http-flood', values['http-flood'], 1),
      seed: wholeNumber('seed', values.seed, 1),
      enumerateClients: wholeNumber('enumerate-clients', values['enumerate-clients'], 0),
      enumerateTasks: wholeNumber('enumerate-tasks', values['enumerate-tasks'], 100),
    });
    return;
  }
  if (values.scale) {
    const { runScaleBench, parseSizes } = await import('./scale.ts');
    await runScaleBench({
      sizes: parseSizes(values.sizes),
      windowS: values.quick ? 10 : 40,
      steadyS: values.quick ? 5 : 20,
      settleS: values.quick ? 2 : 10,
      rate: 5000,
      oracle: true,
      stream: true,
      source: false,
    });
    // A server that never became ready leaves a /ready poll running until its timeout.
    process.exit();
  }
  const serving = values.all || (!values.reload && !values.generate && !values.transfer);
  if (serving) {
    await runServing({
      durationS: values.quick ? 5 : wholeNumber('duration', values.duration, 1),
      tasks: wholeNumber('tasks', values.tasks, 100),
      workers: wholeNumber('workers', values.workers, 1),
      only: parseOnly(values.only),
      clients: wholeNumber('clients', values.clients, 1),
      outstanding: wholeNumber('outstanding', values.outstanding, 1),
    });
  }
  if (values.all || values.generate) {
    const { runGenerateBench } = await import('./generate.ts');
    await runGenerateBench({ sizes: [10_000, 50_000], iterations: values.quick ? 2 : 5 });
  }
  if (values.all || values.reload) {
    const { runReloadBench } = await import('./reload.ts');
    await runReloadBench({ durationS: values.quick ? 5 : 20, rate: 5000, tasks: 50_000 });
  }
  if (values.all || values.transfer) {
    const { runTransferBench } = await import('./transfer.ts');
    await runTransferBench({ tasks: values.quick ? 5000 : 50_000, changed: 100 });
  }
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
