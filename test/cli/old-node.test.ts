// On a Node.js older than package.json's engines.node (Debian's node 20 on these machines), every
// entry point says in one line which Node it needs and which it found, and exits non-zero —
// instead of printing nothing and exiting 0 (dist/cli.js: no import.meta.main) or a stack
// trace (npm run demo: ERR_UNKNOWN_FILE_EXTENSION). Skips, saying so, without an old node.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const ROOT = new URL('../../', import.meta.url).pathname;
const OLD_NODE = '/usr/bin/node';
const engines = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    engines: { node: string };
  }
).engines.node;
const wanted = /^>=(\d+\.\d+\.\d+)$/.exec(engines)![1]!;

function older(a: string, b: string): boolean {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! < y[i]!;
  return false;
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: ROOT, env: env ?? process.env, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

let oldVersion: string | null = null;
if (existsSync(OLD_NODE)) {
  const v = (await run(OLD_NODE, ['-p', 'process.versions.node'])).stdout.trim();
  if (/^\d+\.\d+\.\d+$/.test(v) && older(v, wanted)) oldVersion = v;
}
const skip = oldVersion === null ? `no Node.js older than ${wanted} at ${OLD_NODE}` : false;

/** The one line: what is needed, what was found, where. */
function assertOneLine(r: Run, what: string): void {
  assert.notEqual(r.code, 0, `${what}: exit code`);
  assert.notEqual(r.code, null, `${what}: ended by a signal or timeout`);
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => l.includes('mesos-dns-ts needs'));
  assert.equal(lines.length, 1, `${what}: stderr ${JSON.stringify(r.stderr)}`);
  const line = lines[0]!;
  assert.ok(line.includes(`Node.js ${wanted} or newer`), line);
  assert.ok(line.includes(`this is Node.js ${oldVersion}`), line);
  assert.ok(line.includes(OLD_NODE), line);
  assert.ok(!/ERR_UNKNOWN_FILE_EXTENSION|\n\s+at /.test(r.stderr), `${what}: no stack trace`);
}

describe('an old Node.js is told what to install', { skip }, () => {
  let tmp: string;

  before(async () => {
    // The CLI as installed: dist/ built from the sources, next to bin/ and package.json. Built
    // into a temp dir so a concurrent build of the repo's dist/ is not disturbed.
    tmp = mkdtempSync(join(tmpdir(), 'mesos-dns-ts-old-node-'));
    cpSync(join(ROOT, 'bin'), join(tmp, 'bin'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(tmp, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(tmp, 'node_modules'));
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const built = await run(process.execPath, [
      tsc,
      '-p',
      join(ROOT, 'tsconfig.build.json'),
      '--outDir',
      join(tmp, 'dist'),
      '--sourceMap',
      'false',
    ]);
    assert.equal(built.code, 0, built.stdout + built.stderr);
  });

  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('the CLI (dist/cli.js, the installed bin) with --help, -version and no flags', async () => {
    for (const args of [['--help'], ['-version'], []]) {
      const r = await run(OLD_NODE, [join(tmp, 'dist/cli.js'), ...args]);
      assertOneLine(r, `cli ${args.join(' ')}`);
      assert.equal(r.stdout, '', 'nothing else is printed');
    }
  });

  it('the CLI still runs on the Node.js running these tests', async () => {
    const r = await run(process.execPath, [join(tmp, 'dist/cli.js'), '-version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+/);
  });

  it('npm run demo, npm run bench and npm start (their scripts, as npm runs them)', async () => {
    const scripts = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    for (const name of ['demo', 'bench', 'prestart']) {
      const script = scripts[name]!;
      assert.ok(script.startsWith('node bin/check-node.cjs && '), `${name}: ${script}`);
      // As npm would: through the shell, with the old node first on PATH.
      const r = await run('/bin/sh', ['-c', script], {
        ...process.env,
        PATH: `/usr/bin:/bin`,
      });
      assertOneLine(r, `npm run ${name}`);
    }
  });

  it('npm install refuses through its own engine check (engine-strict in .npmrc)', () => {
    const npmrc = readFileSync(join(ROOT, '.npmrc'), 'utf8');
    assert.match(npmrc, /^engine-strict=true$/m);
  });
});
