// The house rule "config/ is a leaf": config/ imports only itself, the net/ leaf (addresses and
// names) and node built-ins; net/ only itself and built-ins. A regression names the import.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

const IMPORT = /^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(folder: string): { file: string; spec: string }[] {
  const dir = new URL(`../../src/${folder}/`, import.meta.url);
  const out: { file: string; spec: string }[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(new URL(file, dir), 'utf8');
    for (const re of [IMPORT, DYNAMIC]) {
      for (const m of text.matchAll(re)) out.push({ file: `${folder}/${file}`, spec: m[1]! });
    }
  }
  return out;
}

test('config/ imports only config/, net/ and node built-ins', () => {
  const found = importsOf('config');
  assert.ok(
    found.some((i) => i.spec.startsWith('../net/')),
    'the scan sees the imports',
  );
  const bad = found.filter(
    (i) => !i.spec.startsWith('node:') && !i.spec.startsWith('./') && !i.spec.startsWith('../net/'),
  );
  assert.deepEqual(bad, []);
});

test('net/ imports only net/ and node built-ins', () => {
  const bad = importsOf('net').filter(
    (i) => !i.spec.startsWith('node:') && !i.spec.startsWith('./'),
  );
  assert.deepEqual(bad, []);
});
