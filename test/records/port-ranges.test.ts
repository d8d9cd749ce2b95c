// Port range text as Mesos writes it, and the bad text it sometimes does not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePortRanges } from '../../src/records/port-ranges.ts';

function parse(text: string): { ports: number[]; warnings: string[] } {
  const warnings: string[] = [];
  const ports = parsePortRanges(text, (m) => warnings.push(m));
  return { ports, warnings };
}

describe('parsePortRanges', () => {
  it('expands ranges in order', () => {
    assert.deepEqual(parse('[31000-31001, 31005-31005]').ports, [31000, 31001, 31005]);
    assert.deepEqual(parse('[80-80,443-443]').ports, [80, 443]);
  });

  it('treats "" and "[]" as no ports, silently', () => {
    assert.deepEqual(parse(''), { ports: [], warnings: [] });
    assert.deepEqual(parse('[]'), { ports: [], warnings: [] });
  });

  it('skips unreadable ranges with a warning naming the text', () => {
    const r = parse('[31200, 31300-31301, x-9]');
    assert.deepEqual(r.ports, [31300, 31301]);
    assert.equal(r.warnings.length, 2);
    assert.match(r.warnings[0]!, /"31200"/);
    assert.match(r.warnings[1]!, /"x-9"/);
  });

  it('rejects text without brackets and ranges past 65535', () => {
    const r = parse('31000-31001');
    assert.deepEqual(r.ports, []);
    assert.equal(r.warnings.length, 1);
    const big = parse('[1-4000000000]');
    assert.deepEqual(big.ports, []);
    assert.match(big.warnings[0]!, /65535/);
  });

  it('yields nothing for a reversed range, as mesos-dns', () => {
    assert.deepEqual(parse('[9-5]'), { ports: [], warnings: [] });
  });
});
