// Renders the config reference (docs/configuration.md, README) and the per-key help lines from
// schema.ts, so documentation and --help cannot drift from what the loader accepts.
import { CONFIG_SCHEMA, type KeyDef } from './schema.ts';

export const REFERENCE_START = '<!-- config-reference:start -->';
export const REFERENCE_END = '<!-- config-reference:end -->';

const TYPE_NAMES: Readonly<Record<KeyDef['kind'], string>> = {
  string: 'string',
  integer: 'integer',
  boolean: 'boolean',
  list: 'string[]',
  zones: 'object: zone -> string[]',
  credentials: 'object: {principal, secret}',
  keys: 'object: name -> "algorithm:base64"',
};

const PLACEHOLDERS: Readonly<Record<KeyDef['kind'], string>> = {
  string: 'TEXT',
  integer: 'N',
  boolean: '',
  list: 'A[,B...]',
  zones: 'ZONE=IP[,IP...]',
  credentials: 'PRINCIPAL:SECRET',
  keys: 'NAME=ALG:BASE64',
};

/** A key's default as it would be written in config.json. */
export function formatDefault(def: KeyDef): string {
  return JSON.stringify(def.default);
}

/** The flag as typed on the command line, e.g. "--refresh-seconds N". */
export function flagUsage(def: KeyDef): string {
  const placeholder = PLACEHOLDERS[def.kind];
  return placeholder === '' ? `--${def.flag}` : `--${def.flag} ${placeholder}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/**
 * The Markdown table of every key: key | type | default | flag | description, padded the way
 * Prettier formats tables so `npm run lint` leaves the generated documents unchanged.
 */
export function renderConfigReference(): string {
  const rows: string[][] = [['Key', 'Type', 'Default', 'Flag', 'Description']];
  for (const def of CONFIG_SCHEMA) {
    const description =
      def.origin === 'ours' ? `${def.description} (mesos-dns-ts only)` : def.description;
    const bounds =
      def.kind === 'integer' && def.min !== undefined && def.max !== undefined
        ? ` Range ${def.min}-${def.max}.`
        : '';
    rows.push(
      [
        `\`${def.key}\``,
        TYPE_NAMES[def.kind],
        `\`${formatDefault(def)}\``,
        `\`${flagUsage(def)}\``,
        `${description}.${bounds}`,
      ].map(cell),
    );
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string =>
    `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const [header, ...body] = rows;
  return (
    [line(header!), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n'
  );
}

/** The reference table wrapped in the marker lines that documents embed it between. */
export function renderReferenceBlock(): string {
  return `${REFERENCE_START}\n\n${renderConfigReference()}\n${REFERENCE_END}\n`;
}

/** The text between the markers in a document, or undefined when it has no markers. */
export function extractReferenceBlock(document: string): string | undefined {
  const start = document.indexOf(REFERENCE_START);
  const end = document.indexOf(REFERENCE_END);
  if (start < 0 || end < start) return undefined;
  return document.slice(start, end + REFERENCE_END.length) + '\n';
}

/** Replaces the marked block in `document` with the current table; unchanged if unmarked. */
export function replaceReferenceBlock(document: string): string {
  const current = extractReferenceBlock(document);
  return current === undefined ? document : document.replace(current, renderReferenceBlock());
}

// `node src/config/reference.ts` rewrites the table in docs/configuration.md and README.md.
if (import.meta.main) {
  const { readFileSync, writeFileSync, existsSync } = await import('node:fs');
  for (const name of ['docs/configuration.md', 'README.md']) {
    const path = new URL(`../../${name}`, import.meta.url);
    if (!existsSync(path)) continue;
    const before = readFileSync(path, 'utf8');
    const after = replaceReferenceBlock(before);
    if (after !== before) writeFileSync(path, after);
    process.stdout.write(`${name}: ${after === before ? 'up to date' : 'updated'}\n`);
  }
}
