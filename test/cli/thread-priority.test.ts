// The CLI lowers every pre-existing background thread (V8's platform workers) to nice 19 and
// leaves the main thread, which answers DNS, alone. Checked in a child process, since it changes
// the process it runs in.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { it } from 'node:test';

const MODULE = new URL('../../src/thread-priority.ts', import.meta.url).href;
const SCRIPT = `
import { readdirSync, readFileSync } from 'node:fs';
const { lowerBackgroundThreads } = await import(${JSON.stringify(MODULE)});
const changed = lowerBackgroundThreads();
const nice = (tid) => {
  const stat = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
};
const others = readdirSync('/proc/self/task').filter((t) => Number(t) !== process.pid).map(nice);
console.log(JSON.stringify({ changed, main: nice(process.pid), others }));
`;

it('renices every thread but the main one', () => {
  assert.ok(existsSync('/proc/self/task'), 'Linux /proc is needed (the production target)');
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', SCRIPT], {
    encoding: 'utf8',
  });
  const { changed, main, others } = JSON.parse(out) as {
    changed: number;
    main: number;
    others: number[];
  };
  assert.ok(changed > 0, 'V8 starts background threads before any user code');
  assert.equal(main, 0);
  assert.ok(others.length >= changed);
  assert.ok(
    others.every((n) => n === 19),
    `nice values of the other threads: ${others.join(', ')}`,
  );
});

it('runs the server again under its V8 flags, keeping Node flags and arguments', async () => {
  const { serverFlagArgs } = (await import(
    MODULE
  )) as typeof import('../../src/thread-priority.ts');
  assert.deepEqual(
    serverFlagArgs('/usr/bin/node', ['--cpu-prof'], ['/usr/bin/node', 'cli.js', '-config=c']),
    ['/usr/bin/node', '--single-threaded', '--liftoff-only', '--cpu-prof', 'cli.js', '-config=c'],
  );
  // Once it runs so, it is not restarted again.
  assert.equal(
    serverFlagArgs(
      '/usr/bin/node',
      ['--single-threaded', '--liftoff-only'],
      ['/usr/bin/node', 'cli.js'],
    ),
    null,
  );
  // Only what is missing is added; V8 spells a flag with "_" or "-".
  assert.deepEqual(
    serverFlagArgs('/usr/bin/node', ['--single_threaded'], ['/usr/bin/node', 'cli.js']),
    ['/usr/bin/node', '--liftoff-only', '--single_threaded', 'cli.js'],
  );
  // A flag the operator turned off stays off.
  assert.equal(
    serverFlagArgs(
      '/usr/bin/node',
      ['--no-liftoff-only', '--single-threaded'],
      ['/usr/bin/node', 'cli.js'],
    ),
    null,
  );
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
    /could not run again under node --single-threaded --liftoff-only \(execve denied\)/,
  );
});
