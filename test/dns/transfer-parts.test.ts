// Unit: the pure parts of zone transfers — TSIG signing and checking, the journal of versions,
// record diffs (over overlays too), message packing, and the settings' parsers (config/, net/).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Packet } from 'dns2';
import { buildConfig, ConfigError } from '../../src/config/load.ts';
import { MessagePacker } from '../../src/dns/transfer/messages.ts';
import { serialNewer, ZoneJournal } from '../../src/dns/transfer/journal.ts';
import { parseTsigKeySpec, parseTsigKeySpecs } from '../../src/config/tsig-key.ts';
import { AddressList } from '../../src/net/address-list.ts';
import { parseIpEndpoint } from '../../src/net/host-port.ts';
import {
  findTsig,
  ResponseSigner,
  signRequest,
  TSIG_BADKEY,
  TSIG_BADSIG,
  TSIG_BADTIME,
  tsigKey,
  tsigKeys,
  verifyRequest,
} from '../../src/dns/transfer/tsig.ts';
import { TransferService, TransferStream } from '../../src/dns/transfer/service.ts';
import { Zone } from '../../src/dns/authority.ts';
import { ParsedQuery, parseQuery } from '../../src/dns/wire.ts';
import { createLogger } from '../../src/log.ts';
import {
  clusterContent,
  diffSets,
  reverseContent,
  zoneRecords,
  type ZoneContent,
  type ZoneDiff,
} from '../../src/dns/transfer/zone-records.ts';
import { stepNames } from '../../src/records/map-steps.ts';
import { packRecordSet } from '../../src/records/packed-map.ts';
import { overlay } from '../../src/records/overlay-map.ts';
import type { RecordSet, SrvRecord } from '../../src/records/recordset.ts';
import {
  deltaChunks,
  recordChunks,
  recordDelta,
  recordSetHeader,
  RecordSetAssembler,
  stepChunks,
} from '../../src/transfer/record-transfer.ts';
import { encodeQuery, makeSet, srv } from './fixtures.ts';

const secret = randomBytes(32).toString('base64');
const key = tsigKey(parseTsigKeySpec('xfr.', `hmac-sha256:${secret}`));
const keys = tsigKeys({ 'xfr.': `hmac-sha256:${secret}` });
const NOW = 1_800_000_000;

function tsigOf(message: Uint8Array) {
  const t = findTsig(message, encodeQuery('mesos').length);
  assert.ok(t !== null && t !== 'formerr');
  return t;
}

test('TSIG: a signed request verifies; a changed byte, another key, or a stale time does not', () => {
  const query = encodeQuery('mesos', { type: 252 });
  const signed = signRequest(query, key, NOW);
  assert.equal(signed.readUInt16BE(10), 1, 'ARCOUNT counts the TSIG');
  const ok = verifyRequest(signed, tsigOf(signed), keys, NOW + 10);
  assert.equal(ok.ok, true);

  const tampered = Buffer.from(signed);
  tampered[3] = tampered[3]! ^ 0x01;
  const bad = verifyRequest(tampered, tsigOf(tampered), keys, NOW);
  assert.equal(!bad.ok && bad.error, TSIG_BADSIG);

  const stranger = signRequest(
    query,
    tsigKey(parseTsigKeySpec('other.', `hmac-sha256:${secret}`)),
    NOW,
  );
  const unknown = verifyRequest(stranger, tsigOf(stranger), keys, NOW);
  assert.equal(!unknown.ok && unknown.error, TSIG_BADKEY);

  const late = verifyRequest(signed, tsigOf(signed), keys, NOW + 301);
  assert.equal(!late.ok && late.error, TSIG_BADTIME);
});

test('TSIG: each message of a response chains on the MAC before it', () => {
  const query = encodeQuery('mesos', { type: 252 });
  const request = signRequest(query, key, NOW);
  const requestTsig = tsigOf(request);
  const signer = new ResponseSigner(key, requestTsig, () => NOW);
  const body = Buffer.from(query);
  body[2] = body[2]! | 0x80;
  const first = signer.sign(body);
  const second = signer.sign(body);
  // Same bytes and time, but the second covers the first's MAC instead of the request's.
  assert.notDeepEqual(tsigOf(first).mac, tsigOf(second).mac);
  assert.equal(tsigOf(first).originalId, body.readUInt16BE(0));
});

