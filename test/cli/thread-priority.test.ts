// The CLI lowers the pre-existing background threads (libuv's pool) to nice 19 and leaves the
// main thread, which answers DNS, and V8's compile threads alone. Checked in a child process,
// since it changes the process it runs in.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { it } from 'node:test';

const MODULE = new URL('../../src/thread-priority.ts', import.meta.url).href;
const HELPER = new URL('../helpers/thread-nice.ts', import.meta.url).href;
const SCRIPT = `
// Nothing has used libuv's pool yet, as in the CLI (its config is read synchronously): the pool
// must be started by lowerBackgroundThreads, or it comes later at the main thread's priority.
const { lowerBackgroundThreads } = await import(${JSON.stringify(MODULE)});
const changed = await lowerBackgroundThreads();
const { threads } = await import(${JSON.stringify(HELPER)});
const all = threads();
const main = all.find((t) => t.tid === process.pid);
const others = all.filter((t) => t.tid !== process.pid);
console.log(JSON.stringify({ changed, main: main.nice, mainName: main.name, others }));
`;

it("renices libuv's pool, not the main thread nor V8's compile threads", () => {
  assert.ok(existsSync('/proc/self/task'), 'Linux /proc is needed (the production target)');
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', SCRIPT], {
    encoding: 'utf8',
  });
  const { changed, main, mainName, others } = JSON.parse(out) as {
    changed: number;
    main: number;
    mainName: string;
    others: { name: string; nice: number }[];
  };
  const pool = others.filter((t) => t.name === 'libuv-worker');
  const v8 = others.filter((t) => t.name === mainName || t.name.startsWith('DelayedTaskSche'));
  assert.ok(pool.length > 0, 'lowerBackgroundThreads started the pool');
  assert.ok(v8.length > 0, 'V8 starts its platform threads before any user code');
  assert.equal(changed, others.length - v8.length);
  assert.equal(main, 0);
  const show = JSON.stringify(others);
  assert.ok(
    pool.every((t) => t.nice === 19),
    show,
  );
  assert.ok(
    v8.every((t) => t.nice === 0),
    show,
  );
});

it('runs the server again under its V8 flags, keeping Node flags and arguments', async () => {
  const { serverRestart } = (await import(MODULE)) as typeof import('../../src/thread-priority.ts');
  // The malloc setting is there, so only the flags decide.
  const env = { MALLOC_ARENA_MAX: '2' };
  const args = (execArgv: string[], argv: string[]): string[] | undefined =>
    serverRestart('/usr/bin/node', execArgv, argv, env)?.args;
  assert.deepEqual(args(['--cpu-prof'], ['/usr/bin/node', 'cli.js', '-config=c']), [
    '/usr/bin/node',
    '--single-threaded-gc',
    '--liftoff-only',
    '--cpu-prof',
    'cli.js',
    '-config=c',
  ]);
  // Once it runs so, it is not restarted again.
  assert.equal(
    serverRestart(
      '/usr/bin/node',
      ['--single-threaded-gc', '--liftoff-only'],
      ['/usr/bin/node', 'cli.js'],
      env,
    ),
    null,
  );
  // Only what is missing is added; V8 spells a flag with "_" or "-".
  assert.deepEqual(args(['--single_threaded_gc'], ['/usr/bin/node', 'cli.js']), [
    '/usr/bin/node',
    '--liftoff-only',
    '--single_threaded_gc',
    'cli.js',
  ]);
  // A flag the operator turned off stays off.
  assert.equal(
    serverRestart(
      '/usr/bin/node',
      ['--no-liftoff-only', '--single-threaded-gc'],
      ['/usr/bin/node', 'cli.js'],
      env,
    ),
    null,
  );
});

it("runs the server again with glibc's malloc settings unless the operator made them", async () => {
  const { serverRestart } = (await import(MODULE)) as typeof import('../../src/thread-priority.ts');
  const flags = ['--single-threaded-gc', '--liftoff-only'];
  const restart = (env: NodeJS.ProcessEnv) =>
    serverRestart('/usr/bin/node', flags, ['/usr/bin/node', 'cli.js', '-v=1'], env);
  // Flags all there, the setting not: run again with it, the rest of the environment kept.
  assert.deepEqual(restart({ PATH: '/bin' }), {
    args: ['/usr/bin/node', ...flags, 'cli.js', '-v=1'],
    env: { PATH: '/bin', MALLOC_ARENA_MAX: '2' },
  });
  // Added beside another tunable the operator set.
  assert.deepEqual(restart({ GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=65536' })?.env, {
    GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=65536',
    MALLOC_ARENA_MAX: '2',
  });
  // The operator's value stays, by its variable (even empty) or by its tunable.
  assert.equal(restart({ MALLOC_ARENA_MAX: '8' }), null);
  assert.equal(restart({ MALLOC_ARENA_MAX: '' }), null);
  assert.equal(
    restart({ GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0:glibc.malloc.arena_max=4' }),
    null,
  );
  // Flags missing too: one restart does both.
  assert.deepEqual(serverRestart('/usr/bin/node', [], ['/usr/bin/node', 'cli.js'], {}), {
    args: ['/usr/bin/node', ...flags, 'cli.js'],
    env: { MALLOC_ARENA_MAX: '2' },
  });
});

it('serves without the flags, saying so, when execve is refused', () => {
  const cli = new URL('../../src/cli.ts', import.meta.url).pathname;
  // Stands in for a sandbox whose seccomp filter refuses execve.
  const refuse = 'data:text/javascript,process.execve=()=>{throw new Error("execve denied")}';
  const result = spawnSync(process.execPath, ['--import', refuse, cli, '--version'], {
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /\d+\.\d+\.\d+/);
  assert.match(
    result.stderr,
    /could not run again under node --single-threaded-gc --liftoff-only \(execve denied\)/,
  );
});

it('runs again, in place, with MALLOC_ARENA_MAX=2 in its environment', () => {
  const cli = new URL('../../src/cli.ts', import.meta.url).pathname;
  // Runs in the process as started and again in the one it becomes (Node flags are kept).
  const show =
    'data:text/javascript,process.stderr.write("arenas="+process.env.MALLOC_ARENA_MAX+";")';
  const env = { ...process.env };
  delete env['MALLOC_ARENA_MAX'];
  delete env['GLIBC_TUNABLES'];
  const result = spawnSync(process.execPath, ['--import', show, cli, '--version'], {
    encoding: 'utf8',
    env,
  });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, /^arenas=undefined;arenas=2;/);
});
