// Renders benchmark results as a Markdown table (printed and written to bench/results.md).

export interface ServingRow {
  readonly case: string;
  readonly qps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** completed / sent, 0..1 */
  readonly answered: number;
  readonly peakRssMb: number;
  /** qps / ceiling qps; NaN when there is no ceiling (the ceiling's own row). */
  readonly ofCeiling: number;
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}

export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

/**
 * The first Markdown table in `text` as rows keyed by header (the inverse of markdownTable), for
 * readers of bench/results.md; [] when there is none.
 */
export function parseMarkdownTable(text: string): Record<string, string>[] {
  const lines = text.split('\n').map((l) => l.trim());
  const at = lines.findIndex(
    (l, i) => l.startsWith('|') && /^\|[-| ]+\|$/.test(lines[i + 1] ?? ''),
  );
  if (at < 0) return [];
  const cells = (line: string): string[] =>
    line
      .slice(1, -1)
      .split('|')
      .map((c) => c.trim());
  const header = cells(lines[at]!);
  const rows: Record<string, string>[] = [];
  for (const line of lines.slice(at + 2)) {
    if (!line.startsWith('|')) break;
    const values = cells(line);
    rows.push(Object.fromEntries(header.map((h, i) => [h, values[i] ?? ''])));
  }
  return rows;
}

export function servingTable(rows: readonly ServingRow[]): string {
  return markdownTable(
    ['case', 'qps', 'p50 ms', 'p99 ms', 'answered %', 'peak RSS MB', 'fraction of ceiling'],
    rows.map((r) => [
      r.case,
      fixed(r.qps, 0),
      fixed(r.p50Ms, 3),
      fixed(r.p99Ms, 3),
      fixed(r.answered * 100, 2),
      fixed(r.peakRssMb, 1),
      fixed(r.ofCeiling, 2),
    ]),
  );
}

/** "met" / "MISSED by N %" for a ratio target such as ≥ 0.75 of the ceiling. */
export function verdict(value: number, target: number): string {
  if (!Number.isFinite(value)) return 'not measured';
  if (value >= target) return `met (${value.toFixed(2)} ≥ ${target})`;
  return `MISSED (${value.toFixed(2)} < ${target}, short by ${(((target - value) / target) * 100).toFixed(0)} %)`;
}
