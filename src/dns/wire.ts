// Reads a DNS query straight from the wire: header, the one question, and the EDNS0 OPT record.
// Bounds-checked, never throws, and allocates only the lookup key string (see names.ts).
import { readQname } from './names.ts';

export const TYPE_A = 1;
export const TYPE_NS = 2;
export const TYPE_SOA = 6;
export const TYPE_PTR = 12;
export const TYPE_AAAA = 28;
export const TYPE_SRV = 33;
export const TYPE_OPT = 41;
export const TYPE_TSIG = 250;
export const TYPE_IXFR = 251;
export const TYPE_AXFR = 252;
export const TYPE_ANY = 255;
export const CLASS_IN = 1;
export const CLASS_ANY = 255;

export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;
export const RCODE_REFUSED = 5;
/** Extended RCODE 16 (RFC 6891): upper 8 bits go in the OPT TTL, lower 4 in the header. */
export const RCODE_BADVERS = 16;

export const FLAG_QR = 0x8000;
export const FLAG_AA = 0x0400;
export const FLAG_TC = 0x0200;
export const FLAG_RD = 0x0100;
export const FLAG_RA = 0x0080;
export const FLAG_CD = 0x0010;
export const HEADER_SIZE = 12;

/** The payload size we advertise in our OPT (the DNS flag day 2020 value: no IP fragmentation). */
export const OUR_EDNS_PAYLOAD = 1232;
export const OPT_RR_SIZE = 11;

export type ParseStatus = 'ok' | 'drop' | 'formerr' | 'notimp' | 'badvers';

/** Filled in place by parseQuery so the hot path allocates no result object per query. */
export class ParsedQuery {
  status: ParseStatus = 'drop';
  id = 0;
  flags = 0;
  /** Offset just past QTYPE/QCLASS; 0 when the question could not be read. */
  questionEnd = 0;
  /** Wire length of QNAME including the final zero byte. */
  qnameLength = 0;
  qtype = 0;
  qclass = 0;
  /** Lower-case presentation form with trailing dot ("web.marathon.mesos."), escaped per RFC 1035. */
  key = '';
  /** Offset (from the start of QNAME) of the label where `domain` begins; -1 when outside it. */
  apexOffset = -1;
  hasEdns = false;
  ednsVersion = 0;
  ednsUdpSize = 0;
  ednsDo = false;
  /**
   * A zone transfer (AXFR, IXFR) or a message with a TSIG record: answered by the transfer
   * service, off the fast path. One flag so ordinary queries pay one test for both.
   */
  transferOrTsig = false;

  /** The UDP response limit the client accepts: max(512, EDNS size offered). */
  get clientUdpSize(): number {
    return this.hasEdns ? Math.max(512, this.ednsUdpSize) : 512;
  }

  /** A copy to hand to work that outlives this query (the forwarder); the handler reuses `this`. */
  copy(): ParsedQuery {
    return Object.assign(new ParsedQuery(), this);
  }
}

function reset(q: ParsedQuery): void {
  q.status = 'drop';
  q.id = 0;
  q.flags = 0;
  q.questionEnd = 0;
  q.qnameLength = 0;
  q.qtype = 0;
  q.qclass = 0;
  q.key = '';
  q.apexOffset = -1;
  q.hasEdns = false;
  q.ednsVersion = 0;
  q.ednsUdpSize = 0;
  q.ednsDo = false;
  q.transferOrTsig = false;
}

/** Skips a (possibly compressed) name; returns the offset after it, or -1 when malformed. */
export function skipName(buf: Uint8Array, offset: number): number {
  let pos = offset;
  for (;;) {
    if (pos >= buf.length) return -1;
    const len = buf[pos]!;
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) return pos + 2 <= buf.length ? pos + 2 : -1;
    if ((len & 0xc0) !== 0) return -1;
    pos += len + 1;
  }
}

export function readU16(buf: Uint8Array, offset: number): number {
  return (buf[offset]! << 8) | buf[offset + 1]!;
}

export function readU32(buf: Uint8Array, offset: number): number {
  return (
    ((buf[offset]! << 24) |
      (buf[offset + 1]! << 16) |
      (buf[offset + 2]! << 8) |
      buf[offset + 3]!) >>>
    0
  );
}

/**
 * Checks the (possibly compressed) name at `offset`, which must end by `limit`: labels of at most
 * 63 bytes, no reserved label types, at most 255 bytes once expanded, and every compression
 * pointer aimed strictly before the stretch of name it sits in and past the header, so a chain
 * of pointers only moves backwards and cannot loop. Returns the offset after the name where it
 * starts, or -1. skipName trusts pointers; messages from elsewhere (upstream replies) need this.
 */
export function checkName(buf: Uint8Array, offset: number, limit: number): number {
  let pos = offset;
  let end = -1;
  let expanded = 1;
  let floor = offset;
  let bound = limit;
  for (;;) {
    if (pos >= bound) return -1;
    const len = buf[pos]!;
    if (len === 0) return end < 0 ? pos + 1 : end;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 2 > bound) return -1;
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (target >= floor || target < HEADER_SIZE) return -1;
      if (end < 0) end = pos + 2;
      // What a pointer reaches was written earlier and may run up to the message's end.
      bound = buf.length;
      floor = target;
      pos = target;
      continue;
    }
    if (len > 63) return -1;
    expanded += len + 1;
    if (expanded > 255) return -1;
    pos += len + 1;
  }
}

