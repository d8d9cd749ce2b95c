// What `npm pack` publishes, and that it runs: builds dist/, checks the packed file list and the
// bin, then installs the tarball with production dependencies only in a temp dir and serves
// web.marathon.mesos from it against a simulated master.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { startSimProcess, type SimProcess } from '../helpers/sim-process.ts';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
  name: string;
  version: string;
  bin: Record<string, string>;
};

interface PackEntry {
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

const tmp = mkdtempSync(join(tmpdir(), 'mesos-dns-ts-pack-'));
const cleanups: (() => Promise<void> | void)[] = [
  () => rmSync(tmp, { recursive: true, force: true }),
];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function npm(args: readonly string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run('npm', args, { cwd, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`npm ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stderr ?? ''}`, {
      cause: err,
    });
  }
}

let packed: PackEntry;

before(async () => {
  // dist/ is what gets published; build it from the current sources (prepack would too, but
  // --ignore-scripts keeps npm pack from building twice).
  await npm(['run', 'build'], ROOT);
  const out = await npm(['pack', '--dry-run', '--json', '--ignore-scripts'], ROOT);
  [packed] = JSON.parse(out) as [PackEntry];
});

test('the package holds the built CLI, package.json and config, and nothing else', () => {
  const paths = packed.files.map((f) => f.path);
  const bin = pkg.bin['mesos-dns-ts'];
  assert.equal(bin, 'dist/cli.js', 'package.json bin.mesos-dns-ts');
  for (const needed of [bin, 'package.json', 'config.json', 'README.md', 'dist/server.js']) {
    assert.ok(paths.includes(needed), `${needed} is published`);
  }
  const stray = paths.filter(
    (p) =>
      /^(test|sim|bench|node_modules|src|deploy|\.ci|docs)\//.test(p) ||
      (p.endsWith('.ts') && !p.endsWith('.d.ts')) ||
      p.endsWith('.tgz'),
  );
  assert.deepEqual(stray, [], 'tests, sim, sources and node_modules stay out of the package');
});

test('dist/cli.js starts with a node shebang, so the installed bin runs', () => {
  const first = readFileSync(`${ROOT}dist/cli.js`, 'utf8').split('\n', 1)[0];
  assert.equal(
    first,
    '#!/usr/bin/env node',
    'src/cli.ts must begin with "#!/usr/bin/env node" (tsc keeps it in dist/cli.js); without ' +
      'it npm install -g links a file the shell cannot run (/usr/bin/mesos-dns-ts in the unit)',
  );
});

function lines(child: ChildProcess): AsyncIterable<string> {
  return createInterface({ input: child.stdout! });
}

test('the packed tarball installs without dev dependencies and serves DNS', async () => {
  const out = await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], ROOT);
  const [entry] = JSON.parse(out) as [PackEntry];
  await run('tar', ['-xzf', join(tmp, entry.filename), '-C', tmp]);
  const dir = join(tmp, 'package');
  // npm never packs package-lock.json; the image and this test install from the repo's.
  copyFileSync(`${ROOT}package-lock.json`, join(dir, 'package-lock.json'));
  await npm(
    ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'],
    dir,
  );
  assert.ok(existsSync(join(dir, 'node_modules/pino')), 'production dependencies installed');
  assert.ok(!existsSync(join(dir, 'node_modules/typescript')), 'no dev dependencies');

  const cli = join(dir, pkg.bin['mesos-dns-ts'] ?? 'dist/cli.js');
  const version = await run(process.execPath, [cli, '-version']);
  assert.equal(version.stdout.trim(), pkg.version);

  const sim: SimProcess = await startSimProcess(['--demo']);
  cleanups.push(() => sim.stop());
  const config = join(tmp, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      masters: [sim.address],
      refreshSeconds: 60,
      port: 0,
      httpport: 0,
      listener: '127.0.0.1',
      HTTPListener: '127.0.0.1',
      externalon: false,
    }),
  );
  // From the temp dir, so nothing can resolve back into the repo's node_modules.
  const server = spawn(process.execPath, [cli, `-config=${config}`], {
    cwd: tmp,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  server.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
  cleanups.push(async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGKILL');
      await exited;
    }
  });

  const ports: { dns?: number; http?: number } = {};
  const timer = setTimeout(() => server.kill('SIGKILL'), 60_000);
  try {
    for await (const line of lines(server)) {
      const log = JSON.parse(line) as { msg?: string; port?: number };
      if (log.msg === 'dns listening (udp, tcp)') ports.dns = log.port;
      if (log.msg === 'HTTP API listening') ports.http = log.port;
      // The default stateSource (auto) follows the sim's event stream.
      if (log.msg === 'event stream snapshot in service' || log.msg === 'state loaded') break;
    }
  } finally {
    clearTimeout(timer);
  }
  assert.ok(ports.dns && ports.http, `ports from the logs; stderr:\n${stderr}`);

  const dig = await run('dig', [
    '@127.0.0.1',
    '-p',
    String(ports.dns),
    'web.marathon.mesos',
    '+short',
    '+time=2',
    '+tries=3',
  ]);
  assert.deepEqual(dig.stdout.trim().split('\n').sort(), [
    '172.17.0.2',
    '172.17.0.3',
    '172.17.0.4',
  ]);

  // The paths the Dockerfile HEALTHCHECK, Marathon and the unit's operators rely on.
  for (const path of ['/health', '/ready', '/v1/version', '/metrics']) {
    const res = await fetch(`http://127.0.0.1:${ports.http}${path}`);
    assert.equal(res.status, 200, `GET ${path}`);
    await res.arrayBuffer();
  }

  server.kill('SIGTERM');
  assert.equal(await exited, 0, `exit code after SIGTERM; stderr:\n${stderr}`);
});
