// Giving a worker's free heap back to the system after a large transient. V8 keeps the pages a
// heap grew to (and a young generation grown under a burst of allocation) long after the objects
// on them died: the stream worker that parsed a 50,000-task SUBSCRIBED snapshot (a string and an
// object tree several times the model it keeps) held a heap three times its live size. A
// last-resort collection compacts the old generation, shrinks the young one and releases the
// empty pages. It stops the calling thread (~0.1 s per 100 MB of live heap), so only a thread
// that does not answer queries calls it, once per such transient.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Collect = (options: {
  readonly type: 'major';
  readonly execution: 'sync';
  readonly flavor: 'last-resort';
}) => void;

let collect: Collect | null | undefined;

function collector(): Collect | null {
  if (collect !== undefined) return collect;
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === 'function') return (collect = exposed as Collect);
  try {
    // `gc` is given to contexts made while the flag is on; it is on only for that moment.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    collect = typeof gc === 'function' ? (gc as Collect) : null;
  } catch {
    collect = null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  return collect;
}

/** Collects garbage and returns free heap to the system; false where V8 does not allow it. */
export function releaseHeap(): boolean {
  const gc = collector();
  if (gc === null) return false;
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  return true;
}
