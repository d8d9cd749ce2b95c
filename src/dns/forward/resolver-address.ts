// An upstream resolver's address as configured: "ip", "ip:port" or "[v6]:port".
import { isIP } from 'node:net';

export interface ResolverAddress {
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
  /** As configured, for metrics and logs. */
  readonly label: string;
}

/** Parses "ip", "ip:port" or "[v6]:port" (a bare v6 address also works); throws naming the input. */
export function parseResolver(text: string): ResolverAddress {
  const trimmed = text.trim();
  let host = trimmed;
  let port = 53;
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
  const family = isIP(host);
  if (family === 0) {
    throw new Error(`resolver "${text}" is not an IP address; use "ip", "ip:port" or "[v6]:port"`);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`resolver "${text}" has an invalid port; use a port between 1 and 65535`);
  }
  return { host, port, family: family === 6 ? 6 : 4, label: trimmed };
}
