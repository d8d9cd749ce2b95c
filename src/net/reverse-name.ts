// The reverse-lookup owner name of an address (RFC 1035 §3.5 in-addr.arpa, RFC 3596 §2.5
// ip6.arpa), lower-case and absolute, as the DNS layer keys names. Addresses are read by the one
// IP parser (ip.ts).
import { ipv6Groups, parseIp } from './ip.ts';

/**
 * "10.0.2.1" → "1.2.0.10.in-addr.arpa."; an IPv6 address (canonical or not, no zone) → its 32
 * nibbles reversed under "ip6.arpa."; an IPv4-mapped one is the IPv4 address it carries, as in
 * A records. Null for anything else.
 */
export function reverseName(address: string): string | null {
  const ip = parseIp(address);
  if (ip === null) return null;
  if (ip.family === 4) return `${ip.address.split('.').reverse().join('.')}.in-addr.arpa.`;
  const nibbles: string[] = [];
  for (const group of ipv6Groups(ip).reverse()) {
    const hex = group.toString(16).padStart(4, '0');
    for (let j = 3; j >= 0; j--) nibbles.push(hex[j]!);
  }
  return `${nibbles.join('.')}.ip6.arpa.`;
}
