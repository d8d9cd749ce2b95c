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

/**
 * Lowers the calling thread to `nice` (on Linux a nice value belongs to one thread; elsewhere this
 * may lower the whole process, or nothing). The load and stream workers call it once the set they
 * built is in service: from then on their work is background work next to the thread answering
 * DNS, and on a busy core the scheduler runs that thread the moment a query arrives instead of
 * time-slicing it with seconds of parsing. Before the first set is in service there is nothing to
 * answer but forwarded queries, and a worker at nice 19 only loses the CPU to every other process
 * on the node (at 200,000 tasks the first answer waits for seconds of its work), so workers start
 * at the priority of the thread that made them. An unprivileged thread can lower its priority
 * but never raise it again: this is one way. Failure (no permission) is harmless: false.
 */
export function lowerThisThread(nice = 19): boolean {
  try {
    setPriority(nice);
    return true;
  } catch {
    return false;
  }
}

/**
 * The V8 flags the server runs under (see restartWithServerFlags):
 * - `--single-threaded`: every isolate compiles and collects on its own thread (why: below).
 * - `--liftoff-only`: WebAssembly stays on V8's baseline compiler. The only WebAssembly is
 *   undici's HTTP parser (llhttp) in the load worker, and its hot function was recompiled by
 *   TurboFan on a V8 platform thread even under `--single-threaded`; that compile grew the
 *   thread's malloc arena by 16 MB, which glibc kept after the compile freed it (a third of the
 *   process's anonymous memory at 10,000 tasks besides the two heaps; bench/results.md,
 *   small-rss). The parser then reads only headers and chunk sizes, which Liftoff's code does as
 *   fast as a state body arrives.
 */
export const SERVER_V8_FLAGS: readonly string[] = ['--single-threaded', '--liftoff-only'];

/** A V8 flag as V8 reads it: "--liftoff_only" and "--liftoff-only" are one flag. */
function flagName(arg: string): string {
  const eq = arg.indexOf('=');
  return (eq < 0 ? arg : arg.slice(0, eq)).replace(/^--?/, '').replaceAll('_', '-');
}

/**
 * The argument vector that runs this process again with the SERVER_V8_FLAGS it lacks, or null when
 * it has them all. A flag counts as there when set either way: a `--no-liftoff-only` given on the
 * command line is the operator's choice and stays. `argv` is process.argv: the script and its
 * arguments follow the Node flags.
 */
export function serverFlagArgs(
  execPath: string,
  execArgv: readonly string[],
  argv: readonly string[],
): string[] | null {
  const given = new Set(
    execArgv.filter((a) => a.startsWith('-')).map((a) => flagName(a).replace(/^no-?/, '')),
  );
  const missing = SERVER_V8_FLAGS.filter((flag) => !given.has(flagName(flag)));
  if (missing.length === 0) return null;
  return [execPath, ...missing, ...execArgv, ...argv.slice(1)];
}

/**
 * Replaces this process with itself under `node --single-threaded --liftoff-only`
 * (process.execve: the same pid, so Docker, systemd and Marathon see one process and signal it as
 * before); returns only when it runs so already or where execve does not exist (null), or when
 * execve fails (the error). Why --single-threaded: V8
 * compiles hot functions and runs parts of every collection on its platform threads, which
 * lowerBackgroundThreads puts at nice 19, and a collection on the serving thread waits for a
 * running compile job to stop. On a busy node a nice-19 thread gets ~1.5 % of a core: with 4
 * nice-0 busy loops beside a 10k-task server at 5,000 A/s, GC pauses reached 0.6-2.7 s and 25-94 %
 * of queries were lost; under `--single-threaded` the longest pause was 9-13 ms and none were lost
 * (bench/results.md, section gc-priority). Set at run time (v8.setFlagsFromString) the flags do
 * not reach the compiler, so only the command line works. The load and stream workers then collect
 * their own heaps on their own (nice 19) threads. Why --liftoff-only: SERVER_V8_FLAGS.
 */
export function restartWithServerFlags(): Error | null {
  const args = serverFlagArgs(process.execPath, process.execArgv, process.argv);
  if (args === null || typeof process.execve !== 'function') return null;
  try {
    process.execve(process.execPath, args, process.env);
  } catch (err) {
    // A sandbox that forbids execve (a seccomp filter, say): serve anyway, without the flags.
    return err instanceof Error ? err : new Error(String(err));
  }
  return null;
}
