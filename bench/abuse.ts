// `npm run bench -- --abuse`: the server as a hostile client sees it, on loopback only. Fuzzed UDP
// packets and TCP frames (every reply decoded by dns2, an independent decoder), then floods of
// idle and dripping DNS TCP connections and slow-loris HTTP connections, each with a probe that
// must still be answered. Bounded in count and time; results go to bench/results.md (abuse).
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Packet } from 'dns2';
import { Children } from './children.ts';
import { enumerateFlood, HOLD_S, type EnumerateFloodResult } from './enumerate-flood.ts';
import { startServerProcess, startSim, type StartedServer } from './processes.ts';
import { writeSection } from './results-file.ts';

export interface AbuseOptions {
  readonly udpPackets: number;
  readonly tcpFrames: number;
  readonly tcpFlood: number;
  readonly httpFlood: number;
  readonly seed: number;
  /** Parallel /v1/enumerate clients against a large cluster (0: skip that case). */
  readonly enumerateClients: number;
  readonly enumerateTasks: number;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HOST = '127.0.0.1';
/** Floods come from another loopback address, as another client would. */
const ATTACKER = '127.0.0.2';
const UDP_CAP = 1232;

/** xorshift32: the same run for the same seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

function query(name: string, type: number, edns: boolean): Buffer {
  const labels = name.split('.').filter((l) => l !== '');
  const parts = [Buffer.from([0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, edns ? 1 : 0])];
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, 'latin1'));
  parts.push(Buffer.from([0, type >> 8, type & 0xff, 0, 1]));
  if (edns) parts.push(Buffer.from([0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0]));
  return Buffer.concat(parts);
}

const SEEDS = [
  query('app-0.marathon.mesos', 1, false),
  query('_app-0._tcp.marathon.mesos', 33, true),
  query('leader.mesos', 28, true),
  query('nope.mesos', 1, true),
  query('example.org', 1, false),
  query('mesos', 6, true),
];

/** A valid seed query, mutated: bit flips, byte overwrites, truncation, extension, or noise. */
function fuzz(random: () => number): Buffer {
  const seed = SEEDS[Math.floor(random() * SEEDS.length)]!;
  const kind = Math.floor(random() * 5);
  let out: Buffer;
  if (kind === 0) {
    out = Buffer.alloc(Math.floor(random() * 80));
    for (let i = 0; i < out.length; i++) out[i] = Math.floor(random() * 256);
  } else {
    out = Buffer.from(seed);
    const edits = 1 + Math.floor(random() * 4);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(random() * out.length);
      if (kind === 1) out[at] = out[at]! ^ (1 << Math.floor(random() * 8));
      else out[at] = Math.floor(random() * 256);
    }
    if (kind === 3) out = out.subarray(0, Math.floor(random() * out.length));
    if (kind === 4) {
      const extra = Buffer.alloc(Math.floor(random() * 40));
      for (let i = 0; i < extra.length; i++) extra[i] = Math.floor(random() * 256);
      out = Buffer.concat([out, extra]);
    }
  }
  if (out.length > 2) out[2] = out[2]! & 0x7f; // a query, mostly: responses are dropped unread
  return out;
}

interface Tally {
  sent: number;
  replies: number;
  malformed: number;
  oversize: number;
  examples: string[];
}

