// The effective configuration as mesos-dns's GET /v1/config shows it: its Go struct's field
// names and order, then our own keys. Secrets never leave the process.
import type { Config } from '../config/types.ts';
import { absoluteSoaMname, absoluteSoaRname } from '../net/dns-name.ts';

export const MASK = '******';

/** A ZooKeeper URL may carry "user:password@"; show the user only. */
function maskZkCredentials(zk: string): string {
  return zk.replace(/^(zk:\/\/)([^@/]*)@/i, (_match, scheme: string, userinfo: string) => {
    const user = userinfo.split(':')[0] ?? '';
    return `${scheme}${user}:${MASK}@`;
  });
}

export function configView(config: Config, soaSerial: number): Record<string, unknown> {
  return {
    RefreshSeconds: config.refreshSeconds,
    Port: config.port,
    Timeout: config.timeout,
    StateTimeoutSeconds: config.stateTimeoutSeconds,
    ZkDetectionTimeout: config.zkDetectionTimeout,
    HttpPort: config.httpport,
    TTL: config.ttl,
    SOASerial: soaSerial,
    SOARefresh: config.SOARefresh,
    SOARetry: config.SOARetry,
    SOAExpire: config.SOAExpire,
    SOAMinttl: config.SOAMinttl,
    SOAMname: absoluteSoaMname(config.SOAMname),
    SOARname: absoluteSoaRname(config.SOARname),
    Masters: [...config.masters],
    ZoneResolvers: Object.fromEntries(
      Object.entries(config.zoneResolvers).map(([zone, resolvers]) => [zone, [...resolvers]]),
    ),
    Resolvers: [...config.resolvers],
    IPSources: [...config.IPSources],
    Zk: maskZkCredentials(config.zk),
    Domain: config.domain,
    File: config.configFile,
    Listener: config.listener,
    HTTPListener: config.HTTPListener,
    RecurseOn: config.recurseon,
    DnsOn: config.dnson,
    HttpOn: config.httpon,
    ExternalOn: config.externalon,
    EnforceRFC952: config.enforceRFC952,
    EnumerationOn: config.EnumerationOn,
    MesosHTTPSOn: config.mesosHTTPSOn,
    CACertFile: config.CACertFile,
    CertFile: config.CertFile,
    // The path only: the key itself is never read here.
    KeyFile: config.KeyFile,
    MesosCredentials: {
      principal: config.mesosCredentials.principal,
      secret: config.mesosCredentials.secret === '' ? '' : MASK,
    },
    MesosAuthentication: config.mesosAuthentication,
    SRVRecordDefaultWeight: config.srvRecordDefaultWeight,
    SetTruncateBit: config.SetTruncateBit,
    // Ours, not in mesos-dns.
    CacheSize: config.cacheSize,
    CacheMaxTTL: config.cacheMaxTTL,
    CacheServeStale: config.cacheServeStale,
    StateMaxBytes: config.stateMaxBytes,
    StateHeadersTimeoutSeconds: config.stateHeadersTimeoutSeconds,
    UdpMaxSize: config.udpMaxSize,
    TcpMaxConnections: config.tcpMaxConnections,
    TcpMaxConnectionsPerSource: config.tcpMaxConnectionsPerSource,
    TcpIdleSeconds: config.tcpIdleSeconds,
    HttpMaxConnections: config.httpMaxConnections,
    HttpMaxConnectionsPerSource: config.httpMaxConnectionsPerSource,
    Workers: config.workers,
    TransferAllow: [...config.transferAllow],
    // Key names only: the secrets never leave the process.
    TransferKeys: Object.fromEntries(Object.keys(config.transferKeys).map((name) => [name, MASK])),
    Notify: [...config.notify],
    Verbose: config.verbose,
  };
}
