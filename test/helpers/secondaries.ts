// Test helper: Debian's knotd and named run as secondaries of the server under test, each on a
// loopback port with its own temporary directory (config, zone file, journal, pid), in the
// foreground so stopping the test stops them. Their logs are kept for failure messages.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const KNOTD_PATH = '/usr/sbin/knotd';
export const NAMED_PATH = '/usr/sbin/named';

export interface SecondaryOptions {
  /** Zone to replicate, without the trailing dot: "mesos". */
  readonly zone: string;
  /** The primary's DNS port on 127.0.0.1. */
  readonly primaryPort: number;
  /** The secondary's own port on 127.0.0.1 (picked free by the test). */
  readonly port: number;
  /** TSIG key the secondary signs its requests with; null: it has none. */
  readonly key: { readonly name: string; readonly secret: string } | null;
  /** Address its transfer requests come from (default 127.0.0.1). */
  readonly source?: string;
}

export interface Secondary {
  readonly kind: 'knot' | 'named';
  readonly port: number;
  /** Everything the daemon logged so far. */
  log(): string;
  stop(): Promise<void>;
}

function start(kind: Secondary['kind'], dir: string, port: number, argv: string[]): Secondary {
  const logFile = join(dir, 'daemon.log');
  let output = '';
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: dir,
  });
  const keep = (chunk: Buffer): void => {
    output += chunk.toString();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', (err) => {
      output += `spawn error: ${err.message}\n`;
      exited = true;
      resolve();
    });
  });
  return {
    kind,
    port,
    log: () => output + (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    async stop() {
      if (!exited && child.pid !== undefined) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** knotd as a secondary: NOTIFY accepted from the primary (signed when it has a key). */
export function startKnot(options: SecondaryOptions): Secondary {
  const dir = mkdtempSync(join(tmpdir(), 'mesos-dns-ts-knot-'));
  const key = options.key;
  const lines = [
    'server:',
    `  rundir: "${dir}"`,
    `  pidfile: "${dir}/knot.pid"`,
    `  listen: 127.0.0.1@${options.port}`,
    'log:',
    '  - target: stderr',
    '    any: info',
    'database:',
    `  storage: "${dir}"`,
    ...(key === null
      ? []
      : ['key:', `  - id: ${key.name}`, '    algorithm: hmac-sha256', `    secret: ${key.secret}`]),
    'remote:',
    '  - id: primary',
    `    address: 127.0.0.1@${options.primaryPort}`,
    ...(options.source === undefined ? [] : [`    via: ${options.source}`]),
    ...(key === null ? [] : [`    key: ${key.name}`]),
    'acl:',
    '  - id: notify_from_primary',
    '    address: 127.0.0.1',
    ...(key === null ? [] : [`    key: ${key.name}`]),
    '    action: notify',
    'template:',
    '  - id: default',
    `    storage: "${dir}"`,
    '    zonefile-sync: -1',
    '    zonefile-load: none',
    '    journal-content: all',
    'zone:',
    `  - domain: ${options.zone}`,
    '    master: primary',
    '    acl: notify_from_primary',
  ];
  const conf = join(dir, 'knot.conf');
  writeFileSync(conf, lines.join('\n') + '\n');
  return start('knot', dir, options.port, [KNOTD_PATH, '-c', conf]);
}

/** named as a secondary: its primary statement carries the key, so NOTIFY from it is taken. */
export function startNamed(options: SecondaryOptions): Secondary {
  const dir = mkdtempSync(join(tmpdir(), 'mesos-dns-ts-named-'));
  const key = options.key;
  const keyRef = key === null ? '' : ` key ${key.name}`;
  const lines = [
    'options {',
    `  directory "${dir}";`,
    `  pid-file "${dir}/named.pid";`,
    `  session-keyfile "${dir}/session.key";`,
    `  managed-keys-directory "${dir}";`,
    `  listen-on port ${options.port} { 127.0.0.1; };`,
    '  listen-on-v6 { none; };',
    '  recursion no;',
    '  notify no;',
    '  dnssec-validation no;',
    ...(options.source === undefined
      ? []
      : [`  transfer-source ${options.source};`, `  query-source address ${options.source};`]),
    '};',
    'controls { };',
    ...(key === null
      ? []
      : [`key "${key.name}" {`, '  algorithm hmac-sha256;', `  secret "${key.secret}";`, '};']),
    `zone "${options.zone}" {`,
    '  type secondary;',
    `  primaries port ${options.primaryPort} { 127.0.0.1${keyRef}; };`,
    `  file "${dir}/${options.zone}.db";`,
    '  allow-notify { 127.0.0.1; };',
    '};',
  ];
  const conf = join(dir, 'named.conf');
  writeFileSync(conf, lines.join('\n') + '\n');
  return start('named', dir, options.port, [NAMED_PATH, '-g', '-4', '-c', conf]);
}
