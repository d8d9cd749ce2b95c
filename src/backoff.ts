// Retry and back-off, written once: the wait before each new attempt after a failure (grows by
// a factor up to a ceiling, optionally with jitter; a success starts it over), and a loop that
// retries an async step a bounded number of times. Random is injectable so tests fix the jitter.

export interface BackoffOptions {
  /** Wait after the first failure (after the second, with `immediateFirst`). */
  readonly initialMs: number;
  readonly maxMs: number;
  /** Growth per further failure; default 2. */
  readonly factor?: number;
  /**
   * Share of each wait drawn at random: 0 (default) waits exactly; 0.5 waits between half and
   * all of it, so many clients failing together do not retry together.
   */
  readonly jitter?: number;
  /** The first retry goes at once (a one-off failure costs no wait). */
  readonly immediateFirst?: boolean;
  /** Uniform in [0, 1); default Math.random. */
  readonly random?: () => number;
}

export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #factor: number;
  readonly #jitter: number;
  readonly #immediateFirst: boolean;
  readonly #random: () => number;
  #failures = 0;
  #lastMs = 0;

  constructor(options: BackoffOptions) {
    this.#initialMs = options.initialMs;
    this.#maxMs = options.maxMs;
    this.#factor = options.factor ?? 2;
    this.#jitter = options.jitter ?? 0;
    this.#immediateFirst = options.immediateFirst ?? false;
    this.#random = options.random ?? Math.random;
    if (!(this.#initialMs >= 0 && this.#maxMs >= 0 && this.#factor >= 1)) {
      throw new Error('back-off: waits must be >= 0 and the factor >= 1');
    }
    if (!(this.#jitter >= 0 && this.#jitter <= 1)) {
      throw new Error('back-off: jitter must be between 0 and 1');
    }
  }

  /** Failures since the last reset. */
  get failures(): number {
    return this.#failures;
  }

  /** The wait the last next() returned (0 after a reset). */
  get lastMs(): number {
    return this.#lastMs;
  }

  /** Counts one more failure; returns how long to wait before the next attempt, ms. */
  next(): number {
    const n = this.#failures++;
    const step = this.#immediateFirst ? n - 1 : n;
    const ceiling = step < 0 ? 0 : Math.min(this.#maxMs, this.#initialMs * this.#factor ** step);
    this.#lastMs = ceiling * (1 - this.#jitter) + ceiling * this.#jitter * this.#random();
    return this.#lastMs;
  }

  /** After a success: the next failure waits the initial time again. */
  reset(): void {
    this.#failures = 0;
    this.#lastMs = 0;
  }
}

export interface RetryOptions {
  /** Attempts in all, the first included (>= 1). */
  readonly attempts: number;
  /** Whether a failure is worth another attempt; others are thrown at once. */
  readonly retryIf: (error: unknown) => boolean;
  /** Waits between attempts; none when absent. */
  readonly backoff?: Backoff;
  /** How to wait; default a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const timerSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `step` until it succeeds, fails for good, or the attempts run out (last error thrown). */
export async function retry<T>(
  step: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const sleep = options.sleep ?? timerSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await step(attempt);
    } catch (error) {
      if (attempt >= options.attempts || !options.retryIf(error)) throw error;
      const wait = options.backoff?.next() ?? 0;
      if (wait > 0) await sleep(wait);
    }
  }
}
