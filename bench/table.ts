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
