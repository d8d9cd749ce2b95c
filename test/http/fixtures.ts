// Hand-made inputs for the HTTP tests: a complete Config on loopback and a small RecordSet.
import { schemaDefaults } from '../../src/config/schema.ts';
import type { Config } from '../../src/config/types.ts';
import type { Logger } from '../../src/log.ts';
import { silentLogger } from '../../src/log.ts';
import { Metrics } from '../../src/metrics/metrics.ts';
import type { ApiBody } from '../../src/records/api-bodies.ts';
import { ENUM_A, ENUM_SRV, EnumerationBuilder } from '../../src/records/enumeration.ts';
import type { Enumeration, RecordSet } from '../../src/records/recordset.ts';
import { RecordStore, type LoadInfo } from '../../src/records/store.ts';
import { startHttpServer, type HttpLimits, type HttpServerHandle } from '../../src/http/server.ts';

export const SECRET = 'sup3r-s3cret-Pa55word';

export function testConfig(overrides: Partial<Config> = {}): Config {
  // Defaults come from the schema; these tests add credentials and paths that must not leak.
  return {
    ...schemaDefaults(),
    verbose: 0,
    configFile: '/etc/mesos-dns/config.json',
    zk: 'zk://dns:zkpass@127.0.0.1:2181/mesos',
    masters: ['127.0.0.1:5050'],
    port: 0,
    resolvers: ['127.0.0.1'],
    listener: '127.0.0.1',
    httpport: 0,
    SOARname: 'root@ns1.mesos',
    mesosCredentials: { principal: 'dns-principal', secret: SECRET },
    mesosAuthentication: 'basic',
    KeyFile: '/etc/mesos-dns/client.key',
    HTTPListener: '127.0.0.1',
    stateMaxBytes: 64 * 1024 * 1024,
    ...overrides,
  };
}

export const SLAVE_TARGET = 'web-abc12-s1.marathon.slave.mesos.';

export function testRecordSet(): RecordSet {
  return {
    domain: 'mesos',
    a: new Map([
      ['web.marathon.mesos.', ['10.0.0.1', '10.0.0.2']],
      [SLAVE_TARGET, ['10.0.1.1']],
      ['leader.mesos.', ['10.0.0.9']],
      ['dual.marathon.mesos.', ['10.0.0.7']],
    ]),
    aaaa: new Map([
      ['v6.marathon.mesos.', ['fd00::1']],
      ['dual.marathon.mesos.', ['fd00::7']],
    ]),
    srv: new Map([
      [
        '_web._tcp.marathon.mesos.',
        [
          { target: SLAVE_TARGET, port: 31000, priority: 0, weight: 1 },
          { target: 'dual.marathon.mesos.', port: 8080, priority: 0, weight: 1 },
          { target: 'noaddress.marathon.mesos.', port: 9, priority: 0, weight: 1 },
        ],
      ],
      ['_leader._tcp.mesos.', [{ target: 'leader.mesos.', port: 5050, priority: 0, weight: 1 }]],
    ]),
    ptr: new Map([['1.0.0.10.in-addr.arpa.', ['web-abc12-s1.marathon.mesos.']]]),
    leader: '10.0.0.9:5050',
    enumeration: testEnumeration(),
    counts: { tasks: 1, frameworks: 1, agents: 1 },
  };
}

/** Task web.abc12 with web.marathon.mesos. A 10.0.0.1 and _web._tcp SRV `${SLAVE_TARGET}:31000`. */
function testEnumeration(): Enumeration {
  const e = new EnumerationBuilder();
  e.framework('marathon');
  e.task('web', 'web.abc12');
  // Records are their values' positions under their names in the maps above.
  e.add(ENUM_A, 'web.marathon.mesos.', 0);
  e.add(ENUM_SRV, '_web._tcp.marathon.mesos.', 0);
  return e.finish();
}

/** The set as it crosses from the load worker, which keeps the enumeration. */
export function withoutEnumeration(set: RecordSet): RecordSet {
  return { ...set, enumeration: undefined };
}

export function loadInfo(atMs = Date.now()): LoadInfo {
  return { atMs, durationMs: 42, master: '10.0.0.9:5050', tasks: 1, records: 9 };
}

export interface Harness {
  readonly base: string;
  readonly server: HttpServerHandle;
  readonly store: RecordStore;
  readonly metrics: Metrics;
  dnsListening: boolean;
  close(): Promise<void>;
}

export async function startHarness(
  options: {
    config?: Partial<Config>;
    loaded?: boolean;
    logger?: Logger;
    limits?: Partial<HttpLimits>;
    render?: (body: ApiBody) => Promise<readonly Uint8Array[] | null>;
  } = {},
): Promise<Harness> {
  const store = new RecordStore();
  if (options.loaded ?? true) store.swap(testRecordSet(), loadInfo());
  const metrics = new Metrics({ version: '9.9.9-test', processMetrics: false });
  const state = { dnsListening: true };
  const server = await startHttpServer({
    config: testConfig(options.config),
    store,
    metrics,
    logger: options.logger ?? silentLogger(),
    isDnsListening: () => state.dnsListening,
    version: '9.9.9-test',
    limits: options.limits,
    ...(options.render ? { render: options.render } : {}),
  });
  const host =
    server.address.family === 'IPv6' ? `[${server.address.address}]` : server.address.address;
  return {
    base: `http://${host}:${server.address.port}`,
    server,
    store,
    metrics,
    get dnsListening() {
      return state.dnsListening;
    },
    set dnsListening(value: boolean) {
      state.dnsListening = value;
    },
    close: () => server.close(),
  };
}
