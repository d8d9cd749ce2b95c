import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Forwarder } from '../../src/dns/forward/forwarder.ts';
import { QueryHandler } from '../../src/dns/handler.ts';
import type { DnsObserver, QueryOutcome, Transport } from '../../src/dns/observer.ts';
import type { ParsedQuery } from '../../src/dns/wire.ts';
import { silentLogger } from '../../src/log.ts';
import type { Config } from '../../src/config/types.ts';
import type { RecordStore } from '../../src/records/store.ts';
import {
  counts,
  decode,
  encodeQuery,
  flags,
  makeSet,
  rcode,
  sampleSet,
  srv,
  storeWith,
  testConfig,
  type QueryOptions,
} from './fixtures.ts';

class RecordingObserver implements DnsObserver {
  readonly outcomes: QueryOutcome[] = [];
  drops = 0;
  query(_t: Transport, _qtype: number, outcome: QueryOutcome): void {
    this.outcomes.push(outcome);
  }
  dropped(): void {
    this.drops++;
  }
  upstream(): void {}
  cache(): void {}
  tcpClosed(): void {}
}

interface Setup {
  config?: Partial<Config>;
  store?: RecordStore;
  forwarder?: Forwarder | null;
  cache?: number;
}

function handler(setup: Setup = {}): { h: QueryHandler; obs: RecordingObserver } {
  const obs = new RecordingObserver();
  const h = new QueryHandler({
    config: testConfig(setup.config),
    store: setup.store ?? storeWith(sampleSet()),
    forwarder: setup.forwarder ?? null,
    observer: obs,
    logger: silentLogger(),
    answerCacheSize: setup.cache,
  });
  h.zone.serial = 4242;
  return { h, obs };
}

function ask(
  h: QueryHandler,
  name: string,
  opts: QueryOptions = {},
  transport: Transport = 'udp',
): Buffer {
  const out = h.handle(encodeQuery(name, opts), transport);
  assert.ok(out instanceof Uint8Array, `expected a synchronous answer for ${name}`);
  return Buffer.from(out);
}

const A = 1,
  NS = 2,
  SOA = 6,
  AAAA = 28,
  SRV = 33,
  ANY = 255,
  TXT = 16;

