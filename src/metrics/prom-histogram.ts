// The one module that knows prom-client's undocumented histogram export hook. The registry renders
// a histogram through `getForPromString()` (absent from prom-client's d.ts) and Histogram#get
// builds on it too, so overriding it alone exports counts gathered elsewhere everywhere.
// package.json pins prom-client exactly, and test/metrics/prom-histogram.test.ts fails naming the
// hook when an upgrade changes it.
import { Histogram, type Registry } from 'prom-client';

/** One series' counts: per-bucket (non-cumulative, +Inf last), sum and count. */
export interface HistogramSnapshot {
  readonly labels: Readonly<Record<string, string>>;
  readonly counts: ArrayLike<number>;
  readonly sum: number;
  readonly count: number;
}

/** A line of prom-client's export: its own labels, plus the series' labels as sharedLabels. */
interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels: Readonly<Record<string, string>>;
  value: number;
  metricName: string;
}

interface Exported {
  name: string;
  help: string;
  type: 'histogram';
  values: ExportedValue[];
  aggregator: 'sum';
}

/** A Histogram whose series come from `snapshots()` at scrape time instead of observe(). */
export abstract class SnapshotHistogram<L extends string> extends Histogram<L> {
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

  /** The series to export; those with no observations are left out. */
  protected abstract snapshots(): Iterable<HistogramSnapshot>;

  getForPromString(): Promise<Exported> {
    const values: ExportedValue[] = [];
    const bucketName = `${this.#metricName}_bucket`;
    for (const series of this.snapshots()) {
      if (series.count === 0) continue;
      const sharedLabels = series.labels;
      let cumulative = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        cumulative += series.counts[i]!;
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
        value: series.count,
        metricName: bucketName,
      });
      values.push({
        labels: {},
        sharedLabels,
        value: series.sum,
        metricName: `${this.#metricName}_sum`,
      });
      values.push({
        labels: {},
        sharedLabels,
        value: series.count,
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
