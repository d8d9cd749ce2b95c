// Assembles a response from the client's own header and question bytes plus a packed answer
// (packed-answer.ts): the one per-query step on the fast path. Fits the size limit by dropping
// whole RRs.
import { PACKED_HEADER, packedCount, packedOutcome, packedRcode } from './packed-answer.ts';
import {
  FLAG_AA,
  FLAG_CD,
  FLAG_QR,
  FLAG_RA,
  FLAG_RD,
  FLAG_TC,
  HEADER_SIZE,
  OPT_RR_SIZE,
  OUR_EDNS_PAYLOAD,
  RCODE_NOTIMP,
  TYPE_OPT,
  type ParsedQuery,
} from './wire.ts';

/** Header flags of a reply: opcode, RD and CD copied from the query (RFC 1035, RFC 4035 3.2.2). */
function replyFlags(queryFlags: number, aa: boolean, ra: boolean, rcode: number): number {
  // An opcode we do not implement says nothing about recursion or DNSSEC: only the opcode and
  // RD are echoed and RA stays clear, as Knot does (ISC's compliance tester checks it).
  if (rcode === RCODE_NOTIMP) return FLAG_QR | (queryFlags & (0x7800 | FLAG_RD)) | RCODE_NOTIMP;
  return (
    FLAG_QR |
    (queryFlags & (0x7800 | FLAG_RD | FLAG_CD)) |
    (aa ? FLAG_AA : 0) |
    (ra ? FLAG_RA : 0) |
    (rcode & 0xf)
  );
}

function writeOpt(out: Buffer, at: number, q: ParsedQuery, rcode: number): void {
  out[at] = 0;
  out.writeUInt16BE(TYPE_OPT, at + 1);
  out.writeUInt16BE(OUR_EDNS_PAYLOAD, at + 3);
  out[at + 5] = (rcode >> 4) & 0xff;
  out[at + 6] = 0; // version 0
  out[at + 7] = q.ednsDo ? 0x80 : 0; // RFC 3225 3: DO is copied into the response
  out[at + 8] = 0;
  out.writeUInt16BE(0, at + 9);
}

/** Where each RR of the answer being built starts in the packed bytes, and its length. */
let rrStart = new Int32Array(64);
let rrLength = new Int32Array(64);
/** The order the answer RRs go out in (indexes into rrStart). */
let answerOrder = new Int32Array(64);

function ensureScratch(n: number): void {
  if (n <= rrStart.length) return;
  const size = Math.max(n, rrStart.length * 2);
  rrStart = new Int32Array(size);
  rrLength = new Int32Array(size);
  answerOrder = new Int32Array(size);
}

/**
 * The reply to `query` carrying the packed answer at `bytes[at]` (packed-answer.ts), at most
 * `maxSize` bytes. Answer RRs go out in a fresh uniformly random order (Fisher-Yates). Additional
 * RRs go first when something must give (RFC 2181 9: no TC for those), then answers from the
 * end, setting TC unless `setTruncateBit` is false (mesos-dns's SetTruncateBit). The OPT RR is
 * always kept.
 */
export function buildAnswerResponse(
  query: Uint8Array,
  q: ParsedQuery,
  bytes: Uint8Array,
  at: number,
  maxSize: number,
  ra: boolean,
  setTruncateBit: boolean,
): Buffer {
  const answerCount = packedCount(bytes, at, 0);
  const authorityCount = packedCount(bytes, at, 1);
  const additionalCount = packedCount(bytes, at, 2);
  const total = answerCount + authorityCount + additionalCount;
  ensureScratch(total);
  let lengthAt = at + PACKED_HEADER;
  let data = lengthAt + 2 * total;
  for (let i = 0; i < total; i++) {
    const len = (bytes[lengthAt]! << 8) | bytes[lengthAt + 1]!;
    rrStart[i] = data;
    rrLength[i] = len;
    data += len;
    lengthAt += 2;
  }
  for (let i = 0; i < answerCount; i++) answerOrder[i] = i;
  for (let i = answerCount - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const t = answerOrder[i]!;
    answerOrder[i] = answerOrder[j]!;
    answerOrder[j] = t;
  }

  const optSize = q.hasEdns ? OPT_RR_SIZE : 0;
  let size = q.questionEnd + optSize;
  let authorityLength = 0;
  for (let i = answerCount; i < answerCount + authorityCount; i++) authorityLength += rrLength[i]!;
  let nAnswers = 0;
  let nAuthority = authorityCount;
  let nAdditional = 0;
  let truncated = false;

  if (size + authorityLength > maxSize) {
    nAuthority = 0;
    truncated = true;
  } else {
    size += authorityLength;
  }
  for (; nAnswers < answerCount; nAnswers++) {
    const len = rrLength[answerOrder[nAnswers]!]!;
    if (size + len > maxSize) {
      truncated = true;
      break;
    }
    size += len;
  }
  if (!truncated) {
    const first = answerCount + authorityCount;
    for (; nAdditional < additionalCount; nAdditional++) {
      const len = rrLength[first + nAdditional]!;
      if (size + len > maxSize) break;
      size += len;
    }
  }

  const rcode = packedRcode(bytes, at);
  const out = Buffer.allocUnsafe(size);
  out.set(query.subarray(0, q.questionEnd), 0);
  const flags =
    replyFlags(q.flags, packedOutcome(bytes, at) !== 'refused', ra, rcode) |
    (truncated && setTruncateBit ? FLAG_TC : 0);
  out.writeUInt16BE(flags, 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(nAnswers, 6);
  out.writeUInt16BE(nAuthority, 8);
  out.writeUInt16BE(nAdditional + (q.hasEdns ? 1 : 0), 10);
  let pos = q.questionEnd;
  const copy = (i: number): void => {
    // RRs are a few dozen bytes: a loop beats a subarray view per RR, and allocates nothing.
    const start = rrStart[i]!;
    const end = start + rrLength[i]!;
    for (let k = start; k < end; k++) out[pos++] = bytes[k]!;
  };
  for (let i = 0; i < nAnswers; i++) copy(answerOrder[i]!);
  for (let i = 0; i < nAuthority; i++) copy(answerCount + i);
  for (let i = 0; i < nAdditional; i++) copy(answerCount + authorityCount + i);
  if (q.hasEdns) writeOpt(out, pos, q, rcode);
  return out;
}

/**
 * A reply with no records: errors (FORMERR, NOTIMP, SERVFAIL, REFUSED, BADVERS). Echoes the
 * header ID and, when it could be read, the question; adds an OPT when the client sent a valid one.
 */
export function buildEmptyResponse(
  query: Uint8Array,
  q: ParsedQuery,
  rcode: number,
  aa: boolean,
  ra: boolean,
): Buffer {
  const questionEnd = q.questionEnd > 0 ? q.questionEnd : HEADER_SIZE;
  const withOpt = q.hasEdns && q.status !== 'formerr';
  const out = Buffer.alloc(questionEnd + (withOpt ? OPT_RR_SIZE : 0));
  out.set(query.subarray(0, questionEnd), 0);
  out.writeUInt16BE(replyFlags(q.flags, aa, ra, rcode), 2);
  out.writeUInt16BE(q.questionEnd > 0 ? 1 : 0, 4);
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(withOpt ? 1 : 0, 10);
  if (withOpt) writeOpt(out, questionEnd, q, rcode);
  return out;
}
