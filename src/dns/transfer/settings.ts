// The transfer settings' values parsed: `transferAllow` addresses and networks, `notify`
// targets, `transferKeys` (tsig.ts). Pure, so config validation uses the same parsers as the
// server that consumes the values.
import { BlockList, isIP } from 'node:net';

/**
 * `transferAllow`: the addresses and networks a transfer may come from, matched by node's
 * BlockList (IPv4-mapped IPv6 peers are matched as the IPv4 address they carry).
 */
export class AddressList {
  readonly #list = new BlockList();
  readonly size: number;

  /** Throws, naming the entry, on anything that is not an IP or an IP/prefix. */
  constructor(entries: readonly string[]) {
    for (const entry of entries) parseEntry(entry, this.#list);
    this.size = entries.length;
  }

  has(address: string): boolean {
    const ip =
      address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const family = isIP(ip);
    if (family === 0) return false;
    return this.#list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  }
}

function parseEntry(entry: string, list: BlockList): void {
  const slash = entry.indexOf('/');
  const ip = slash < 0 ? entry : entry.slice(0, slash);
  const family = isIP(ip);
  if (family === 0) {
    throw new Error(
      `${JSON.stringify(entry)} is not an IP address or IP/prefix (e.g. "10.0.0.0/8")`,
    );
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (slash < 0) {
    list.addAddress(ip, type);
    return;
  }
  const bits = entry.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) {
    throw new Error(
      `${JSON.stringify(entry)} has prefix length ${JSON.stringify(bits)}; use 0-${max}`,
    );
  }
  list.addSubnet(ip, Number(bits), type);
}

/** "ip:port", "[v6]:port", or a bare IP → host, port, family; throws naming the entry. */
export function parseNotifyTarget(entry: string): { host: string; port: number; family: 4 | 6 } {
  let host = entry;
  let port = 53;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracket) {
    host = bracket[1]!;
    if (bracket[2] !== undefined) port = Number(bracket[2]);
  } else if (isIP(entry) === 0 && entry.lastIndexOf(':') > 0) {
    host = entry.slice(0, entry.lastIndexOf(':'));
    const p = entry.slice(entry.lastIndexOf(':') + 1);
    port = /^\d{1,5}$/.test(p) ? Number(p) : NaN;
  }
  const family = isIP(host);
  if (family === 0 || !(port >= 1 && port <= 65535)) {
    throw new Error(
      `${JSON.stringify(entry)} must be an IP address with an optional port (e.g. "10.0.0.7:53", "[fd00::7]:53")`,
    );
  }
  return { host, port, family: family as 4 | 6 };
}
