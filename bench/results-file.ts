// bench/results.md holds one section per benchmark script; each run replaces only its own
// section (between HTML comment markers), so the scripts can run separately.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const RESULTS_FILE = fileURLToPath(new URL('results.md', import.meta.url));

const TITLE = '# mesos-dns-ts benchmark results\n';

/** `doc` with section `name` replaced by `body` (appended when absent). */
export function replaceSection(doc: string, name: string, body: string): string {
  const open = `<!-- section:${name} -->`;
  const close = `<!-- /section:${name} -->`;
  const block = `${open}\n${body.trim()}\n${close}`;
  const start = doc.indexOf(open);
  const end = doc.indexOf(close);
  if (start >= 0 && end > start) return doc.slice(0, start) + block + doc.slice(end + close.length);
  const base = doc.trim() === '' ? TITLE : doc.trimEnd() + '\n';
  return `${base}\n${block}\n`;
}

export function writeSection(name: string, body: string, file = RESULTS_FILE): void {
  const doc = existsSync(file) ? readFileSync(file, 'utf8') : '';
  writeFileSync(file, replaceSection(doc, name, body));
}

/** The body of section `name` in `doc`, or null when the document has none. */
export function sectionOf(doc: string, name: string): string | null {
  const open = `<!-- section:${name} -->`;
  const close = `<!-- /section:${name} -->`;
  const start = doc.indexOf(open);
  const end = doc.indexOf(close);
  return start >= 0 && end > start ? doc.slice(start + open.length, end).trim() : null;
}
