// A set of IP networks to check peers against (`transferAllow`). Entries and peers are read by
// the one IP parser (ip.ts), so an IPv4-mapped IPv6 peer matches the IPv4 entry it stands for.
import { BlockList } from 'node:net';

import { parseIp, parseIpNetwork } from './ip.ts';

export class AddressList {
  readonly #list = new BlockList();
  readonly size: number;

  /** Throws, quoting the entry, on anything that is not an IP or an IP/prefix. */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const network = parseIpNetwork(entry);
      if (typeof network === 'string') throw new Error(`${JSON.stringify(entry)} ${network}`);
      const type = network.family === 4 ? 'ipv4' : 'ipv6';
      this.#list.addSubnet(network.address, network.prefix, type);
    }
    this.size = entries.length;
  }

  /** Whether `address` (a socket's remoteAddress) is in one of the networks. */
  has(address: string): boolean {
    const ip = parseIp(address);
    if (ip === null) return false;
    return this.#list.check(ip.address, ip.family === 4 ? 'ipv4' : 'ipv6');
  }
}
