// Label sanitising against mesos-dns's own records/labels test tables, plus properties.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { domainFrag, rfc1123, rfc952, type LabelSpec } from '../../src/records/labels.ts';

// mesos-dns labels_test.go testFunc: shared by both specs.
const common: Record<string, string> = {
  '': '',
  a: 'a',
  '-': '',
  'a---': 'a',
  '---a---': 'a',
  '---a---b': 'a---b',
  'a.b.c.d.e': 'a-b-c-d-e',
  'a.c.d_de.': 'a-c-d-de',
  abc123: 'abc123',
  '-abc123': 'abc123',
  'abc123-': 'abc123',
  'abc-123': 'abc-123',
  'abc--123': 'abc--123',
  'r29f.dev.angrypigs': 'r29f-dev-angrypigs',
};

const rfc952Cases: Record<string, string> = {
  '4abc123': 'abc123',
  '-4abc123': 'abc123',
  'fd%gsf---gs7-f$gs--d7fddg-123': 'fdgsf---gs7-fgs--d7fddg1',
  '89fdgsf---gs7-fgs--d7fddg-123': 'fdgsf---gs7-fgs--d7fddg1',
  '89fdgsf---gs7-fgs--d7fddg---123': 'fdgsf---gs7-fgs--d7fddg1',
  '89fdgsf---gs7-fgs--d7fddg-': 'fdgsf---gs7-fgs--d7fddg',
  'chronos with a space AND MIXED CASE-2.0.1': 'chronoswithaspaceandmixe',
  'chronos with a space AND----------MIXED--': 'chronoswithaspaceandmixe',
  'hello--------------------------------------------------------f': 'hellof',
};

const rfc1123Cases: Record<string, string> = {
  '4abc123': '4abc123',
  '-4abc123': '4abc123',
  '89fdgsf---gs7-fgs--d7fddg-123': '89fdgsf---gs7-fgs--d7fddg-123',
  '89fdgsf---gs7-fgs--d7fddg---123': '89fdgsf---gs7-fgs--d7fddg---123',
  '89fdgsf---gs7-fgs--d7fddg-': '89fdgsf---gs7-fgs--d7fddg',
  'fd%gsf---gs7-f$gs--d7fddg-123': 'fdgsf---gs7-fgs--d7fddg-123',
  'fd%gsf---gs7-f$gs--d7fddg123456789012345678901234567890123456789-123':
    'fdgsf---gs7-fgs--d7fddg1234567890123456789012345678901234567891',
  '$$fdgsf---gs7-fgs--d7fddg123456789012345678901234567890123456789-123':
    'fdgsf---gs7-fgs--d7fddg1234567890123456789012345678901234567891',
  '%%fdgsf---gs7-fgs--d7fddg123456789012345678901234567890123456789---123':
    'fdgsf---gs7-fgs--d7fddg1234567890123456789012345678901234567891',
  '##fdgsf---gs7-fgs--d7fddg123456789012345678901234567890123456789-':
    'fdgsf---gs7-fgs--d7fddg123456789012345678901234567890123456789',
  'hello--------------------------------------------------------f':
    'hello--------------------------------------------------------f',
};

// mesos-dns labels_test.go testDomainFrag.
const domainFragCases: Record<string, string> = {
  '': '',
  '.': '',
  '..': '',
  '...': '',
  a: 'a',
  abc: 'abc',
  'abc.': 'abc',
  '.abc': 'abc',
  'a.c': 'a.c',
  '.a.c': 'a.c',
  'a.c.': 'a.c',
  'a..c': 'a.c',
  'ab.c': 'ab.c',
  'ab.cd': 'ab.cd',
  'ab.cd.efg': 'ab.cd.efg',
  'a.c.e': 'a.c.e',
  'a..c.e': 'a.c.e',
  'a.c..e': 'a.c.e',
  'host.com': 'host.com',
  'space space.com': 'spacespace.com',
  'blah-dash.com': 'blah-dash.com',
  'not$1234.com': 'not1234.com',
  '(@ host . com': 'host.com',
  'MiXeDcase.CoM': 'mixedcase.com',
};

function check(spec: LabelSpec, cases: Record<string, string>): void {
  for (const [input, want] of Object.entries(cases)) {
    assert.equal(spec(input), want, `${spec.name}(${JSON.stringify(input)})`);
  }
}

/** Deterministic pseudo-random strings over a nasty alphabet (xorshift, fixed seed). */
function* randomNames(count: number): Generator<string> {
  const alphabet = 'aZ09-._ $%é\u00ff\u4e2d.-_-9';
  let x = 0x9e3779b9;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  for (let i = 0; i < count; i++) {
    let s = '';
    const len = next() % 90;
    for (let j = 0; j < len; j++) s += alphabet.charAt(next() % alphabet.length);
    yield s;
  }
}

describe('labels (mesos-dns records/labels)', () => {
  it('RFC 952 matches mesos-dns test table', () => {
    check(rfc952, common);
    check(rfc952, rfc952Cases);
  });

  it('RFC 1123 matches mesos-dns test table', () => {
    check(rfc1123, common);
    check(rfc1123, rfc1123Cases);
  });

  it('keeps mesos-dns trimCut refill quirk: a cut in a dash run refills from what follows', () => {
    // trim[:24] ends in "--" → head is 22 chars, refilled with the next 2 of "x-y": "x-".
    assert.equal(rfc952('abcdefghijklmnopqrstuv---x-y'), 'abcdefghijklmnopqrstuvx-');
    assert.equal(rfc952('abcdefghijklmnopqrstuvw--x-y'), 'abcdefghijklmnopqrstuvwx');
  });

  it('domainFrag keeps dots as separate labels', () => {
    for (const [input, want] of Object.entries(domainFragCases)) {
      assert.equal(domainFrag(input, rfc952), want, `RFC952 ${JSON.stringify(input)}`);
      assert.equal(domainFrag(input, rfc1123), want, `RFC1123 ${JSON.stringify(input)}`);
    }
    assert.equal(
      domainFrag('pod_123$abc.marathon-0.6.0-dev.mesos', rfc952),
      'pod-123abc.marathon-0.dev.mesos',
    );
    assert.equal(
      domainFrag('pod_123$abc.marathon-0.6.0-dev.mesos', rfc1123),
      'pod-123abc.marathon-0.6.0-dev.mesos',
    );
  });

  it('holds mesos-dns quick-check properties on random input', () => {
    for (const s of randomNames(5000)) {
      const a = rfc952(s);
      assert.ok(a.length <= 24, `952 length of ${JSON.stringify(s)}`);
      assert.match(a, /^([a-z][a-z0-9-]*)?$/, `952 charset/start of ${JSON.stringify(s)}`);
      const b = rfc1123(s);
      assert.ok(b.length <= 63, `1123 length of ${JSON.stringify(s)}`);
      assert.match(b, /^([a-z0-9][a-z0-9-]*)?$/, `1123 charset/start of ${JSON.stringify(s)}`);
      // A label that is already clean is returned as is (mesos-dns's refill quirk below can
      // leave a trailing '-', which a second pass would trim).
      if (!a.endsWith('-')) assert.equal(rfc952(a), a);
      if (!b.endsWith('-')) assert.equal(rfc1123(b), b);
    }
  });
});
