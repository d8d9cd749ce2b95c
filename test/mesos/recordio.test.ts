// The RecordIO decoder: records split anywhere across chunks come out whole and in order; bad
// lengths and oversized records end decoding with a RecordIoError, never anything else.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordIoDecoder, RecordIoError } from '../../src/mesos/recordio.ts';

function frame(body: string): Buffer {
  const b = Buffer.from(body);
  return Buffer.concat([Buffer.from(`${b.length}\n`), b]);
}

function rng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

/** Feeds `bytes` in random pieces; returns the records or the error that ended decoding. */
function feed(
  decoder: RecordIoDecoder,
  bytes: Buffer,
  rand: (n: number) => number,
): { records: string[]; error: unknown } {
  const records: string[] = [];
  let i = 0;
  try {
    while (i < bytes.length) {
      const n = 1 + rand(Math.min(64, bytes.length - i));
      for (const r of decoder.push(bytes.subarray(i, i + n))) records.push(r.toString('utf8'));
      i += n;
    }
  } catch (error) {
    return { records, error };
  }
  return { records, error: null };
}

describe('RecordIoDecoder', () => {
  it('decodes records split at every possible point, multi-byte UTF-8 included', () => {
    const bodies = ['{"type":"HEARTBEAT"}', '', '{"name":"wëb–ünïcode ✓"}', 'x'.repeat(300)];
    const bytes = Buffer.concat(bodies.map(frame));
    for (let cut = 0; cut <= bytes.length; cut++) {
      const d = new RecordIoDecoder(1000);
      const out = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))];
      assert.deepEqual(
        out.map((b) => b.toString('utf8')),
        bodies,
        `cut at ${cut}`,
      );
      assert.ok(d.atBoundary);
    }
  });

  it('fuzz: random records in random chunks come out whole and in order', () => {
    const rand = rng(7);
    for (let round = 0; round < 300; round++) {
      const bodies: string[] = [];
      const count = 1 + rand(20);
      for (let i = 0; i < count; i++)
        bodies.push(JSON.stringify({ i, pad: 'é'.repeat(rand(200)) }));
      const { records, error } = feed(
        new RecordIoDecoder(10_000),
        Buffer.concat(bodies.map(frame)),
        rand,
      );
      assert.equal(error, null);
      assert.deepEqual(records, bodies);
    }
  });

  it('fuzz: random garbage ends with a RecordIoError or leftovers, never another error', () => {
    const rand = rng(99);
    for (let round = 0; round < 2000; round++) {
      const bytes = Buffer.alloc(1 + rand(200));
      for (let i = 0; i < bytes.length; i++) {
        // Mostly digits and newlines, so lengths parse sometimes and records form.
        const pick = rand(10);
        bytes[i] = pick < 5 ? 48 + rand(10) : pick < 7 ? 10 : rand(256);
      }
      const decoder = new RecordIoDecoder(50);
      const { error } = feed(decoder, bytes, rand);
      if (error !== null) {
        assert.ok(
          error instanceof RecordIoError,
          error instanceof Error ? error.message : 'not an Error',
        );
        assert.ok(['bad-length', 'too-large'].includes(error.problem));
        // Once broken, it stays broken.
        assert.throws(() => decoder.push(Buffer.from('2\n{}')), RecordIoError);
      }
    }
  });

  it('a record over the cap is refused from its length, before its body arrives', () => {
    const d = new RecordIoDecoder(100);
    assert.throws(
      () => d.push(Buffer.from('101\n')),
      (e: unknown) => e instanceof RecordIoError && e.problem === 'too-large',
    );
  });

  it('a length that is not decimal, empty, or absurdly long is refused', () => {
    for (const bad of ['abc\n', '\n', '-1\n', '1e3\n', '12345678901234567\n', ' 5\n']) {
      const d = new RecordIoDecoder(1 << 30);
      assert.throws(
        () => d.push(Buffer.from(bad)),
        (e: unknown) => e instanceof RecordIoError && e.problem === 'bad-length',
        JSON.stringify(bad),
      );
    }
  });

  it('a partial record waits for more input', () => {
    const d = new RecordIoDecoder(100);
    assert.deepEqual(d.push(Buffer.from('5\nab')), []);
    assert.equal(d.atBoundary, false);
    assert.deepEqual(d.push(Buffer.from('cde2\n{}')).map(String), ['abcde', '{}']);
    assert.equal(d.atBoundary, true);
  });

  it('keeps no chunk of a record split across chunks: each is copied in as it comes', () => {
    const d = new RecordIoDecoder(100);
    const first = Buffer.from('10\nabc');
    const second = Buffer.from('defg');
    assert.deepEqual(d.push(first), []);
    assert.deepEqual(d.push(second), []);
    // The chunks' memory is the caller's again (a socket's buffer is reused or freed).
    first.fill(0x2e);
    second.fill(0x2e);
    assert.deepEqual(d.push(Buffer.from('hij1\nk')).map(String), ['abcdefghij', 'k']);
  });
});
