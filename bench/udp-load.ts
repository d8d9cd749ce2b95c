// Open-loop UDP load generator for the reload benchmark: offers queries at a fixed rate no
// matter how the server keeps up, timestamps each one and matches replies by ID, so p99.9 and
// max are exact (dnsperf's closed loop would slow down instead of showing a stall).
//   node bench/udp-load.ts --port N --file QUERIES [--rate 5000] [--duration 20] [--warm 0]
// --warm S: the first S seconds are offered alike but not measured, so the figures are the steady
// state of both the server and this process (whose own first second, code not yet optimised, shows
// as a stall of every variant ~0.6 s into a cold run). The measured queries go on down the file:
// names the warm-up did not ask for.
// Prints one JSON line (LoadReport) when done. Sends to 127.0.0.1 only.
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { queriesFromLines, readReply } from './dns-query.ts';
import { LatencySamples } from './latency.ts';

export interface LoadReport {
  readonly sent: number;
  readonly answered: number;
  readonly lost: number;
  /** Replies with an unknown or already-answered ID. */
  readonly strays: number;
  readonly rcodes: Readonly<Record<string, number>>;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  /** Slowest replies: when the query was sent (ms after the start) and its latency. */
  readonly worst: readonly { readonly atMs: number; readonly ms: number }[];
  /** Largest delay between a query's scheduled and actual send (the sender's own health). */
  readonly senderLagMaxMs: number;
  /** Wall-clock start, Date.now(), to line up with the server's log. */
  readonly startedAtMs: number;
  readonly durationS: number;
}

const WORST = 20;

function parseCount(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`udp-load: --${name} must be a whole number ≥ 1, got "${text}"\n`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      file: { type: 'string' },
      rate: { type: 'string', default: '5000' },
      duration: { type: 'string', default: '20' },
      warm: { type: 'string', default: '0' },
      'timeout-ms': { type: 'string', default: '2000' },
    },
  });
  if (values.port === undefined || values.file === undefined) {
    process.stderr.write('udp-load: --port and --file are required\n');
    process.exit(2);
  }
  const port = parseCount('port', values.port);
  const rate = parseCount('rate', values.rate);
  const durationS = parseCount('duration', values.duration);
  const warmS = values.warm === '0' ? 0 : parseCount('warm', values.warm);
  const timeoutMs = parseCount('timeout-ms', values['timeout-ms']);
  const packets = queriesFromLines(readFileSync(values.file, 'utf8'));
  if (packets.length === 0) {
    process.stderr.write(`udp-load: ${values.file} has no queries\n`);
    process.exit(2);
  }

  const warmCount = rate * warmS;
  const total = warmCount + rate * durationS;
  const sentAt = new Float64Array(total);
  // ID → sequence number of the query in flight with that ID (-1: none).
  const inFlight = new Int32Array(65536).fill(-1);
  const samples = new LatencySamples();
  const rcodes: Record<string, number> = {};
  let worst: { atMs: number; ms: number }[] = [];
  let answered = 0;
  let lost = 0;
  let strays = 0;
  let senderLagMaxMs = 0;

  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20 });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(port, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', (err) => process.stderr.write(`udp-load: ${err.message}\n`));
  const start = performance.now();
  const measuredFrom = start + warmS * 1000;
  const startedAtMs = Date.now() + warmS * 1000;
  socket.on('message', (msg) => {
    const now = performance.now();
    const reply = readReply(msg);
    const seq = reply === null ? -1 : inFlight[reply.id]!;
    if (reply === null || seq < 0) {
      strays++;
      return;
    }
    inFlight[reply.id] = -1;
    if (seq < warmCount) return;
    const ms = now - sentAt[seq]!;
    answered++;
    samples.add(ms);
    rcodes[reply.rcode] = (rcodes[reply.rcode] ?? 0) + 1;
    if (worst.length < WORST || ms > worst[worst.length - 1]!.ms) {
      worst.push({ atMs: Math.round(sentAt[seq]! - measuredFrom), ms });
      worst.sort((a, b) => b.ms - a.ms);
      worst = worst.slice(0, WORST);
    }
  });

  let seq = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - start) * rate) / 1000));
      while (seq < due) {
        const id = seq & 0xffff;
        // The ID comes round again after 65,536 queries; one still unanswered is lost.
        if (inFlight[id]! >= warmCount) lost++;
        const packet = packets[seq % packets.length]!;
        packet.writeUInt16BE(id, 0);
        const sendNow = performance.now();
        if (seq >= warmCount) {
          senderLagMaxMs = Math.max(senderLagMaxMs, sendNow - (start + (seq * 1000) / rate));
        }
        sentAt[seq] = sendNow;
        inFlight[id] = seq;
        socket.send(packet);
        seq++;
      }
      if (seq >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await new Promise((r) => setTimeout(r, timeoutMs));
  for (const s of inFlight) if (s >= warmCount) lost++;
  socket.close();

  const report: LoadReport = {
    sent: seq - warmCount,
    answered,
    lost,
    strays,
    rcodes,
    p50Ms: samples.percentile(50),
    p99Ms: samples.percentile(99),
    p999Ms: samples.percentile(99.9),
    maxMs: samples.max(),
    worst,
    senderLagMaxMs,
    startedAtMs,
    durationS,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    process.stderr.write(`udp-load: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
