// Background threads at the lowest CPU priority, V8's own left at the serving thread's. Linux
// nice values are per thread; elsewhere this does nothing.
import { readdirSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { setPriority } from 'node:os';

/** A thread's name (Linux `comm`), or null when it cannot be read. */
function threadName(tid: string): string | null {
  try {
    return readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * Whether a thread is one of V8's platform threads: Node's platform workers keep the process's
 * name (they are not named), and V8's delayed-task scheduler is "DelayedTaskSche(duler)".
 */
function isV8Thread(name: string, processName: string | null): boolean {
  return name === processName || name.startsWith('DelayedTaskSche');
}

/**
 * Renices this process's other threads (libuv's threadpool, which resolves host names and reads
 * files for the loads) except V8's platform threads; returns how many.
 *
 * libuv starts its pool on the first request queued, every thread at once, each at the nice value
 * of the thread that queued it. So the pool is started here first (one stat): the CLI reads its
 * config synchronously, and until 2026-12-03 the pool did not exist yet at this point and came
 * later at the serving thread's priority.
 *
 * V8's threads stay at the serving thread's priority: under `--single-threaded-gc` they collect
 * nothing, they compile hot functions for every isolate, and a collection on the serving thread
 * waits for a running compile job to reach a safepoint. At nice 19 on a busy node that wait
 * reached 560 ms (4 busy loops beside a 10k-task server: 11,564 of 100,000 queries lost); at the
 * serving thread's priority the same run lost none, with p99.9 57 ms against 264 ms under
 * `--single-threaded` (bench/results.md, steady-10k-exp-hogs).
 */
export async function lowerBackgroundThreads(nice = 19): Promise<number> {
  try {
    await stat(process.execPath);
  } catch {
    // Whatever the answer, the request went through the pool, which now runs.
  }
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return 0;
  }
  const processName = threadName(String(process.pid));
  let changed = 0;
  for (const tid of tids) {
    const id = Number(tid);
    if (!Number.isInteger(id) || id === process.pid) continue;
    const name = threadName(tid);
    if (name === null || isV8Thread(name, processName)) continue;
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
 * - `--single-threaded-gc`: every isolate collects its own heap on its own thread (why: below);
 *   compiles still run on V8's platform threads, off the serving thread.
 * - `--liftoff-only`: WebAssembly stays on V8's baseline compiler. The only WebAssembly is
 *   undici's HTTP parser (llhttp) in the load worker, and its hot function was recompiled by
 *   TurboFan on a V8 platform thread; that compile grew the
 *   thread's malloc arena by 16 MB, which glibc kept after the compile freed it (a third of the
 *   process's anonymous memory at 10,000 tasks besides the two heaps; bench/results.md,
 *   small-rss). The parser then reads only headers and chunk sizes, which Liftoff's code does as
 *   fast as a state body arrives.
 */
export const SERVER_V8_FLAGS: readonly string[] = ['--single-threaded-gc', '--liftoff-only'];

/** A V8 flag as V8 reads it: "--liftoff_only" and "--liftoff-only" are one flag. */
function flagName(arg: string): string {
  const eq = arg.indexOf('=');
  return (eq < 0 ? arg : arg.slice(0, eq)).replace(/^--?/, '').replaceAll('_', '-');
}

/** A glibc malloc setting the server runs under: its environment variable and its tunable. */
export interface MallocSetting {
  readonly variable: string;
  readonly tunable: string;
  readonly value: string;
}

/**
 * The glibc malloc settings the server runs under (see restartWithServerFlags):
 * - `MALLOC_ARENA_MAX=2`: at most two malloc arenas. glibc gives each thread that mallocs while
 *   the others hold theirs an arena of its own (up to 8 per core) and rarely shrinks one: the
 *   serving thread, the load or stream worker, V8's platform threads and libuv's pool each kept
 *   the pages their peak needed. 10,000 tasks, 2 rounds alternating with the same build without
 *   it: RSS settled 107 / 109 MB against 114 / 116, after the queries 112 / 113 against 121 / 121,
 *   p99.9 5.9 / 6.3 ms against 21.6 / 6.0 (bench/results.md, malloc-arenas).
 * Harmless where they mean nothing (musl, other systems). glibc ignores them in a process that
 * gained privileges at exec (AT_SECURE): the Docker image's node binary carries the file
 * capability cap_net_bind_service, so there they do nothing (systemd's AmbientCapabilities does
 * not make a process AT_SECURE).
 */
export const SERVER_MALLOC_SETTINGS: readonly MallocSetting[] = [
  { variable: 'MALLOC_ARENA_MAX', tunable: 'glibc.malloc.arena_max', value: '2' },
];

/**
 * The environment variables of SERVER_MALLOC_SETTINGS that `env` lacks: a setting the operator
 * made either way (its variable, even empty, or its tunable in GLIBC_TUNABLES) stays theirs.
 */
export function missingMallocEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const tunables = new Set((env['GLIBC_TUNABLES'] ?? '').split(':').map((t) => t.split('=', 1)[0]));
  const missing: Record<string, string> = {};
  for (const s of SERVER_MALLOC_SETTINGS) {
    if (env[s.variable] === undefined && !tunables.has(s.tunable)) missing[s.variable] = s.value;
  }
  return missing;
}

/**
 * How to run this process again with the SERVER_V8_FLAGS and SERVER_MALLOC_SETTINGS it lacks:
 * the argument vector and the environment, or null when it has them all. A flag counts as there
 * when set either way: a `--no-liftoff-only` given on the command line is the operator's choice
 * and stays; so does a malloc setting (missingMallocEnv). `argv` is process.argv: the script and
 * its arguments follow the Node flags.
 */
export function serverRestart(
  execPath: string,
  execArgv: readonly string[],
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): { readonly args: string[]; readonly env: NodeJS.ProcessEnv } | null {
  const given = new Set(
    execArgv.filter((a) => a.startsWith('-')).map((a) => flagName(a).replace(/^no-?/, '')),
  );
  const missing = SERVER_V8_FLAGS.filter((flag) => !given.has(flagName(flag)));
  const added = missingMallocEnv(env);
  if (missing.length === 0 && Object.keys(added).length === 0) return null;
  return {
    args: [execPath, ...missing, ...execArgv, ...argv.slice(1)],
    env: { ...env, ...added },
  };
}

/**
 * Replaces this process with itself under `node --single-threaded-gc --liftoff-only` and
 * `MALLOC_ARENA_MAX=2` (process.execve: the same pid, so Docker, systemd and Marathon see one
 * process and signal it as before); returns only when it runs so already or where execve does not
 * exist (null), or when execve fails (the error). glibc reads its malloc settings only at exec,
 * so they too are set here: why, SERVER_MALLOC_SETTINGS. Why --single-threaded-gc: V8 otherwise
 * runs parts of every collection, the load worker's large heap included, on its platform
 * threads, which then compete with the serving thread, and a collection waits for its helpers.
 * With collections on each isolate's own thread the load and stream workers collect at their own
 * nice 19. Compiles stay on the platform threads, at the serving thread's priority
 * (lowerBackgroundThreads): under `--single-threaded` the serving thread compiled them itself,
 * and its p99.9 at 10k tasks and 5,000 A/s was 10.4-11.5 ms against 4.9-5.3 ms
 * (bench/results.md, steady-10k-threads, steady-10k-gc1); with the compile threads at nice 19 a
 * busy node lost 11 % of its queries to collections waiting for them (steady-10k-gc1-hogs). Set
 * at run time (v8.setFlagsFromString) the flags do not reach the compiler, so only the command
 * line works. Why --liftoff-only: SERVER_V8_FLAGS.
 */
export function restartWithServerFlags(): Error | null {
  const restart = serverRestart(process.execPath, process.execArgv, process.argv, process.env);
  if (restart === null || typeof process.execve !== 'function') return null;
  try {
    process.execve(process.execPath, restart.args, restart.env);
  } catch (err) {
    // A sandbox that forbids execve (a seccomp filter, say): serve anyway, without the flags.
    return err instanceof Error ? err : new Error(String(err));
  }
  return null;
}
