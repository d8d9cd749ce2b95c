// Starts sim/serve.ts in a child process (its own event loop) and stops it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface SimProcess {
  readonly address: string;
  readonly upid: string;
  stop(): Promise<void>;
}

export async function startSimProcess(args: readonly string[]): Promise<SimProcess> {
  const serve = new URL('../../sim/serve.ts', import.meta.url);
  const child: ChildProcess = spawn(process.execPath, [serve.pathname, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        resolve();
        return;
      }
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`sim/serve.ts exited with code ${code}`)));
      setTimeout(() => reject(new Error('sim/serve.ts did not start within 60 s')), 60_000).unref();
    });
    const ready = JSON.parse(line) as { address: string; upid: string };
    return { address: ready.address, upid: ready.upid, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