test('TSIG keys: clear errors for a bad algorithm, secret or name', () => {
  assert.throws(() => parseTsigKeySpec('k.', 'hmac-md5:' + secret), /algorithm.*hmac-sha256/);
  assert.throws(() => parseTsigKeySpec('k.', 'hmac-sha256:not base64!'), /not base64/);
  assert.throws(
    () => parseTsigKeySpec('k.', 'hmac-sha256:' + Buffer.alloc(4).toString('base64')),
    /16 or more/,
  );
  assert.throws(() => parseTsigKeySpec('k.', secret), /algorithm:base64/);
  assert.throws(
    () => parseTsigKeySpecs({ 'k.': `hmac-sha256:${secret}`, K: `hmac-sha256:${secret}` }),
    /twice/,
  );
  assert.throws(() => parseTsigKeySpec('.', `hmac-sha256:${secret}`), /root/);
  assert.throws(() => parseTsigKeySpec('a..b', `hmac-sha256:${secret}`), /empty label/);
  assert.throws(() => parseTsigKeySpec('a b.', `hmac-sha256:${secret}`), /printable/);
  const spec = parseTsigKeySpec('Xfr_Key', `HMAC-SHA512:${secret}`);
  assert.deepEqual(
    [spec.name, spec.algorithm, spec.digest],
    ['xfr_key.', 'hmac-sha512.', 'sha512'],
  );
});

function set(a: Record<string, string[]>, srvs: Record<string, ReturnType<typeof srv>[]> = {}) {
  return makeSet({ a, srv: srvs });
}

test('diffSets: per record, on plain sets and on overlays of the same base', () => {
  const base = set({ 'a.mesos.': ['10.0.0.1', '10.0.0.2'], 'b.mesos.': ['10.0.0.3'] });
  const next = set({ 'a.mesos.': ['10.0.0.2', '10.0.0.4'], 'c.mesos.': ['10.0.0.5'] });
  const d = diffSets(base, next);
  const show = (rs: typeof d.added) => rs.map((r) => `${r.name} ${'ip' in r ? r.ip : ''}`).sort();
  assert.deepEqual(show(d.deleted), ['a.mesos. 10.0.0.1', 'b.mesos. 10.0.0.3']);
  assert.deepEqual(show(d.added), ['a.mesos. 10.0.0.4', 'c.mesos. 10.0.0.5']);

  const layered = (
    prev: RecordSet,
    changes: [string, string[]][],
    removals: string[],
  ): RecordSet => ({
    ...prev,
    a: overlay(prev.a, changes, removals),
  });
  const v1 = layered(base, [['c.mesos.', ['10.0.0.5']]], []);
  const v2 = layered(v1, [['a.mesos.', ['10.0.0.1']]], ['b.mesos.']);
  const d12 = diffSets(v1, v2);
  assert.deepEqual(show(d12.deleted), ['a.mesos. 10.0.0.2', 'b.mesos. 10.0.0.3']);
  assert.deepEqual(show(d12.added), []);
  assert.deepEqual(diffSets(v2, v2), { deleted: [], added: [] });
});

