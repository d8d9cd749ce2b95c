// Focused harness for the prepared-answer cache (#15 tail): what one cached answer costs on the
// serving thread's heap, and what the scavenges cost while new names fill the cache.
//   node --expose-gc bench/answer-cache.ts [--names 100000] [--kind a|srv] [--rate 5000]
// In-process, no sockets: a QueryHandler over a synthetic set, queries encoded up front. Heap
// per entry = heap used after a full collection, after minus before asking every name once.
// The pause run asks each name once, paced at --rate/s in 1 ms ticks, and records every GC
// pause (perf_hooks) and the lateness of each query against its schedule (GC included).
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { QueryHandler } from '../src/dns/handler.ts';
import { nullObserver } from '../src/dns/observer.ts';
import { silentLogger } from '../src/log.ts';
import { encodeQuery, makeSet, srv, storeWith, testConfig } from '../test/dns/fixtures.ts';

const { values } = parseArgs({
  options: {
    names: { type: 'string', default: '100000' },
    kind: { type: 'string', default: 'a' },
    rate: { type: 'string', default: '5000' },
    mode: { type: 'string', default: 'both' },
    mb: { type: 'string', default: '64' },
  },
});
const N = Number(values.names);
const kind = values.kind;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

const a: Record<string, string[]> = {};
const srvs: Record<string, ReturnType<typeof srv>[]> = {};
const queries: Buffer[] = [];
for (let i = 0; i < N; i++) {
  const name = `task-${i}-abcdef.app${i % 997}.marathon.mesos.`;
  a[name] = [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`];
  if (kind === 'srv') {
    const list = [];
    for (let t = 0; t < 10; t++) list.push(srv(`app${i}-${t}.marathon.slave.mesos.`, 31000 + t));
    srvs[`_app${i}._tcp.marathon.mesos.`] = list;
    for (let t = 0; t < 10; t++) a[`app${i}-${t}.marathon.slave.mesos.`] = [`10.1.${t}.${i & 255}`];
    queries.push(encodeQuery(`_app${i}._tcp.marathon.mesos`, { type: 33 }));
  } else {
    queries.push(encodeQuery(name));
  }
}
const store = storeWith(makeSet({ a, srv: srvs }));
const handler = new QueryHandler({
  config: testConfig({ answerCacheMB: Number(values.mb) }),
  store,
  forwarder: null,
  observer: nullObserver,
  logger: silentLogger(),
});

function heapPerEntry(): void {
  gc!();
  gc!();
  const before = process.memoryUsage();
  for (const q of queries) handler.handle(q, 'udp');
  gc!();
  gc!();
  const after = process.memoryUsage();
  const per = (k: 'heapUsed' | 'external' | 'arrayBuffers'): string =>
    ((after[k] - before[k]) / handler.preparedAnswers).toFixed(0);
  console.log(
    `per entry (${kind}, ${N} names, ${handler.preparedAnswers} held, bytes counted by the cache per held answer ${(handler.preparedBytes / handler.preparedAnswers).toFixed(0)} B): heap ${per('heapUsed')} B, external ${per('external')} B, arrayBuffers ${per('arrayBuffers')} B`,
  );
}

async function pauses(): Promise<void> {
  const rate = Number(values.rate);
  store.swap(makeSet({ a, srv: srvs }), {
    atMs: 0,
    durationMs: 0,
    master: 'm:1',
    tasks: 1,
    records: 1,
  });
  gc!();
  const gcs: number[] = [];
  const kinds = new Map<number, number>();
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcs.push(e.duration);
      const kind = (e as { detail?: { kind?: number } }).detail?.kind ?? 0;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  // Preallocated: a growing array would itself survive scavenges and blur what is measured.
  const late = new Float64Array(queries.length);
  const t0 = performance.now();
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      const due = Math.min(queries.length, Math.floor(((now - t0) * rate) / 1000));
      for (; next < due; next++) {
        handler.handle(queries[next]!, 'udp');
        late[next] = performance.now() - (t0 + (next * 1000) / rate);
      }
      if (next >= queries.length) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  late.sort();
  const q = (p: number): string =>
    late[Math.min(late.length - 1, Math.floor(p * late.length))]!.toFixed(2);
  const total = gcs.reduce((s, v) => s + v, 0);
  console.log(
    `pauses (${kind}, ${N} new names at ${rate}/s): ${gcs.length} GCs, total ${total.toFixed(1)} ms, max ${Math.max(0, ...gcs).toFixed(2)} ms, ≥1 ms ${gcs.filter((v) => v >= 1).length}, kinds ${JSON.stringify([...kinds])}; lateness p50 ${q(0.5)} p99 ${q(0.99)} p99.9 ${q(0.999)} max ${late[late.length - 1]!.toFixed(2)} ms`,
  );
}

if (values.mode !== 'pauses') heapPerEntry();
if (values.mode !== 'heap') await pauses();
handler.close();
