// Shared test fixtures for the DNS layer: a config, a hand-made record set, a decoder.
import { Packet } from 'dns2';
import { schemaDefaults } from '../../src/config/schema.ts';
import type { Config } from '../../src/config/types.ts';
import type { RecordSet, SrvRecord } from '../../src/records/recordset.ts';
import { RecordStore } from '../../src/records/store.ts';

export function testConfig(overrides: Partial<Config> = {}): Config {
  // Defaults come from the schema; only what these tests need differs.
  return {
    ...schemaDefaults(),
    verbose: 0,
    configFile: '',
    masters: ['127.0.0.1:5050'],
    port: 0,
    resolvers: [],
    listener: '127.0.0.1',
    httpon: false,
    SOAMinttl: 30,
    cacheSize: 0,
    cacheMaxTTL: 300,
    ...overrides,
  };
}

export interface SetSpec {
  a?: Record<string, readonly string[]>;
  aaaa?: Record<string, readonly string[]>;
  srv?: Record<string, readonly SrvRecord[]>;
  ptr?: Record<string, readonly string[]>;
}

export function makeSet(spec: SetSpec, domain = 'mesos'): RecordSet {
  return {
    domain,
    a: new Map(Object.entries(spec.a ?? {})),
    aaaa: new Map(Object.entries(spec.aaaa ?? {})),
    srv: new Map(Object.entries(spec.srv ?? {})),
    ptr: new Map(Object.entries(spec.ptr ?? {})),
    leader: '127.0.0.1:5050',
    counts: { tasks: 0, frameworks: 0, agents: 0 },
  };
}

export function srv(target: string, port: number, priority = 0, weight = 1): SrvRecord {
  return { target, port, priority, weight };
}

/** A record set with every record kind mesos-dns produces, in the "mesos" domain. */
export function sampleSet(): RecordSet {
  return makeSet({
    a: {
      'web.marathon.mesos.': ['10.0.0.1', '10.0.0.2', '10.0.0.3'],
      'web-1.marathon.slave.mesos.': ['10.0.1.1'],
      'web-2.marathon.slave.mesos.': ['10.0.1.2'],
      'ns1.mesos.': ['127.0.0.1'],
      'leader.mesos.': ['10.0.9.9'],
      'master.mesos.': ['10.0.9.9', '10.0.9.8'],
      'v6.marathon.mesos.': ['10.0.2.1'],
    },
    aaaa: {
      'v6.marathon.mesos.': ['fd00::1', '::ffff:10.0.0.7'],
      'web-2.marathon.slave.mesos.': ['fd00::2'],
    },
    srv: {
      '_web._tcp.marathon.mesos.': [
        srv('web-1.marathon.slave.mesos.', 31000),
        srv('web-2.marathon.slave.mesos.', 31001),
      ],
      '_web._udp.marathon.mesos.': [srv('web-1.marathon.slave.mesos.', 31002)],
      '_leader._tcp.mesos.': [srv('leader.mesos.', 5050)],
    },
  });
}

export function storeWith(set: RecordSet | null): RecordStore {
  const store = new RecordStore();
  if (set)
    store.swap(set, { atMs: Date.now(), durationMs: 1, master: 'm:5050', tasks: 1, records: 1 });
  return store;
}

let nextId = 1;

export interface QueryOptions {
  type?: number;
  cls?: number;
  id?: number;
  rd?: boolean;
  /** EDNS UDP size; undefined = no OPT. */
  edns?: number;
  ednsVersion?: number;
  do?: boolean;
  /** OPT RDATA bytes as sent (options, possibly malformed); RDLENGTH is their length. */
  ednsOptions?: Uint8Array;
}

/** Encodes a query by hand (independent of the code under test). */
export function encodeQuery(name: string, opts: QueryOptions = {}): Buffer {
  const labels = name
    .replace(/\.$/, '')
    .split('.')
    .filter((l) => l.length > 0);
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  const id = opts.id ?? nextId++ & 0xffff;
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(opts.rd === false ? 0 : 0x0100, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(opts.edns === undefined ? 0 : 1, 10);
  parts.push(header);
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, 'latin1'));
  parts.push(Buffer.from([0]));
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(opts.type ?? 1, 0);
  tail.writeUInt16BE(opts.cls ?? 1, 2);
  parts.push(tail);
  if (opts.edns !== undefined) {
    const opt = Buffer.alloc(11);
    opt.writeUInt16BE(41, 1);
    opt.writeUInt16BE(opts.edns, 3);
    opt[6] = opts.ednsVersion ?? 0;
    opt[7] = opts.do ? 0x80 : 0;
    opt.writeUInt16BE(opts.ednsOptions?.length ?? 0, 9);
    parts.push(opt);
    if (opts.ednsOptions) parts.push(Buffer.from(opts.ednsOptions));
  }
  return Buffer.concat(parts);
}

export function decode(bytes: Uint8Array): Packet {
  return Packet.parse(Buffer.from(bytes));
}

export function rcode(bytes: Uint8Array): number {
  return bytes[3]! & 0xf;
}

export function flags(bytes: Uint8Array): number {
  return (bytes[2]! << 8) | bytes[3]!;
}

export function counts(bytes: Uint8Array): [number, number, number, number] {
  const b = Buffer.from(bytes);
  return [b.readUInt16BE(4), b.readUInt16BE(6), b.readUInt16BE(8), b.readUInt16BE(10)];
}