test('diffs of packed sets (a full set replacing another) are those of the same sets unpacked', () => {
  // Past 16 values an RRset is compared through sets of keys, not pairwise.
  const big = (from: number) => Array.from({ length: 20 }, (_, i) => `10.1.0.${from + i}`);
  const one = makeSet({
    a: {
      'a.mesos.': ['10.0.0.1', '10.0.0.2'],
      'b.mesos.': ['10.0.0.3'],
      'k.mesos.': ['10.0.0.9'],
      'big.mesos.': big(0),
    },
    aaaa: { 'a.mesos.': ['fd00::1'] },
    srv: { '_a._tcp.mesos.': [srv('a.mesos.', 80), srv('b.mesos.', 81)] },
    ptr: { '1.0.0.10.in-addr.arpa.': ['a.mesos.'], '1.0.0.0.ip6.arpa.': ['a.mesos.'] },
  });
  const two = makeSet({
    a: {
      // A value twice is one record.
      'a.mesos.': ['10.0.0.2', '10.0.0.4', '10.0.0.4'],
      'c.mesos.': ['10.0.0.5'],
      'k.mesos.': ['10.0.0.9'],
      'big.mesos.': [...big(3), '10.1.0.3'],
    },
    aaaa: {},
    srv: { '_a._tcp.mesos.': [srv('a.mesos.', 80), srv('c.mesos.', 81, 0, 2)] },
    ptr: { '1.0.0.10.in-addr.arpa.': ['c.mesos.'], '1.0.0.0.ip6.arpa.': ['a.mesos.'] },
  });
  const show = (d: ZoneDiff) =>
    (['deleted', 'added'] as const).map((k) =>
      d[k].map((r) => `${r.name} ${r.type} ${JSON.stringify({ ...r, name: undefined })}`).sort(),
    );
  const zones = [clusterContent, reverseContent('in-addr.arpa.'), reverseContent('ip6.arpa.')];
  // The set in service is often an overlay on the last full set (deltas since).
  const packedOne = packRecordSet(one);
  const overOne = { ...packedOne, a: overlay(packedOne.a, [['b.mesos.', ['10.0.0.6']]], []) };
  const plainOver = { ...one, a: new Map([...one.a, ['b.mesos.', ['10.0.0.6']]]) };
  for (const zone of zones) {
    const plain = show(zone.diff(one, two));
    assert.deepEqual(show(zone.diff(packedOne, packRecordSet(two))), plain);
    assert.deepEqual(show(zone.diff(overOne, packRecordSet(two))), show(zone.diff(plainOver, two)));
  }
  assert.deepEqual(
    show(clusterContent.diff(one, two)).map((records) => records.length),
    [4 + 3, 3 + 3],
  );
});

