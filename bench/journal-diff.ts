// The IXFR journal's work when a full record set replaces another (transferAllow set, ptron on):
// the differences of the cluster zone and of both reverse zones, as the main thread computes them
// inside the store's swap (dns/transfer/primary.ts: store.onSwap → journal.advance), which with
// `workers: 1` is the thread answering DNS. Time and allocation per swap, for three cases at each
// size: the same records packed again (a load worker restarted, a stream resubscribed), a fifth
// of the tasks replaced (past the 15 % a delta may carry), and that replacement arriving over a
// set in service that is an overlay (deltas laid over the last full set, the usual state).
// With --baseline, another zone-records.ts (e.g. main's) is timed beside this one, alternately,
// and its records checked to be the same.
//   node --expose-gc bench/journal-diff.ts [--sizes 10000,50000,200000] [--repeats 3]
//     [--baseline /work/main/src/dns/transfer/zone-records.ts]
import { loadavg } from 'node:os';
import { GCProfiler } from 'node:v8';
import { parseArgs } from 'node:util';
import type { ZoneDiff, ZoneRecord } from '../src/dns/transfer/zone-records.ts';
import { clusterContent, reverseContent } from '../src/dns/transfer/zone-records.ts';
import { REVERSE_APEXES } from '../src/dns/authority.ts';
import { generate } from '../src/records/generate.ts';
import { overlay } from '../src/records/overlay-map.ts';
import { packRecordSet } from '../src/records/packed-map.ts';
import type { RecordSet } from '../src/records/recordset.ts';
import type { MesosState } from '../src/state/types.ts';
import { benchGenerateOptions } from './generate-options.ts';
import { stateJson } from './generate.ts';
import { writeSection } from './results-file.ts';
import { markdownTable } from './table.ts';

type Diff = (before: RecordSet, after: RecordSet) => ZoneDiff;

/** Said under the table: where this work runs, and so whom it stalls. */
const WHERE =
  "Where it runs: `store.swap` calls `Primary`'s swap listener (dns/transfer/primary.ts), which " +
  'calls `ZoneJournal.advance` and these diffs, synchronously on the main thread. With ' +
  '`workers: 1` (the default) that is the thread answering DNS: its answers wait this long. ' +
  'With `workers > 1` the DNS threads answer meanwhile but get the new set, and secondaries ' +
  'their NOTIFY, only after it. Records changed = deletions + additions, checked equal for ' +
  'every code.';

interface Impl {
  readonly label: string;
  /** The three zones' diffs, as the journal computes them on each swap. */
  readonly diffs: readonly Diff[];
}

async function implFrom(label: string, module: string): Promise<Impl> {
  const m = (await import(module)) as typeof import('../src/dns/transfer/zone-records.ts');
  return {
    label,
    diffs: [
      (b, a) => m.clusterContent.diff(b, a),
      ...REVERSE_APEXES.map((apex) => {
        const content = m.reverseContent(apex);
        return (b: RecordSet, a: RecordSet) => content.diff(b, a);
      }),
    ],
  };
}

const here: Impl = {
  label: '',
  diffs: [
    (b, a) => clusterContent.diff(b, a),
    ...REVERSE_APEXES.map((apex) => {
      const content = reverseContent(apex);
      return (b: RecordSet, a: RecordSet) => content.diff(b, a);
    }),
  ],
};

function records(state: MesosState): RecordSet {
  return packRecordSet(generate(state, benchGenerateOptions({ ptr: true })));
}

/** `state` with every fifth task under a new id: its task-id names go, new ones come. */
function replaceFifth(state: MesosState): MesosState {
  let i = 0;
  return {
    ...state,
    frameworks: state.frameworks!.map((f) => ({
      ...f,
      tasks: (f.tasks ?? []).map((t) => (i++ % 5 === 0 ? { ...t, id: `${t.id}-again` } : t)),
    })),
  };
}

/** `set` with `n` names of its A map changed, as an overlay (what deltas build). */
function overlaid(set: RecordSet, n: number): RecordSet {
  const changes: [string, string[]][] = [];
  for (const name of set.a.keys()) {
    if (changes.length >= n) break;
    changes.push([name, ['10.255.0.1']]);
  }
  return { ...set, a: overlay(set.a, changes, []) };
}

interface Measured {
  readonly ms: number;
  readonly allocatedMb: number;
  readonly gcMs: number;
  readonly diff: ZoneDiff[];
}

