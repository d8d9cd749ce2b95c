// The CLI as a child process: --help, -version, and exit status 2 with one stderr line on a bad
// config, the way an operator or an init system sees it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_SCHEMA } from '../../src/config/schema.ts';
import { WAIT_MS } from '../helpers/wait.ts';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], cwd?: string): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { cwd, timeout: WAIT_MS, env: { ...process.env, NODE_NO_WARNINGS: '1' } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

let dir = '';
before(() => {
  // realpath: the child's cwd is reported without symlinks (e.g. macOS /tmp).
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'mdns-cli-')));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('cli process', () => {
  it('--help lists every flag with its config key and default, exit 0', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const def of CONFIG_SCHEMA) {
      assert.ok(r.stdout.includes(`--${def.flag}`), def.flag);
      assert.ok(
        r.stdout.includes(`key: ${def.key}, default: ${JSON.stringify(def.default)}`),
        def.key,
      );
    }
  });

  it('-version and --version print the package version, exit 0', async () => {
    for (const flag of ['-version', '--version']) {
      const r = await runCli([flag]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${pkg.version}\n`);
    }
  });

  it('a bad config value exits 2 with one line naming file and key', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ masters: ['127.0.0.1:5050'], port: 70000 }));
    const r = await runCli([`-config=${file}`]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `${file}: "port" must be 0-65535 (0 picks a free port), got 70000\n`);
    assert.equal(r.stdout, '');
  });

  it('a bad flag value exits 2 with one line naming the flag', async () => {
    const file = join(dir, 'good.json');
    writeFileSync(file, JSON.stringify({ masters: ['127.0.0.1:5050'] }));
    const r = await runCli(['--config', file, '--resolvers', 'not-an-ip']);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      '--resolvers: "resolvers"[0] must be an IP address or IP:port (e.g. "10.0.0.2", "10.0.0.2:5353", "[fd00::2]:53"), got "not-an-ip"\n',
    );
  });

  it('without -config reads ./config.json and reports it missing', async () => {
    const r = await runCli([], dir);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `config.json: config file does not exist (looked at ${join(dir, 'config.json')}); create it or pass -config=FILE\n`,
    );
  });

  it('an unknown flag exits 2 with one line', async () => {
    const r = await runCli(['--bogus']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'command line: Unknown argument: bogus; see --help\n');
  });
});
