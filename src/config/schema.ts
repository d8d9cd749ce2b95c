// The single declaration of every config.json key: spelling, type, default, bounds, flag and
// description. The loader, the validator, --help and docs/configuration.md are all driven from it.
import type { Config } from './types.ts';

/** Keys that config.json may set (everything in Config except what the program derives). */
export type FileKey = Exclude<keyof Config, 'verbose' | 'configFile'>;

/** How a value is read from JSON and from a flag. */
export type ValueKind =
  'string' | 'integer' | 'boolean' | 'list' | 'zones' | 'credentials' | 'keys';

interface KeyDefFor<K extends FileKey> {
  /** Exact spelling used by mesos-dns (matched case-insensitively in files). */
  readonly key: K;
  readonly kind: ValueKind;
  readonly default: Config[K];
  /** Long command-line flag without the dashes (kebab-case). */
  readonly flag: string;
  readonly description: string;
  /** Inclusive bounds for integers. */
  readonly min?: number;
  readonly max?: number;
  /** Allowed values for a string key. */
  readonly choices?: readonly string[];
  /** Where the key comes from: mesos-dns's own set, or added by this project. */
  readonly origin: 'mesos-dns' | 'ours';
}

export type KeyDef = { [K in FileKey]: KeyDefFor<K> }[FileKey];

const U32_MAX = 4294967295;
const I32_MAX = 2147483647;

/** IP sources the record generator understands. */
export const IP_SOURCES = ['netinfo', 'mesos', 'docker', 'host'] as const;