function measure(impl: Impl, before: RecordSet, after: RecordSet): Measured {
  (globalThis as { gc?: () => void }).gc?.();
  const profiler = new GCProfiler();
  const heapBefore = process.memoryUsage().heapUsed;
  profiler.start();
  const t0 = performance.now();
  const diff = impl.diffs.map((d) => d(before, after));
  const ms = performance.now() - t0;
  const heapAfter = process.memoryUsage().heapUsed;
  const profile = profiler.stop();
  // Allocated ≈ what each collection freed during the run plus what is still held at the end.
  let freed = 0;
  let gcUs = 0;
  for (const s of profile?.statistics ?? []) {
    freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
    gcUs += s.cost;
  }
  return { ms, allocatedMb: (freed + heapAfter - heapBefore) / 2 ** 20, gcMs: gcUs / 1000, diff };
}

function show(r: ZoneRecord): string {
  const v = 'ip' in r ? r.ip : 'target' in r ? r.target : JSON.stringify(r.srv);
  return `${r.name} ${r.type} ${v}`;
}

function sameRecords(x: ZoneDiff[], y: ZoneDiff[]): boolean {
  const flat = (ds: ZoneDiff[], k: 'deleted' | 'added') =>
    JSON.stringify(ds.flatMap((d) => d[k].map(show)).sort());
  return flat(x, 'deleted') === flat(y, 'deleted') && flat(x, 'added') === flat(y, 'added');
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '10000,50000,200000' },
      repeats: { type: 'string', default: '3' },
      baseline: { type: 'string' },
      'baseline-label': { type: 'string', default: 'baseline' },
      label: { type: 'string', default: 'this tree' },
    },
  });
  const loadAtStart = loadavg()[0]!;
  const sizes = values.sizes.split(',').map(Number);
  const repeats = Number(values.repeats);
  const impls = [{ ...here, label: values.label }];
  if (values.baseline !== undefined) {
    impls.unshift(await implFrom(values['baseline-label'], values.baseline));
  }
  const rows: string[][] = [];
  for (const tasks of sizes) {
    const state = JSON.parse(await stateJson(tasks)) as MesosState;
    const a = records(state);
    const cases: [string, RecordSet, RecordSet][] = [
      ['same records', a, records(state)],
      ['1/5 of tasks replaced', a, records(replaceFifth(state))],
    ];
    cases.push(['1/5 replaced, over an overlay', overlaid(a, 100), cases[1]![2]]);
    const names = a.a.size + a.aaaa.size + a.srv.size + a.ptr.size;
    for (const [what, before, after] of cases) {
      const runs = new Map<string, Measured[]>(impls.map((i) => [i.label, []]));
      for (let r = 0; r < repeats; r++) {
        for (const impl of impls) runs.get(impl.label)!.push(measure(impl, before, after));
      }
      const first = runs.get(impls[0]!.label)![0]!.diff;
      for (const impl of impls) {
        const ms = runs.get(impl.label)!;
        if (!sameRecords(first, ms[0]!.diff)) throw new Error(`${impl.label}: other records`);
        const changed = ms[0]!.diff.reduce((n, d) => n + d.deleted.length + d.added.length, 0);
        rows.push([
          String(tasks),
          String(names),
          what,
          String(changed),
          impl.label,
          median(ms.map((m) => m.ms)).toFixed(0),
          median(ms.map((m) => m.allocatedMb)).toFixed(0),
          median(ms.map((m) => m.gcMs)).toFixed(0),
        ]);
        process.stdout.write(`${rows.at(-1)!.join(' | ')}\n`);
      }
    }
  }
  const table = markdownTable(
    ['tasks', 'names', 'new set', 'records changed', 'code', 'ms', 'MB allocated', 'GC ms'],
    rows,
  );
  writeSection(
    'journal-diff',
    [
      '## IXFR journal: a full record set replacing another',
      '',
      `\`node --expose-gc bench/journal-diff.ts\`, ${new Date().toISOString().slice(0, 16)} UTC, 1-min load average ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end. Median of ${repeats} runs, the codes alternating; per swap, the three zones' diffs (cluster, in-addr.arpa., ip6.arpa.) as the main thread computes them.`,
      '',
      table,
      '',
      WHERE,
    ].join('\n'),
  );
}

await main();
