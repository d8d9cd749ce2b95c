// What the load worker holds at each step of one load, on the V8 heap (used after a full
// collection) and outside it (array buffers): the state read task by task, the records (packed
// as generated, as the load worker makes them; with --js-maps as JS maps plus the enumeration,
// then packed, as it did before records/packing-builder.ts), the packed set (its enumeration
// compact: records/enumeration.ts). For finding the peak of a reload. Each step's time includes
// its GC pauses, also shown alone.
// --loads N generates N - 1 times first, each followed by releaseHeap() as in the load worker
// (its steady state: packing-builder.ts sizes its tables from the load before). --save-body
// FILE writes the state body and exits; --body FILE reads it, so the peak RSS printed last is
// the load's, not the simulator's.
//   node --expose-gc --single-threaded bench/load-memory.ts [--tasks 200000] [--js-maps]
//     [--loads 2] [--body FILE | --save-body FILE]
import { readFileSync, writeFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { buildCluster } from '../sim/cluster.ts';
import { SimMaster } from '../sim/master.ts';
import { releaseHeap } from '../src/heap.ts';
import { readState } from '../src/mesos/state-split.ts';
import { generate } from '../src/records/generate.ts';
import { withIndexedEnumeration } from '../src/records/enumeration.ts';
import { packRecordSet } from '../src/records/packed-map.ts';
import type { Enumeration, RecordSet } from '../src/records/recordset.ts';
import type { LazyMesosState } from '../src/state/types.ts';
import { benchGenerateOptions } from './generate-options.ts';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '200000' },
    'js-maps': { type: 'boolean', default: false },
    loads: { type: 'string', default: '1' },
    body: { type: 'string' },
    'save-body': { type: 'string' },
  },
});
const tasks = Number(values.tasks);
const MB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

// GC pauses of the step being timed (the forced collections of `sample` are not counted).
let gcMs = 0;
let counting = false;
new PerformanceObserver((list) => {
  if (counting) for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });

function start(): number {
  gcMs = 0;
  counting = true;
  return performance.now();
}

/**
 * Heap used, array buffers (shared or not) and external memory after a full collection. Node
 * counts an ArrayBuffer in both `arrayBuffers` and `external`, a SharedArrayBuffer (the packed
 * maps) in `arrayBuffers` only: the two columns are not to be added.
 */
async function sample(label: string, t0: number): Promise<void> {
  const t = performance.now() - t0;
  // GC entries are delivered asynchronously: wait for the step's, and for those of the forced
  // collections below before the next step starts counting.
  const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));
  await settle();
  counting = false;
  const stepGc = gcMs;
  gc!();
  gc!();
  await settle();
  const m = process.memoryUsage();
  console.log(
    `${label.padEnd(34)} heap ${(m.heapUsed / MB).toFixed(0).padStart(5)} MB  buffers ${(m.arrayBuffers / MB).toFixed(0).padStart(5)} MB  external ${(m.external / MB).toFixed(0).padStart(5)} MB  rss ${(m.rss / MB).toFixed(0).padStart(5)} MB  ${t.toFixed(0)} ms (gc ${stepGc.toFixed(0)} ms)`,
  );
}

/** The body of a /master/state at `tasks` tasks, shaped as bench/scale.ts's (20 per agent). */
async function stateBody(): Promise<Buffer> {
  const cluster = buildCluster({
    apps: Math.ceil(tasks / 4),
    instancesPerApp: 4,
    agents: Math.max(1, Math.round(tasks / 20)),
  });
  const master = await SimMaster.start({ cluster });
  try {
    return Buffer.from(JSON.stringify(master.state()));
  } finally {
    await master.close();
  }
}

// Held through properties so each step can be dropped before the next measurement.
const hold: { body?: Buffer; state?: LazyMesosState; set?: RecordSet; packed?: RecordSet } = {};
hold.body = values.body === undefined ? await stateBody() : readFileSync(values.body);
if (values['save-body'] !== undefined) {
  writeFileSync(values['save-body'], hold.body);
  process.exit(0);
}
console.log(
  `body ${(hold.body.length / MB).toFixed(1)} MB, ${tasks} tasks, ${values['js-maps'] ? 'JS maps then packRecordSet' : 'generated packed'}`,
);
await sample('start', start());
for (let i = 1; i < Number(values.loads); i++) {
  const t = start();
  warmLoad(hold.body);
  await sample(`load ${i} (read, generate, pack)`, t);
  // As the load worker does after each load.
  releaseHeap();
}
let t0 = start();
hold.state = readState(hold.body, 'bench');
delete hold.body;
await sample('read (rest + task ranges + body)', t0);
if (values['js-maps']) {
  t0 = start();
  hold.set = generate(hold.state, benchGenerateOptions());
  delete hold.state;
  await sample('generated (maps + enumeration)', t0);
  t0 = start();
  hold.packed = packRecordSet(hold.set);
  await sample('packed (+ maps still held)', t0);
  delete hold.set;
} else {
  t0 = start();
  hold.packed = generate(hold.state, benchGenerateOptions({ pack: true }));
  delete hold.state;
  await sample('generated packed (+ enumeration)', t0);
}
const sizes = (['a', 'aaaa', 'srv', 'ptr'] as const).map((k) => {
  const map = hold.packed![k] as { size: number; buffer?: SharedArrayBuffer };
  return `${k} ${map.size} names ${((map.buffer?.byteLength ?? 0) / MB).toFixed(1)} MB`;
});
console.log(`packed: ${sizes.join(', ')}`);
await sample('packed only (+ enumeration, names)', start());
t0 = start();
indexEnumeration(hold);
await sample('enumeration indexed', t0);
describeEnumeration(hold.packed.enumeration);
hold.packed = { ...hold.packed, enumeration: undefined };
await sample('packed, no enumeration', start());
console.log(`peak rss ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);

/** A load whose set is dropped; in a frame of its own, so no register keeps it alive after. */
function warmLoad(body: Buffer): void {
  const state = readState(body, 'bench');
  if (values['js-maps']) packRecordSet(generate(state, benchGenerateOptions()));
  else generate(state, benchGenerateOptions({ pack: true }));
}

/** The compact enumeration's parts (records/enumeration.ts). */
function describeEnumeration(en: Enumeration | undefined): void {
  if (en === undefined) return;
  const arrays = [en.frameworkTasks, en.textAt, en.taskRecords, en.records];
  const typed = arrays.reduce((n, a) => n + a.byteLength, 0);
  const names = en.names instanceof Uint32Array ? en.names.byteLength : 0;
  console.log(
    `enumeration: ${en.textAt.length >> 1} tasks, ${en.records.length} records; ` +
      `typed arrays ${((typed + names) / MB).toFixed(1)} MB, text ${(en.text.length / MB).toFixed(1)} M chars` +
      (en.names instanceof Uint32Array
        ? ''
        : `, names as ${en.names.length} strings (not indexed)`),
  );
}

/**
 * In a frame of its own: called from the module's frame, the set with the enumeration's names
 * stayed alive (V8 keeps a frame's registers) through the next sample.
 */
function indexEnumeration(h: { packed?: RecordSet }): void {
  h.packed = withIndexedEnumeration(h.packed!);
}
