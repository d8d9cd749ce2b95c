// TSIG (RFC 8945): HMAC over DNS messages with a shared secret, so a secondary proves it holds a
// key before it gets the zone, and knows the zone it got came from us. dns2 has no TSIG; this is
// byte-level because the MAC covers exact message bytes and the TSIG record's offsets.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { parseTsigKeySpecs, type TsigKeySpec } from '../../config/tsig-key.ts';
import { nameKey, nameToWire } from '../names.ts';
import { skipName, TYPE_TSIG } from '../wire.ts';
const CLASS_ANY = 255;
/** RFC 8945 §5.2.3: allowed clock difference, seconds. 300 is the recommended value. */
export const FUDGE_SECONDS = 300;

export const TSIG_BADSIG = 16;
export const TSIG_BADKEY = 17;
export const TSIG_BADTIME = 18;

export interface TsigKey extends TsigKeySpec {
  /** Canonical wire forms, computed once. */
  readonly nameWire: Uint8Array;
  readonly algorithmWire: Uint8Array;
}

/** A key from config (config/tsig-key.ts) with its names in wire form. */
export function tsigKey(spec: TsigKeySpec): TsigKey {
  return { ...spec, nameWire: nameToWire(spec.name), algorithmWire: nameToWire(spec.algorithm) };
}

/** Every `transferKeys` entry, keyed by lower-case absolute name (throws as config does). */
export function tsigKeys(keys: Readonly<Record<string, string>>): Map<string, TsigKey> {
  return new Map([...parseTsigKeySpecs(keys)].map(([name, spec]) => [name, tsigKey(spec)]));
}

/** The TSIG record found at the end of a message. */
export interface TsigRecord {
  /** Offset of the TSIG RR: the message without it is bytes [0, start). */
  readonly start: number;
  readonly keyName: string;
  readonly algorithm: string;
  readonly timeSigned: number;
  readonly fudge: number;
  readonly mac: Uint8Array;
  readonly originalId: number;
  readonly error: number;
  readonly other: Uint8Array;
}

function readNameKey(buf: Uint8Array, offset: number): [string, number] | null {
  const end = skipName(buf, offset);
  if (end < 0) return null;
  // TSIG names are never compressed (RFC 8945 §4.2): a pointer here is malformed.
  if (end - offset >= 2 && (buf[end - 2]! & 0xc0) === 0xc0) return null;
  const labels: string[] = [];
  let pos = offset;
  while (buf[pos] !== 0) {
    const len = buf[pos]!;
    labels.push(Buffer.from(buf.subarray(pos + 1, pos + 1 + len)).toString('latin1'));
    pos += len + 1;
  }
  try {
    return [nameKey(labels.join('.')), end];
  } catch {
    return null;
  }
}

function u16(buf: Uint8Array, at: number): number {
  return (buf[at]! << 8) | buf[at + 1]!;
}

/**
 * Finds the TSIG record, which must be the last record of the additional section (RFC 8945
 * §5.1). Returns null when there is none; 'formerr' when there is one but it is malformed or
 * not last.
 */
export function findTsig(buf: Uint8Array, questionEnd: number): TsigRecord | null | 'formerr' {
  const an = u16(buf, 6);
  const ns = u16(buf, 8);
  const ar = u16(buf, 10);
  let pos = questionEnd;
  const total = an + ns + ar;
  for (let i = 0; i < total; i++) {
    const start = pos;
    const typeAt = skipName(buf, pos);
    // The query parser has walked these records already; a broken one here means no TSIG.
    if (typeAt < 0 || typeAt + 10 > buf.length) return null;
    const type = u16(buf, typeAt);
    const rdata = typeAt + 10;
    pos = rdata + u16(buf, typeAt + 8);
    if (pos > buf.length) return null;
    if (type !== TYPE_TSIG) continue;
    if (i !== total - 1 || i < an + ns) return 'formerr';
    if (u16(buf, typeAt + 2) !== CLASS_ANY) return 'formerr';
    const owner = readNameKey(buf, start);
    const alg = readNameKey(buf, rdata);
    if (owner === null || alg === null) return 'formerr';
    let at = alg[1];
    if (at + 10 > pos) return 'formerr';
    const timeSigned = u16(buf, at) * 2 ** 32 + readU32(buf, at + 2);
    const fudge = u16(buf, at + 6);
    const macSize = u16(buf, at + 8);
    at += 10;
    if (at + macSize + 6 > pos) return 'formerr';
    const mac = buf.subarray(at, at + macSize);
    at += macSize;
    const originalId = u16(buf, at);
    const error = u16(buf, at + 2);
    const otherLen = u16(buf, at + 4);
    at += 6;
    if (at + otherLen !== pos) return 'formerr';
    return {
      start,
      keyName: owner[0],
      algorithm: alg[0],
      timeSigned,
      fudge,
      mac,
      originalId,
      error,
      other: buf.subarray(at, pos),
    };
  }
  return null;
}

