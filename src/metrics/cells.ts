// Prometheus metrics whose hot-path update is a property increment. prom-client hashes the label
// object on every inc/observe; these keep plain numbers per pre-created series and hand them to
// prom-client only when the registry is scraped.
import { Counter, type Registry } from 'prom-client';
import { SnapshotHistogram } from './prom-histogram.ts';

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

export class CellHistogram<L extends string> extends SnapshotHistogram<L> {
  readonly #cells: HistogramCell<L>[] = [];
  readonly #bounds: readonly number[];

  constructor(
    name: string,
    help: string,
    labelNames: readonly L[],
    bounds: readonly number[],
    registry: Registry,
  ) {
    super(name, help, labelNames, bounds, registry);
    this.#bounds = bounds;
  }

  cell(labels: Labels<L>): HistogramCell<L> {
    const cell = new HistogramCell(labels, this.#bounds);
    this.#cells.push(cell);
    return cell;
  }

  protected snapshots(): Iterable<HistogramCell<L>> {
    return this.#cells;
  }
}