function check(reply: Buffer, tally: Tally, udp: boolean): void {
  tally.replies++;
  let bad = '';
  try {
    const p = Packet.parse(reply);
    if (p.header.qr !== 1) bad = 'QR not set';
  } catch (err) {
    bad = err instanceof Error ? err.message : String(err);
  }
  if (reply.length < 12) bad = `${reply.length}-byte reply`;
  if (bad !== '') {
    tally.malformed++;
    if (tally.examples.length < 5) tally.examples.push(`${bad}: ${reply.toString('hex')}`);
  }
  if (udp && reply.length > UDP_CAP) tally.oversize++;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function udpFuzz(port: number, n: number, random: () => number): Promise<Tally> {
  const tally: Tally = { sent: 0, replies: 0, malformed: 0, oversize: 0, examples: [] };
  const sockets = Array.from({ length: 8 }, () => {
    const s = dgram.createSocket('udp4');
    s.on('message', (m) => check(m, tally, true));
    s.on('error', () => {});
    return s;
  });
  const batch = 200;
  for (let i = 0; i < n; i += batch) {
    for (let k = 0; k < batch && i + k < n; k++) {
      sockets[k % sockets.length]!.send(fuzz(random), port, HOST);
      tally.sent++;
    }
    // Stay near what the server answers, so loss is the kernel's and not the point.
    if (tally.sent - tally.replies > 2000) await sleep(5);
    else await new Promise((r) => setImmediate(r));
  }
  await sleep(500);
  for (const s of sockets) s.close();
  return tally;
}

async function tcpFuzz(port: number, n: number, random: () => number): Promise<Tally> {
  const tally: Tally = { sent: 0, replies: 0, malformed: 0, oversize: 0, examples: [] };
  while (tally.sent < n) {
    const socket = net.connect(port, HOST);
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        check(buf.subarray(2, 2 + buf.readUInt16BE(0)), tally, false);
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
    });
    await new Promise((r) => socket.once('connect', r).once('close', r));
    // Up to 500 frames per connection; the last lies about its length (the server must cope).
    for (let k = 0; k < 500 && tally.sent < n && !socket.destroyed; k++) {
      let msg = fuzz(random);
      // Under 12 bytes the server (rightly) closes the stream as out of sync: pad so the frames
      // test parsing, and leave closing to the deliberate length lies below.
      if (msg.length < 12) msg = Buffer.concat([msg, Buffer.alloc(12 - msg.length)]);
      const frame = Buffer.alloc(msg.length + 2);
      frame.writeUInt16BE(k === 499 ? Math.floor(random() * 65536) : msg.length, 0);
      frame.set(msg, 2);
      socket.write(frame);
      tally.sent++;
      if (k % 50 === 49) await sleep(1);
    }
    await sleep(20);
    socket.destroy();
  }
  return tally;
}

/** Milliseconds for one TCP query from a fresh connection (or -1 if none within 5 s). */
async function tcpProbe(port: number): Promise<number> {
  const started = performance.now();
  return new Promise((resolve) => {
    const q = SEEDS[0]!;
    const socket = net.connect(port, HOST, () => {
      const frame = Buffer.alloc(q.length + 2);
      frame.writeUInt16BE(q.length, 0);
      frame.set(q, 2);
      socket.write(frame);
    });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(-1);
    }, 5000);
    socket.on('error', () => {
      clearTimeout(timer);
      resolve(-1);
    });
    socket.on('data', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(performance.now() - started);
    });
  });
}

/** Milliseconds for GET `path` on a fresh connection (or -1 if no 200 within 5 s). */
async function httpProbe(port: number, path: string): Promise<number> {
  const started = performance.now();
  try {
    const res = await fetch(`http://${HOST}:${port}${path}`, {
      signal: AbortSignal.timeout(5000),
      headers: { connection: 'close' },
    });
    await res.arrayBuffer();
    return res.status === 200 ? performance.now() - started : -1;
  } catch {
    return -1;
  }
}

/** Opens `n` connections from ATTACKER; `drip` sends a byte every 2 s after `first`. */
async function flood(port: number, n: number, first: string | Buffer, drip: boolean) {
  const sockets: net.Socket[] = [];
  const timers: NodeJS.Timeout[] = [];
  for (let i = 0; i < n; i++) {
    const s = net.connect({ port, host: HOST, localAddress: ATTACKER });
    s.on('error', () => {});
    s.once('connect', () => {
      if (first.length > 0) s.write(first);
      if (drip) timers.push(setInterval(() => s.destroyed || s.write('a'), 2000));
    });
    sockets.push(s);
    if (i % 200 === 199) await sleep(5);
  }
  await sleep(1000);
  return {
    open: () => sockets.filter((s) => !s.destroyed && s.readyState === 'open').length,
    stop: () => {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
    },
  };
}

interface FloodRow {
  readonly name: string;
  readonly connections: number;
  readonly probes: string;
  readonly stillOpen: number;
}

async function floods(server: StartedServer, o: AbuseOptions): Promise<FloodRow[]> {
  const rows: FloodRow[] = [];
  const probeTcp = async () => {
    const ms: number[] = [];
    for (let i = 0; i < 5; i++) ms.push(await tcpProbe(server.dnsPort));
    return ms;
  };
  const fmt = (ms: number[]) =>
    ms.map((m) => (m < 0 ? 'no answer' : `${m.toFixed(1)} ms`)).join(', ');
  for (const [name, first, drip] of [
    ['DNS TCP, idle connections', '', false],
    ['DNS TCP, dripping a byte every 2 s', Buffer.from([0, 200]), true],
  ] as const) {
    const f = await flood(server.dnsPort, o.tcpFlood, first, drip);
    const ms = await probeTcp();
    rows.push({ name, connections: o.tcpFlood, probes: fmt(ms), stillOpen: f.open() });
    f.stop();
    await sleep(500);
  }
  const slow = 'GET /v1/version HTTP/1.1\r\nHost: x\r\nX-Slow: ';
  const f = await flood(server.httpPort, o.httpFlood, slow, true);
  const ms: number[] = [];
  for (let i = 0; i < 3; i++) {
    ms.push(await httpProbe(server.httpPort, '/health'));
    ms.push(await httpProbe(server.httpPort, '/ready'));
  }
  rows.push({
    name: 'HTTP slow-loris (/health, /ready)',
    connections: o.httpFlood,
    probes: fmt(ms),
    stillOpen: f.open(),
  });
  f.stop();
  return rows;
}

