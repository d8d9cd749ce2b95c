// Encodes DNS queries for the open-loop load generator: one pre-built packet per query line,
// whose ID the sender patches in place before each send.

const QTYPES: Readonly<Record<string, number>> = { A: 1, NS: 2, SOA: 6, AAAA: 28, SRV: 33 };

/** A standard query (RD set, class IN) for `name` and `type` with ID 0. */
export function encodeQuery(name: string, type: string): Buffer {
  const qtype = QTYPES[type.toUpperCase()];
  if (qtype === undefined) {
    throw new Error(`query type "${type}" is not one of ${Object.keys(QTYPES).join(', ')}`);
  }
  const labels = name
    .replace(/\.$/, '')
    .split('.')
    .filter((l) => l !== '');
  const parts: Buffer[] = [Buffer.from([0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0])];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'ascii');
    if (bytes.length > 63) throw new Error(`label "${label}" of "${name}" is longer than 63 bytes`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0, qtype >> 8, qtype & 255, 0, 1]));
  return Buffer.concat(parts);
}

/** Parses "name TYPE" lines (the dnsperf file format) into query packets. */
export function queriesFromLines(text: string): Buffer[] {
  const out: Buffer[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';')) continue;
    const [name, type] = line.split(/\s+/);
    out.push(encodeQuery(name ?? '', type ?? 'A'));
  }
  return out;
}

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

/** The reply's ID and rcode name, or null when the packet is no DNS response. */
export function readReply(msg: Buffer): { id: number; rcode: string } | null {
  if (msg.length < 12 || (msg[2]! & 0x80) === 0) return null;
  const code = msg[3]! & 0x0f;
  return { id: msg.readUInt16BE(0), rcode: RCODES[code] ?? `RCODE${code}` };
}