test('journal diffs of versions made by a step (a delta, a whole set sent with its names) equal the records compared whole, on random changes', () => {
  // A seeded generator: the same versions on every run.
  let seed = 0x2545f491;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  type Content = {
    a: Map<string, string[]>;
    aaaa: Map<string, string[]>;
    srv: Map<string, SrvRecord[]>;
    ptr: Map<string, string[]>;
  };
  const value = {
    a: () => `10.${rand(4)}.${rand(4)}.${rand(4)}`,
    aaaa: () => `fd00::${rand(40).toString(16)}`,
    srv: () => srv(`t${rand(30)}.mesos.`, 31000 + rand(5), rand(2), rand(2)),
    // PTR names in both reverse trees, targets a few task names.
    ptr: () => `t${rand(30)}.mesos.`,
  };
  const nameOf = {
    a: (i: number) => `t${i}.mesos.`,
    aaaa: (i: number) => `t${i}.mesos.`,
    srv: (i: number) => `_s${i}._tcp.mesos.`,
    ptr: (i: number) =>
      i % 2 === 0 ? `${i}.0.0.10.in-addr.arpa.` : `${i.toString(16)}.0.0.0.ip6.arpa.`,
  };
  const kinds = ['a', 'aaaa', 'srv', 'ptr'] as const;
  const values = <K extends (typeof kinds)[number]>(kind: K) =>
    Array.from({ length: 1 + rand(3) }, () => value[kind]()) as ReturnType<(typeof value)[K]>[];
  const content: Content = { a: new Map(), aaaa: new Map(), srv: new Map(), ptr: new Map() };
  for (const kind of kinds) {
    for (let i = 0; i < 60; i++)
      (content[kind] as Map<string, unknown[]>).set(nameOf[kind](i), values(kind));
  }
  const asSet = (c: Content): RecordSet => ({
    ...makeSet({}),
    a: new Map(c.a),
    aaaa: new Map(c.aaaa),
    srv: new Map(c.srv),
    ptr: new Map(c.ptr),
  });
  /** Every record of each zone as text: what any diff must add and delete, found without one. */
  const zones = [clusterContent, reverseContent('in-addr.arpa.'), reverseContent('ip6.arpa.')];
  const text = (zone: ZoneContent, set: RecordSet) =>
    new Set(
      [...zone.records(set)].map(
        (r) => `${r.name} ${r.type} ${JSON.stringify({ ...r, name: undefined })}`,
      ),
    );
  const expected = (zone: ZoneContent, before: RecordSet, after: RecordSet) => {
    const was = text(zone, before);
    const now = text(zone, after);
    return [[...was].filter((r) => !now.has(r)).sort(), [...now].filter((r) => !was.has(r)).sort()];
  };
  const shown = (d: ZoneDiff) =>
    (['deleted', 'added'] as const).map((k) =>
      d[k].map((r) => `${r.name} ${r.type} ${JSON.stringify({ ...r, name: undefined })}`).sort(),
    );
  let served = packRecordSet(asSet(content));
  const ways = { delta: 0, since: 0, whole: 0 };
  for (let version = 0; version < 60; version++) {
    const before = asSet(content);
    // Changes to every map: new values, the same values again, values reordered, names gone and new.
    for (const kind of kinds) {
      const map = content[kind] as Map<string, unknown[]>;
      for (let k = rand(6); k > 0; k--) {
        const name = nameOf[kind](rand(80));
        const now = map.get(name);
        const what = rand(4);
        if (what === 0) map.delete(name);
        else if (what === 1 && now !== undefined) map.set(name, [...now]);
        else if (what === 2 && now !== undefined) map.set(name, [...now].reverse());
        else map.set(name, values(kind));
      }
    }
    const after = asSet(content);
    const delta = recordDelta(before, after);
    const way = version % 3 === 0 ? 'delta' : version % 3 === 1 ? 'since' : 'whole';
    let next: RecordSet;
    if (way === 'delta') {
      // As the main thread lays a delta over its set (transfer/record-transfer.ts).
      const assembler = new RecordSetAssembler(
        { ...recordSetHeader(after), base: 'served' },
        served,
      );
      for (const chunk of deltaChunks(delta, 7)) assembler.add(chunk);
      next = assembler.finish();
    } else {
      // A whole set, packed: with the names that changed since the set in service, or without.
      const assembler = new RecordSetAssembler(
        way === 'since' ? { ...recordSetHeader(after), since: 'served' } : recordSetHeader(after),
        way === 'since' ? served : null,
      );
      for (const chunk of recordChunks(packRecordSet(after), 7)) assembler.add(chunk);
      if (way === 'since') for (const chunk of stepChunks(delta, 7)) assembler.add(chunk);
      next = assembler.finish();
    }
    // The step is what the diff goes by (else this test would check the old path only).
    assert.equal(stepNames(served.ptr, next.ptr) !== null, way !== 'whole', `${version} ${way}`);
    ways[way]++;
    for (const zone of zones) {
      assert.deepEqual(
        shown(zone.diff(served, next)),
        expected(zone, before, after),
        `version ${version} (${way})`,
      );
    }
    served = next;
  }
  assert.deepEqual(ways, { delta: 20, since: 20, whole: 20 });
});

test('zoneRecords: every A, AAAA and SRV once, duplicates in an RRset dropped', () => {
  const s = makeSet({
    a: { 'a.mesos.': ['10.0.0.1', '10.0.0.1'] },
    aaaa: { 'a.mesos.': ['fd00::1'] },
    srv: { '_a._tcp.mesos.': [srv('a.mesos.', 80), srv('a.mesos.', 80)] },
  });
  assert.deepEqual(
    [...zoneRecords(s)].map((r) => `${r.name} ${r.type}`),
    ['a.mesos. 1', 'a.mesos. 28', '_a._tcp.mesos. 33'],
  );
});

