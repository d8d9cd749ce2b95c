// Runs `node sim/demo.ts --port 0 --http-port 0` as a user would, reads the ports from its
// banner, resolves web.marathon.mesos with dig and checks that Ctrl-C stops it with exit code 0.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { WAIT_MS } from '../helpers/wait.ts';

const run = promisify(execFile);
const DEMO = new URL('../../sim/demo.ts', import.meta.url).pathname;

const children: ChildProcess[] = [];
after(() => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

interface Started {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
}

function startDemo(args: readonly string[]): Started {
  const child = spawn(process.execPath, [DEMO, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  return { child, stdout: () => out, stderr: () => err };
}

async function waitFor(started: Started, pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (pattern.test(started.stdout())) return started.stdout();
    if (started.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `demo did not print ${String(pattern)} (exit ${String(started.child.exitCode)})\n` +
      `stdout:\n${started.stdout()}\nstderr:\n${started.stderr()}`,
  );
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

test('demo prints a banner with working ports and stops cleanly on SIGINT', async () => {
  const demo = startDemo(['--port', '0', '--http-port', '0']);
  const banner = await waitFor(demo, /Press Ctrl-C to stop/, WAIT_MS);

  const dnsPort = Number(/dig @127\.0\.0\.1 -p (\d+) web\.marathon\.mesos/.exec(banner)?.[1]);
  const httpPort = Number(/curl -s http:\/\/127\.0\.0\.1:(\d+)\/v1\/hosts\//.exec(banner)?.[1]);
  assert.ok(dnsPort > 0 && dnsPort !== 8053, `banner shows the bound DNS port:\n${banner}`);
  assert.ok(httpPort > 0 && httpPort !== 8123, `banner shows the bound HTTP port:\n${banner}`);
  for (const name of ['_web._tcp.marathon.mesos SRV', 'leader.mesos', 'AAAA', '/metrics']) {
    assert.ok(banner.includes(name), `banner suggests ${name}`);
  }

  const { stdout } = await run('dig', [
    '@127.0.0.1',
    '-p',
    String(dnsPort),
    'web.marathon.mesos',
    'A',
    '+short',
    '+time=2',
    '+tries=3',
  ]);
  const addresses = stdout.trim().split('\n').sort();
  assert.deepEqual(addresses, ['172.17.0.2', '172.17.0.3', '172.17.0.4']);

  const res = await fetch(`http://127.0.0.1:${httpPort}/v1/hosts/web.marathon.mesos`);
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as unknown[]).length, 3);

  demo.child.kill('SIGINT');
  assert.equal(await exited(demo.child), 0, `exit code after SIGINT; stderr:\n${demo.stderr()}`);
});

test('demo rejects a bad port with exit code 2 and a message naming the flag', async () => {
  const demo = startDemo(['--port', '99999']);
  assert.equal(await exited(demo.child), 2);
  assert.match(demo.stderr(), /--port must be a whole number from 0 to 65535, got "99999"/);
});
