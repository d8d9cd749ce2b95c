// The nice values of this process's threads (Linux /proc): how tests see which threads run as
// background work (src/thread-priority.ts).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { WAIT_MS, waitUntil } from './wait.ts';

export interface ThreadInfo {
  readonly tid: number;
  /** Linux `comm`. */
  readonly name: string;
  readonly nice: number;
}

/** Every thread of process `pid` (this one by default): id, name and nice value. */
export function threads(pid: number | 'self' = 'self'): ThreadInfo[] {
  const out: ThreadInfo[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // Field 19 (nice), counted after the ")" that ends the command name.
      const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      out.push({ tid: Number(tid), name, nice });
    } catch {
      // A thread that exited since the directory was read.
    }
  }
  return out;
}

/** The nice value of every thread of this process, by thread id. */
export function threadNices(): Map<number, number> {
  return new Map(threads().map((t) => [t.tid, t.nice]));
}

/** How many threads of this process run at nice 19. */
export function threadsAtNice19(): number {
  return [...threadNices().values()].filter((n) => n === 19).length;
}

/**
 * The nice value the test process was started at (its main thread's): a suite run under `nice`
 * starts every thread there, so "keeps its priority" means this, not 0.
 */
export const BASE_NICE = threadNices().get(process.pid) ?? 0;

/** Why priority tests cannot run: a process already at nice 19 cannot show a thread lowered. */
export const NICE_SKIP = BASE_NICE >= 19 ? 'the test process already runs at nice 19' : false;

/** Asserts that no thread was lowered since `before` (threadsAtNice19 then). */
export function assertNoneLowered(before: number): void {
  assert.equal(threadsAtNice19(), before, `nice values: ${[...threadNices().values()].join(', ')}`);
}

/**
 * Waits until exactly one more thread runs at nice 19 than `before` (a worker lowered itself),
 * then asserts that the main (DNS) thread kept its priority.
 */
export async function waitOneLowered(before: number, what: string): Promise<void> {
  await waitUntil(() => threadsAtNice19() === before + 1, WAIT_MS, what);
  assert.equal(
    threadNices().get(process.pid),
    BASE_NICE,
    'the main (DNS) thread keeps its priority',
  );
}