test('journal: differences since a held serial, SOA alone when current, whole zone when too old', () => {
  const j = new ZoneJournal({ versions: 2, records: 1000 });
  const s1 = set({ 'a.mesos.': ['10.0.0.1'] });
  const s2 = set({ 'a.mesos.': ['10.0.0.2'] });
  const s3 = set({ 'a.mesos.': ['10.0.0.2'], 'b.mesos.': ['10.0.0.3'] });
  const s4 = set({ 'b.mesos.': ['10.0.0.3'] });
  j.advance(s1, 100);
  j.advance(s2, 101);
  j.advance(s3, 102);
  assert.deepEqual(j.plan(102, 10), { kind: 'current' });
  assert.deepEqual(j.plan(200, 10), { kind: 'current' }, 'a later serial is treated as current');
  const p = j.plan(100, 10);
  assert.equal(p.kind, 'diff');
  assert.deepEqual(p.kind === 'diff' ? p.entries.map((e) => [e.fromSerial, e.toSerial]) : [], [
    [100, 101],
    [101, 102],
  ]);
  assert.deepEqual(j.plan(100, 1), { kind: 'full' }, 'more changes than the zone has records');
  j.advance(s4, 103);
  assert.deepEqual(j.plan(100, 10), { kind: 'full' }, 'only 2 versions are held');
  assert.equal(j.plan(101, 10).kind, 'diff');
  assert.equal(j.plan(99, 10).kind, 'full');
});

test('serialNewer: RFC 1982 order across the wrap', () => {
  assert.equal(serialNewer(2, 1), true);
  assert.equal(serialNewer(1, 2), false);
  assert.equal(serialNewer(5, 0xfffffff0), true);
  assert.equal(serialNewer(1, 1), false);
});

test('MessagePacker: messages under the limit, each a valid DNS message with all its records', () => {
  const question = Buffer.from(encodeQuery('mesos', { type: 252 }).subarray(12));
  const soa = {
    mname: 'ns1.mesos.',
    rname: 'root.ns1.mesos.',
    refresh: 60,
    retry: 600,
    expire: 86400,
    minttl: 60,
  };
  const packer = new MessagePacker({ id: 7, flags: 0, question, apexKey: 'mesos.' }, soa, 60, 1024);
  const messages: Uint8Array[] = [];
  const keep = (m: Uint8Array | null) => {
    if (m !== null) messages.push(m);
  };
  keep(packer.add({ soa: 5 }));
  for (let i = 0; i < 300; i++) {
    keep(
      packer.add({
        record: { name: `task-${i}.app.marathon.mesos.`, type: 1, ip: `10.0.${i >> 8}.${i & 255}` },
      }),
    );
  }
  keep(packer.add({ record: { name: 'x.mesos.', type: 1, ip: 'not-an-ip' } }));
  keep(packer.add({ soa: 5 }));
  keep(packer.flush());
  assert.ok(messages.length > 5);
  let total = 0;
  for (const m of messages) {
    assert.ok(m.length <= 1024, `message of ${m.length} bytes`);
    const p = Packet.parse(Buffer.from(m));
    assert.equal(p.errors.length, 0);
    assert.equal(p.header.id, 7);
    assert.equal(p.header.qr, 1);
    assert.equal(p.header.aa, 1);
    total += p.answers.length;
  }
  assert.equal(total, 302);
  assert.equal(packer.records, 302);
  // Owner names compressed: 300 A records of ~30-byte names fit in far less than 300 * 45 bytes.
  assert.ok(messages.reduce((n, m) => n + m.length, 0) < 300 * 30);
});

