// Child processes of a benchmark run: spawned pinned to a core (taskset), tracked so that every
// one is killed on exit, error or Ctrl-C, with helpers to wait for output and read peak RSS.
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface SpawnOptions {
  /** Pin to these CPUs with `taskset -c` (0, or a list such as "0,1"; null: not pinned). */
  readonly cpu: number | string | null;
  readonly stdio?: StdioOptions;
  readonly env?: NodeJS.ProcessEnv;
}

let tasksetChecked: boolean | null = null;

function hasTaskset(): boolean {
  tasksetChecked ??= spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  return tasksetChecked;
}

export class Children {
  readonly #live = new Set<ChildProcess>();
  #hooked = false;

  /** Spawns `command args`; taskset execs the command, so the child's pid is the command's. */
  spawn(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
    this.#hook();
    const pinned = options.cpu !== null && hasTaskset();
    const child = spawn(
      pinned ? 'taskset' : command,
      pinned ? ['-c', String(options.cpu), command, ...args] : [...args],
      { stdio: options.stdio ?? ['ignore', 'pipe', 'inherit'], env: options.env ?? process.env },
    );
    this.#live.add(child);
    child.once('exit', () => this.#live.delete(child));
    child.once('error', () => this.#live.delete(child));
    return child;
  }

  /** Resolves with the exit code (signal-killed: -1); kills the child after `timeoutMs`. */
  wait(child: ChildProcess, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      if (child.exitCode !== null) {
        resolve(child.exitCode);
        return;
      }
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`child ${child.spawnfile} did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code ?? -1);
      });
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs` for any child still alive. */
  async stop(child: ChildProcess, graceMs = 3000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#live].map((c) => this.stop(c)));
  }

  /** Synchronous last resort for process exit: no waiting possible there. */
  killAllNow(): void {
    for (const child of this.#live) child.kill('SIGKILL');
  }

  #hook(): void {
    if (this.#hooked) return;
    this.#hooked = true;
    process.once('exit', () => this.killAllNow());
    const onSignal = (signal: NodeJS.Signals): void => {
      process.stderr.write(`\n${signal}: stopping benchmark children\n`);
      void this.stopAll().finally(() => process.exit(130));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
}

/** Peak resident set (VmHWM) of a live process in MB, from /proc; NaN when unreadable. */
export function peakRssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmHWM:\s*(\d+)\s*kB/.exec(status)?.[1];
    return kb === undefined ? NaN : Number(kb) / 1024;
  } catch {
    return NaN;
  }
}

/** One reader of a child's stdout lines that any number of listeners can share. */
export class LineTap {
  readonly #child: ChildProcess;
  readonly #listeners = new Set<(line: string) => void>();
  #recent: string[] = [];

  constructor(child: ChildProcess) {
    this.#child = child;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      this.#recent.push(line);
      if (this.#recent.length > 40) this.#recent = this.#recent.slice(-20);
      for (const listener of this.#listeners) listener(line);
    });
  }

  /** The last lines seen (at least 20 when there were that many), for error messages. */
  recent(): string {
    return this.#recent.slice(-20).join('\n');
  }

  onLine(listener: (line: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Waits for the first line that `match` accepts and resolves with what it returned. */
  waitFor<T>(match: (line: string) => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const child = this.#child;
    return new Promise((resolve, reject) => {
      const finish = (fn: () => void): void => {
        clearTimeout(timer);
        off();
        child.off('exit', onExit);
        fn();
      };
      const off = this.onLine((line) => {
        const found = match(line);
        if (found !== undefined) finish(() => resolve(found));
      });
      const onExit = (code: number | null): void =>
        finish(() =>
          reject(new Error(`${what}: process exited (code ${code}) before it was ready`)),
        );
      const timer = setTimeout(
        () => finish(() => reject(new Error(`${what}: not ready within ${timeoutMs} ms`))),
        timeoutMs,
      );
      child.once('exit', onExit);
    });
  }
}

/** Parses one JSON line, or undefined when the line is not a JSON object. */
export function jsonLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
