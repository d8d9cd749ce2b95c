import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ParsedQuery, checkName, parseQuery } from '../../src/dns/wire.ts';
import { nameToWire, nameKey, splitName } from '../../src/dns/names.ts';
import { ipv6Bytes, ipv4Bytes } from '../../src/dns/rr-encode.ts';
import { encodeQuery } from './fixtures.ts';

const apex = nameToWire('mesos.');

function parse(bytes: Uint8Array): ParsedQuery {
  const q = new ParsedQuery();
  parseQuery(bytes, apex, q);
  return q;
}

test('parses header, question, lower-case key and apex offset', () => {
  const q = parse(encodeQuery('WeB.Marathon.MESOS', { type: 33, id: 0x1234 }));
  assert.equal(q.status, 'ok');
  assert.equal(q.id, 0x1234);
  assert.equal(q.qtype, 33);
  assert.equal(q.qclass, 1);
  assert.equal(q.key, 'web.marathon.mesos.');
  assert.equal(q.apexOffset, 4 + 9);
  assert.equal(q.questionEnd, 12 + 20 + 4);
  assert.equal(q.hasEdns, false);
  assert.equal(q.clientUdpSize, 512);
});

test('in-domain check is per label, not per character', () => {
  assert.equal(parse(encodeQuery('notmesos')).apexOffset, -1);
  assert.equal(parse(encodeQuery('mesos.com')).apexOffset, -1);
  assert.equal(parse(encodeQuery('mesos')).apexOffset, 0);
  assert.equal(parse(encodeQuery('.')).apexOffset, -1);
  assert.equal(parse(encodeQuery('.')).key, '.');
  // One label "a.mesos" at the root must not look like a.mesos.
  const q = Buffer.from(encodeQuery('x'));
  const bytes = Buffer.concat([
    q.subarray(0, 12),
    Buffer.from([7]),
    Buffer.from('a.mesos'),
    Buffer.from([0, 0, 1, 0, 1]),
  ]);
  const parsed = parse(bytes);
  assert.equal(parsed.status, 'ok');
  assert.equal(parsed.apexOffset, -1);
  assert.equal(parsed.key, 'a\\.mesos.');
});

test('escapes non-printable bytes so keys never alias record names', () => {
  const q = Buffer.from(encodeQuery('x'));
  const bytes = Buffer.concat([
    q.subarray(0, 12),
    Buffer.from([3, 0x61, 0x00, 0x5c, 5]),
    Buffer.from('mesos'),
    Buffer.from([0, 0, 1, 0, 1]),
  ]);
  const parsed = parse(bytes);
  assert.equal(parsed.key, 'a\\000\\\\.mesos.');
  assert.equal(parsed.apexOffset, 4);
  assert.deepEqual(splitName(parsed.key)[0], Uint8Array.from([0x61, 0, 0x5c]));
});

test('EDNS0: size, version, DO bit; one OPT only', () => {
  const q = parse(encodeQuery('a.mesos', { edns: 4096, do: true }));
  assert.equal(q.status, 'ok');
  assert.equal(q.hasEdns, true);
  assert.equal(q.ednsUdpSize, 4096);
  assert.equal(q.ednsDo, true);
  assert.equal(q.clientUdpSize, 4096);
  assert.equal(parse(encodeQuery('a.mesos', { edns: 100 })).clientUdpSize, 512);
  assert.equal(parse(encodeQuery('a.mesos', { edns: 1232, ednsVersion: 1 })).status, 'badvers');
  const one = encodeQuery('a.mesos', { edns: 1232 });
  const two = Buffer.concat([one, one.subarray(one.length - 11)]);
  two.writeUInt16BE(2, 10);
  assert.equal(parse(two).status, 'formerr');
});

/** One EDNS option: code, declared length, body bytes (which may be fewer than declared). */
function option(code: number, length: number, body: number[] = []): number[] {
  return [code >> 8, code & 0xff, length >> 8, length & 0xff, ...body];
}

