// Upstream replies are checked whole before they are relayed or cached (issue #16, finding 4):
// a scripted upstream on loopback sends replies broken in one way each; the client gets SERVFAIL,
// the metric counts 'malformed', the log says so at a limited rate. Well-formed replies, with
// compression in owner names and RDATA, still pass byte for byte.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { systemClock } from '../../src/clock.ts';
import { createForwarder, type ForwarderOptions } from '../../src/dns/forward/forwarder.ts';
import { createLogger, silentLogger } from '../../src/log.ts';
import { answerA, startFakeUpstream, type FakeHandler } from './fake-upstream.ts';
import { RecordingObserver, ask, buildQuery, idOf, isTruncated, rcodeOf } from './wire-client.ts';

/** 31 bytes of QNAME, so the question ends at 0x2f as in the capture. */
const NAME = 'abcdefghijklmnopqrstu.example';
const QEND = 0x2f;

function u16(n: number): number[] {
  return [n >> 8, n & 0xff];
}

function rr(owner: readonly number[], type: number, rdata: readonly number[], ttl = 300): number[] {
  return [...owner, ...u16(type), ...u16(1), 0, 0, ...u16(ttl), ...u16(rdata.length), ...rdata];
}

function ptr(offset: number): number[] {
  return [0xc0 | (offset >> 8), offset & 0xff];
}

function label(text: string): number[] {
  return [text.length, ...Buffer.from(text, 'latin1')];
}

/** A reply to `query`: its header and question, QR RD RA set, the given counts and records. */
function reply(
  query: Uint8Array,
  counts: readonly [number, number, number],
  records: readonly number[],
  flags = 0x8180,
): Uint8Array {
  const head = Buffer.from(query.subarray(0, QEND));
  head.writeUInt16BE(flags | ((query[2]! & 0x01) << 8), 2);
  head.writeUInt16BE(counts[0], 6);
  head.writeUInt16BE(counts[1], 8);
  head.writeUInt16BE(counts[2], 10);
  return new Uint8Array(Buffer.concat([head, Buffer.from(records)]));
}

const A = 1;
const CNAME = 5;
const SOA = 6;
const MX = 15;
const OPT = 41;

const malformed: [string, (q: Uint8Array) => Uint8Array][] = [
  // The capture: the answer's owner is a pointer to itself (c02f at 0x2f).
  ['owner name pointing to itself', (q) => reply(q, [1, 0, 0], rr(ptr(QEND), A, [192, 0, 2, 1]))],
  [
    'owner name pointing forward',
    (q) => reply(q, [1, 0, 0], rr(ptr(QEND + 12), A, [3, 0x61, 0x62, 0x63])),
  ],
  [
    'two names pointing at each other',
    (q) =>
      reply(
        q,
        [2, 0, 0],
        [
          ...rr([...label('x'), ...ptr(QEND + 18)], A, [192, 0, 2, 1]),
          ...rr(ptr(QEND), A, [192, 0, 2, 2]),
        ],
      ),
  ],
  [
    'RDLENGTH past the end',
    (q) => {
      const bytes = rr(ptr(12), A, [192, 0, 2, 1]);
      bytes[11] = 40;
      return reply(q, [1, 0, 0], bytes);
    },
  ],
  ['ANCOUNT above the records present', (q) => reply(q, [2, 0, 0], rr(ptr(12), A, [192, 0, 2, 1]))],
  [
    'bytes after the counted records',
    (q) =>
      reply(q, [1, 0, 0], [...rr(ptr(12), A, [192, 0, 2, 1]), ...rr(ptr(12), A, [1, 2, 3, 4])]),
  ],
  [
    'a reserved label type (0x40)',
    (q) => reply(q, [1, 0, 0], rr([0x41, 0x61, 0], A, [1, 2, 3, 4])),
  ],
  [
    'an owner name over 255 bytes',
    (q) =>
      reply(
        q,
        [1, 0, 0],
        rr([...Array.from({ length: 5 }, () => label('a'.repeat(63))).flat(), 0], A, [1, 2, 3, 4]),
      ),
  ],
  ['an A record of 5 bytes', (q) => reply(q, [1, 0, 0], rr(ptr(12), A, [192, 0, 2, 1, 9]))],
  [
    'a CNAME target pointing to itself',
    (q) => reply(q, [1, 0, 0], rr(ptr(12), CNAME, ptr(QEND + 12))),
  ],
  [
    'an MX exchange running past its RDLENGTH',
    (q) => reply(q, [1, 0, 0], [...rr(ptr(12), MX, [0, 10, 4, 0x6d, 0x61]), 0x69, 0x6c, 0]),
  ],
  ['an OPT record in the answer section', (q) => reply(q, [1, 0, 0], rr([0], OPT, []))],
];

function forwarder(resolvers: string[], overrides: Partial<ForwarderOptions> = {}) {
  const observer = new RecordingObserver();
  const f = createForwarder({
    resolvers,
    zoneResolvers: {},
    timeoutMs: 1000,
    cacheSize: 100,
    observer,
    logger: silentLogger(),
    clock: systemClock,
    ...overrides,
  });
  return { f, observer };
}

