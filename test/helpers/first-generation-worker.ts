// Runs in a fresh thread (test/records/packing-builder.test.ts): generate() with `pack` on each
// state in `workerData`, in order, against packRecordSet(generate()) of the same state. The
// first one is the thread's first packed generation, whose tables the listed tasks size
// (packing-builder.ts, PER_TASK); the ones after start at what the one before held. Posts, per
// state, the names of the maps that differ (empty: the same bytes, the same record counts).
import { parentPort, workerData } from 'node:worker_threads';
import { generate } from '../../src/records/generate.ts';
import { isPacked, packRecordSet } from '../../src/records/packed-map.ts';
import type { MesosState } from '../../src/state/types.ts';
import { simOptions } from './generate-options.ts';

const MAPS = ['a', 'aaaa', 'srv', 'ptr'] as const;
const states = workerData as MesosState[];
const differ: string[][] = [];
for (const state of states) {
  const packed = generate(structuredClone(state), { ...simOptions(), pack: true });
  const expected = packRecordSet(generate(structuredClone(state), simOptions()));
  const out: string[] = [];
  for (const kind of MAPS) {
    const got = packed[kind];
    const want = expected[kind];
    const same =
      isPacked(got) && isPacked(want)
        ? Buffer.from(new Uint8Array(got.buffer)).equals(Buffer.from(new Uint8Array(want.buffer)))
        : isPacked(got) === isPacked(want);
    if (!same) out.push(kind);
  }
  if (JSON.stringify(packed.recordCounts) !== JSON.stringify(expected.recordCounts)) {
    out.push('recordCounts');
  }
  differ.push(out);
}
parentPort?.postMessage(differ);