function readU32(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}

function writeU48(out: Buffer, at: number, value: number): void {
  out.writeUInt16BE(Math.floor(value / 2 ** 32) & 0xffff, at);
  out.writeUInt32BE(value >>> 0, at + 2);
}

/** The TSIG variables of RFC 8945 §4.3.3 (everything but the MAC and original ID). */
function variables(key: TsigKey, timeSigned: number, error: number, other: Uint8Array): Buffer {
  const out = Buffer.alloc(
    key.nameWire.length + 2 + 4 + key.algorithmWire.length + 6 + 2 + 2 + 2 + other.length,
  );
  let at = 0;
  out.set(key.nameWire, at);
  at += key.nameWire.length;
  out.writeUInt16BE(CLASS_ANY, at);
  out.writeUInt32BE(0, at + 2);
  at += 6;
  out.set(key.algorithmWire, at);
  at += key.algorithmWire.length;
  writeU48(out, at, timeSigned);
  out.writeUInt16BE(FUDGE_SECONDS, at + 6);
  out.writeUInt16BE(error, at + 8);
  out.writeUInt16BE(other.length, at + 10);
  out.set(other, at + 12);
  return out;
}

function timersOnly(timeSigned: number): Buffer {
  const out = Buffer.alloc(8);
  writeU48(out, 0, timeSigned);
  out.writeUInt16BE(FUDGE_SECONDS, 6);
  return out;
}

function macLength(mac: Uint8Array): Buffer {
  const out = Buffer.alloc(2);
  out.writeUInt16BE(mac.length, 0);
  return out;
}

/** `message` (no TSIG yet) as it is digested: the original ID in place of the ID. */
function digestible(message: Uint8Array, originalId: number): Buffer {
  const copy = Buffer.from(message);
  copy.writeUInt16BE(originalId, 0);
  return copy;
}

/** `message` with a TSIG RR appended and ARCOUNT raised by one. */
function appendTsig(
  message: Uint8Array,
  key: TsigKey,
  timeSigned: number,
  mac: Uint8Array,
  originalId: number,
  error: number,
  other: Uint8Array,
): Buffer {
  const rdlength = key.algorithmWire.length + 10 + mac.length + 6 + other.length;
  const out = Buffer.alloc(message.length + key.nameWire.length + 10 + rdlength);
  out.set(message, 0);
  out.writeUInt16BE(u16(message, 10) + 1, 10);
  let at = message.length;
  out.set(key.nameWire, at);
  at += key.nameWire.length;
  out.writeUInt16BE(TYPE_TSIG, at);
  out.writeUInt16BE(CLASS_ANY, at + 2);
  out.writeUInt32BE(0, at + 4);
  out.writeUInt16BE(rdlength, at + 8);
  at += 10;
  out.set(key.algorithmWire, at);
  at += key.algorithmWire.length;
  writeU48(out, at, timeSigned);
  out.writeUInt16BE(FUDGE_SECONDS, at + 6);
  out.writeUInt16BE(mac.length, at + 8);
  at += 10;
  out.set(mac, at);
  at += mac.length;
  out.writeUInt16BE(originalId, at);
  out.writeUInt16BE(error, at + 2);
  out.writeUInt16BE(other.length, at + 4);
  out.set(other, at + 6);
  return out;
}

export type VerifyResult =
  | { readonly ok: true; readonly key: TsigKey; readonly tsig: TsigRecord }
  | {
      readonly ok: false;
      readonly error: typeof TSIG_BADKEY | typeof TSIG_BADSIG | typeof TSIG_BADTIME;
      readonly tsig: TsigRecord;
      /** Known key (BADSIG, BADTIME): BADTIME answers are signed with it. */
      readonly key: TsigKey | null;
    };

