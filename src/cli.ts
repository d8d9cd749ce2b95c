#!/usr/bin/env node
// Command-line entry point: accepts mesos-dns's Go-style flags (-config=FILE, -v=1, -version) and
// GNU-style ones, loads config.json with flag overrides, starts the server, stops it on a signal.
// First: the Node.js version check (plain JS), so an old Node says why instead of doing nothing.
import '../bin/check-node.cjs';
import yargs from 'yargs';
import { CONFIG_SCHEMA, findFlag } from './config/schema.ts';
import { ConfigError, loadConfig, parseFlagValue, type ConfigOverrides } from './config/load.ts';
import { flagUsage, formatDefault } from './config/reference.ts';
import {
  lowerBackgroundThreads,
  restartWithServerFlags,
  SERVER_V8_FLAGS,
} from './thread-priority.ts';
import { createLogger } from './log.ts';
import { VERSION } from './version.ts';

export type ParsedArgs =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | {
      readonly kind: 'run';
      readonly configFile: string;
      readonly overrides: ConfigOverrides;
      readonly verbose: number;
    };

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const PROGRAM_FLAGS = new Set(['config', 'version', 'help', 'verbose']);

/** The canonical spelling of a long flag written any way (Go-style key names included). */
function canonicalFlag(name: string): string | undefined {
  if (PROGRAM_FLAGS.has(name)) return name;
  const negated = name.startsWith('no-');
  const def = findFlag(negated ? name.slice(3) : name);
  if (!def) return undefined;
  return negated ? `no-${def.flag}` : def.flag;
}

/**
 * Rewrites Go flag-package spellings to what yargs parses: "-config=x" → "--config=x",
 * "-version" → "--version", "-v=2" / "-v 2" → "--verbose --verbose". Arguments after "--" and
 * single-letter bundles such as "-vv" are left alone.
 */
export function normalizeGoFlags(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const verbose = /^--?v(?:=(.*))?$/.exec(arg);
    if (verbose) {
      let level = verbose[1];
      const next = argv[i + 1];
      if (level === undefined && next !== undefined && /^\d+$/.test(next)) {
        level = next;
        i++;
      }
      const n = level === undefined ? 1 : /^\d+$/.test(level) ? Number(level) : NaN;
      if (Number.isNaN(n)) {
        throw new ConfigError(
          `-v: must be a number such as -v=1 or -v=2, got ${JSON.stringify(level)}`,
        );
      }
      for (let k = 0; k < Math.min(n, 10); k++) out.push('--verbose');
      continue;
    }
    const long = /^--?([A-Za-z][\w-]+)(=.*)?$/.exec(arg);
    const name = long ? canonicalFlag(long[1] ?? '') : undefined;
    if (name !== undefined) {
      out.push(`--${name}${long?.[2] ?? ''}`);
      continue;
    }
    out.push(arg);
  }
  return out;
}

/** Parses command-line arguments (without node and script); throws ConfigError on bad flags. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  let parser = yargs(normalizeGoFlags(argv))
    .scriptName('mesos-dns-ts')
    .version(false)
    .help(false)
    .strict()
    .exitProcess(false)
    .fail((message: string | undefined, error: Error | undefined) => {
      throw new ConfigError(
        `command line: ${message ?? error?.message ?? 'invalid arguments'}; see --help`,
      );
    })
    .option('config', { type: 'string' })
    .option('version', { type: 'boolean' })
    .option('help', { type: 'boolean', alias: 'h' })
    .option('verbose', { type: 'count', alias: 'v' });
  for (const def of CONFIG_SCHEMA) {
    const alias = def.key === def.flag ? [] : [def.key];
    if (def.kind === 'boolean') {
      parser = parser.option(def.flag, { type: 'boolean', alias });
    } else if (def.kind === 'list' || def.kind === 'zones' || def.kind === 'keys') {
      parser = parser.option(def.flag, { type: 'array', string: true, alias });
    } else {
      parser = parser.option(def.flag, { type: 'string', alias });
    }
  }
  const args = parser.parseSync() as Record<string, unknown>;
  if (args['help'] === true) return { kind: 'help' };
  if (args['version'] === true) return { kind: 'version' };

  const overrides: Record<string, unknown> = {};
  for (const def of CONFIG_SCHEMA) {
    const raw = args[def.flag];
    if (raw !== undefined) overrides[def.key] = parseFlagValue(def, raw);
  }
  const config = args['config'];
  const configFile = Array.isArray(config)
    ? String(config.at(-1))
    : typeof config === 'string'
      ? config
      : '';
  if (config !== undefined && configFile === '') {
    throw new ConfigError('--config: needs a file path, e.g. -config=/etc/mesos-dns/config.json');
  }
  const verbose = typeof args['verbose'] === 'number' ? args['verbose'] : 0;
  return {
    kind: 'run',
    configFile: configFile === '' ? 'config.json' : configFile,
    overrides,
    verbose,
  };
}

function row(left: string, right: string): string {
  return left.length < 34
    ? `  ${left.padEnd(34)}${right}`
    : `  ${left}\n  ${' '.repeat(34)}${right}`;
}

/** --help text, generated from the schema: every flag with its config key and default. */
export function renderHelp(): string {
  const lines = [
    `mesos-dns-ts ${VERSION}: service-discovery DNS for Apache Mesos, a drop-in for mesos-dns.`,
    '',
    'Usage: mesos-dns-ts [-config=FILE] [-v=1|2] [--flag value ...]',
    '',
    'Flags may be written Go-style (-config=FILE, -port=8053, -v=1) or GNU-style',
    '(--config FILE, --port 8053). A flag overrides the config.json key it names;',
    'list flags repeat or take commas (--masters a:5050,b:5050); booleans take',
    '--flag, --flag=false or --no-flag.',
    '',
    'Program:',
    row('--config FILE', 'config file (default: ./config.json; "~/" is the home directory)'),
    row('-v=N, --verbose', 'more logging: -v=1 debug, -v=2 also a line per query'),
    row('--version', 'print the version and exit'),
    row('-h, --help', 'print this help and exit'),
    '',
    'Config keys:',
  ];
  for (const def of CONFIG_SCHEMA) {
    lines.push(
      row(flagUsage(def), `${def.description} [key: ${def.key}, default: ${formatDefault(def)}]`),
    );
  }
  lines.push('', 'See docs/configuration.md for details.');
  return `${lines.join('\n')}\n`;
}

