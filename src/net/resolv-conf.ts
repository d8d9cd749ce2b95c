// Upstream resolvers from /etc/resolv.conf, used when config.json names none (as mesos-dns
// does), minus any address this server itself answers on so it never forwards to itself.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

import { canonicalHost } from './host-port.ts';
import { parseResolver } from './resolver.ts';

export const RESOLV_CONF_PATH = '/etc/resolv.conf';

/** Canonical text, so "::ffff:10.0.0.1" is the same host as "10.0.0.1" and "0:0::1" as "::1". */
const normalize = canonicalHost;

function isLoopback(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.');
}

/**
 * The set of IPs that reach this server on port 53. `ownAddresses` are "ip", "ip:port" or
 * "[v6]:port" listen addresses; one with a port other than 53 cannot receive resolv.conf
 * traffic (always port 53) and is ignored. A wildcard (0.0.0.0, ::) stands for every local
 * interface address and all of loopback.
 */
function selfAddresses(ownAddresses: readonly string[]): { ips: Set<string>; wildcard: boolean } {
  const ips = new Set<string>();
  let wildcard = false;
  for (const text of ownAddresses) {
    let addr;
    try {
      addr = parseResolver(text);
    } catch {
      continue;
    }
    if (addr.port !== 53) continue;
    const ip = normalize(addr.host);
    if (ip === '0.0.0.0' || ip === '::') wildcard = true;
    else ips.add(ip);
  }
  if (wildcard) {
    for (const list of Object.values(networkInterfaces())) {
      for (const iface of list ?? []) ips.add(normalize(iface.address));
    }
  }
  return { ips, wildcard };
}

/** Nameserver addresses in resolv.conf order, without this server's own addresses. */
export function resolversFromResolvConf(text: string, ownAddresses: readonly string[]): string[] {
  const self = selfAddresses(ownAddresses);
  const out: string[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/[#;].*$/, '').trim();
    const [keyword, value] = line.split(/\s+/);
    if (keyword !== 'nameserver' || value === undefined) continue;
    // A link-local v6 nameserver may carry a zone ("fe80::1%eth0"); the zone is needed to send.
    const bare = value.split('%')[0] ?? value;
    if (isIP(bare) === 0) continue;
    const ip = normalize(bare);
    if (self.ips.has(ip) || (self.wildcard && isLoopback(ip))) continue;
    if (!out.includes(value)) out.push(value);
  }
  return out;
}

/**
 * Reads resolv.conf's nameservers, leaving out `ownAddresses`; throws an error that names the
 * file when it cannot be read. Synchronous: the config is built in one synchronous step.
 */
export function readResolvConf(
  ownAddresses: readonly string[],
  path: string = RESOLV_CONF_PATH,
): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(
      `cannot read ${path} for upstream resolvers (${reason}); set "resolvers" in config.json`,
      { cause: err },
    );
  }
  return resolversFromResolvConf(text, ownAddresses);
}