test('A: all addresses, aa, ra per recurseon, rd copied, TTL from config', () => {
  const { h, obs } = handler({ config: { ttl: 77 } });
  const r = ask(h, 'web.marathon.mesos', { type: A, rd: false });
  const p = decode(r);
  assert.equal(p.header.aa, 1);
  assert.equal(p.header.ra, 1);
  assert.equal(p.header.rd, 0);
  assert.equal(p.header.rcode, 0);
  assert.deepEqual(p.answers.map((a) => a.address).sort(), ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
  assert.ok(p.answers.every((a) => a.ttl === 77 && a.name === 'web.marathon.mesos'));
  assert.deepEqual(obs.outcomes, ['authoritative']);
  const noRa = handler({ config: { recurseon: false } }).h;
  assert.equal(decode(ask(noRa, 'web.marathon.mesos')).header.ra, 0);
});

test('answers are shuffled per response', () => {
  const { h } = handler();
  const orders = new Set<string>();
  for (let i = 0; i < 60; i++) {
    orders.add(
      decode(ask(h, 'web.marathon.mesos'))
        .answers.map((a) => a.address)
        .join(),
    );
  }
  assert.ok(orders.size >= 3, `only ${orders.size} distinct orders in 60 answers`);
});

test('question echoed with its case; owner names follow it', () => {
  const { h } = handler();
  const r = ask(h, 'WeB.MaRaThOn.MeSoS', { type: A });
  assert.equal(
    r
      .subarray(12, 12 + 20)
      .toString('latin1')
      .includes('MaRaThOn'),
    true,
  );
  const p = decode(r);
  assert.equal(p.questions[0]!.name, 'WeB.MaRaThOn.MeSoS');
  assert.equal(p.answers.length, 3);
  assert.equal(p.answers[0]!.name, 'WeB.MaRaThOn.MeSoS');
});

test('AAAA, including IPv4-mapped addresses', () => {
  const { h } = handler();
  const p = decode(ask(h, 'v6.marathon.mesos', { type: AAAA }));
  assert.deepEqual(
    p.answers.map((a) => a.address).sort(),
    ['::ffff:a00:7', 'fd00::1'].sort().map((x) => x),
  );
});

test('SRV: targets uncompressed, their A/AAAA in additional', () => {
  const { h } = handler();
  const r = ask(h, '_web._tcp.marathon.mesos', { type: SRV });
  const p = decode(r);
  assert.deepEqual(p.answers.map((a) => `${a.priority} ${a.weight} ${a.port} ${a.target}`).sort(), [
    '0 1 31000 web-1.marathon.slave.mesos',
    '0 1 31001 web-2.marathon.slave.mesos',
  ]);
  assert.deepEqual(p.additionals.map((a) => `${a.name} ${a.type} ${a.address}`).sort(), [
    'web-1.marathon.slave.mesos 1 10.0.1.1',
    'web-2.marathon.slave.mesos 1 10.0.1.2',
    'web-2.marathon.slave.mesos 28 fd00::2',
  ]);
  // The SRV target is spelled out in full: its labels appear literally in the answer bytes.
  const target = Buffer.from('\x05web-1\x08marathon\x05slave\x05mesos\x00', 'latin1');
  assert.ok(r.indexOf(target) > 0, 'SRV target must not be compressed (RFC 2782)');
});

test('SRV: a target with several addresses adds one A and one AAAA (mesos-dns handleSRV)', () => {
  const set = makeSet({
    a: { 't.marathon.slave.mesos.': ['10.0.1.1', '10.0.1.2'] },
    aaaa: { 't.marathon.slave.mesos.': ['fd00::1', 'fd00::2'] },
    srv: {
      '_t._tcp.marathon.mesos.': [
        srv('t.marathon.slave.mesos.', 31000),
        srv('t.marathon.slave.mesos.', 31001),
      ],
    },
  });
  const { h } = handler({ store: storeWith(set) });
  const p = decode(ask(h, '_t._tcp.marathon.mesos', { type: SRV }));
  assert.equal(p.answers.length, 2);
  const extra = p.additionals.map((a) => `${a.name} ${a.type} ${a.address}`);
  assert.equal(extra.length, 2, extra.join(', '));
  assert.ok(
    ['10.0.1.1', '10.0.1.2'].some((ip) => extra.includes(`t.marathon.slave.mesos 1 ${ip}`)),
  );
  assert.ok(['fd00::1', 'fd00::2'].some((ip) => extra.includes(`t.marathon.slave.mesos 28 ${ip}`)));
});

test('NXDOMAIN vs NODATA, with the apex SOA at min(ttl, SOAMinttl)', () => {
  const { h, obs } = handler({ config: { ttl: 60, SOAMinttl: 30 } });
  const nx = decode(ask(h, 'nope.marathon.mesos'));
  assert.equal(nx.header.rcode, 3);
  assert.equal(nx.header.aa, 1);
  assert.equal(nx.answers.length, 0);
  assert.equal(nx.authorities.length, 1);
  const soa = nx.authorities[0]!;
  assert.equal(soa.type, SOA);
  assert.equal(soa.name, 'mesos');
  assert.equal(soa.ttl, 30);
  assert.equal(soa.serial, 4242);
  const nodata = decode(ask(h, 'web.marathon.mesos', { type: TXT }));
  assert.equal(nodata.header.rcode, 0);
  assert.equal(nodata.answers.length, 0);
  assert.equal(nodata.authorities[0]!.type, SOA);
  assert.equal(decode(ask(h, 'web.marathon.mesos', { type: AAAA })).header.rcode, 0);
  // Below an existing name there is nothing: NXDOMAIN (no wildcards).
  assert.equal(decode(ask(h, 'x.web.marathon.mesos')).header.rcode, 3);
  assert.deepEqual(obs.outcomes, ['nxdomain', 'nodata', 'nodata', 'nxdomain']);
  const longTtl = handler({ config: { ttl: 10, SOAMinttl: 300 } }).h;
  assert.equal(decode(ask(longTtl, 'nope.mesos')).authorities[0]!.ttl, 10);
});

test('empty non-terminals are NODATA (RFC 8020)', () => {
  const { h } = handler();
  for (const name of ['_tcp.marathon.mesos', 'marathon.mesos', 'slave.mesos', '_tcp.mesos']) {
    const p = decode(ask(h, name, { type: A }));
    assert.equal(p.header.rcode, 0, name);
    assert.equal(p.answers.length, 0, name);
    assert.equal(p.authorities.length, 1, name);
  }
});

test('SOA and NS at the apex, with the name server address as additional', () => {
  const { h } = handler({ config: { SOAMname: 'NS1.mesos', SOARname: 'admin@example.com' } });
  const soa = decode(ask(h, 'mesos', { type: SOA }));
  assert.equal(soa.answers.length, 1);
  const s = soa.answers[0]!;
  // Names compress into the question, so they take its case (DNS names are case-insensitive).
  assert.equal(s.primary, 'NS1.mesos');
  assert.equal(s.admin, 'admin.example.com');
  assert.deepEqual(
    [s.serial, s.refresh, s.retry, s.expiration, s.minimum],
    [4242, 60, 600, 86400, 30],
  );
  assert.equal(s.ttl, 60);
  assert.deepEqual(
    soa.additionals.map((a) => a.address),
    ['127.0.0.1'],
  );
  const ns = decode(ask(h, 'MESOS', { type: NS }));
  assert.equal(ns.answers[0]!.ns, 'NS1.MESOS');
  assert.deepEqual(
    ns.additionals.map((a) => `${a.name} ${a.address}`),
    ['ns1.MESOS 127.0.0.1'],
  );
  // SOA below the apex: NODATA.
  const below = decode(ask(h, 'web.marathon.mesos', { type: SOA }));
  assert.equal(below.answers.length, 0);
  assert.equal(below.authorities.length, 1);
});

test('ANY returns every type the name owns', () => {
  const { h } = handler();
  const v6 = decode(ask(h, 'v6.marathon.mesos', { type: ANY }));
  assert.deepEqual(v6.answers.map((a) => a.type).sort(), [1, 28, 28]);
  const apex = decode(ask(h, 'mesos', { type: ANY }));
  assert.deepEqual(
    apex.answers.map((a) => a.type).sort((x, y) => x - y),
    [NS, SOA],
  );
  const s = decode(ask(h, '_leader._tcp.mesos', { type: ANY }));
  assert.deepEqual(
    s.answers.map((a) => a.type),
    [SRV],
  );
  assert.deepEqual(
    s.additionals.map((a) => a.address),
    ['10.0.9.9'],
  );
});

test('SERVFAIL before the first load', () => {
  const { h, obs } = handler({ store: storeWith(null) });
  const r = ask(h, 'web.marathon.mesos');
  assert.equal(rcode(r), 2);
  assert.deepEqual(obs.outcomes, ['notready']);
});

test('outside the domain: REFUSED without forwarder or with externalon false', () => {
  for (const setup of [{}, { config: { externalon: false }, forwarder: fakeForwarder([]).f }]) {
    const { h, obs } = handler(setup);
    const r = ask(h, 'example.org');
    assert.equal(rcode(r), 5);
    assert.equal(flags(r) & 0x0400, 0, 'not authoritative');
    assert.equal(flags(r) & 0x0080, 0x0080, 'ra per recurseon');
    assert.deepEqual(obs.outcomes, ['refused']);
  }
});

function fakeForwarder(
  calls: { size: number; transport: Transport; question?: ParsedQuery }[],
  reject = false,
): { f: Forwarder } {
  return {
    f: {
      forward(query, question, transport, clientUdpSize) {
        calls.push({ size: clientUdpSize, transport, question });
        if (reject) return Promise.reject(new Error('boom'));
        const reply = Buffer.from(query);
        reply[2] = 0x81;
        reply[3] = 0x80;
        return Promise.resolve(reply);
      },
      close: () => Promise.resolve(),
    },
  };
}

test('outside the domain: the forwarder answers, with the client UDP size', async () => {
  const calls: { size: number; transport: Transport; question?: ParsedQuery }[] = [];
  const { h, obs } = handler({ forwarder: fakeForwarder(calls).f, config: { udpMaxSize: 4096 } });
  const out = h.handle(encodeQuery('example.org', { edns: 4000, id: 99 }), 'udp');
  assert.ok(out instanceof Promise);
  // The forwarder keeps the parse it was handed while the handler parses the next query.
  await h.handle(encodeQuery('other.example', { id: 100 }), 'tcp');
  const reply = await out;
  assert.equal(Buffer.from(reply).readUInt16BE(0), 99);
  assert.deepEqual(
    calls.map((c) => [c.size, c.transport, c.question?.key, c.question?.ednsUdpSize]),
    [
      [4000, 'udp', 'example.org.', 4000],
      [65535, 'tcp', 'other.example.', 0],
    ],
  );
  assert.deepEqual(obs.outcomes, ['forwarded', 'forwarded']);
  const failing = handler({ forwarder: fakeForwarder([], true).f });
  const fb = await failing.h.handle(encodeQuery('example.org'), 'tcp');
  assert.equal(rcode(fb as Uint8Array), 2);
  assert.deepEqual(failing.obs.outcomes, ['servfail']);
});

test('malformed packets: FORMERR / NOTIMP / BADVERS answered, garbage dropped', () => {
  const { h, obs } = handler();
  assert.equal(h.handle(new Uint8Array(5), 'udp'), null);
  const resp = encodeQuery('a.mesos');
  resp[2] = resp[2]! | 0x80;
  assert.equal(h.handle(resp, 'udp'), null);
  assert.equal(obs.drops, 2);
  const two = encodeQuery('web.marathon.mesos', { id: 7 });
  two.writeUInt16BE(2, 4);
  const fe = Buffer.from(h.handle(two, 'udp') as Uint8Array);
  assert.equal(rcode(fe), 1);
  assert.equal(fe.readUInt16BE(0), 7);
  const trunc = encodeQuery('web.marathon.mesos', { id: 8 }).subarray(0, 20);
  const fe2 = Buffer.from(h.handle(trunc, 'udp') as Uint8Array);
  assert.equal(rcode(fe2), 1);
  assert.deepEqual(counts(fe2), [0, 0, 0, 0]);
  const update = encodeQuery('web.marathon.mesos');
  update[2] = (5 << 3) | 1;
  const ni = decode(h.handle(update, 'udp') as Uint8Array);
  assert.equal(ni.header.rcode, 4);
  assert.equal(ni.header.opcode, 5);
  const bv = decode(
    h.handle(
      encodeQuery('web.marathon.mesos', { edns: 1232, ednsVersion: 1 }),
      'udp',
    ) as Uint8Array,
  );
  const bvBytes = h.handle(
    encodeQuery('web.marathon.mesos', { edns: 1232, ednsVersion: 1 }),
    'udp',
  );
  assert.equal(rcode(bvBytes as Uint8Array), 0, 'header holds the low 4 bits of 16');
  assert.equal(bv.answers.length, 0);
  const opt = bv.additionals.find((a) => a.type === 41);
  assert.equal(opt?.extendedRcode, 1, 'BADVERS = extended rcode 16');
  assert.deepEqual(obs.outcomes, ['formerr', 'formerr', 'notimp', 'formerr', 'formerr']);
  // And valid queries still work.
  assert.equal(rcode(ask(h, 'web.marathon.mesos')), 0);
});

test('EDNS: OPT echoed with our size and DO copied; none when the client sent none', () => {
  const { h } = handler();
  const p = decode(ask(h, 'web.marathon.mesos', { edns: 4096, do: true }));
  const opt = p.additionals.find((a) => a.type === 41)!;
  assert.equal(opt.class, 1232);
  assert.equal(opt.doFlag, true);
  const plain = ask(h, 'web.marathon.mesos');
  assert.equal(counts(plain)[3], 0);
});

function bigSet(n: number) {
  const targets: Record<string, string[]> = {};
  const srvs = [];
  const addrs: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = `task-${i}.big.slave.mesos.`;
    targets[t] = [`10.1.${i >> 8}.${i & 255}`];
    srvs.push(srv(t, 30000 + i));
    addrs.push(`10.2.${i >> 8}.${i & 255}`);
  }
  return makeSet({
    a: { ...targets, 'big.marathon.mesos.': addrs },
    srv: { '_big._tcp.marathon.mesos.': srvs },
  });
}

