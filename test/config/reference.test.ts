// The documented key table is generated from the schema; these tests keep the documents in step.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import {
  extractReferenceBlock,
  renderConfigReference,
  renderReferenceBlock,
  replaceReferenceBlock,
} from '../../src/config/reference.ts';
import { CONFIG_SCHEMA } from '../../src/config/schema.ts';

const root = new URL('../../', import.meta.url);
const FIX = 'run `node src/config/reference.ts` to regenerate it';

describe('config reference', () => {
  it('has one row per key with its default and flag', () => {
    const table = renderConfigReference();
    const rows = table.trimEnd().split('\n').slice(2);
    assert.equal(rows.length, CONFIG_SCHEMA.length);
    for (const [i, def] of CONFIG_SCHEMA.entries()) {
      const row = rows[i] ?? '';
      assert.ok(row.startsWith(`| \`${def.key}\``), row);
      assert.ok(row.includes(`\`${JSON.stringify(def.default)}\``), row);
      assert.ok(row.includes(`\`--${def.flag}`), row);
    }
  });

  it('docs/configuration.md holds exactly the rendered table', () => {
    const doc = readFileSync(new URL('docs/configuration.md', root), 'utf8');
    assert.equal(
      extractReferenceBlock(doc),
      renderReferenceBlock(),
      `docs/configuration.md is stale; ${FIX}`,
    );
  });

  it('README.md holds the rendered table when it has the markers', () => {
    const readme = new URL('README.md', root);
    const text = existsSync(readme) ? readFileSync(readme, 'utf8') : '';
    const block = extractReferenceBlock(text);
    if (block !== undefined)
      assert.equal(block, renderReferenceBlock(), `README.md is stale; ${FIX}`);
  });

  it('replaceReferenceBlock rewrites only the marked block', () => {
    const stale = `intro\n<!-- config-reference:start -->\nold\n<!-- config-reference:end -->\noutro\n`;
    assert.equal(replaceReferenceBlock(stale), `intro\n${renderReferenceBlock()}outro\n`);
    assert.equal(replaceReferenceBlock('no markers\n'), 'no markers\n');
  });
});
