// Loaded into the server under test by bench/scale.ts with `node --import bench/scale-probe.ts`;
// worker threads inherit the flag, so it runs once in every thread (main, load worker, DNS
// threads) and reports each isolate's memory, which /proc cannot split by thread.
// Nothing here changes the server: it only records GC pauses (perf_hooks 'gc' entries) and, when
// the benchmark writes a label into $SCALE_PROBE_DIR/request, writes one JSON snapshot per thread
// to $SCALE_PROBE_DIR/<label>.<threadId>.json (after a full collection when --expose-gc is on).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { isMainThread, threadId, workerData } from 'node:worker_threads';

export interface GcPause {
  /** Date.now() scale: performance.timeOrigin + startTime. */
  readonly at: number;
  readonly ms: number;
  /** perf_hooks detail.kind: 1 minor (scavenge), 2 major, 4 incremental, 8 weak callbacks. */
  readonly kind: number;
}

export interface ThreadSnapshot {
  readonly label: string;
  readonly threadId: number;
  readonly role: string;
  readonly at: number;
  readonly rssBytes: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly mallocedMemory: number;
  /** Whether a full collection ran just before (the heap figures are then live data). */
  readonly collected: boolean;
  /** Every GC pause this thread saw since it started (bounded to the last MAX_PAUSES). */
  readonly gc: readonly GcPause[];
}

const MAX_PAUSES = 50_000;
const dir = process.env['SCALE_PROBE_DIR'];

function role(): string {
  if (isMainThread) return 'main';
  // DNS threads get a workerData object (dns/workers/pool.ts); the load and stream workers none.
  return workerData === undefined || workerData === null ? 'load worker' : 'dns thread';
}

if (dir !== undefined) {
  const pauses: GcPause[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const detail = (e as PerformanceEntry & { detail?: { kind?: number } }).detail;
      pauses.push({
        at: performance.timeOrigin + e.startTime,
        ms: e.duration,
        kind: detail?.kind ?? 0,
      });
    }
    if (pauses.length > MAX_PAUSES) pauses.splice(0, pauses.length - MAX_PAUSES);
  });
  observer.observe({ entryTypes: ['gc'] });

  const requestFile = join(dir, 'request');
  let seen = '';
  const poll = (): void => {
    if (!existsSync(requestFile)) return;
    let label: string;
    try {
      label = readFileSync(requestFile, 'utf8').trim();
    } catch {
      return;
    }
    if (label === '' || label === seen) return;
    seen = label;
    // Exposed only when the benchmark passes --expose-gc: then heapUsed is what is live.
    const collect = (globalThis as { gc?: () => void }).gc;
    collect?.();
    const mem = process.memoryUsage();
    const snapshot: ThreadSnapshot = {
      label,
      threadId,
      role: role(),
      at: Date.now(),
      rssBytes: mem.rss,
      heapUsed: mem.heapUsed,
      heapTotal: mem.heapTotal,
      external: mem.external,
      arrayBuffers: mem.arrayBuffers,
      mallocedMemory: getHeapStatistics().malloced_memory,
      collected: collect !== undefined,
      gc: pauses,
    };
    writeFileSync(join(dir, `${label}.${threadId}.json`), JSON.stringify(snapshot));
  };
  setInterval(poll, 200).unref();
}
