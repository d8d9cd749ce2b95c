// `npm run demo`: a simulated Mesos master with the demo cluster and the real server against it,
// all on loopback, then a banner of dig and curl lines to try. The server follows the master's
// event stream; keys typed here (m, a, k + Enter) move, add or kill a `web` task and print when
// the server swapped the change in, so `watch dig` in another terminal shows it arrive.
// Ctrl-C stops both.
//   node sim/demo.ts [--port 8053] [--http-port 8123] [--state-source auto] [--refresh-seconds 5] [-v]
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { buildConfig, ConfigError } from '../src/config/load.ts';
import { createLogger } from '../src/log.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { demoCluster } from './cluster.ts';
import { SimMaster } from './master.ts';

const USAGE = `Usage: node sim/demo.ts [--port N] [--http-port N] [--state-source S] [--refresh-seconds N] [-v]
  --port N             DNS port on 127.0.0.1 (default 8053; 0 picks a free one)
  --http-port N        HTTP API port on 127.0.0.1 (default 8123; 0 picks a free one)
  --state-source S     auto (default: the event stream), subscribe, or poll
  --refresh-seconds N  seconds between state reloads when polling (default 5)
  -v, --verbose        show the server's JSON logs (on stderr)
While it runs, type m (move a web task), a (add one) or k (kill one), then Enter.
`;

function fail(message: string): never {
  process.stderr.write(`demo: ${message}\n`);
  process.exit(2);
}

function parsePort(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    fail(`--${name} must be a whole number from ${min} to ${max}, got "${text}"`);
  }
  return n;
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      port: { type: 'string', default: '8053' },
      'http-port': { type: 'string', default: '8123' },
      'refresh-seconds': { type: 'string', default: '5' },
      'state-source': { type: 'string', default: 'auto' },
      verbose: { type: 'boolean', short: 'v', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`);
}
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const dnsPort = parsePort('port', values.port, 0, 65535);
const httpPort = parsePort('http-port', values['http-port'], 0, 65535);
const refreshSeconds = parsePort('refresh-seconds', values['refresh-seconds'], 1, 3600);

// Logs go to stderr so the banner on stdout stays readable; warnings always show.
const logger = createLogger(0, pino.destination(2));
logger.level = values.verbose ? 'info' : 'warn';

const master = await SimMaster.start({ cluster: demoCluster() });

let built;
try {
  built = buildConfig(
    {
      masters: [master.address],
      refreshSeconds,
      stateSource: values['state-source'],
      port: dnsPort,
      httpport: httpPort,
      listener: '127.0.0.1',
      HTTPListener: '127.0.0.1',
      // Names outside the domain get REFUSED/SERVFAIL: the demo never forwards off this host.
      externalon: false,
      SOAMname: 'ns1.mesos',
      SOARname: 'root.ns1.mesos',
      IPSources: ['netinfo', 'mesos', 'host'],
      EnumerationOn: true,
    },
    { source: 'demo config' },
  );
} catch (err) {
  await master.close();
  fail(err instanceof ConfigError ? err.message : String(err));
}
for (const warning of built.warnings) logger.warn(warning);

let server: RunningServer;
try {
  server = await startServer(built.config, { logger });
} catch (err) {
  await master.close();
  const message = err instanceof Error ? err.message : String(err);
  if (/EADDRINUSE|EACCES/.test(message)) {
    fail(`${message}\n  pick other ports with --port N --http-port N (0 picks free ones)`);
  }
  fail(`server did not start: ${message}`);
}

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) {
    process.stderr.write('demo: second signal, exiting without waiting\n');
    process.exit(1);
  }
  stopping = true;
  process.stdout.write(`\n${signal}: stopping the server and the simulated master\n`);
  const force = setTimeout(() => {
    process.stderr.write('demo: shutdown took over 10 s; exiting\n');
    process.exit(1);
  }, 10_000);
  force.unref();
  Promise.all([server.close(), master.close()]).then(
    () => {
      clearTimeout(force);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`demo: shutdown failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
server.onFatal((error) => {
  process.stderr.write(`demo: leader detection failed: ${error.message}\n`);
  stop('fatal');
});

// The banner is only worth printing once the names it lists resolve.
await new Promise<void>((resolve) => {
  if (server.store.current !== null) {
    resolve();
    return;
  }
  server.store.onSwap(() => resolve());
});

process.stdout.write(banner(server.dns, server.http, master.address));
listenForKeys();

/** How the server learns the cluster now ("auto" has settled by the first swap). */
function learning(): string {
  return server.streamer !== null
    ? "follows the master's event stream (changes arrive within a second)"
    : `polls the master's state every ${refreshSeconds} s`;
}

// --- Changes typed on stdin: each one is a change on the simulated master, whose event the
// server follows; the next swap of records is reported with how long after the change it came.

const MARATHON = 'marathon';
let nextContainerIp = 10;
let nextPort = 31010;

function webTasks(): { readonly id: string; readonly slave_id: string }[] {
  const framework = master.cluster.frameworks.find((f) => f.name === MARATHON);
  return framework?.tasks.filter((t) => t.name === 'web') ?? [];
}

/** Starts a web task on the next IPv4 agent after `afterAgent`; describes where it runs. */
function startWeb(afterAgent: string | null): string {
  const agents = master.cluster.slaves;
  const v4 = agents.map((a, i) => ({ a, i })).filter(({ a }) => !a.hostname.includes(':'));
  const at = v4.findIndex(({ a }) => a.id === afterAgent);
  const target = v4[(at + 1) % v4.length]!;
  const ip = `172.17.0.${nextContainerIp++}`;
  const port = nextPort++;
  master.startTask({
    name: 'web',
    framework: MARATHON,
    agent: target.i,
    ports: [[port, port]],
    containerIps: [ip],
  });
  return `${ip} (port ${port} on agent ${target.a.hostname})`;
}

function applyKey(key: string): string | null {
  const web = webTasks();
  switch (key) {
    case '':
    case 'm': {
      const old = web[0];
      if (old === undefined) return `no web task to move; type a to add one`;
      master.killTask(old.id);
      return `moved a web task: killed ${old.id}, started ${startWeb(old.slave_id)}`;
    }
    case 'a':
      return `added a web task: ${startWeb(web.at(-1)?.slave_id ?? null)}`;
    case 'k': {
      const old = web[0];
      if (old === undefined) return 'no web task to kill';
      master.killTask(old.id);
      return `killed web task ${old.id}`;
    }
    default:
      return null;
  }
}

function listenForKeys(): void {
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (stopping) return;
    const done = applyKey(line.trim().toLowerCase());
    if (done === null) {
      process.stdout.write('type m (move a web task), a (add one) or k (kill one), then Enter\n');
      return;
    }
    const changedAt = performance.now();
    process.stdout.write(`${done}\n`);
    const onSwap = (): void => {
      server.store.offSwap(onSwap);
      const ms = Math.round(performance.now() - changedAt);
      process.stdout.write(`  served ${ms} ms later: the server ${learning()}\n`);
    };
    server.store.onSwap(onSwap);
  });
}

