// The IXFR journal's work when a record set replaces another (transferAllow set, ptron on):
// the differences of the cluster zone and of both reverse zones, as the main thread computes them
// inside the store's swap (dns/transfer/primary.ts: store.onSwap → journal.advance), which with
// `workers: 1` is the thread answering DNS. Time and allocation per swap, at each size:
// - 100 tasks replaced, the usual reload, over a set in service that has taken a tenth of the
//   tasks replaced as deltas since the last full set (an overlay late in its life): as a delta
//   laid over it, and as the whole set that goes once that overlay has grown past 15 %, with the
//   names that changed (transfer/channel.ts `since`);
// - the same records packed again (a load worker restarted, a stream resubscribed), a fifth
//   of the tasks replaced (past the 15 % a delta may carry), and that replacement arriving over a
//   set in service that is an overlay.
// The sets are assembled as the main thread assembles them (RecordSetAssembler). With --baseline,
// another zone-records.ts is timed beside this one, alternately, and its records checked to be
// the same. To compare with another tree (one without this script's cases), run this script
// there with --save FILE, then here with --merge FILE: the section shows both.
//   node --expose-gc bench/journal-diff.ts [--sizes 10000,50000,200000] [--repeats 3]
//     [--baseline /work/main/src/dns/transfer/zone-records.ts] [--save F | --merge F]
import { readFileSync, writeFileSync } from 'node:fs';
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
import {
  deltaChunks,
  recordChunks,
  recordDelta,
  recordSetHeader,
  RecordSetAssembler,
  type RecordChunk,
} from '../src/transfer/record-transfer.ts';
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
  'their NOTIFY, only after it. The names compared come from `mapDelta` ' +
  '(transfer/record-transfer.ts): main compares every name the two overlays hold (a delta) or ' +
  'the packed maps as bytes plus those names (a whole set); this tree, for a set noted as made ' +
  'from the one in service (records/map-steps.ts: a delta laid over it, or a whole set sent with ' +
  'its names), only the names of that step, and otherwise the same as main. The set in service ' +
  'for the 100-task cases has had a tenth of the tasks replaced as deltas since the last full ' +
  'set. Records changed = deletions + additions, checked equal for every code.';

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

/** `state` with the tasks `pick` chooses under a new id: their task-id names go, new ones come. */
function replaceTasks(state: MesosState, pick: (i: number) => boolean, suffix: string): MesosState {
  let i = 0;
  return {
    ...state,
    frameworks: state.frameworks!.map((f) => ({
      ...f,
      tasks: (f.tasks ?? []).map((t) => (pick(i++) ? { ...t, id: `${t.id}-${suffix}` } : t)),
    })),
  };
}

/** `state` with every fifth task under a new id. */
const replaceFifth = (state: MesosState) => replaceTasks(state, (i) => i % 5 === 0, 'again');

/** `after` as the main thread holds it when it came as a delta against `served`. */
function laidOver(served: RecordSet, before: RecordSet, after: RecordSet): RecordSet {
  const assembler = new RecordSetAssembler({ ...recordSetHeader(after), base: 'served' }, served);
  for (const chunk of deltaChunks(recordDelta(before, after))) assembler.add(chunk);
  return assembler.finish();
}

/**
 * `after` (packed) as the main thread holds it when it came whole, with the names it differs in
 * from `before` (the content of `served`), as the load and stream workers send it once the
 * overlay in service has grown past 15 %. Chunks spelled out: a tree without them ignores them.
 */
function wholeSince(served: RecordSet, before: RecordSet, after: RecordSet): RecordSet {
  const header = { ...recordSetHeader(after), since: 'served' };
  const assembler = new RecordSetAssembler(header, served);
  for (const chunk of recordChunks(after)) assembler.add(chunk);
  const delta = recordDelta(before, after);
  for (const map of ['a', 'aaaa', 'srv', 'ptr'] as const) {
    const names = [...delta.changed[map].map(([name]) => name), ...delta.removed[map]];
    assembler.add({ kind: 'names', map, names } as unknown as RecordChunk);
  }
  return assembler.finish();
}

/**
 * A set in service late in its overlay's life (a tenth of the tasks replaced, as deltas, since
 * the last full set `a`), the content it holds, and that content with 100 more tasks replaced.
 */
function lateOverlay(state: MesosState, a: RecordSet): [RecordSet, RecordSet, RecordSet] {
  const tenth = replaceTasks(state, (i) => i % 10 === 5, 'later');
  const later = records(tenth);
  const latest = records(replaceTasks(tenth, (i) => i < 100, 'latest'));
  return [laidOver(a, a, later), later, latest];
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
      save: { type: 'string' },
      merge: { type: 'string' },
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
    const names = a.a.size + a.aaaa.size + a.srv.size + a.ptr.size;
    // Built case by case: at 200k tasks each set is ~130 MB of packed maps.
    const caseMakers: [string, () => [RecordSet, RecordSet]][] = [
      [
        '100 tasks replaced, a delta',
        () => {
          const [served, later, latest] = lateOverlay(state, a);
          return [served, laidOver(served, later, latest)];
        },
      ],
      [
        '100 tasks replaced, whole with its names',
        () => {
          const [served, later, latest] = lateOverlay(state, a);
          return [served, wholeSince(served, later, latest)];
        },
      ],
      ['same records', () => [a, records(state)]],
      ['1/5 of tasks replaced', () => [a, records(replaceFifth(state))]],
      ['1/5 replaced, over an overlay', () => [overlaid(a, 100), records(replaceFifth(state))]],
    ];
    for (const [what, make] of caseMakers) {
      const [before, after] = make();
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
  if (values.save !== undefined) {
    writeFileSync(values.save, JSON.stringify({ load: loadAtStart, rows }));
    return;
  }
  let merged = '';
  if (values.merge !== undefined) {
    const other = JSON.parse(readFileSync(values.merge, 'utf8')) as {
      load: number;
      rows: string[][];
    };
    merged = ` The other code's rows (${[...new Set(other.rows.map((r) => r[4]))].join(', ')}) come from this script run in that tree just before, in the same locked session, 1-min load average ${other.load.toFixed(2)} at its start.`;
    // Each of the other tree's rows before this tree's row for the same size and case.
    const key = (r: string[]) => `${r[0]} ${r[2]}`;
    const mine = rows.splice(0);
    for (const row of mine) {
      for (const o of other.rows) {
        if (key(o) !== key(row) || rows.includes(o)) continue;
        // The same records changed in both trees, or one of them is wrong.
        if (o[3] !== row[3]) throw new Error(`${key(row)}: ${o[3]} records here, ${row[3]} there`);
        rows.push(o);
      }
      rows.push(row);
    }
  }
  const table = markdownTable(
    ['tasks', 'names', 'new set', 'records changed', 'code', 'ms', 'MB allocated', 'GC ms'],
    rows,
  );
  writeSection(
    'journal-diff',
    [
      '## IXFR journal: a record set replacing another',
      '',
      `\`node --expose-gc bench/journal-diff.ts\`, ${new Date().toISOString().slice(0, 16)} UTC, 1-min load average ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end. Median of ${repeats} runs${impls.length > 1 ? ', the codes alternating' : ''}; per swap, the three zones' diffs (cluster, in-addr.arpa., ip6.arpa.) as the main thread computes them.${merged}`,
      '',
      table,
      '',
      WHERE,
    ].join('\n'),
  );
}

await main();