test('EDNS0 options: well-formed pass; one running past the OPT or a bad COOKIE is FORMERR', () => {
  const withOptions = (bytes: number[]) =>
    parse(encodeQuery('a.mesos', { edns: 1232, ednsOptions: Uint8Array.from(bytes) })).status;
  const eight = Array.from({ length: 8 }, (_, i) => i + 1);
  assert.equal(withOptions([]), 'ok');
  assert.equal(withOptions(option(10, 8, eight)), 'ok'); // client cookie only
  assert.equal(withOptions(option(10, 16, [...eight, ...eight])), 'ok'); // with a server cookie
  assert.equal(withOptions([...option(8, 4, [0, 1, 24, 0]), ...option(10, 8, eight)]), 'ok');
  assert.equal(withOptions(option(65001, 0)), 'ok'); // unknown options are ignored
  // RFC 6891 6.1.2: an option whose length runs past the RDATA.
  assert.equal(withOptions(option(8, 9, [0, 1, 24, 0])), 'formerr');
  // A partial option header at the end of the RDATA.
  assert.equal(withOptions([...option(10, 8, eight), 0, 10]), 'formerr');
  // RFC 7873 5.2.2: COOKIE of 3 bytes, of 9..15 bytes, or over 40 bytes.
  assert.equal(withOptions(option(10, 3, [1, 2, 3])), 'formerr');
  assert.equal(withOptions(option(10, 12, [...eight, 1, 2, 3, 4])), 'formerr');
  assert.equal(
    withOptions(
      option(
        10,
        41,
        Array.from({ length: 41 }, () => 7),
      ),
    ),
    'formerr',
  );
  // RDLENGTH itself longer than the packet.
  const cut = encodeQuery('a.mesos', {
    edns: 1232,
    ednsOptions: Uint8Array.from(option(10, 8, eight)),
  });
  assert.equal(parse(cut.subarray(0, cut.length - 3)).status, 'formerr');
});

test('drops short packets and responses; NOTIMP for other opcodes; FORMERR for bad bodies', () => {
  assert.equal(parse(new Uint8Array(11)).status, 'drop');
  const resp = encodeQuery('a.mesos');
  resp[2] = resp[2]! | 0x80;
  assert.equal(parse(resp).status, 'drop');
  const notify = encodeQuery('a.mesos');
  notify[2] = (notify[2]! & 0x87) | (4 << 3);
  const n = parse(notify);
  assert.equal(n.status, 'notimp');
  assert.equal(n.key, 'a.mesos.', 'question still read so it can be echoed');
  const zero = encodeQuery('a.mesos');
  zero.writeUInt16BE(0, 4);
  assert.equal(parse(zero).status, 'formerr');
  const twoQ = encodeQuery('a.mesos');
  twoQ.writeUInt16BE(2, 4);
  assert.equal(parse(twoQ).status, 'formerr');
  assert.equal(parse(encodeQuery('a.mesos').subarray(0, 20)).status, 'formerr');
  const lyingAr = encodeQuery('a.mesos');
  lyingAr.writeUInt16BE(3, 10);
  assert.equal(parse(lyingAr).status, 'formerr');
});

test('rejects compression pointers, loops, oversized labels and names in the question', () => {
  const header = encodeQuery('x').subarray(0, 12);
  const loop = Buffer.concat([header, Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
  assert.equal(parse(loop).status, 'formerr');
  const big = Buffer.concat([
    header,
    Buffer.from([64]),
    Buffer.alloc(64, 0x61),
    Buffer.from([0, 0, 1, 0, 1]),
  ]);
  assert.equal(parse(big).status, 'formerr');
  const reserved = Buffer.concat([header, Buffer.from([0x41, 0x61, 0, 0, 1, 0, 1])]);
  assert.equal(parse(reserved).status, 'formerr');
  const labels: Buffer[] = [];
  for (let i = 0; i < 5; i++) labels.push(Buffer.from([63]), Buffer.alloc(63, 0x61));
  const long = Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1])]);
  assert.equal(parse(long).status, 'formerr');
  const labels4: Buffer[] = [];
  for (let i = 0; i < 3; i++) labels4.push(Buffer.from([63]), Buffer.alloc(63, 0x61));
  labels4.push(Buffer.from([61]), Buffer.alloc(61, 0x61));
  const max = Buffer.concat([header, ...labels4, Buffer.from([0, 0, 1, 0, 1])]);
  assert.equal(parse(max).status, 'ok', 'a 255-byte name is legal');
});

