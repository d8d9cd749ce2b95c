// Sends large bodies without starving the DNS answers that share this thread (workers: 1):
// every body being sent waits its turn, and each turn of the event loop writes one slice of
// one body, round-robin. Between two slices the loop polls its sockets, so a DNS query waits
// at most one slice's copy into the kernel (tens of microseconds), however many bodies go out;
// and the slices together take at most 15 % of the thread's time and go out at most 256 MB/s
// (the kernel's side of each write lands on this thread too: unpaced, 100 readers took most
// of a core, and with the time share alone still 60 %).
// The chunks are shared by every response of a body; slices are views, never copies.
import type { ServerResponse } from 'node:http';

/** Bytes per turn: small enough to cost tens of microseconds, large enough to keep up. */
export const SLICE_BYTES = 64 * 1024;

interface Outgoing {
  readonly res: ServerResponse;
  readonly chunks: readonly Uint8Array[];
  chunk: number;
  offset: number;
  /** performance.now() of the last write the socket took at once, or of the last 'drain'. */
  progressAt: number;
}

/** Writing gets at most SHARE of each WINDOW_MS of wall time. */
const WINDOW_MS = 10;
const SHARE = 0.15;

/**
 * All large bodies together go out at most this fast (a 72 MB /v1/enumerate in 0.3 s, faster
 * than a 1 Gbit/s link carries it). The time share above counts only the JavaScript side of a
 * write; on loopback the kernel's TCP work for the bytes lands on this thread too, and unbounded
 * (1.3 GB/s to 100 readers) it took 60 % of the core in all, against 25 % at this rate.
 */
export const BYTES_PER_SECOND = 256 * 1024 * 1024;
/** Budget saved up while idle: a burst is at most 50 ms' worth. */
const BURST_BYTES = BYTES_PER_SECOND / 20;

const ready: Outgoing[] = [];
let budget = BURST_BYTES;
let budgetAt = 0;
let scheduled = false;
let windowStart = 0;
let windowBusy = 0;

function schedule(): void {
  if (scheduled || ready.length === 0) return;
  scheduled = true;
  setImmediate(turn);
}

function turn(): void {
  scheduled = false;
  const started = performance.now();
  if (started - windowStart >= WINDOW_MS) {
    windowStart = started;
    windowBusy = 0;
  }
  if (windowBusy >= WINDOW_MS * SHARE) {
    // This window's share is spent: the rest of it is the DNS answers'.
    scheduled = true;
    setTimeout(turn, windowStart + WINDOW_MS - started);
    return;
  }
  budget = Math.min(BURST_BYTES, budget + ((started - budgetAt) * BYTES_PER_SECOND) / 1000);
  budgetAt = started;
  if (budget < SLICE_BYTES) {
    // Over the byte rate: wait until the budget holds a slice.
    scheduled = true;
    setTimeout(turn, Math.max(1, ((SLICE_BYTES - budget) * 1000) / BYTES_PER_SECOND));
    return;
  }
  const out = ready.shift();
  if (out !== undefined) budget -= step(out);
  windowBusy += performance.now() - started;
  schedule();
}

/** Writes one slice of `out` (returns its bytes); then it goes back in line, waits for 'drain', or ends. */
function step(out: Outgoing): number {
  const { res, chunks } = out;
  if (res.destroyed) return 0;
  while (out.chunk < chunks.length && out.offset >= chunks[out.chunk]!.byteLength) {
    out.chunk++;
    out.offset = 0;
  }
  if (out.chunk >= chunks.length) {
    res.end();
    return 0;
  }
  const chunk = chunks[out.chunk]!;
  const slice = chunk.subarray(out.offset, out.offset + SLICE_BYTES);
  out.offset += slice.byteLength;
  if (res.write(slice)) {
    out.progressAt = performance.now();
    ready.push(out);
  } else {
    res.once('drain', () => {
      out.progressAt = performance.now();
      ready.push(out);
      schedule();
    });
  }
  return slice.byteLength;
}

/**
 * Sends `chunks` as `res`'s body, then ends it. A client that takes nothing for `stallMs`
 * (its socket full, 'drain' never comes) is cut off rather than keeping its slot for ever.
 */
export function sendPaced(
  res: ServerResponse,
  chunks: readonly Uint8Array[],
  stallMs: number,
): void {
  const out: Outgoing = { res, chunks, chunk: 0, offset: 0, progressAt: performance.now() };
  let stall: NodeJS.Timeout;
  const check = (): void => {
    const idle = performance.now() - out.progressAt;
    if (idle >= stallMs) res.destroy();
    else stall = setTimeout(check, stallMs - idle);
  };
  stall = setTimeout(check, stallMs);
  res.once('close', () => clearTimeout(stall));
  ready.push(out);
  schedule();
}
