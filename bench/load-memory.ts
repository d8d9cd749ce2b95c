// What the load worker holds at each step of one load, on the V8 heap (used after a full
// collection) and outside it (array buffers): the state read task by task, the records as JS
// maps plus the enumeration, the packed set (its enumeration compact: records/enumeration.ts).
// For finding the peak of a reload.
//   node --expose-gc --single-threaded bench/load-memory.ts [--tasks 200000]
import { parseArgs } from 'node:util';
import { buildCluster } from '../sim/cluster.ts';
import { SimMaster } from '../sim/master.ts';
import { readState } from '../src/mesos/state-split.ts';
import { generate } from '../src/records/generate.ts';
import { withIndexedEnumeration } from '../src/records/enumeration.ts';
import { packRecordSet } from '../src/records/packed-map.ts';
import type { Enumeration, RecordSet } from '../src/records/recordset.ts';
import type { LazyMesosState } from '../src/state/types.ts';
import { benchGenerateOptions } from './generate-options.ts';

const { values } = parseArgs({ options: { tasks: { type: 'string', default: '200000' } } });
const tasks = Number(values.tasks);
const MB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

/**
 * Heap used, array buffers (shared or not) and external memory after a full collection. Node
 * counts an ArrayBuffer in both `arrayBuffers` and `external`, a SharedArrayBuffer (the packed
 * maps) in `arrayBuffers` only: the two columns are not to be added.
 */
function sample(label: string, t0: number): void {
  const t = performance.now() - t0;
  gc!();
  gc!();
  const m = process.memoryUsage();
  console.log(
    `${label.padEnd(34)} heap ${(m.heapUsed / MB).toFixed(0).padStart(5)} MB  buffers ${(m.arrayBuffers / MB).toFixed(0).padStart(5)} MB  external ${(m.external / MB).toFixed(0).padStart(5)} MB  rss ${(m.rss / MB).toFixed(0).padStart(5)} MB  ${t.toFixed(0)} ms`,
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
hold.body = await stateBody();
console.log(`body ${(hold.body.length / MB).toFixed(1)} MB, ${tasks} tasks`);
sample('start', performance.now());
let t0 = performance.now();
hold.state = readState(hold.body, 'bench');
delete hold.body;
sample('read (rest + task ranges + body)', t0);
t0 = performance.now();
hold.set = generate(hold.state, benchGenerateOptions());
delete hold.state;
sample('generated (maps + enumeration)', t0);
t0 = performance.now();
hold.packed = packRecordSet(hold.set);
sample('packed (+ maps still held)', t0);
const sizes = (['a', 'aaaa', 'srv', 'ptr'] as const).map((k) => {
  const map = hold.packed![k] as { size: number; buffer?: SharedArrayBuffer };
  return `${k} ${map.size} names ${((map.buffer?.byteLength ?? 0) / MB).toFixed(1)} MB`;
});
console.log(`packed: ${sizes.join(', ')}`);
delete hold.set;
sample('packed only (+ enumeration, names)', performance.now());
t0 = performance.now();
indexEnumeration(hold);
sample('enumeration indexed', t0);
describeEnumeration(hold.packed.enumeration);
hold.packed = { ...hold.packed, enumeration: undefined };
sample('packed, no enumeration', performance.now());

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
