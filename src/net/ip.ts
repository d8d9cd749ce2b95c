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
