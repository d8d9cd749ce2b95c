// One clock for the whole program, so tests can move time instead of sleeping.

export interface Clock {
  /** Milliseconds, monotonic enough for TTL and timeout arithmetic. */
  now(): number;
}

export const systemClock: Clock = { now: () => performance.timeOrigin + performance.now() };
