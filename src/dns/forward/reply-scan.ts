// What the forwarder reads in an upstream reply: where the question ends, where every TTL lives,
// the rcode and the RFC 2308 negative TTL, found with one pass over the bytes and no full decode.
// The client's query is never read here: the handler's parse (wire.ts) is handed over.

import { HEADER_SIZE, skipName, TYPE_OPT, TYPE_SOA } from '../wire.ts';

/** What the forwarder needs to know about an upstream reply. */
export interface ReplyInfo {
  readonly rcode: number;
  readonly truncated: boolean;
  readonly questionEnd: number;
  readonly answerCount: number;
  /** Offsets of every RR's 32-bit TTL field, OPT excluded. */
  readonly ttlOffsets: readonly number[];
  /** Smallest TTL over answer and authority RRs; undefined when both are empty. */
  readonly minTtl: number | undefined;
  /** min(SOA TTL, SOA MINIMUM) of the first SOA in authority; undefined without one. */
  readonly negativeTtl: number | undefined;
  /** The OPT RR's bytes [start, end) in the additional section, if any. */
  readonly optStart: number;
  readonly optEnd: number;
}

function readU16(buf: Uint8Array, offset: number): number {
  return (buf[offset]! << 8) | buf[offset + 1]!;
}

function readU32(buf: Uint8Array, offset: number): number {
  return (
    ((buf[offset]! << 24) |
      (buf[offset + 1]! << 16) |
      (buf[offset + 2]! << 8) |
      buf[offset + 3]!) >>>
    0
  );
}

export function writeU32(buf: Uint8Array, offset: number, value: number): void {
  buf[offset] = value >>> 24;
  buf[offset + 1] = (value >>> 16) & 0xff;
  buf[offset + 2] = (value >>> 8) & 0xff;
  buf[offset + 3] = value & 0xff;
}

export function readTtl(buf: Uint8Array, offset: number): number {
  return readU32(buf, offset);
}

interface RrWalk {
  readonly ttlOffsets: number[];
  minTtl: number | undefined;
  negativeTtl: number | undefined;
  optStart: number;
  optEnd: number;
  dnssecOk: boolean;
}

/** Walks every RR after the question, filling `walk`; returns false on a malformed message. */
function walkRecords(buf: Uint8Array, start: number, walk: RrWalk): boolean {
  const counts = [readU16(buf, 6), readU16(buf, 8), readU16(buf, 10)] as const;
  let pos = start;
  for (let section = 0; section < 3; section++) {
    for (let i = 0; i < counts[section]!; i++) {
      const rrStart = pos;
      pos = skipName(buf, pos);
      if (pos < 0 || pos + 10 > buf.length) return false;
      const type = readU16(buf, pos);
      const ttlOffset = pos + 4;
      const rdLength = readU16(buf, pos + 8);
      const rdStart = pos + 10;
      pos = rdStart + rdLength;
      if (pos > buf.length) return false;
      if (type === TYPE_OPT && section === 2) {
        walk.optStart = rrStart;
        walk.optEnd = pos;
        walk.dnssecOk = (buf[ttlOffset + 2]! & 0x80) !== 0;
        continue;
      }
      walk.ttlOffsets.push(ttlOffset);
      if (section === 2) continue;
      const ttl = readU32(buf, ttlOffset);
      if (walk.minTtl === undefined || ttl < walk.minTtl) walk.minTtl = ttl;
      if (section === 1 && type === TYPE_SOA && walk.negativeTtl === undefined && rdLength >= 22) {
        // MINIMUM is the last 32 bits of SOA RDATA, whatever the two names' lengths.
        walk.negativeTtl = Math.min(ttl, readU32(buf, pos - 4));
      }
    }
  }
  return true;
}

/** Reads an upstream reply; undefined when it is not a well-formed one-question response. */
export function scanReply(buf: Uint8Array): ReplyInfo | undefined {
  if (buf.length < HEADER_SIZE || (buf[2]! & 0x80) === 0 || readU16(buf, 4) !== 1) return undefined;
  const nameEnd = skipName(buf, HEADER_SIZE);
  if (nameEnd < 0 || nameEnd + 4 > buf.length) return undefined;
  const truncated = (buf[2]! & 0x02) !== 0;
  const walk: RrWalk = {
    ttlOffsets: [],
    minTtl: undefined,
    negativeTtl: undefined,
    optStart: -1,
    optEnd: -1,
    dnssecOk: false,
  };
  // A truncated reply may stop mid-record; it is never cached, so a broken walk is forgiven.
  if (!walkRecords(buf, nameEnd + 4, walk)) {
    if (!truncated) return undefined;
    walk.ttlOffsets.length = 0;
    walk.minTtl = undefined;
    walk.negativeTtl = undefined;
    walk.optStart = -1;
    walk.optEnd = -1;
  }
  return {
    rcode: buf[3]! & 0x0f,
    truncated,
    questionEnd: nameEnd + 4,
    answerCount: readU16(buf, 6),
    ttlOffsets: walk.ttlOffsets,
    minTtl: walk.minTtl,
    negativeTtl: walk.negativeTtl,
    optStart: walk.optStart,
    optEnd: walk.optEnd,
  };
}

/**
 * True when the reply's question equals the query's, names compared case-insensitively (RFC
 * 4343) and type/class exactly. Both questions are assumed uncompressed, as they are on the wire.
 */
export function sameQuestion(
  query: Uint8Array,
  queryEnd: number,
  reply: Uint8Array,
  replyEnd: number,
): boolean {
  if (queryEnd !== replyEnd || reply.length < replyEnd) return false;
  for (let i = HEADER_SIZE; i < queryEnd; i++) {
    let a = query[i]!;
    let b = reply[i]!;
    if (a >= 0x41 && a <= 0x5a) a += 0x20;
    if (b >= 0x41 && b <= 0x5a) b += 0x20;
    if (a !== b) return false;
  }
  return true;
}