function banner(dns: AddressInfo | null, http: AddressInfo | null, masterAddress: string): string {
  const d = `dig @127.0.0.1 -p ${dns?.port ?? '?'}`;
  const c = `curl -s http://127.0.0.1:${http?.port ?? '?'}`;
  const row = (cmd: string, note: string): string => `  ${cmd.padEnd(70)} # ${note}`;
  return [
    '',
    `mesos-dns-ts demo: DNS on 127.0.0.1:${dns?.port ?? '-'}, HTTP on 127.0.0.1:${http?.port ?? '-'}`,
    `simulated Mesos master on ${masterAddress} (frameworks marathon and my.framework.v2,`,
    `apps web x3, db with DiscoveryInfo, v6app on IPv6); the server ${learning()}`,
    '',
    'Watch a change arrive: in another terminal run',
    `  watch -n 0.2 '${d} +short web.marathon.mesos; ${d} +short _web._tcp.marathon.mesos SRV'`,
    'then type m and Enter here: a web task moves to another agent with a new address and port',
    '(a adds one, k kills one); the line after it says how soon the server served the change.',
    '',
    'Try:',
    row(`${d} web.marathon.mesos`, '3 A records, random order'),
    row(`${d} _web._tcp.marathon.mesos SRV`, 'SRV with host ports'),
    row(`${d} _postgres._db._tcp.marathon.mesos SRV`, 'DiscoveryInfo named port'),
    row(`${d} v6app.marathon.mesos AAAA`, 'container IPv6 address'),
    row(`${d} worker.my.framework.v2.mesos`, 'framework name with dots'),
    row(`${d} leader.mesos`, 'the leading master'),
    row(`${d} master.mesos`, 'all masters'),
    row(`${d} slave.mesos`, 'all agents (AAAA for the IPv6 one)'),
    row(`${c}/v1/hosts/web.marathon.mesos`, 'HTTP API: hosts'),
    row(`${c}/v1/services/_web._tcp.marathon.mesos`, 'HTTP API: services'),
    row(`${c}/v1/config`, 'effective configuration'),
    row(`${c}/ready`, 'readiness, last load'),
    row(`${c}/metrics | grep mesos_dns_stream`, 'event stream metrics'),
    row(`${c}/metrics | grep mesos_dns`, 'Prometheus metrics'),
    '',
    'Press Ctrl-C to stop.',
    '',
  ].join('\n');
}
