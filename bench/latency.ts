// Latency samples in a growable Float64Array (a million samples without a million boxed
// numbers) and the percentiles the benchmark reports.

export class LatencySamples {
  #data = new Float64Array(1 << 16);
  #length = 0;
  #sorted = false;

  get length(): number {
    return this.#length;
  }

  /** Adds one latency in milliseconds. */
  add(ms: number): void {
    if (this.#length === this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2);
      bigger.set(this.#data);
      this.#data = bigger;
    }
    this.#data[this.#length++] = ms;
    this.#sorted = false;
  }

  /** Nearest-rank percentile (p in 0..100) in milliseconds; NaN with no samples. */
  percentile(p: number): number {
    if (this.#length === 0) return NaN;
    const view = this.#data.subarray(0, this.#length);
    if (!this.#sorted) {
      view.sort();
      this.#sorted = true;
    }
    // The epsilon keeps 99.9 % of 100,000 at rank 99,900 despite binary floating point.
    const rank = Math.ceil((Math.min(100, Math.max(0, p)) * this.#length) / 100 - 1e-9);
    return view[Math.max(0, rank - 1)]!;
  }

  max(): number {
    return this.percentile(100);
  }
}
