// Upstream resolver addresses: "ip", "ip:port", "[v6]:port" (a bare v6 address too) in one
// canonical form, so a reply's source address (which the kernel reports canonical) matches the
// configured one however the config spelt it: "0:0:0:0:0:0:0:1" is "::1".
import { isIP } from 'node:net';

import { joinHostPort } from './host-port.ts';
import { parseIp } from './ip.ts';

export const DNS_PORT = 53;

export interface ResolverAddress {
  /** Canonical IP text (RFC 5952 for v6, a link-local zone kept), as sockets report it. */
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
  /** Canonical text ("10.0.0.2", "10.0.0.2:5353", "[fd00::2]:5353"), for config, metrics and logs. */
  readonly label: string;
}

/** An IP literal in canonical text, keeping a v6 zone ("fe80::1%eth0"); null if not an IP. */
function canonicalIp(text: string): { address: string; family: 4 | 6 } | null {
  const percent = text.indexOf('%');
  if (percent === -1) return parseIp(text);
  if (isIP(text) !== 6) return null;
  const ip = parseIp(text.slice(0, percent));
  return ip && ip.family === 6 ? { address: ip.address + text.slice(percent), family: 6 } : null;
}

/** Parses "ip", "ip:port" or "[v6]:port" (a bare v6 address also works); throws naming the input. */
export function parseResolver(text: string): ResolverAddress {
  const trimmed = text.trim();
  let host = trimmed;
  let port = DNS_PORT;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  if (bracketed) {
    host = bracketed[1]!;
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if (isIP(trimmed) === 0) {
    const colon = trimmed.lastIndexOf(':');
    if (colon > 0) {
      host = trimmed.slice(0, colon);
      port = Number(trimmed.slice(colon + 1));
    }
  }
  const ip = canonicalIp(host);
  if (ip === null) {
    throw new Error(`resolver "${text}" is not an IP address; use "ip", "ip:port" or "[v6]:port"`);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`resolver "${text}" has an invalid port; use a port between 1 and 65535`);
  }
  const label = port === DNS_PORT ? ip.address : joinHostPort(ip.address, port);
  return { host: ip.address, port, family: ip.family, label };
}

/** The canonical text of a resolver address (the default port left out); undefined if invalid. */
export function canonicalResolver(text: string): string | undefined {
  try {
    return parseResolver(text).label;
  } catch {
    return undefined;
  }
}