test('truncation: 512 bytes without EDNS, client size with EDNS, whole RRs, TC set', () => {
  const { h } = handler({ store: storeWith(bigSet(100)), config: { udpMaxSize: 65535 } });
  const small = ask(h, 'big.marathon.mesos');
  assert.ok(small.length <= 512);
  const p = decode(small);
  assert.equal(p.header.tc, 1);
  assert.equal(p.answers.length, Math.floor((512 - 12 - 23) / 16));
  assert.deepEqual(p.errors, []);
  const e = ask(h, 'big.marathon.mesos', { edns: 1000 });
  assert.ok(e.length <= 1000 && e.length > 900);
  assert.equal(decode(e).header.tc, 1);
  assert.ok(
    decode(e).additionals.some((a) => a.type === 41),
    'OPT kept when truncating',
  );
  const all = decode(ask(h, 'big.marathon.mesos', { edns: 4096 }));
  assert.equal(all.header.tc, 0);
  assert.equal(all.answers.length, 100);
  const tcp = decode(ask(h, 'big.marathon.mesos', {}, 'tcp'));
  assert.equal(tcp.answers.length, 100);
  assert.equal(tcp.header.tc, 0);
  // SRV: additional dropped first, without TC, while every answer still fits.
  const h40 = handler({ store: storeWith(bigSet(40)), config: { udpMaxSize: 65535 } }).h;
  const full = ask(h40, '_big._tcp.marathon.mesos', { type: SRV, edns: 4096 });
  assert.equal(decode(full).additionals.length, 41);
  const s = decode(ask(h40, '_big._tcp.marathon.mesos', { type: SRV, edns: 2000 }));
  assert.equal(s.answers.length, 40);
  assert.ok(s.additionals.length > 1 && s.additionals.length < 41, `${s.additionals.length}`);
  assert.equal(s.header.tc, 0);
  assert.deepEqual(s.errors, []);
});

