import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Utf8Pieces } from '../../src/records/utf8-pieces.ts';

const text = (pieces: readonly Uint8Array[]): string => Buffer.concat(pieces).toString('utf8');

it('gives the UTF-8 of everything written, never splitting a character between pieces', () => {
  const out = new Utf8Pieces(7);
  const parts = ['{"a":"é"', ',"b":"€€"', ',"c":"😀x"}', '\n'];
  for (const p of parts) out.write(p);
  const pieces = out.finish();
  assert.equal(text(pieces), parts.join(''));
  assert.ok(pieces.length > 3, `expected several pieces, got ${pieces.length}`);
  for (const p of pieces) {
    assert.ok(p.byteLength <= 7);
    // Each piece decodes alone: no character is cut.
    assert.equal(Buffer.from(p).toString('utf8').includes('\uFFFD'), false);
  }
  assert.deepEqual(new Utf8Pieces(7).finish(), []);
});

it('puts every piece on a buffer of its own, so a worker can transfer them all', () => {
  const small = new Utf8Pieces(16);
  small.write('x'.repeat(100));
  const large = new Utf8Pieces(2 * 1024 * 1024);
  // Over a piece and a half: the last piece is over the small-tail size and stays a view.
  const body = 'abcdefgh'.repeat(400 * 1024);
  for (let i = 0; i < body.length; i += 10_000) large.write(body.slice(i, i + 10_000));
  for (const pieces of [small.finish(), large.finish()]) {
    assert.equal(new Set(pieces.map((p) => p.buffer)).size, pieces.length);
    for (const p of pieces) assert.equal(p.byteOffset, 0);
  }
  const again = new Utf8Pieces(2 * 1024 * 1024);
  again.write(body);
  const pieces = again.finish();
  assert.equal(pieces.length, 2);
  assert.equal(text(pieces), body);
});

it('refuses a piece size that cannot hold one character', () => {
  assert.throws(() => new Utf8Pieces(3), RangeError);
});
