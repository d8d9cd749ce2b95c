// Recognises IP literals and gives them in the one text form answers use, so "A" only ever
// holds IPv4 and "AAAA" only IPv6 (Go's net.ParseIP + String, IPv4-mapped IPv6 counted as IPv4).
import { isIPv4, isIPv6 } from 'node:net';

export interface ParsedIp {
  readonly family: 4 | 6;
  /** Canonical text: dotted quad, or RFC 5952 compressed lower-case IPv6. */
  readonly address: string;
}

/** Returns null for anything that is not an IP literal (host names included). */
export function parseIp(text: string): ParsedIp | null {
  if (isIPv4(text)) return { family: 4, address: text };
  if (!isIPv6(text) || text.includes('%')) return null;
  // WHATWG URL serialises IPv6 hosts exactly per RFC 5952, as Go's IP.String does.
  const address = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address);
  if (mapped) {
    const hi = parseInt(mapped[1]!, 16);
    const lo = parseInt(mapped[2]!, 16);
    return { family: 4, address: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}` };
  }
  return { family: 6, address };
}

export interface IpNetwork extends ParsedIp {
  /** Prefix length: 0-32 for IPv4, 0-128 for IPv6. */
  readonly prefix: number;
}

/**
 * An IP or "IP/prefix" ("10.0.0.0/8", "fd00::/64"; a bare IP is a host network). An
 * IPv4-mapped IPv6 network ("::ffff:10.0.0.0/104") is the IPv4 one it covers, as parseIp counts
 * mapped addresses as IPv4. Returns the reason as a string for anything else.
 */
export function parseIpNetwork(text: string): IpNetwork | string {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (ip === null) return 'is not an IP address or IP/prefix (e.g. "10.0.0.0/8")';
  // A mapped IPv6 network's prefix counts the 96 bits before the IPv4 address.
  const written = text.includes(':') ? 128 : 32;
  if (slash < 0) return { ...ip, prefix: ip.family === 4 ? 32 : 128 };
  const bits = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > written) {
    return `has prefix length ${JSON.stringify(bits)}; use 0-${written}`;
  }
  let prefix = Number(bits);
  if (ip.family === 4 && written === 128) {
    if (prefix < 96) return `has prefix length ${bits}; an IPv4-mapped network needs 96-128`;
    prefix -= 96;
  }
  return { ...ip, prefix };
}

/** The eight 16-bit groups of an IPv6 address as parseIp gives it (canonical, "::" expanded). */
export function ipv6Groups(ip: ParsedIp): number[] {
  if (ip.family !== 6) throw new Error(`${ip.address} is not an IPv6 address`);
  const [head = '', tail] = ip.address.split('::');
  const side = (s: string | undefined): number[] =>
    s === undefined || s === '' ? [] : s.split(':').map((g) => parseInt(g, 16));
  const before = side(head);
  const after = side(tail);
  const fill = tail === undefined ? 0 : 8 - before.length - after.length;
  return [...before, ...new Array<number>(fill).fill(0), ...after];
}
