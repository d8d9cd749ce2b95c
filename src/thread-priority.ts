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

/** The V8 flag the server runs under (see restartSingleThreaded). */
export const SINGLE_THREADED = '--single-threaded';

/**
 * The argument vector that runs this process again under `--single-threaded`, or null when it
 * already runs so. `argv` is process.argv: the script and its arguments follow the Node flags.
 */
export function singleThreadedArgs(
  execPath: string,
  execArgv: readonly string[],
  argv: readonly string[],
): string[] | null {
  if (execArgv.includes(SINGLE_THREADED)) return null;
  return [execPath, SINGLE_THREADED, ...execArgv, ...argv.slice(1)];
}

/**
 * Replaces this process with itself under `node --single-threaded` (process.execve: the same pid,
 * so Docker, systemd and Marathon see one process and signal it as before); returns only when it
 * runs so already or where execve does not exist (null), or when execve fails (the error). Why: V8
 * compiles hot functions and runs parts of every collection on its platform threads, which
 * lowerBackgroundThreads puts at nice 19, and a collection on the serving thread waits for a
 * running compile job to stop. On a busy node a nice-19 thread gets ~1.5 % of a core: with 4
 * nice-0 busy loops beside a 10k-task server at 5,000 A/s, GC pauses reached 0.6-2.7 s and 25-94 %
 * of queries were lost; under `--single-threaded` the longest pause was 9-13 ms and none were lost
 * (bench/results.md, section gc-priority). Set at run time (v8.setFlagsFromString) the flags do
 * not reach the compiler, so only the command line works. The load and stream workers then collect
 * their own heaps on their own (nice 19) threads.
 */
export function restartSingleThreaded(): Error | null {
  const args = singleThreadedArgs(process.execPath, process.execArgv, process.argv);
  if (args === null || typeof process.execve !== 'function') return null;
  try {
    process.execve(process.execPath, args, process.env);
  } catch (err) {
    // A sandbox that forbids execve (a seccomp filter, say): serve anyway, without the flag.
    return err instanceof Error ? err : new Error(String(err));
  }
  return null;
}