/**
 * Parses `buf` as a query for a server authoritative for `domainWire` (lower-case wire form of the
 * zone apex). Sets `out.status`: 'drop' (too short or a response), 'notimp', 'formerr', 'badvers',
 * or 'ok'. Question fields are set whenever the question could be read, so errors can echo it.
 */
export function parseQuery(buf: Uint8Array, domainWire: Uint8Array, out: ParsedQuery): void {
  reset(out);
  if (buf.length < HEADER_SIZE) return;
  const flags = (buf[2]! << 8) | buf[3]!;
  if ((flags & FLAG_QR) !== 0) return;
  out.id = (buf[0]! << 8) | buf[1]!;
  out.flags = flags;
  const qdcount = (buf[4]! << 8) | buf[5]!;
  const ancount = (buf[6]! << 8) | buf[7]!;
  const nscount = (buf[8]! << 8) | buf[9]!;
  const arcount = (buf[10]! << 8) | buf[11]!;

  if (qdcount >= 1) readQuestion(buf, domainWire, out);
  if (((flags >> 11) & 0xf) !== 0) {
    out.status = 'notimp';
    return;
  }
  if (qdcount !== 1 || out.questionEnd === 0) {
    out.status = 'formerr';
    return;
  }

  let pos = out.questionEnd;
  const skip = ancount + nscount;
  for (let i = 0; i < skip; i++) {
    pos = skipName(buf, pos);
    if (pos < 0 || pos + 10 > buf.length) {
      out.status = 'formerr';
      return;
    }
    pos += 10 + ((buf[pos + 8]! << 8) | buf[pos + 9]!);
    if (pos > buf.length) {
      out.status = 'formerr';
      return;
    }
  }
  for (let i = 0; i < arcount; i++) {
    const nameStart = pos;
    pos = skipName(buf, pos);
    if (pos < 0 || pos + 10 > buf.length) {
      out.status = 'formerr';
      return;
    }
    const type = (buf[pos]! << 8) | buf[pos + 1]!;
    if (type === TYPE_OPT) {
      // RFC 6891 6.1.1: one OPT, owned by the root.
      if (out.hasEdns || pos !== nameStart + 1 || buf[nameStart] !== 0) {
        out.status = 'formerr';
        return;
      }
      out.hasEdns = true;
      out.ednsUdpSize = (buf[pos + 2]! << 8) | buf[pos + 3]!;
      out.ednsVersion = buf[pos + 5]!;
      out.ednsDo = (buf[pos + 6]! & 0x80) !== 0;
      const rdStart = pos + 10;
      const rdEnd = rdStart + ((buf[pos + 8]! << 8) | buf[pos + 9]!);
      if (rdEnd > buf.length || !validOptions(buf, rdStart, rdEnd)) {
        out.status = 'formerr';
        return;
      }
    } else if (type === TYPE_TSIG) {
      out.transferOrTsig = true;
    }
    pos += 10 + ((buf[pos + 8]! << 8) | buf[pos + 9]!);
    if (pos > buf.length) {
      out.status = 'formerr';
      return;
    }
  }
  // Trailing bytes after the counted records are ignored, as most servers do.
  out.status = out.hasEdns && out.ednsVersion > 0 ? 'badvers' : 'ok';
}

/** EDNS COOKIE option code (RFC 7873). */
export const OPTION_COOKIE = 10;

/**
 * True when the OPT RDATA [start, end) is a whole number of well-formed options: each header
 * (code, length) complete and each body inside the RDATA (RFC 6891 6.1.2), and any COOKIE either
 * a client cookie alone (8 bytes) or with a server cookie of 8 to 32 bytes (RFC 7873 5.2.2).
 */
function validOptions(buf: Uint8Array, start: number, end: number): boolean {
  let pos = start;
  while (pos < end) {
    if (pos + 4 > end) return false;
    const code = (buf[pos]! << 8) | buf[pos + 1]!;
    const length = (buf[pos + 2]! << 8) | buf[pos + 3]!;
    pos += 4 + length;
    if (pos > end) return false;
    if (code === OPTION_COOKIE && length !== 8 && (length < 16 || length > 40)) return false;
  }
  return true;
}

function readQuestion(buf: Uint8Array, domainWire: Uint8Array, out: ParsedQuery): void {
  const end = readQname(buf, HEADER_SIZE, domainWire, out);
  if (end < 0 || end + 4 > buf.length) {
    out.key = '';
    out.apexOffset = -1;
    return;
  }
  out.qnameLength = end - HEADER_SIZE;
  out.qtype = (buf[end]! << 8) | buf[end + 1]!;
  out.qclass = (buf[end + 2]! << 8) | buf[end + 3]!;
  out.questionEnd = end + 4;
  if (out.qtype === TYPE_IXFR || out.qtype === TYPE_AXFR) out.transferOrTsig = true;
}