const P99_FACTOR = 2;
const RSS_GROWTH_MB = 200;

function enumerateMet(e: EnumerateFloodResult): boolean {
  return (
    !e.crashed &&
    e.everyClientServed &&
    e.during.p99Ms <= P99_FACTOR * e.floor.p99Ms &&
    e.rssPeakMb - e.rssBeforeMb < RSS_GROWTH_MB &&
    e.rssAfterMb - e.rssBeforeMb < RSS_GROWTH_MB / 4
  );
}

function enumerateLines(e: EnumerateFloodResult, o: AbuseOptions): string[] {
  const f = (v: number) => v.toFixed(2);
  const mb = (v: number) => v.toFixed(0);
  const pct = (v: number) => `${v.toFixed(0)} %`;
  const dns = (name: string, r: EnumerateFloodResult['floor']) =>
    `| ${name} | ${r.sent} | ${((100 * r.answered) / r.sent).toFixed(3)} | ${f(r.p50Ms)} | ${f(r.p99Ms)} | ${f(r.p999Ms)} | ${f(r.maxMs)} | ${f(r.senderLagMaxMs)} |`;
  const window = (name: string, c: EnumerateFloodResult['floorConditions']) =>
    `| ${name} | ${c.load1.toFixed(2)} | ${c.coreBusyPct.map(pct).join(', ')} | ${pct(c.mainThreadPct)} | ${f(c.loopDelayP99Ms)} | ${f(c.loopDelayMaxMs)} |`;
  const codes = Object.entries(e.responses)
    .map(([status, n]) => `${status === '-1' ? 'failed' : status} × ${n}`)
    .join(', ');
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const ratio = (during: number, floor: number) => (during / floor).toFixed(2);
  return [
    '',
    `### ${o.enumerateClients} parallel \`/v1/enumerate\` at ${o.enumerateTasks} tasks`,
    '',
    `Server pinned to CPU 0 (workers 1: DNS and HTTP share the main thread; the load worker renders; bodies go out paced, at most 256 MB/s in all), master, DNS load and the readers (bench/enumerate-clients.ts, nice 19) on CPU 1. Each client asks again as soon as it has read a body, for the whole ${e.during.durationS} s DNS window (open loop, mixed file). Body: ${(e.bodyBytes / 1e6).toFixed(1)} MB; bodies read: ${e.bodiesRead} (${((e.bodyBytes * e.bodiesRead) / 1e9).toFixed(1)} GB); responses: ${codes}. A bare UDP responder (bench/bare-udp.ts) beside the server on CPU 0 takes the same DNS load in the same windows: the machine's share of a tail, in equal conditions.`,
    '',
    '| DNS load | sent | answered % | p50 ms | p99 ms | p99.9 ms | max ms | load generator lag max ms |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    dns('server, idle (floor)', e.floor),
    dns('bare responder, same window', e.bareFloor),
    dns(`server, during ${o.enumerateClients} enumerate clients`, e.during),
    dns('bare responder, same window', e.bareDuring),
    '',
    '| window | load average (1 min) at start | busy CPU 0, CPU 1 | server main thread CPU | event-loop delay p99 ms | event-loop delay max ms (10 ms timer: 10 is on time) |',
    '| --- | --- | --- | --- | --- | --- |',
    window('floor', e.floorConditions),
    window('during the enumerate clients', e.duringConditions),
    '',
    ...(e.errors.length > 0
      ? [`Failed requests (first ${e.errors.length}): ${e.errors.join('; ')}.`, '']
      : []),
    `RSS: ${mb(e.rssBeforeMb)} MB before, ${mb(e.rssPeakMb)} MB peak (+${mb(e.rssPeakMb - e.rssBeforeMb)}), ${mb(e.rssAfterMb)} MB after ${e.quietS} s of DNS only. After the readers stopped (DNS load only; the body is held ${HOLD_S} s after its last request): ${e.rssQuiet.map((q) => `${mb(q.mb)} MB at ${q.s} s`).join(', ')}.`,
    '',
    `- every client served: ${verdict(e.everyClientServed)}`,
    `- DNS p99 within ${P99_FACTOR}× the floor: ${verdict(e.during.p99Ms <= P99_FACTOR * e.floor.p99Ms)} (${f(e.during.p99Ms)} vs ${f(e.floor.p99Ms)} ms, ${ratio(e.during.p99Ms, e.floor.p99Ms)}×; the bare responder in the same windows: ${f(e.bareDuring.p99Ms)} vs ${f(e.bareFloor.p99Ms)} ms, ${ratio(e.bareDuring.p99Ms, e.bareFloor.p99Ms)}×)`,
    `- RSS growth under ${RSS_GROWTH_MB} MB: ${verdict(e.rssPeakMb - e.rssBeforeMb < RSS_GROWTH_MB)}; released afterwards (within ${RSS_GROWTH_MB / 4} MB of before): ${verdict(e.rssAfterMb - e.rssBeforeMb < RSS_GROWTH_MB / 4)}`,
    '',
    'Commands:',
    '```',
    ...e.commands.map((c) => c.split(ROOT).join('')),
    '```',
  ];
}