/** Checks a request's TSIG against `keys` at `nowSeconds` (RFC 8945 §5.2). */
export function verifyRequest(
  message: Uint8Array,
  tsig: TsigRecord,
  keys: ReadonlyMap<string, TsigKey>,
  nowSeconds: number,
): VerifyResult {
  const key = keys.get(tsig.keyName);
  if (key === undefined || key.algorithm !== tsig.algorithm) {
    return { ok: false, error: TSIG_BADKEY, tsig, key: null };
  }
  const unsigned = Buffer.from(message.subarray(0, tsig.start));
  unsigned.writeUInt16BE(u16(unsigned, 10) - 1, 10);
  unsigned.writeUInt16BE(tsig.originalId, 0);
  const hmac = createHmac(key.digest, key.secret);
  hmac.update(unsigned);
  hmac.update(variables(key, tsig.timeSigned, tsig.error, tsig.other));
  const expected = hmac.digest();
  // RFC 8945 §5.2.2.1: a truncated MAC is allowed down to half the digest (and 10 bytes).
  const minimum = Math.max(10, expected.length / 2);
  if (
    tsig.mac.length < minimum ||
    tsig.mac.length > expected.length ||
    !timingSafeEqual(expected.subarray(0, tsig.mac.length), tsig.mac)
  ) {
    return { ok: false, error: TSIG_BADSIG, tsig, key };
  }
  if (Math.abs(nowSeconds - tsig.timeSigned) > tsig.fudge) {
    return { ok: false, error: TSIG_BADTIME, tsig, key };
  }
  return { ok: true, key, tsig };
}

/**
 * Signs the messages of one response in order (RFC 8945 §5.3): the first covers the request's
 * MAC, each later one the MAC before it. Every message is signed.
 */
export class ResponseSigner {
  readonly #key: TsigKey;
  readonly #originalId: number;
  readonly #now: () => number;
  #prior: Uint8Array;
  #first = true;

  constructor(key: TsigKey, request: TsigRecord, nowSeconds: () => number) {
    this.#key = key;
    this.#originalId = request.originalId;
    this.#prior = request.mac;
    this.#now = nowSeconds;
  }

  sign(message: Uint8Array, error = 0, other: Uint8Array = new Uint8Array(0)): Buffer {
    const time = this.#now();
    const hmac = createHmac(this.#key.digest, this.#key.secret);
    hmac.update(macLength(this.#prior));
    hmac.update(this.#prior);
    hmac.update(digestible(message, this.#originalId));
    hmac.update(this.#first ? variables(this.#key, time, error, other) : timersOnly(time));
    const mac = hmac.digest();
    this.#first = false;
    this.#prior = mac;
    return appendTsig(message, this.#key, time, mac, this.#originalId, error, other);
  }
}

/** A request signed with `key` (NOTIFY, and the test clients). */
export function signRequest(message: Uint8Array, key: TsigKey, nowSeconds: number): Buffer {
  const id = u16(message, 0);
  const hmac = createHmac(key.digest, key.secret);
  hmac.update(message);
  hmac.update(variables(key, nowSeconds, 0, new Uint8Array(0)));
  return appendTsig(message, key, nowSeconds, hmac.digest(), id, 0, new Uint8Array(0));
}

/** An error answer's TSIG without a MAC (BADKEY, BADSIG: RFC 8945 §5.3.2). */
export function unsignedError(message: Uint8Array, request: TsigRecord, error: number): Buffer {
  const key: TsigKey = {
    name: request.keyName,
    algorithm: request.algorithm,
    secret: Buffer.alloc(0),
    nameWire: nameToWire(request.keyName),
    algorithmWire: nameToWire(request.algorithm),
    digest: '',
  };
  return appendTsig(
    message,
    key,
    request.timeSigned,
    new Uint8Array(0),
    request.originalId,
    error,
    new Uint8Array(0),
  );
}

/** Server time as BADTIME's other data (RFC 8945 §5.2.3). */
export function timeOther(nowSeconds: number): Uint8Array {
  const out = Buffer.alloc(6);
  writeU48(out, 0, nowSeconds);
  return out;
}