test('settings: transferAllow entries and notify targets', () => {
  const allow = new AddressList(['10.0.0.0/8', '127.0.0.1', 'fd00::/64']);
  assert.equal(allow.has('10.1.2.3'), true);
  assert.equal(allow.has('::ffff:10.1.2.3'), true);
  assert.equal(allow.has('FD00:0::9'), true);
  assert.equal(new AddressList(['::ffff:10.0.0.0/104']).has('10.9.9.9'), true);
  assert.equal(new AddressList(['::ffff:10.0.0.0/104']).has('11.0.0.1'), false);
  assert.throws(() => new AddressList(['::ffff:10.0.0.0/64']), /96-128/);
  assert.throws(() => new AddressList(['fd00::/129']), /0-128/);
  assert.equal(allow.has('127.0.0.2'), false);
  assert.equal(allow.has('fd00::9'), true);
  assert.equal(allow.has(''), false);
  assert.equal(new AddressList([]).has('127.0.0.1'), false);
  assert.throws(() => new AddressList(['10.0.0.0/33']), /prefix length/);
  assert.throws(() => new AddressList(['host.example']), /not an IP/);
  assert.deepEqual(parseIpEndpoint('10.0.0.7:5353', 53), {
    host: '10.0.0.7',
    port: 5353,
    family: 4,
  });
  assert.deepEqual(parseIpEndpoint('[FD00::7]:54', 53), { host: 'fd00::7', port: 54, family: 6 });
  assert.deepEqual(parseIpEndpoint('10.0.0.7', 53), { host: '10.0.0.7', port: 53, family: 4 });
  assert.deepEqual(parseIpEndpoint('fd00::7', 53), { host: 'fd00::7', port: 53, family: 6 });
  assert.deepEqual(parseIpEndpoint('[fd00::7]', 53), { host: 'fd00::7', port: 53, family: 6 });
  for (const bad of ['10.0.0.7:0', '10.0.0.7:99999', '[10.0.0.7]:53', 'ns1.example:53', '']) {
    assert.equal(parseIpEndpoint(bad, 53), null, bad);
  }
});

test('config: transfer keys validated at load, with the key named', () => {
  const base = { masters: ['127.0.0.1:5050'] };
  const ok = buildConfig({
    ...base,
    transferAllow: ['10.0.0.0/8'],
    transferKeys: { 'xfr.': `hmac-sha256:${secret}` },
    notify: ['10.0.0.7:53'],
  });
  assert.deepEqual(ok.config.transferAllow, ['10.0.0.0/8']);
  assert.throws(
    () => buildConfig({ ...base, transferAllow: ['nope'] }),
    (e: unknown) => e instanceof ConfigError && /"transferAllow"\[0\]/.test(e.message),
  );
  assert.throws(
    () => buildConfig({ ...base, transferKeys: { 'xfr.': 'hmac-sha256:x' } }),
    /"transferKeys"/,
  );
  assert.throws(() => buildConfig({ ...base, notify: ['10.0.0.7:99999'] }), /"notify"\[0\]/);
  const unused = buildConfig({ ...base, transferKeys: { 'xfr.': `hmac-sha256:${secret}` } });
  assert.ok(unused.warnings.some((w) => /transferAllow" is empty/.test(w)));
});

test('service: the served log line names the zone asked, though the parser moved on', async () => {
  const { config } = buildConfig({ masters: ['127.0.0.1:5050'] });
  const zone = new Zone(config);
  const lines: { msg?: string; zone?: string }[] = [];
  const logger = createLogger(0, {
    write: (line: string) => lines.push(JSON.parse(line) as { msg?: string; zone?: string }),
  });
  const service = new TransferService({
    allow: ['127.0.0.1'],
    keys: {},
    zones: [{ zone, content: clusterContent }],
    logger,
    observer: { transfer: () => {} },
  });
  service.advance('mesos.', set({ 'a.marathon.mesos.': ['10.0.0.1'] }), 7);
  const packet = encodeQuery('mesos', { type: 252 });
  // The handler reuses one ParsedQuery: the next query overwrites it while the transfer streams.
  const q = new ParsedQuery();
  parseQuery(packet, zone.apexWire, q);
  const out = service.respond(packet, q, 'tcp', '127.0.0.1');
  parseQuery(encodeQuery('other.example'), zone.apexWire, q);
  assert.ok(out instanceof TransferStream);
  const messages: Uint8Array[] = [];
  for await (const m of out) messages.push(m);
  assert.equal(messages.length, 1);
  assert.equal(lines.find((l) => l.msg === 'axfr served')?.zone, 'mesos.');
});
