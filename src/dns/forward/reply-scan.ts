// What the forwarder reads in an upstream reply: where the question ends, where every TTL lives,
// the rcode and the RFC 2308 negative TTL, found with one pass over the bytes and no full decode.
// The client's query is never read here: the handler's parse (wire.ts) is handed over.

import {
  checkName,
  HEADER_SIZE,
  readU16,
  readU32,
  TYPE_A,
  TYPE_AAAA,
  TYPE_OPT,
  TYPE_SOA,
} from '../wire.ts';

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
  /**
   * Length of the part to relay: the whole message, or for a truncated one cut mid-record
   * (RFC 2181 9) just header and question, whose counts the caller then clears.
   */
  readonly wholeLength: number;
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

/**
 * Where names sit in the RDATA of the types that carry them (RFC 1035, 2163, 2915, 3403, 6672,
 * 4034): bytes before the first name, how many names follow one another, bytes after the last
 * (exact) or -1 when what follows is free-form (SRV weight etc. come first; NAPTR strings are
 * checked separately). Types not listed are opaque bytes bounded by RDLENGTH.
 */
interface NameLayout {
  readonly before: number;
  readonly names: number;
  /** Exact byte count after the last name, or -1 for "any". */
  readonly after: number;
}

const NAME_LAYOUTS = new Map<number, NameLayout>([
  [2, { before: 0, names: 1, after: 0 }], // NS
  [3, { before: 0, names: 1, after: 0 }], // MD
  [4, { before: 0, names: 1, after: 0 }], // MF
  [5, { before: 0, names: 1, after: 0 }], // CNAME
  [TYPE_SOA, { before: 0, names: 2, after: 20 }],
  [7, { before: 0, names: 1, after: 0 }], // MB
  [8, { before: 0, names: 1, after: 0 }], // MG
  [9, { before: 0, names: 1, after: 0 }], // MR
  [12, { before: 0, names: 1, after: 0 }], // PTR
  [14, { before: 0, names: 2, after: 0 }], // MINFO
  [15, { before: 2, names: 1, after: 0 }], // MX
  [17, { before: 0, names: 2, after: 0 }], // RP
  [18, { before: 2, names: 1, after: 0 }], // AFSDB
  [21, { before: 2, names: 1, after: 0 }], // RT
  [26, { before: 2, names: 2, after: 0 }], // PX
  [33, { before: 6, names: 1, after: 0 }], // SRV
  [36, { before: 2, names: 1, after: 0 }], // KX
  [39, { before: 0, names: 1, after: 0 }], // DNAME
  [46, { before: 18, names: 1, after: -1 }], // RRSIG: signer, then the signature
  [47, { before: 0, names: 1, after: -1 }], // NSEC: next name, then the type bitmaps
]);

/** Fixed RDATA lengths. */
const RDATA_LENGTH = new Map<number, number>([
  [TYPE_A, 4],
  [TYPE_AAAA, 16],
]);

const TYPE_NAPTR = 35;

/** Checks the names inside one RR's RDATA [start, end); returns a problem or undefined. */
function checkRdata(buf: Uint8Array, type: number, start: number, end: number): string | undefined {
  const fixed = RDATA_LENGTH.get(type);
  if (fixed !== undefined) {
    return end - start === fixed ? undefined : `RDATA of type ${type} is not ${fixed} bytes`;
  }
  let pos = start;
  if (type === TYPE_NAPTR) {
    // ORDER, PREFERENCE, then FLAGS, SERVICES, REGEXP as <character-string>s, then REPLACEMENT.
    pos += 4;
    for (let i = 0; i < 3; i++) {
      if (pos >= end) return 'NAPTR RDATA ends early';
      pos += 1 + buf[pos]!;
    }
    if (pos >= end) return 'NAPTR RDATA ends early';
    const nameEnd = checkName(buf, pos, end);
    return nameEnd === end ? undefined : 'NAPTR replacement name is malformed';
  }
  const layout = NAME_LAYOUTS.get(type);
  if (layout === undefined) return undefined;
  pos += layout.before;
  for (let i = 0; i < layout.names; i++) {
    if (pos >= end) return `RDATA of type ${type} ends before its name`;
    pos = checkName(buf, pos, end);
    if (pos < 0) return `name in RDATA of type ${type} is malformed`;
  }
  if (layout.after >= 0 && end - pos !== layout.after) {
    return `RDATA of type ${type} does not end after its names`;
  }
  return undefined;
}

