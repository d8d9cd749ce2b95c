// Background threads at the lowest CPU priority. The threads a process has before it serves
// anything (V8's platform workers, which run garbage collection for every isolate, including
// the state-load worker's large heap) would otherwise time-slice with the thread answering DNS
// whenever a core is busy. Linux nice values are per thread; elsewhere this does nothing.
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

/** Renices every thread of this process except the calling (main) one; returns how many. */
export function lowerBackgroundThreads(nice = 19): number {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return 0;
  }
  let changed = 0;
  for (const tid of tids) {
    const id = Number(tid);
    if (!Number.isInteger(id) || id === process.pid) continue;
    try {
      setPriority(id, nice);
      changed++;
    } catch {
      // A thread that just exited, or no permission: leave it.
    }
  }
  return changed;
}
