// A prepared answer (authority.ts) as one run of bytes: what the answer cache stores, off the V8
// heap, and what response.ts assembles replies from. One format for cached and uncached answers,
// so there is one reply builder.
//
//   0  rcode          u8
//   1  outcome        u8   index in QUERY_OUTCOMES
//   2  answers        u16  count
//   4  authority      u16  count
//   6  additional     u16  count
//   8  RR lengths     u16 each, answers then authority then additional
//   …  RR bytes       in the same order, back to back
import type { PreparedAnswer } from './authority.ts';
import { OUTCOME_INDEX, QUERY_OUTCOMES, type QueryOutcome } from './observer.ts';

export const PACKED_HEADER = 8;

/** Bytes packAnswer needs for `prepared`. */
export function packedLength(prepared: PreparedAnswer): number {
  let n = PACKED_HEADER;
  for (const list of [prepared.answers, prepared.authority, prepared.additional]) {
    for (const rr of list) n += 2 + rr.length;
  }
  return n;
}

/** Packs `prepared` into `out` at `at` (packedLength bytes); returns the offset after it. */
export function packAnswerInto(prepared: PreparedAnswer, out: Uint8Array, at: number): number {
  const { answers, authority, additional } = prepared;
  out[at] = prepared.rcode;
  out[at + 1] = OUTCOME_INDEX[prepared.outcome];
  let pos = at + 2;
  for (const list of [answers, authority, additional]) {
    out[pos] = list.length >> 8;
    out[pos + 1] = list.length & 0xff;
    pos += 2;
  }
  for (const list of [answers, authority, additional]) {
    for (const rr of list) {
      out[pos] = rr.length >> 8;
      out[pos + 1] = rr.length & 0xff;
      pos += 2;
    }
  }
  for (const list of [answers, authority, additional]) {
    for (const rr of list) {
      out.set(rr, pos);
      pos += rr.length;
    }
  }
  return pos;
}

/** `prepared` as its own packed bytes. */
export function packAnswer(prepared: PreparedAnswer): Uint8Array {
  const out = new Uint8Array(packedLength(prepared));
  packAnswerInto(prepared, out, 0);
  return out;
}

export function packedRcode(bytes: Uint8Array, at: number): number {
  return bytes[at]!;
}

export function packedOutcome(bytes: Uint8Array, at: number): QueryOutcome {
  return QUERY_OUTCOMES[bytes[at + 1]!]!;
}

/** Count of answer (0), authority (1) or additional (2) RRs. */
export function packedCount(bytes: Uint8Array, at: number, section: 0 | 1 | 2): number {
  const p = at + 2 + section * 2;
  return (bytes[p]! << 8) | bytes[p + 1]!;
}