test('random bytes never throw and leave a consistent status', () => {
  const q = new ParsedQuery();
  const seed = encodeQuery('_web._tcp.marathon.mesos', { type: 33, edns: 1232 });
  for (let i = 0; i < 20000; i++) {
    let bytes: Uint8Array;
    if (i % 2 === 0) {
      bytes = randomBytes(Math.floor(Math.random() * 80));
    } else {
      bytes = Buffer.from(seed);
      for (let k = 0; k < 3; k++)
        bytes[Math.floor(Math.random() * bytes.length)] = Math.floor(Math.random() * 256);
      bytes = bytes.subarray(0, Math.floor(Math.random() * (bytes.length + 1)));
    }
    parseQuery(bytes, apex, q);
    assert.ok(['ok', 'drop', 'formerr', 'notimp', 'badvers'].includes(q.status));
    if (q.status === 'ok') assert.ok(q.questionEnd <= bytes.length);
  }
});

test('names: key form and wire form round-trip', () => {
  assert.equal(nameKey('NS1.Mesos'), 'ns1.mesos.');
  assert.deepEqual([...nameToWire('ab.c.')], [2, 0x61, 0x62, 1, 0x63, 0]);
  assert.throws(() => nameToWire('a..b'), /empty label/);
  assert.throws(() => nameToWire('x'.repeat(64) + '.mesos'), /longer than 63/);
});

test('IP text to bytes', () => {
  assert.deepEqual([...ipv4Bytes('10.1.2.3')!], [10, 1, 2, 3]);
  assert.equal(ipv4Bytes('fd00::1'), null);
  assert.equal(ipv4Bytes('10.1.2'), null);
  assert.deepEqual([...ipv6Bytes('fd00::1')!], [0xfd, 0, ...new Array<number>(13).fill(0), 1]);
  assert.deepEqual(
    [...ipv6Bytes('::ffff:10.0.0.7')!],
    [...new Array<number>(10).fill(0), 0xff, 0xff, 10, 0, 0, 7],
  );
  assert.deepEqual(
    [...ipv6Bytes('1:2:3:4:5:6:7:8')!],
    [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8],
  );
  assert.deepEqual([...ipv6Bytes('::')!], new Array<number>(16).fill(0));
  assert.equal(ipv6Bytes('10.0.0.1'), null);
  assert.equal(ipv6Bytes('1::2::3'), null);
});

test('checkName: pointers only backwards and past the header, labels and length bounded', () => {
  // 12 header bytes, then "a.b." at 12, then names that point into it.
  const msg = new Uint8Array([...new Array<number>(12).fill(0), 1, 0x61, 1, 0x62, 0]);
  const at = (bytes: readonly number[]): [Uint8Array, number] => {
    const buf = new Uint8Array([...msg, ...bytes]);
    return [buf, msg.length];
  };
  assert.equal(checkName(...at([0xc0, 12]), 19), 19, 'pointer back to "a.b."');
  assert.equal(checkName(...at([1, 0x78, 0xc0, 14]), 21), 21, 'label then pointer to "b."');
  assert.equal(checkName(...at([0xc0, 17]), 19), -1, 'pointer to itself');
  assert.equal(checkName(...at([0xc0, 19]), 19), -1, 'pointer forward');
  assert.equal(checkName(...at([0xc0, 2]), 19), -1, 'pointer into the header');
  assert.equal(checkName(...at([0x41, 0x61, 0]), 20), -1, 'reserved label type');
  assert.equal(checkName(...at([1, 0x61, 0]), 19), -1, 'runs past its limit');
  const long = [
    ...Array.from({ length: 4 }, () => [63, ...new Array<number>(63).fill(0x61)]).flat(),
    0,
  ];
  assert.equal(checkName(...at(long), 1000), -1, 'over 255 bytes');
  assert.equal(checkName(...at(long.slice(64)), 1000), msg.length + long.length - 64);
});
