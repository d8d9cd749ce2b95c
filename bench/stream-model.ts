// The stream worker's model on its own: a simulated master of N tasks in a child process, one
// StreamFollower in this thread subscribing to it, and the time and heap of building the
// SUBSCRIBED snapshot's model (heap used after a full collection, less the heap before), the
// CPU time this process spent until the model was built (the sim's own time excluded) and the
// process's peak RSS.
//   node --expose-gc bench/stream-model.ts [--tasks 50000] [--snapshot file.heapsnapshot]
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { writeHeapSnapshot } from 'node:v8';
import { readFileSync } from 'node:fs';
import { buildConfig } from '../src/config/load.ts';
import { streamParamsFromConfig } from '../src/mesos/streamer.ts';
import { StateClient } from '../src/mesos/state-client.ts';
import { StreamFollower, type Batch } from '../src/mesos/stream-follower.ts';

/** VmHWM of this process, MB. */
function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m === null ? 0 : Math.round(Number(m[1]) / 1024);
}

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '50000' },
    snapshot: { type: 'string' },
  },
});
const tasks = Number(values.tasks);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

const sim = spawn(
  process.execPath,
  [
    'sim/serve.ts',
    '--tasks',
    String(tasks),
    '--instances',
    '4',
    '--agents',
    String(Math.max(1, Math.round(tasks / 20))),
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const line = await new Promise<string>((resolve) => {
  createInterface({ input: sim.stdout }).once('line', resolve);
});
const { address } = JSON.parse(line) as { address: string };

const config = buildConfig({
  masters: [address],
  port: 0,
  httpport: 0,
  listener: '127.0.0.1',
  externalon: false,
  stateSource: 'subscribe',
  stateMaxBytes: 1024 * 1024 * 1024,
}).config;
const params = { ...streamParamsFromConfig(config, ['127.0.0.1']), candidates: [address] };
const client = new StateClient(params.client);
gc();
const baseline = process.memoryUsage().heapUsed;
const started = performance.now();
const cpuStart = process.cpuUsage();
let builtCpu = 0;
let builtAt = 0;
const first = new Promise<Batch>((resolve) => {
  const follower = new StreamFollower(params, client, {
    batch: (b) => resolve(b),
    report: () => undefined,
    snapshotBuilt: () => {
      builtAt = performance.now();
      const cpu = process.cpuUsage(cpuStart);
      builtCpu = (cpu.user + cpu.system) / 1e6;
    },
  });
  follower.start();
  process.once('beforeExit', () => void follower.stop());
  (globalThis as { follower?: unknown }).follower = follower;
});
const batch = await first;
const doneAt = performance.now();
const names = batch.set.a.size + batch.set.aaaa.size + batch.set.srv.size + batch.set.ptr.size;
gc();
gc();
const used = process.memoryUsage().heapUsed - baseline;
const out = {
  tasks,
  names,
  builtS: +((builtAt - started) / 1000).toFixed(2),
  firstBatchS: +((doneAt - started) / 1000).toFixed(2),
  builtCpuS: +builtCpu.toFixed(2),
  modelMB: +(used / 1e6).toFixed(1),
  // The packed records (records/packed-map.ts) the model keeps, outside the JS heap.
  arrayBuffersMB: +(process.memoryUsage().arrayBuffers / 1e6).toFixed(1),
  bytesPerTask: Math.round(used / tasks),
  rssMB: Math.round(process.memoryUsage().rss / 1e6),
  peakRssMB: peakRssMb(),
};
process.stdout.write(`${JSON.stringify(out)}\n`);
if (values.snapshot !== undefined) writeHeapSnapshot(values.snapshot);
sim.kill();
process.exit(0);
