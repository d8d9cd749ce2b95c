// Zone transfers: AXFR of the whole zone of a large cluster (records, bytes, messages, seconds)
// and the IXFR that brings a secondary up after `changed` tasks changed (half killed, half
// started), then the AXFR again from a server with `workers: 2`, whose DNS threads relay it to
// the main thread. The server runs as a child process on CPU 0 with transfers allowed from
// loopback; the simulated master and the client run here.
//   node bench/transfer.ts [--tasks 50000] [--changed 100]   (or npm run bench -- --transfer)
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildCluster } from '../sim/cluster.ts';
import { SimMaster } from '../sim/master.ts';
import { Children } from './children.ts';
import { machineInfo, machineLines } from './machine.ts';
import { startServerProcess } from './processes.ts';
import { writeSection } from './results-file.ts';
import { markdownTable } from './table.ts';

const SERVER_CPU = 0;
const SOA = 6;
const IXFR = 251;
const AXFR = 252;

export interface TransferBenchOptions {
  readonly tasks: number;
  readonly changed: number;
}

interface Transfer {
  readonly records: number;
  readonly messages: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly serial: number;
}

function nameEnd(buf: Buffer, at: number): number {
  for (;;) {
    const len = buf[at]!;
    if (len === 0) return at + 1;
    if ((len & 0xc0) === 0xc0) return at + 2;
    at += len + 1;
  }
}

function query(id: number, qtype: number, clientSerial?: number): Buffer {
  const name = Buffer.from([5, ...Buffer.from('mesos'), 0]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(1, 4);
  const question = Buffer.alloc(4);
  question.writeUInt16BE(qtype, 0);
  question.writeUInt16BE(1, 2);
  if (clientSerial === undefined) return Buffer.concat([header, name, question]);
  // IXFR (RFC 1995 §3): the client's SOA in the authority section.
  header.writeUInt16BE(1, 8);
  const soa = Buffer.alloc(12 + 22);
  soa.writeUInt16BE(0xc00c, 0); // owner: the question name
  soa.writeUInt16BE(SOA, 2);
  soa.writeUInt16BE(1, 4);
  soa.writeUInt16BE(22, 10);
  // MNAME and RNAME the root (bytes 12, 13), then the serial; the other fields are not read.
  soa.writeUInt32BE(clientSerial >>> 0, 14);
  return Buffer.concat([header, name, question, soa]);
}

/** Runs one transfer over TCP to the end (the second SOA with the final serial). */
function transfer(port: number, qtype: number, clientSerial?: number): Promise<Transfer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect({ port, host: '127.0.0.1' });
    const q = query(0x4242, qtype, clientSerial);
    let pending = Buffer.alloc(0);
    let records = 0;
    let messages = 0;
    let bytes = 0;
    let soas = 0;
    let first = -1;
    socket.on('connect', () => {
      const frame = Buffer.alloc(2);
      frame.writeUInt16BE(q.length, 0);
      socket.write(Buffer.concat([frame, q]));
    });
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const msg = pending.subarray(2, 2 + pending.readUInt16BE(0));
        pending = pending.subarray(2 + msg.length);
        messages++;
        bytes += msg.length;
        if ((msg[3]! & 0xf) !== 0) {
          socket.destroy();
          reject(new Error(`transfer answered rcode ${msg[3]! & 0xf}`));
          return;
        }
        const an = msg.readUInt16BE(6);
        let at = nameEnd(msg, 12) + 4;
        for (let i = 0; i < an; i++) {
          at = nameEnd(msg, at);
          const type = msg.readUInt16BE(at);
          const rdata = at + 10;
          if (type === SOA) {
            const serial = msg.readUInt32BE(nameEnd(msg, nameEnd(msg, rdata)));
            if (first < 0) first = serial;
            else if (serial === first) soas++;
          }
          at = rdata + msg.readUInt16BE(at + 8);
          records++;
        }
        // The SOA alone (client current) or the closing SOA ends the transfer.
        if (soas > 0 || (records === 1 && messages === 1 && qtype === IXFR)) {
          socket.destroy();
          resolve({
            records,
            messages,
            bytes,
            seconds: (performance.now() - started) / 1000,
            serial: first,
          });
          return;
        }
      }
    });
  });
}

