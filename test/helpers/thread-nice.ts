// The nice values of this process's threads (Linux /proc): how tests see which threads run as
// background work (src/thread-priority.ts).
import { readdirSync, readFileSync } from 'node:fs';

/** The nice value of every thread of this process, by thread id. */
export function threadNices(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Field 19 (nice), counted after the ")" that ends the command name.
      out.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // A thread that exited since the directory was read.
    }
  }
  return out;
}

/** How many threads of this process run at nice 19. */
export function threadsAtNice19(): number {
  return [...threadNices().values()].filter((n) => n === 19).length;
}