test('udpMaxSize caps UDP answers below the client offer; TCP is not capped', () => {
  const { h } = handler({ store: storeWith(bigSet(100)) });
  const capped = ask(h, 'big.marathon.mesos', { edns: 4096 });
  assert.ok(capped.length <= 1232 && capped.length > 1100, `${capped.length} bytes`);
  assert.equal(decode(capped).header.tc, 1);
  assert.equal(decode(ask(h, 'big.marathon.mesos', { edns: 4096 }, 'tcp')).answers.length, 100);
});

test('SetTruncateBit false: partial answers without TC', () => {
  const { h } = handler({ store: storeWith(bigSet(100)), config: { SetTruncateBit: false } });
  const p = decode(ask(h, 'big.marathon.mesos'));
  assert.equal(p.header.tc, 0);
  assert.ok(p.answers.length > 0 && p.answers.length < 100);
});

test('the store swap clears the fast path and bumps the serial', () => {
  const store = storeWith(sampleSet());
  const { h } = handler({ store });
  assert.equal(decode(ask(h, 'web.marathon.mesos')).answers.length, 3);
  const before = decode(ask(h, 'mesos', { type: SOA })).answers[0]!.serial;
  store.swap(makeSet({ a: { 'web.marathon.mesos.': ['10.9.9.9'] } }), {
    atMs: 0,
    durationMs: 0,
    master: '',
    tasks: 0,
    records: 0,
  });
  assert.deepEqual(
    decode(ask(h, 'web.marathon.mesos')).answers.map((a) => a.address),
    ['10.9.9.9'],
  );
  const after = decode(ask(h, 'mesos', { type: SOA })).answers[0]!.serial;
  assert.ok(after! > before!);
});

