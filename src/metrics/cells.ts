// Prometheus metrics whose hot-path update is a property increment. prom-client hashes the label
// object on every inc/observe; these keep plain numbers per pre-created series and hand them to
// prom-client only when the registry is scraped.
import { Counter, Histogram, type Registry } from 'prom-client';

export type Labels<L extends string> = Readonly<Record<L, string>>;

/** One counter series: the query path does `cell.value++`. */
export interface CounterCell<L extends string> {
  readonly labels: Labels<L>;
  value: number;
}

export class CellCounter<L extends string> extends Counter<L> {
  readonly #cells: CounterCell<L>[] = [];

  constructor(name: string, help: string, labelNames: readonly L[], registry: Registry) {
    super({ name, help, labelNames, registers: [registry] });
  }

  /** Creates a series; call once per label combination, outside the hot path. */
  cell(labels: Labels<L>): CounterCell<L> {
    const cell: CounterCell<L> = { labels, value: 0 };
    this.#cells.push(cell);
    return cell;
  }

  override async get(): ReturnType<Counter<L>['get']> {
    // Rebuilt on each scrape so prom-client's own map mirrors the cells exactly; unused series
    // stay out of the output to keep the exposition small.
    this.reset();
    for (const cell of this.#cells) {
      if (cell.value > 0) this.inc(cell.labels, cell.value);
    }
    return super.get();
  }
}

/** One histogram series: `observe` is a short bucket scan and three number updates. */
export class HistogramCell<L extends string> {
  readonly labels: Labels<L>;
  readonly #bounds: readonly number[];
  /** Per-bucket (non-cumulative) counts; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(labels: Labels<L>, bounds: readonly number[]) {
    this.labels = labels;
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(seconds: number): void {
    const bounds = this.#bounds;
    const n = bounds.length;
    let i = 0;
    while (i < n && seconds > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels: Readonly<Record<string, string>>;
  value: number;
  metricName: string;
}

export class CellHistogram<L extends string> extends Histogram<L> {
  readonly #cells: HistogramCell<L>[] = [];
  readonly #bounds: readonly number[];
  readonly #metricName: string;
  readonly #metricHelp: string;

  constructor(
    name: string,
    help: string,
    labelNames: readonly L[],
    bounds: readonly number[],
    registry: Registry,
  ) {
    super({ name, help, labelNames, buckets: [...bounds], registers: [registry] });
    this.#bounds = bounds;
    this.#metricName = name;
    this.#metricHelp = help;
  }

  cell(labels: Labels<L>): HistogramCell<L> {
    const cell = new HistogramCell(labels, this.#bounds);
    this.#cells.push(cell);
    return cell;
  }

  /**
   * The registry renders histograms through this (untyped in prom-client's d.ts) method, and
   * Histogram#get builds on it too, so overriding it alone exports the cells everywhere.
   */
  getForPromString(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    values: ExportedValue[];
    aggregator: 'sum';
  }> {
    const values: ExportedValue[] = [];
    const bucketName = `${this.#metricName}_bucket`;
    for (const cell of this.#cells) {
      if (cell.count === 0) continue;
      // prom-client's own shape: per-line labels plus the series' labels as sharedLabels.
      const sharedLabels = cell.labels;
      let cumulative = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        cumulative += cell.counts[i]!;
        values.push({
          labels: { le: this.#bounds[i]! },
          sharedLabels,
          value: cumulative,
          metricName: bucketName,
        });
      }
      values.push({
        labels: { le: '+Inf' },
        sharedLabels,
        value: cell.count,
        metricName: bucketName,
      });
      values.push({
        labels: {},
        sharedLabels,
        value: cell.sum,
        metricName: `${this.#metricName}_sum`,
      });
      values.push({
        labels: {},
        sharedLabels,
        value: cell.count,
        metricName: `${this.#metricName}_count`,
      });
    }
    return Promise.resolve({
      name: this.#metricName,
      help: this.#metricHelp,
      type: 'histogram',
      values,
      aggregator: 'sum',
    });
  }
}
