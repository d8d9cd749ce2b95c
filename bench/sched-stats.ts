// Who had the CPU during a run (#15 tail): per thread of a process, the time it ran and the time
// it sat runnable waiting for a CPU (/proc/<pid>/task/<tid>/schedstat), and per CPU the time the
// hypervisor took (steal, /proc/stat). A reply that waited while the serving thread waited too was
// held up by the scheduler, not by the server's own work.
import { readdirSync, readFileSync } from 'node:fs';

interface ThreadTimes {
  readonly comm: string;
  readonly runNs: number;
  readonly waitNs: number;
}

export interface SchedSnapshot {
  readonly threads: ReadonlyMap<number, ThreadTimes>;
  /** Steal per CPU, in clock ticks (USER_HZ, 100 per second on Linux). */
  readonly stealTicks: readonly number[];
  /** Busy (not idle or iowait) ticks per CPU. */
  readonly busyTicks: readonly number[];
}

export interface SchedDelta {
  /** The thread whose id is the process id (the main, serving thread). */
  readonly mainRunMs: number;
  readonly mainWaitMs: number;
  /** Every other thread of the process. */
  readonly othersRunMs: number;
  /** The other thread that ran longest, as "name ms". */
  readonly topOther: string;
  readonly stealMs: readonly number[];
  readonly busyMs: readonly number[];
}

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the thread ended between listing and reading
  }
}

export function schedSnapshot(pid: number): SchedSnapshot {
  const threads = new Map<number, ThreadTimes>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    // the process is gone: no threads
  }
  for (const tid of tids) {
    const stat = readOr(`/proc/${pid}/task/${tid}/schedstat`);
    const comm = readOr(`/proc/${pid}/task/${tid}/comm`);
    if (stat === undefined || comm === undefined) continue;
    const [run = 0, wait = 0] = stat.trim().split(/\s+/).map(Number);
    threads.set(Number(tid), { comm: comm.trim(), runNs: run, waitNs: wait });
  }
  const stealTicks: number[] = [];
  const busyTicks: number[] = [];
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (m === null) continue;
    // user nice system idle iowait irq softirq steal ...
    const f = m[2]!.trim().split(/\s+/).map(Number);
    const cpu = Number(m[1]);
    stealTicks[cpu] = f[7] ?? 0;
    busyTicks[cpu] = f[0]! + f[1]! + f[2]! + f[5]! + f[6]!;
  }
  return { threads, stealTicks, busyTicks };
}

export function schedDelta(pid: number, before: SchedSnapshot, after: SchedSnapshot): SchedDelta {
  const ms = (ns: number): number => ns / 1e6;
  let mainRunMs = 0;
  let mainWaitMs = 0;
  let othersRunMs = 0;
  let top = { comm: '–', ms: 0 };
  for (const [tid, t] of after.threads) {
    const b = before.threads.get(tid);
    const run = ms(t.runNs - (b?.runNs ?? 0));
    const wait = ms(t.waitNs - (b?.waitNs ?? 0));
    if (tid === pid) {
      mainRunMs = run;
      mainWaitMs = wait;
    } else {
      othersRunMs += run;
      if (run > top.ms) top = { comm: t.comm, ms: run };
    }
  }
  const tick = 10; // ms per USER_HZ tick
  return {
    mainRunMs,
    mainWaitMs,
    othersRunMs,
    topOther: `${top.comm} ${top.ms.toFixed(0)}`,
    stealMs: after.stealTicks.map((s, i) => (s - (before.stealTicks[i] ?? 0)) * tick),
    busyMs: after.busyTicks.map((s, i) => (s - (before.busyTicks[i] ?? 0)) * tick),
  };
}