describe('malformed upstream replies', () => {
  for (const transport of ['udp', 'tcp'] as const) {
    it(`are answered SERVFAIL, counted and never cached (${transport})`, async () => {
      let make: (q: Uint8Array) => Uint8Array = (q) => q;
      const up = await startFakeUpstream((q) => [make(q)]);
      const { f, observer } = forwarder([up.resolver]);
      try {
        for (const [what, build] of malformed) {
          make = build;
          for (let round = 0; round < 2; round++) {
            const sentBefore = up.seen.length;
            const out = await ask(f, buildQuery(NAME, A, { id: 0x1234 }), transport, 512);
            assert.equal(rcodeOf(out), 2, `${what}: SERVFAIL`);
            assert.equal(idOf(out), 0x1234, `${what}: client ID`);
            // Not cached: the second round asks the upstream again.
            assert.equal(up.seen.length, sentBefore + 1, `${what}: asked upstream`);
            assert.deepEqual(observer.upstreams.at(-1), {
              resolver: up.resolver,
              result: 'malformed',
            });
          }
        }
      } finally {
        await f.close();
        await up.close();
      }
    });
  }

  it('move on to the next resolver, whose good answer is relayed', async () => {
    const bad = await startFakeUpstream((q) => [malformed[0]![1](q)]);
    const good = await startFakeUpstream((q) => [answerA(q, 60, [192, 0, 2, 8])]);
    const { f, observer } = forwarder([bad.resolver, good.resolver]);
    try {
      const out = await ask(f, buildQuery(NAME, A), 'udp', 512);
      assert.equal(rcodeOf(out), 0);
      assert.deepEqual(
        observer.upstreams.map((u) => u.result),
        ['malformed', 'ok'],
      );
    } finally {
      await f.close();
      await bad.close();
      await good.close();
    }
  });

  it('are logged at a limited rate: one warn line for a burst', async () => {
    const up = await startFakeUpstream((q) => [malformed[0]![1](q)]);
    const lines: { level: number; msg: string; events?: number; code?: string }[] = [];
    const logger = createLogger(0, {
      write: (line: string) => lines.push(JSON.parse(line) as (typeof lines)[number]),
    });
    const { f } = forwarder([up.resolver], { logger, cacheSize: 0, failuresToMarkDown: 1000 });
    try {
      for (let i = 0; i < 5; i++) await ask(f, buildQuery(NAME, A, { id: i }), 'udp', 512);
      const warned = lines.filter((l) => l.msg === 'malformed upstream reply answered SERVFAIL');
      assert.equal(warned.length, 1);
      assert.equal(warned[0]!.code, 'UPSTREAM_MALFORMED');
      assert.equal(warned[0]!.level, 40);
    } finally {
      await f.close();
      await up.close();
    }
  });
});

describe('well-formed upstream replies', () => {
  it('pass byte for byte: compressed owners, CNAME, SOA and MX names, OPT', async () => {
    const build = (q: Uint8Array): Uint8Array =>
      reply(
        q,
        [3, 1, 1],
        [
          // www → CNAME target "mail" + pointer to the question's "example" label.
          ...rr(ptr(12), CNAME, [...label('mail'), ...ptr(34)]),
          ...rr(ptr(QEND + 12), A, [192, 0, 2, 5]),
          ...rr(ptr(QEND + 12), MX, [0, 10, ...ptr(QEND + 12)]),
          ...rr(ptr(34), SOA, [
            ...label('ns'),
            ...ptr(34),
            ...label('host'),
            ...ptr(34),
            ...new Array<number>(20).fill(1),
          ]),
          0,
          ...u16(OPT),
          ...u16(1232),
          0,
          0,
          0,
          0,
          0,
          0,
        ],
      );
    const up = await startFakeUpstream((q) => [build(q)]);
    const { f, observer } = forwarder([up.resolver]);
    try {
      const query = buildQuery(NAME, A, { id: 0x0202, ednsSize: 1232 });
      const out = await ask(f, query, 'udp', 1232);
      const sent = up.seen.at(-1)!.query;
      const expected = build(sent);
      expected[0] = 0x02;
      expected[1] = 0x02;
      assert.deepEqual(Buffer.from(out), Buffer.from(expected));
      assert.deepEqual(observer.upstreams.at(-1)?.result, 'ok');
    } finally {
      await f.close();
      await up.close();
    }
  });

  it('a truncated reply cut mid-record is relayed as header and question, TC set', async () => {
    // Over TCP the upstream stays silent, so the forwarder's TC retry fails.
    const handler: FakeHandler = (q, transport) =>
      transport === 'tcp'
        ? []
        : [reply(q, [2, 0, 0], rr(ptr(12), A, [192, 0, 2, 1]).slice(0, 14), 0x8380)];
    const up = await startFakeUpstream(handler);
    const { f } = forwarder([up.resolver], { timeoutMs: 300 });
    try {
      const out = await ask(f, buildQuery(NAME, A, { id: 7 }), 'udp', 512);
      assert.equal(out.length, QEND);
      assert.ok(isTruncated(out));
      assert.equal(rcodeOf(out), 0);
      assert.deepEqual([...out.subarray(4, 12)], [0, 1, 0, 0, 0, 0, 0, 0]);
    } finally {
      await f.close();
      await up.close();
    }
  });
});

describe('resolver addresses', () => {
  it('a resolver written in a non-canonical IPv6 form is still answered (connected socket)', async (t) => {
    let up;
    try {
      up = await startFakeUpstream((q) => [answerA(q, 60, [192, 0, 2, 6])], '::1');
    } catch (err) {
      t.skip(`no IPv6 loopback here: ${String(err)}`);
      return;
    }
    // The kernel reports the source as "::1"; the config says "0:0:0:0:0:0:0:1".
    const { f, observer } = forwarder([`[0:0:0:0:0:0:0:1]:${up.port}`], { timeoutMs: 500 });
    try {
      const out = await ask(f, buildQuery(NAME, A), 'udp', 512);
      assert.equal(rcodeOf(out), 0);
      assert.deepEqual(
        observer.upstreams.map((u) => u.result),
        ['ok'],
      );
    } finally {
      await f.close();
      await up.close();
    }
  });
});