/** Every config key, in the order mesos-dns documents them, then ours. */
export const CONFIG_SCHEMA: readonly KeyDef[] = [
  {
    key: 'zk',
    kind: 'string',
    default: '',
    flag: 'zk',
    description: 'ZooKeeper URL used to find the leading master, e.g. zk://10.0.0.1:2181/mesos',
    origin: 'mesos-dns',
  },
  {
    key: 'zkDetectionTimeout',
    kind: 'integer',
    default: 30,
    flag: 'zk-detection-timeout',
    description:
      'Seconds without a leader reported by ZooKeeper before the process exits; 0 = never',
    min: 0,
    max: I32_MAX,
    origin: 'mesos-dns',
  },
  {
    key: 'masters',
    kind: 'list',
    default: [],
    flag: 'masters',
    description: 'Mesos masters as host:port, tried when ZooKeeper is unset or unavailable',
    origin: 'mesos-dns',
  },
  {
    key: 'refreshSeconds',
    kind: 'integer',
    default: 60,
    flag: 'refresh-seconds',
    description: 'Seconds between reloads of the master state',
    min: 1,
    max: I32_MAX,
    origin: 'mesos-dns',
  },
  {
    key: 'stateTimeoutSeconds',
    kind: 'integer',
    default: 300,
    flag: 'state-timeout-seconds',
    description: 'Seconds to wait for the master to return its state',
    min: 1,
    max: I32_MAX,
    origin: 'mesos-dns',
  },
  {
    key: 'ttl',
    kind: 'integer',
    default: 60,
    flag: 'ttl',
    description: 'TTL of records in the Mesos domain, seconds',
    min: 0,
    max: I32_MAX,
    origin: 'mesos-dns',
  },
  {
    key: 'domain',
    kind: 'string',
    default: 'mesos',
    flag: 'domain',
    description: 'Domain served from Mesos state',
    origin: 'mesos-dns',
  },
  {
    key: 'port',
    kind: 'integer',
    default: 53,
    flag: 'port',
    description: 'DNS port (UDP and TCP); 0 picks a free port',
    min: 0,
    max: 65535,
    origin: 'mesos-dns',
  },
  {
    key: 'resolvers',
    kind: 'list',
    default: ['8.8.8.8'],
    flag: 'resolvers',
    description: 'Upstream DNS servers for other names, as ip or ip:port ([v6]:port)',
    origin: 'mesos-dns',
  },
  {
    key: 'zoneResolvers',
    kind: 'zones',
    default: {},
    flag: 'zone-resolvers',
    description: 'Per-zone upstream servers; flag form zone=ip[,ip...], repeatable',
    origin: 'mesos-dns',
  },
  {
    key: 'timeout',
    kind: 'integer',
    default: 5,
    flag: 'timeout',
    description: 'Seconds per upstream DNS attempt',
    min: 1,
    max: 3600,
    origin: 'mesos-dns',
  },
  {
    key: 'listener',
    kind: 'string',
    default: '0.0.0.0',
    flag: 'listener',
    description: 'IP address the DNS server binds to',
    origin: 'mesos-dns',
  },
  {
    key: 'dnson',
    kind: 'boolean',
    default: true,
    flag: 'dnson',
    description: 'Serve DNS',
    origin: 'mesos-dns',
  },
  {
    key: 'httpon',
    kind: 'boolean',
    default: true,
    flag: 'httpon',
    description: 'Serve the HTTP API',
    origin: 'mesos-dns',
  },
  {
    key: 'httpport',
    kind: 'integer',
    default: 8123,
    flag: 'httpport',
    description: 'HTTP API port; 0 picks a free port',
    min: 0,
    max: 65535,
    origin: 'mesos-dns',
  },
  {
    key: 'externalon',
    kind: 'boolean',
    default: true,
    flag: 'externalon',
    description: 'Forward names outside the Mesos domain to the resolvers',
    origin: 'mesos-dns',
  },
  {
    key: 'SOAMname',
    kind: 'string',
    default: 'ns1.mesos',
    flag: 'soa-mname',
    description: 'SOA MNAME: primary name server of the domain',
    origin: 'mesos-dns',
  },
  {
    key: 'SOARname',
    kind: 'string',
    default: 'root.ns1.mesos',
    flag: 'soa-rname',
    description: 'SOA RNAME: mailbox of the admin, "@" written as "."',
    origin: 'mesos-dns',
  },
  {
    key: 'SOARefresh',
    kind: 'integer',
    default: 60,
    flag: 'soa-refresh',
    description: 'SOA REFRESH, seconds',
    min: 0,
    max: U32_MAX,
    origin: 'mesos-dns',
  },
  {
    key: 'SOARetry',
    kind: 'integer',
    default: 600,
    flag: 'soa-retry',
    description: 'SOA RETRY, seconds',
    min: 0,
    max: U32_MAX,
    origin: 'mesos-dns',
  },
  {
    key: 'SOAExpire',
    kind: 'integer',
    default: 86400,
    flag: 'soa-expire',
    description: 'SOA EXPIRE, seconds',
    min: 0,
    max: U32_MAX,
    origin: 'mesos-dns',
  },
  {
    key: 'SOAMinttl',
    kind: 'integer',
    default: 60,
    flag: 'soa-minttl',
    description: 'SOA MINIMUM: negative-answer TTL, seconds',
    min: 0,
    max: U32_MAX,
    origin: 'mesos-dns',
  },
  {
    key: 'recurseon',
    kind: 'boolean',
    default: true,
    flag: 'recurseon',
    description: 'Set RA (recursion available) on answers in the Mesos domain',
    origin: 'mesos-dns',
  },
  {
    key: 'enforceRFC952',
    kind: 'boolean',
    default: false,
    flag: 'enforce-rfc952',
    description: 'Use the stricter RFC 952 label rules (letter first, 24 chars)',
    origin: 'mesos-dns',
  },
  {
    key: 'IPSources',
    kind: 'list',
    default: ['netinfo', 'mesos', 'host'],
    flag: 'ip-sources',
    description: `Task IP sources by priority, from: ${IP_SOURCES.join(', ')}`,
    origin: 'mesos-dns',
  },
  {
    key: 'EnumerationOn',
    kind: 'boolean',
    default: true,
    flag: 'enumeration-on',
    description: 'Serve /v1/enumerate on the HTTP API',
    origin: 'mesos-dns',
  },
  {
    key: 'srvRecordDefaultWeight',
    kind: 'integer',
    default: 1,
    flag: 'srv-record-default-weight',
    description: 'Weight field of SRV records',
    min: 0,
    max: 65535,
    origin: 'mesos-dns',
  },
  {
    key: 'SetTruncateBit',
    kind: 'boolean',
    default: true,
    flag: 'set-truncate-bit',
    description: 'Set TC on UDP answers cut to fit, so clients retry over TCP',
    origin: 'mesos-dns',
  },
  {
    key: 'mesosCredentials',
    kind: 'credentials',
    default: { principal: '', secret: '' },
    flag: 'mesos-credentials',
    description: 'Principal and secret for basic auth; flag form principal:secret',
    origin: 'mesos-dns',
  },
  {
    key: 'mesosAuthentication',
    kind: 'string',
    default: '',
    flag: 'mesos-authentication',
    description: 'How to authenticate to the masters: "" (none) or "basic"',
    choices: ['', 'basic'],
    origin: 'mesos-dns',
  },
  {
    key: 'mesosHTTPSOn',
    kind: 'boolean',
    default: false,
    flag: 'mesos-https-on',
    description: 'Talk to the masters over HTTPS',
    origin: 'mesos-dns',
  },
  {
    key: 'CACertFile',
    kind: 'string',
    default: '',
    flag: 'ca-cert-file',
    description: 'PEM CA bundle to verify the masters’ certificates',
    origin: 'mesos-dns',
  },
  {
    key: 'CertFile',
    kind: 'string',
    default: '',
    flag: 'cert-file',
    description: 'PEM client certificate presented to the masters (with KeyFile)',
    origin: 'mesos-dns',
  },
  {
    key: 'KeyFile',
    kind: 'string',
    default: '',
    flag: 'key-file',
    description: 'PEM private key of CertFile',
    origin: 'mesos-dns',
  },
  {
    key: 'HTTPListener',
    kind: 'string',
    default: '0.0.0.0',
    flag: 'http-listener',
    description: 'IP address the HTTP API binds to',
    origin: 'mesos-dns',
  },
  {
    key: 'onlyHealthy',
    kind: 'boolean',
    default: false,
    flag: 'only-healthy',
    description:
      'Leave tasks whose Mesos health check says unhealthy out of T.F.D, T.F.slave.D and their SRV names (canonical names keep answering); when every task behind a name is unhealthy, all answer (fail open). Marathon health checks are invisible to Mesos',
    origin: 'ours',
  },
  {
    key: 'ptron',
    kind: 'boolean',
    default: false,
    flag: 'ptron',
    description:
      'Answer reverse lookups (PTR in in-addr.arpa and ip6.arpa) for task addresses from the container (netinfo, mesos, docker sources); other reverse names are forwarded; with transferAllow also served by AXFR/IXFR',
    origin: 'ours',
  },
  {
    key: 'cacheSize',
    kind: 'integer',
    default: 10000,
    flag: 'cache-size',
    description: 'Forwarded answers kept in the cache; 0 disables the cache',
    min: 0,
    max: 100_000_000,
    origin: 'ours',
  },
  {
    key: 'answerCacheMB',
    kind: 'integer',
    default: 64,
    flag: 'answer-cache-mb',
    description:
      'Memory bound on the prepared answers for names in the domain, per DNS thread, MiB (real bytes, off the V8 heap, oldest evicted first; about 100 bytes per one-address A answer)',
    min: 1,
    max: 65_536,
    origin: 'ours',
  },
  {
    key: 'cacheMaxTTL',
    kind: 'integer',
    default: 3600,
    flag: 'cache-max-ttl',
    description: 'Longest time a forwarded answer is cached, seconds',
    min: 0,
    max: I32_MAX,
    origin: 'ours',
  },
  {
    key: 'cacheServeStale',
    kind: 'integer',
    default: 0,
    flag: 'cache-serve-stale',
    description:
      'Serve expired cached answers up to this many seconds old when upstreams fail; 0 = off',
    min: 0,
    max: I32_MAX,
    origin: 'ours',
  },
  {
    key: 'stateHeadersTimeoutSeconds',
    kind: 'integer',
    default: 10,
    flag: 'state-headers-timeout-seconds',
    description:
      'Seconds a master has to accept the connection and send headers (poll or stream) before the next is asked, logged and counted (mesos_dns_state_masters_silent_total); stateTimeoutSeconds still bounds the whole load',
    min: 1,
    max: I32_MAX,
    origin: 'ours',
  },
  {
    key: 'stateMaxBytes',
    kind: 'integer',
    default: 268435456,
    flag: 'state-max-bytes',
    description:
      'Largest master state body accepted, bytes; in stream mode one event stream record (the SUBSCRIBED snapshot, ~2.2× the state body) may be 3× this, at most 536870888',
    min: 1024,
    max: 2 ** 40,
    origin: 'ours',
  },
  {
    key: 'udpMaxSize',
    kind: 'integer',
    default: 1232,
    flag: 'udp-max-size',
    description:
      'Largest DNS answer sent over UDP, bytes, whatever EDNS size a client offers; longer answers are truncated (TC) and go over TCP',
    min: 512,
    max: 65535,
    origin: 'ours',
  },
  {
    key: 'tcpMaxConnections',
    kind: 'integer',
    default: 1000,
    flag: 'tcp-max-connections',
    description:
      'Open DNS TCP connections per DNS thread; at the cap the least recently active one is closed to admit a new one',
    min: 1,
    max: 1_000_000,
    origin: 'ours',
  },
  {
    key: 'tcpMaxConnectionsPerSource',
    kind: 'integer',
    default: 100,
    flag: 'tcp-max-connections-per-source',
    description:
      'Open DNS TCP connections from one client address per DNS thread; past it that client’s least recently active one is closed',
    min: 1,
    max: 1_000_000,
    origin: 'ours',
  },
  {
    key: 'tcpIdleSeconds',
    kind: 'integer',
    default: 10,
    flag: 'tcp-idle-seconds',
    description:
      'Seconds a DNS TCP connection may go without sending a whole query before it is closed (bytes of an unfinished query do not count)',
    min: 1,
    max: 3600,
    origin: 'ours',
  },
  {
    key: 'httpMaxConnections',
    kind: 'integer',
    default: 1024,
    flag: 'http-max-connections',
    description:
      'Open HTTP API connections; at the cap the least recently active one (a client still sending its headers first) is closed to admit a new one',
    min: 1,
    max: 1_000_000,
    origin: 'ours',
  },
  {
    key: 'httpMaxConnectionsPerSource',
    kind: 'integer',
    default: 100,
    flag: 'http-max-connections-per-source',
    description:
      'Open HTTP API connections from one client address; past it that client’s least recently active one is closed',
    min: 1,
    max: 1_000_000,
    origin: 'ours',
  },
  {
    key: 'workers',
    kind: 'integer',
    default: 1,
    flag: 'workers',
    description: 'DNS serving threads sharing the port',
    min: 1,
    max: 256,
    origin: 'ours',
  },
  {
    key: 'transferAllow',
    kind: 'list',
    default: [],
    flag: 'transfer-allow',
    description:
      'IPs and CIDRs that may transfer the zone (AXFR/IXFR over TCP), e.g. ["10.0.0.0/8"]; empty refuses all',
    origin: 'ours',
  },
  {
    key: 'transferKeys',
    kind: 'keys',
    default: {},
    flag: 'transfer-keys',
    description:
      'TSIG keys, name → "hmac-sha256:BASE64"; when set, transfers must be signed with one, and answers and NOTIFY are signed',
    origin: 'ours',
  },
  {
    key: 'notify',
    kind: 'list',
    default: [],
    flag: 'notify',
    description: 'Secondaries sent a NOTIFY when the zone changes, as ip:port ([v6]:port)',
    origin: 'ours',
  },
  {
    key: 'stateSource',
    kind: 'string',
    default: 'auto',
    flag: 'state-source',
    description:
      'How the cluster is learnt: "poll" (/master/state every refreshSeconds, as mesos-dns), "subscribe" (the v1 operator API event stream: changes within a second), or "auto" (subscribe where the master serves /api/v1, else poll)',
    choices: ['poll', 'subscribe', 'auto'],
    origin: 'ours',
  },
  {
    key: 'streamCoalesceMs',
    kind: 'integer',
    default: 50,
    flag: 'stream-coalesce-ms',
    description:
      'Stream mode: events arriving within this many milliseconds of the first are swapped in together (a deploy of 1,000 tasks is one swap)',
    min: 0,
    max: 10_000,
    origin: 'ours',
  },
  {
    key: 'streamRecoverySeconds',
    kind: 'integer',
    default: 120,
    flag: 'stream-recovery-seconds',
    description:
      'Stream mode: after a master failover, seconds to keep serving the tasks of agents that have not reregistered with the new leader',
    min: 0,
    max: I32_MAX,
    origin: 'ours',
  },
];

