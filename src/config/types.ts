// The validated, frozen configuration every module receives. Key names are mesos-dns's
// config.json keys exactly as its documentation spells them (the loader matches file keys
// case-insensitively, as Go's encoding/json does), plus keys that are ours (marked "ours").

export type IPSource = 'netinfo' | 'mesos' | 'docker' | 'host';

export interface MesosCredentials {
  readonly principal: string;
  readonly secret: string;
}

export interface Config {
  /** ZooKeeper URL, e.g. "zk://10.0.0.1:2181,10.0.0.2:2181/mesos"; "" when unused. */
  readonly zk: string;
  /** Seconds with no known leader before the process exits; 0 disables. */
  readonly zkDetectionTimeout: number;
  /** Master addresses "host:port" (IPv6 as "[::1]:5050"). */
  readonly masters: readonly string[];
  readonly refreshSeconds: number;
  readonly stateTimeoutSeconds: number;
  /** ours: seconds for a master to accept and send response headers before the next is asked. */
  readonly stateHeadersTimeoutSeconds: number;
  /** TTL of every authoritative record, seconds. */
  readonly ttl: number;
  /** Lower-case, no trailing dot: "mesos". */
  readonly domain: string;
  readonly port: number;
  /** Upstream resolvers as "ip" or "ip:port" / "[v6]:port". */
  readonly resolvers: readonly string[];
  /** Zone (lower-case, no trailing dot) → its own resolvers. */
  readonly zoneResolvers: Readonly<Record<string, readonly string[]>>;
  /** Seconds per upstream attempt. */
  readonly timeout: number;
  readonly listener: string;
  readonly dnson: boolean;
  readonly httpon: boolean;
  readonly httpport: number;
  readonly externalon: boolean;
  /** As written in config.json, e.g. "ns1.mesos"; the DNS layer makes it absolute. */
  readonly SOAMname: string;
  /** As written; "@" may stand for the first dot, as in mesos-dns. */
  readonly SOARname: string;
  readonly SOARefresh: number;
  readonly SOARetry: number;
  readonly SOAExpire: number;
  readonly SOAMinttl: number;
  readonly recurseon: boolean;
  readonly enforceRFC952: boolean;
  readonly IPSources: readonly IPSource[];
  readonly EnumerationOn: boolean;
  readonly srvRecordDefaultWeight: number;
  readonly SetTruncateBit: boolean;
  readonly mesosCredentials: MesosCredentials;
  /** "" (none) or "basic". */
  readonly mesosAuthentication: '' | 'basic';
  readonly mesosHTTPSOn: boolean;
  readonly CACertFile: string;
  readonly CertFile: string;
  readonly KeyFile: string;
  readonly HTTPListener: string;

  /** ours: forwarder cache entries; 0 disables the cache. */
  readonly cacheSize: number;
  /** ours: bound on the prepared authoritative answers held per DNS thread, MiB. */
  readonly answerCacheMB: number;
  /** ours: upper bound on any cached TTL, seconds. */
  readonly cacheMaxTTL: number;
  /** ours: serve expired answers up to this many seconds old when every upstream fails; 0 = off. */
  readonly cacheServeStale: number;
  /** ours: largest accepted /master/state body, bytes. */
  readonly stateMaxBytes: number;
  /** ours: cap on any UDP answer, bytes (amplification guard; 1232 as Knot, BIND, Unbound). */
  readonly udpMaxSize: number;
  /** ours: DNS TCP connections per DNS thread; the least recently active gives way at the cap. */
  readonly tcpMaxConnections: number;
  /** ours: DNS TCP connections per client address per DNS thread. */
  readonly tcpMaxConnectionsPerSource: number;
  /** ours: seconds a TCP connection may go without a whole query. */
  readonly tcpIdleSeconds: number;
  /** ours: HTTP API connections; the least recently active gives way at the cap. */
  readonly httpMaxConnections: number;
  /** ours: HTTP API connections per client address. */
  readonly httpMaxConnectionsPerSource: number;
  /** ours: leave unhealthy tasks out of shared names (fail open when all are unhealthy). */
  readonly onlyHealthy: boolean;
  /** ours: PTR records for task addresses that come from the container. */
  readonly ptron: boolean;
  /** ours: DNS serving threads sharing the port. */
  readonly workers: number;
  /** ours: IPs and CIDRs allowed to transfer the zone (AXFR/IXFR); empty refuses every transfer. */
  readonly transferAllow: readonly string[];
  /** ours: TSIG key name → "hmac-sha256:BASE64"; when any is set, transfers must be signed. */
  readonly transferKeys: Readonly<Record<string, string>>;
  /** ours: secondaries ("ip:port") sent a NOTIFY when the zone changes. */
  readonly notify: readonly string[];
  /** ours: how the cluster is learnt: polling /master/state, the v1 event stream, or auto. */
  readonly stateSource: 'poll' | 'subscribe' | 'auto';
  /** ours: stream events arriving within this many ms are swapped in together. */
  readonly streamCoalesceMs: number;
  /** ours: after a master failover, seconds to keep records of agents not yet reregistered. */
  readonly streamRecoverySeconds: number;
  /** ours: 0 (info), 1 (debug), 2 (debug + a line per query); set by -v / --verbose. */
  readonly verbose: number;
  /** ours: absolute path of the file this came from ("" when built in code). */
  readonly configFile: string;
}
