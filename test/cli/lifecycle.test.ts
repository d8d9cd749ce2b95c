// The whole process, as an operator runs it: it serves until SIGTERM and exits 0, and it exits
// non-zero when ZooKeeper yields no leader within zkDetectionTimeout (as mesos-dns does).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { demoCluster } from '../../sim/cluster.ts';
import { SimMaster } from '../../sim/master.ts';
import { NICE_SKIP, threads, type ThreadInfo } from '../helpers/thread-nice.ts';
import { WAIT_MS } from '../helpers/wait.ts';

const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'mesos-dns-ts-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, values: Record<string, unknown>): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(values));
  return file;
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(
  args: string[],
  onLine: (line: string, kill: () => void, pid: number) => void,
  limitMs: number,
) {
  return new Promise<Run>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`still running after ${limitMs} ms; stdout: ${stdout} stderr: ${stderr}`));
    }, limitMs);
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stdout += text;
      for (const line of text.split('\n')) {
        if (line !== '') onLine(line, () => child.kill('SIGTERM'), child.pid!);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('process lifecycle', () => {
  it('serves after the first load and exits 0 on SIGTERM', async () => {
    const sim = await SimMaster.start({ cluster: demoCluster() });
    try {
      const file = writeConfig('ok.json', {
        masters: [sim.address],
        port: 0,
        httpport: 0,
        listener: '127.0.0.1',
        HTTPListener: '127.0.0.1',
        externalon: false,
      });
      let loaded = false;
      let cmdline = '';
      let pool: ThreadInfo[] = [];
      const result = await run(
        [`-config=${file}`],
        (line, kill, pid) => {
          // The default stateSource (auto) follows the sim's event stream; a poll logs "state loaded".
          if (
            line.includes('"event stream snapshot in service"') ||
            line.includes('"state loaded"')
          ) {
            loaded = true;
            cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
            pool = threads(pid).filter((t) => t.name === 'libuv-worker');
            kill();
          }
        },
        WAIT_MS,
      );
      assert.ok(loaded, result.stdout);
      // The same process (pid) now runs under node --single-threaded-gc (thread-priority.ts).
      assert.deepEqual(cmdline.split('\0').slice(0, 2), [process.execPath, '--single-threaded-gc']);
      // libuv's pool runs, at nice 19, whatever used it first (thread-priority.ts).
      assert.ok(pool.length > 0, 'libuv-worker threads');
      if (!NICE_SKIP)
        assert.ok(
          pool.every((t) => t.nice === 19),
          JSON.stringify(pool),
        );
      assert.equal(result.code, 0, result.stderr);
    } finally {
      await sim.close();
    }
  });

  it('exits non-zero when ZooKeeper gives no leader within zkDetectionTimeout', async () => {
    const port = await closedPort();
    const file = writeConfig('zk.json', {
      zk: `zk://127.0.0.1:${port}/mesos`,
      zkDetectionTimeout: 1,
      port: 0,
      httpport: 0,
      listener: '127.0.0.1',
      HTTPListener: '127.0.0.1',
      externalon: false,
    });
    const result = await run(['--config', file], () => {}, WAIT_MS);
    // Exits on its own (code 1, saying why), not killed at the test's limit.
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no Mesos leader found in ZooKeeper zk:\/\/127\.0\.0\.1/);
  });
});
