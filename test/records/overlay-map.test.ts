import assert from 'node:assert/strict';
import { it } from 'node:test';
import { overlay, OverlayMap } from '../../src/records/overlay-map.ts';

const base = new Map([
  ['a.', [1]],
  ['b.', [2]],
  ['c.', [3]],
]);

it('reads as the base with the changes and removals applied', () => {
  const m = overlay(
    base,
    [
      ['b.', [20]],
      ['d.', [4]],
    ],
    ['c.', 'nope.'],
  );
  assert.equal(m.size, 3);
  assert.deepEqual(m.get('b.'), [20]);
  assert.deepEqual(m.get('d.'), [4]);
  assert.equal(m.get('c.'), undefined);
  assert.equal(m.has('c.'), false);
  assert.equal(m.has('a.'), true);
  assert.deepEqual(
    [...m],
    [
      ['a.', [1]],
      ['b.', [20]],
      ['d.', [4]],
    ],
  );
  assert.deepEqual([...m.keys()], ['a.', 'b.', 'd.']);
  assert.deepEqual([...m.values()], [[1], [20], [4]]);
  const seen: string[] = [];
  m.forEach((_v, k) => seen.push(k));
  assert.deepEqual(seen, ['a.', 'b.', 'd.']);
  // The base map itself is untouched.
  assert.deepEqual(base.get('b.'), [2]);
  assert.equal(base.has('d.'), false);
});

it('never stacks: an overlay of an overlay merges onto the same base', () => {
  const first = overlay(base, [['d.', [4]]], ['a.']);
  const second = overlay(first, [['a.', [10]]], ['d.', 'b.']);
  assert.ok(second instanceof OverlayMap);
  assert.equal(second.base, base);
  assert.deepEqual(
    [...second],
    [
      ['a.', [10]],
      ['c.', [3]],
    ],
  );
  assert.equal(second.size, 2);
  // The earlier overlay still reads as it did.
  assert.deepEqual(
    [...first],
    [
      ['b.', [2]],
      ['c.', [3]],
      ['d.', [4]],
    ],
  );
});