/**
 * Keys mesos-dns accepts that this program recognises but does not use: setting them warns
 * instead of failing, so a mesos-dns config.json loads unchanged.
 */
export const IGNORED_KEYS: Readonly<Record<string, string>> = {
  iamconfigfile: 'IAM authentication is not supported by mesos-dns-ts; the key is ignored',
  soaserial: 'the SOA serial is derived from the record generation time; the key is ignored',
  file: 'the config file path comes from -config; the key is ignored',
};

/** Built-in default of every key, as a Config minus the derived fields. */
export function schemaDefaults(): { [K in FileKey]: Config[K] } {
  const out: Partial<Record<FileKey, unknown>> = {};
  for (const def of CONFIG_SCHEMA) out[def.key] = structuredClone(def.default);
  return out as { [K in FileKey]: Config[K] };
}

/** The schema entry for a key spelled any way Go's encoding/json would accept. */
export function findKey(name: string): KeyDef | undefined {
  const lower = name.toLowerCase();
  return CONFIG_SCHEMA.find((d) => d.key.toLowerCase() === lower);
}

/** The schema entry whose flag (kebab-case) or key (any case) is `flag`. */
export function findFlag(flag: string): KeyDef | undefined {
  return CONFIG_SCHEMA.find((d) => d.flag === flag) ?? findKey(flag);
}