/** Splits a response into header+question, the answer RRs, and the rest (independent walker). */
function sections(msg: Buffer): { head: string; answers: string[]; rest: string } {
  let pos = 12;
  while (msg[pos] !== 0) pos += msg[pos]! + 1;
  pos += 5;
  const head = msg.subarray(0, pos).toString('hex');
  const answers: string[] = [];
  for (let i = 0; i < msg.readUInt16BE(6); i++) {
    const start = pos;
    while (msg[pos] !== 0 && (msg[pos]! & 0xc0) !== 0xc0) pos += msg[pos]! + 1;
    pos += msg[pos] === 0 ? 1 : 2;
    pos += 10 + msg.readUInt16BE(pos + 8);
    answers.push(msg.subarray(start, pos).toString('hex'));
  }
  return { head, answers: answers.sort(), rest: msg.subarray(pos).toString('hex') };
}

test('fast path is byte-identical to the slow path apart from answer order', () => {
  const store = storeWith(bigSet(60));
  const sample = sampleSet();
  // One store holding both sets' records.
  const merged = makeSet({
    a: Object.fromEntries([...store.current!.a, ...sample.a]),
    aaaa: Object.fromEntries(sample.aaaa),
    srv: Object.fromEntries([...store.current!.srv, ...sample.srv]),
  });
  const shared = storeWith(merged);
  const fast = handler({ store: shared }).h;
  const slow = handler({ store: shared, cache: 0 }).h;
  const names = [
    'web.marathon.mesos',
    'WEB.marathon.Mesos',
    'v6.marathon.mesos',
    '_web._tcp.marathon.mesos',
    '_WEB._Tcp.Marathon.MESOS',
    '_leader._tcp.mesos',
    'mesos',
    'MeSoS',
    'nope.mesos',
    '_tcp.marathon.mesos',
    'big.marathon.mesos',
    '_big._tcp.marathon.mesos',
    'ns1.mesos',
  ];
  const types = [A, AAAA, SRV, SOA, NS, ANY, TXT];
  const ednsSizes: (number | undefined)[] = [undefined, 512, 700, 1232, 4096];
  let compared = 0;
  for (const name of names) {
    for (const type of types) {
      for (const edns of ednsSizes) {
        for (const transport of ['udp', 'tcp'] as const) {
          const opts = { type, edns, id: 1000 + compared };
          ask(fast, name, opts, transport); // warm the cache
          const f = ask(fast, name, opts, transport);
          const s = ask(slow, name, opts, transport);
          const fs = sections(f);
          const ss = sections(s);
          if (flags(f) & 0x0200) {
            // Truncated: which answers survived is random; sizes and counts must still agree.
            // Counts differ when answers differ in size (SRV targets); the rest must match.
            assert.equal(
              fs.head.slice(0, 8) + fs.head.slice(24),
              ss.head.slice(0, 8) + ss.head.slice(24),
            );
            assert.equal(ss.head.slice(4, 8), fs.head.slice(4, 8));
          } else {
            assert.deepEqual(fs, ss, `${name}/${type}/${edns}/${transport}`);
          }
          assert.deepEqual(decode(f).errors, []);
          compared++;
        }
      }
    }
  }
  assert.equal(compared, names.length * types.length * ednsSizes.length * 2);
});