/** The serial the server gives now, by an ordinary SOA query over UDP. */
function currentSerial(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no SOA answer within 5 s'));
    }, 5000);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      const at = nameEnd(msg, nameEnd(msg, 12) + 4) + 10;
      resolve(msg.readUInt32BE(nameEnd(msg, nameEnd(msg, at))));
    });
    socket.send(query(0x5151, SOA), port, '127.0.0.1');
  });
}

export async function runTransferBench(o: TransferBenchOptions): Promise<void> {
  const children = new Children();
  const dir = mkdtempSync(join(tmpdir(), 'mesos-dns-bench-xfr-'));
  const cluster = buildCluster({
    apps: Math.ceil(o.tasks / 4),
    instancesPerApp: 4,
    agents: Math.max(1, Math.round(o.tasks / 50)),
    discoveryEvery: 4,
    containerIpEvery: 3,
    ipv6Agents: 1,
    stagingEvery: 50,
  });
  const sim = await SimMaster.start({ cluster });
  try {
    process.stderr.write(`starting the server (${o.tasks} tasks)\n`);
    const server = await startServerProcess(children, {
      master: sim.address,
      refreshSeconds: 1,
      workers: 1,
      dir,
      cpu: SERVER_CPU,
      extra: { transferAllow: ['127.0.0.1'] },
    });
    const axfr = await transfer(server.dnsPort, AXFR);
    process.stderr.write(`AXFR: ${axfr.records} records in ${axfr.seconds.toFixed(2)} s\n`);
    const second = await transfer(server.dnsPort, AXFR);

    const framework = sim.cluster.frameworks[0]!;
    const victims = framework.tasks.slice(0, Math.floor(o.changed / 2)).map((t) => t.id);
    for (const id of victims) sim.killTask(id);
    for (let i = 0; i < o.changed - victims.length; i++) {
      sim.startTask({
        name: `bench-new-${i}`,
        agent: i % cluster.slaves.length,
        ports: [[40000 + i, 40000 + i]],
      });
    }
    const deadline = Date.now() + 120_000;
    while ((await currentSerial(server.dnsPort)) === second.serial) {
      if (Date.now() > deadline)
        throw new Error('the server did not load the changed state within 120 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    const ixfr = await transfer(server.dnsPort, IXFR, second.serial);
    await children.stop(server.child);

    process.stderr.write('starting the server with workers: 2\n');
    const threadedDir = join(dir, 'workers-2');
    mkdirSync(threadedDir);
    const threaded = await startServerProcess(children, {
      master: sim.address,
      refreshSeconds: 1,
      workers: 2,
      dir: threadedDir,
      cpu: SERVER_CPU,
      extra: { transferAllow: ['127.0.0.1'] },
    });
    const relayed = await transfer(threaded.dnsPort, AXFR);
    const row = (what: string, t: Transfer): string[] => [
      what,
      String(t.records),
      String(t.messages),
      (t.bytes / 1e6).toFixed(2),
      t.seconds.toFixed(2),
      Math.round(t.records / t.seconds).toLocaleString('en-US'),
    ];
    const table = markdownTable(
      ['transfer', 'records', 'messages', 'MB', 'seconds', 'records/s'],
      [
        row(`AXFR, ${o.tasks} tasks (first)`, axfr),
        row(`AXFR, ${o.tasks} tasks (again)`, second),
        row(`IXFR after ${o.changed} changed tasks`, ixfr),
        row(`AXFR, ${o.tasks} tasks, workers: 2 (relayed by a DNS thread)`, relayed),
      ],
    );
    const body = [
      '## Zone transfers (`node bench/transfer.ts`, or `npm run bench -- --transfer`)',
      '',
      table,
      '',
      `- server: \`${server.command}\` with \`transferAllow: ["127.0.0.1"]\`, no TSIG`,
      `- IXFR: ${victims.length} tasks killed and ${o.changed - victims.length} started, from the serial of the second AXFR`,
      ...machineLines(machineInfo('n/a')).filter((l) => !l.includes('dnsperf')),
    ].join('\n');
    process.stdout.write(`\n${table}\n`);
    writeSection('transfer', body);
  } finally {
    await sim.close();
    await children.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      tasks: { type: 'string', default: '50000' },
      changed: { type: 'string', default: '100' },
    },
  });
  runTransferBench({ tasks: Number(values.tasks), changed: Number(values.changed) }).catch(
    (err: unknown) => {
      process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
