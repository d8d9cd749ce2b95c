// Holds the record set in service and what is known about how it got there. The poller swaps a
// new set in whole; DNS and HTTP read `current` on every request and see either the old set or
// the new one, never a mix.
import type { RecordSet } from './recordset.ts';

export interface LoadInfo {
  /** Wall-clock ms when the load finished. */
  readonly atMs: number;
  readonly durationMs: number;
  /** Master the state came from, "host:port". */
  readonly master: string;
  readonly tasks: number;
  readonly records: number;
}

export interface LoadFailure {
  readonly atMs: number;
  readonly message: string;
}

/**
 * The SOA serial of a set loaded at `atMs` that replaces one with serial `previous`: mesos-dns's
 * (the Unix time of the load), but strictly increasing across swaps, even two in one second or
 * after the clock stepped back, so secondaries and zone transfers see every change (RFC 1982).
 */
export function nextSerial(previous: number | undefined, atMs: number): number {
  const seconds = Math.floor(atMs / 1000);
  return (previous === undefined ? seconds : Math.max(previous + 1, seconds)) >>> 0;
}

export type SwapListener = (set: RecordSet, generation: number) => void;
export type FailureListener = (failure: LoadFailure) => void;
/** Every good load: `changed` is false when the load confirmed the set already in service. */
export type LoadListener = (info: LoadInfo, set: RecordSet, changed: boolean) => void;

export class RecordStore {
  #current: RecordSet | null = null;
  #generation = 0;
  #lastLoad: LoadInfo | null = null;
  #lastFailure: LoadFailure | null = null;
  readonly #listeners: SwapListener[] = [];
  readonly #failureListeners: FailureListener[] = [];
  readonly #loadListeners: LoadListener[] = [];

  /** The set in service, or null before the first good load (names in the domain: SERVFAIL). */
  get current(): RecordSet | null {
    return this.#current;
  }

  /** Increments on every swap; caches keyed on it go stale with the set they were built from. */
  get generation(): number {
    return this.#generation;
  }

  get lastLoad(): LoadInfo | null {
    return this.#lastLoad;
  }

  get lastFailure(): LoadFailure | null {
    return this.#lastFailure;
  }

  /**
   * Puts `set` in service. A set without a serial gets the next one here (the main thread's
   * store); a set that has one (a DNS thread's copy of the main thread's set) keeps it.
   */
  swap(set: RecordSet, info: LoadInfo): void {
    if (set.serial === undefined) {
      set = { ...set, serial: nextSerial(this.#current?.serial, info.atMs) };
    }
    this.#current = set;
    this.#generation++;
    this.#lastLoad = info;
    for (const listener of this.#listeners) listener(set, this.#generation);
    for (const listener of this.#loadListeners) listener(info, set, true);
  }

  /**
   * A good load that produced the set already in service: the records are fresh as of `info`,
   * but nothing is swapped (caches keyed on the generation stay valid).
   */
  confirm(info: LoadInfo): void {
    const set = this.#current;
    if (set === null) throw new Error('RecordStore.confirm: no record set in service yet');
    this.#lastLoad = info;
    for (const listener of this.#loadListeners) listener(info, set, false);
  }

  onLoad(listener: LoadListener): void {
    this.#loadListeners.push(listener);
  }

  recordFailure(failure: LoadFailure): void {
    this.#lastFailure = failure;
    for (const listener of this.#failureListeners) listener(failure);
  }

  onSwap(listener: SwapListener): void {
    this.#listeners.push(listener);
  }

  /** Stops calling a listener given to onSwap (a DNS thread pool that closes unsubscribes). */
  offSwap(listener: SwapListener): void {
    const i = this.#listeners.indexOf(listener);
    if (i >= 0) this.#listeners.splice(i, 1);
  }

  onFailure(listener: FailureListener): void {
    this.#failureListeners.push(listener);
  }
}
