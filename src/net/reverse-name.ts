// The reverse-lookup owner name of an address (RFC 1035 §3.5 in-addr.arpa, RFC 3596 §2.5
// ip6.arpa), lower-case and absolute, as the DNS layer keys names.

/**
 * "10.0.2.1" → "1.2.0.10.in-addr.arpa."; an IPv6 address (canonical or not, no zone, no
 * embedded IPv4) → its 32 nibbles reversed under "ip6.arpa.". Null for anything else.
 */
export function reverseName(address: string): string | null {
  if (address.includes('.')) {
    const parts = address.split('.');
    if (parts.length !== 4) return null;
    for (const p of parts) {
      if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    }
    return parts.map(Number).reverse().join('.') + '.in-addr.arpa.';
  }
  const groups = ipv6Groups(address);
  if (groups === null) return null;
  const nibbles: string[] = [];
  for (let i = groups.length - 1; i >= 0; i--) {
    const hex = groups[i]!.padStart(4, '0');
    for (let j = 3; j >= 0; j--) nibbles.push(hex[j]!);
  }
  return nibbles.join('.') + '.ip6.arpa.';
}

/** The eight hex groups of an IPv6 text, "::" expanded; null when it is not one. */
function ipv6Groups(text: string): string[] | null {
  const lower = text.toLowerCase();
  const halves = lower.split('::');
  if (halves.length > 2) return null;
  const side = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = side(halves[0]!);
  const tail = halves.length === 2 ? side(halves[1]!) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return null;
  const groups = [...head, ...new Array<string>(fill).fill('0'), ...tail];
  for (const g of groups) if (!/^[0-9a-f]{1,4}$/.test(g)) return null;
  return groups;
}