/** The load worker, started (mesos/state-loader.ts: a module that loads nothing of the server). */
async function startStateLoader() {
  const { WorkerStateLoader } = await import('./mesos/state-loader.ts');
  const loader = new WorkerStateLoader();
  loader.start();
  return loader;
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/**
 * Runs the program. Resolves to an exit code when it ends at once (help, version, bad config,
 * failed start), or undefined while the server runs; a signal closes it and sets exit code 0.
 */
export async function main(
  argv: readonly string[],
  io: CliIo = processIo,
): Promise<number | undefined> {
  let parsed: ParsedArgs;
  let loaded: ReturnType<typeof loadConfig>;
  try {
    parsed = parseArgs(argv);
    if (parsed.kind === 'help') {
      io.stdout(renderHelp());
      return 0;
    }
    if (parsed.kind === 'version') {
      io.stdout(`${VERSION}\n`);
      return 0;
    }
    loaded = loadConfig({
      file: parsed.configFile,
      overrides: parsed.overrides,
      verbose: parsed.verbose,
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`${err.message}\n`);
      return 2;
    }
    throw err;
  }

  const logger = createLogger(loaded.config.verbose);
  for (const warning of loaded.warnings) logger.warn(warning);
  logger.debug({ config: { ...loaded.config, mesosCredentials: '(hidden)' } }, 'configuration');

  // Before any thread that serves exists: background threads (libuv's pool) must not time-slice
  // with DNS answers on a busy core; V8's compile threads keep the serving thread's priority
  // (thread-priority.ts).
  logger.debug({ threads: await lowerBackgroundThreads() }, 'background threads at nice 19');

  // After that (a first load runs at normal priority) and before the server's modules load: the
  // load worker's thread and modules start meanwhile, on the other core, rather than after them
  // (the first load started ~0.1 s sooner at 200,000 tasks; bench/results.md, startup-early).
  const stateLoader = loaded.config.stateSource === 'poll' ? await startStateLoader() : undefined;
  // Loaded only when serving, so --help and --version do not pull in the whole server.
  const { startServer } = await import('./server.ts');
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(loaded.config, {
      logger,
      ...(stateLoader === undefined ? {} : { stateLoader }),
    });
  } catch (err) {
    logger.fatal({ err }, 'could not start');
    return 1;
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without waiting for close');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // A close that hangs (a stuck socket) must not keep the process alive forever.
    const force = setTimeout(() => {
      logger.error('close did not finish within 10 s; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    server.close().then(
      () => {
        clearTimeout(force);
        process.exitCode = 0;
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'close failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // mesos-dns exits when it cannot find a leader within zkDetectionTimeout; so do we, so that a
  // supervisor (Marathon, systemd) restarts us rather than leaving a server with no records.
  server.onFatal((error) => {
    io.stderr(`mesos-dns-ts: ${error.message}\n`);
    const force = setTimeout(() => process.exit(1), 5_000);
    force.unref();
    void server.close().finally(() => process.exit(1));
  });
  return undefined;
}

if (import.meta.main) {
  // Before anything else: the server runs under node --single-threaded-gc --liftoff-only, with
  // MALLOC_ARENA_MAX=2 (thread-priority.ts).
  const notRestarted = restartWithServerFlags();
  if (notRestarted !== null) {
    process.stderr.write(
      `mesos-dns-ts: could not run again under node ${SERVER_V8_FLAGS.join(' ')} (${notRestarted.message}); serving without them\n`,
    );
  }
  main(process.argv.slice(2)).then(
    (code) => {
      if (code !== undefined) process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(
        `mesos-dns-ts: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