export async function runAbuse(o: AbuseOptions): Promise<void> {
  const children = new Children();
  const dir = mkdtempSync(join(tmpdir(), 'mesos-dns-abuse-'));
  const started = Date.now();
  try {
    const sim = await startSim(children, { tasks: 2000, instances: 4, agents: 50 }, null);
    const server = await startServerProcess(children, {
      master: sim.address,
      refreshSeconds: 60,
      workers: 1,
      dir,
      cpu: null,
    });
    let crashes = 0;
    const crashed = () => crashes++;
    server.child.once('exit', crashed);
    const random = rng(o.seed);
    process.stderr.write(`abuse: ${o.udpPackets} fuzzed UDP packets\n`);
    const udp = await udpFuzz(server.dnsPort, o.udpPackets, random);
    process.stderr.write(`abuse: ${o.tcpFrames} fuzzed TCP frames\n`);
    const tcp = await tcpFuzz(server.dnsPort, o.tcpFrames, random);
    process.stderr.write('abuse: connection floods\n');
    const rows = await floods(server, o);
    const alive = (await tcpProbe(server.dnsPort)) >= 0;
    if (!alive) crashes += crashes === 0 ? 1 : 0;
    server.child.off('exit', crashed);
    await children.stop(server.child, 10_000);
    await children.stop(sim.child, 10_000);
    const enumerate =
      o.enumerateClients > 0
        ? await enumerateFlood(children, dir, {
            tasks: o.enumerateTasks,
            clients: o.enumerateClients,
            durationS: 20,
            rate: 2000,
          })
        : null;
    if (enumerate?.crashed === true) crashes++;
    const seconds = Math.round((Date.now() - started) / 1000);
    const line = (name: string, t: Tally) =>
      `| ${name} | ${t.sent} | ${t.replies} | ${t.malformed} | ${t.oversize} |`;
    const body = [
      '## Abuse (fuzzing and floods, loopback)',
      '',
      `\`npm run bench -- --abuse --packets ${o.udpPackets} --frames ${o.tcpFrames} --tcp-flood ${o.tcpFlood} --http-flood ${o.httpFlood} --seed ${o.seed} --enumerate-clients ${o.enumerateClients} --enumerate-tasks ${o.enumerateTasks}\`, ${seconds} s, ${new Date().toISOString().slice(0, 10)}.`,
      'Replies are decoded by dns2 (independent of the server); a UDP reply over 1232 bytes counts as oversize.',
      '',
      '| input | sent | replies | malformed replies | oversize UDP replies |',
      '| --- | --- | --- | --- | --- |',
      line('fuzzed UDP packets', udp),
      line('fuzzed TCP frames', tcp),
      '',
      `Server crashes: ${crashes}. Answering after all of it: ${alive ? 'yes' : 'no'}.`,
      '',
      '| flood (from 127.0.0.2) | connections | probe from 127.0.0.1, fresh connection | flood connections the server kept |',
      '| --- | --- | --- | --- |',
      ...rows.map((r) => `| ${r.name} | ${r.connections} | ${r.probes} | ${r.stillOpen} |`),
      ...(udp.examples.length + tcp.examples.length > 0
        ? ['', 'Malformed examples:', ...[...udp.examples, ...tcp.examples].map((e) => `- ${e}`)]
        : []),
      ...(enumerate === null ? [] : enumerateLines(enumerate, o)),
    ].join('\n');
    process.stdout.write(`${body}\n`);
    writeSection('abuse', body);
    process.stderr.write('wrote bench/results.md (section abuse)\n');
    if (crashes > 0 || udp.malformed + tcp.malformed + udp.oversize > 0) process.exitCode = 1;
    if (enumerate !== null && !enumerateMet(enumerate)) process.exitCode = 1;
  } finally {
    await children.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}