interface RrWalk {
  readonly ttlOffsets: number[];
  minTtl: number | undefined;
  negativeTtl: number | undefined;
  optStart: number;
  optEnd: number;
}

const SECTIONS = ['answer', 'authority', 'additional'] as const;

/**
 * Walks and checks every RR after the question, filling `walk`. Returns what is wrong, or
 * undefined for a whole message: every owner and RDATA name readable (compression pointers only
 * backwards, so no loop), every RDLENGTH inside the message, the counts exactly the records
 * present, at most one OPT (owned by the root, in the additional section), no bytes after them.
 */
function walkRecords(buf: Uint8Array, start: number, walk: RrWalk): string | undefined {
  let pos = start;
  for (let section = 0; section < 3; section++) {
    const count = readU16(buf, 6 + 2 * section);
    for (let i = 0; i < count; i++) {
      const where = `${SECTIONS[section]} record ${i + 1}`;
      const rrStart = pos;
      pos = checkName(buf, pos, buf.length);
      if (pos < 0) return `${where}: owner name is malformed`;
      if (pos + 10 > buf.length) return `${where}: ends inside its fixed fields`;
      const type = readU16(buf, pos);
      const ttlOffset = pos + 4;
      const rdLength = readU16(buf, pos + 8);
      const rdStart = pos + 10;
      pos = rdStart + rdLength;
      if (pos > buf.length) return `${where}: RDLENGTH ${rdLength} runs past the message`;
      if (type === TYPE_OPT) {
        if (section !== 2 || walk.optStart >= 0 || rdStart - rrStart !== 11) {
          return `${where}: OPT misplaced, repeated or not owned by the root`;
        }
        walk.optStart = rrStart;
        walk.optEnd = pos;
        continue;
      }
      const problem = checkRdata(buf, type, rdStart, pos);
      if (problem !== undefined) return `${where}: ${problem}`;
      walk.ttlOffsets.push(ttlOffset);
      if (section === 2) continue;
      const ttl = readU32(buf, ttlOffset);
      if (walk.minTtl === undefined || ttl < walk.minTtl) walk.minTtl = ttl;
      if (section === 1 && type === TYPE_SOA && walk.negativeTtl === undefined) {
        // MINIMUM is the last 32 bits of SOA RDATA, whatever the two names' lengths.
        walk.negativeTtl = Math.min(ttl, readU32(buf, pos - 4));
      }
    }
  }
  if (pos !== buf.length) return `${buf.length - pos} bytes after the last record`;
  return undefined;
}

/**
 * Reads and checks an upstream reply whole. Returns what the forwarder needs to know, or a
 * sentence saying what is wrong: not a one-question response, or any part malformed (see
 * walkRecords). A truncated reply may stop mid-record (RFC 2181 9); it is accepted with
 * `wholeLength` marking where its whole part ends, and the caller relays only that part.
 */
export function checkReply(buf: Uint8Array): ReplyInfo | string {
  if (buf.length < HEADER_SIZE) return 'shorter than a header';
  if ((buf[2]! & 0x80) === 0) return 'not a response';
  if (readU16(buf, 4) !== 1) return 'not exactly one question';
  const nameEnd = checkName(buf, HEADER_SIZE, buf.length);
  if (nameEnd < 0 || nameEnd + 4 > buf.length) return 'question is malformed';
  const truncated = (buf[2]! & 0x02) !== 0;
  const walk: RrWalk = {
    ttlOffsets: [],
    minTtl: undefined,
    negativeTtl: undefined,
    optStart: -1,
    optEnd: -1,
  };
  const problem = walkRecords(buf, nameEnd + 4, walk);
  let wholeLength = buf.length;
  if (problem !== undefined) {
    if (!truncated) return problem;
    // Never cached (TC), relayed as its header and question only.
    wholeLength = nameEnd + 4;
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
    answerCount: problem === undefined ? readU16(buf, 6) : 0,
    ttlOffsets: walk.ttlOffsets,
    minTtl: walk.minTtl,
    negativeTtl: walk.negativeTtl,
    optStart: walk.optStart,
    optEnd: walk.optEnd,
    wholeLength,
  };
}

/** checkReply for callers that only need to know whether the reply is usable. */
export function scanReply(buf: Uint8Array): ReplyInfo | undefined {
  const result = checkReply(buf);
  return typeof result === 'string' ? undefined : result;
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
