// Encodes resource records to wire bytes off the hot path, with RFC 1035 name compression against
// offsets that stay valid whatever order the answers are later sent in (see authority.ts).
import { isIPv4, isIPv6 } from 'node:net';
import { splitName } from './names.ts';
import {
  TYPE_A,
  TYPE_AAAA,
  TYPE_NS,
  TYPE_PTR,
  TYPE_SOA,
  TYPE_SRV,
  CLASS_IN,
  HEADER_SIZE,
} from './wire.ts';

function labelKey(label: Uint8Array): string {
  let s = '';
  for (let b of label) {
    if (b >= 0x41 && b <= 0x5a) b |= 0x20;
    if (b === 0x2e || b === 0x5c) s += '\\' + String.fromCharCode(b);
    else if (b <= 0x20 || b >= 0x7f) s += '\\' + String(b).padStart(3, '0');
    else s += String.fromCharCode(b);
  }
  return s + '.';
}

/** Suffix keys of a name, longest first: ["a.b.", "b."]. */
function suffixKeys(labels: readonly Uint8Array[]): string[] {
  const keys = new Array<string>(labels.length);
  let acc = '';
  for (let i = labels.length - 1; i >= 0; i--) {
    acc = labelKey(labels[i]!) + acc;
    keys[i] = acc;
  }
  return keys;
}

/**
 * Remembers where names were written in the message being built (absolute offsets) so later
 * names can point at them. Only offsets that cannot move may be registered: the question, and
 * records in a section whose order is fixed.
 */
export class NameCompressor {
  readonly #offsets = new Map<string, number>();

  /** Registers the question name (at offset 12) and all its suffixes. */
  addQuestion(questionKey: string): void {
    const labels = splitName(questionKey);
    const keys = suffixKeys(labels);
    let offset = HEADER_SIZE;
    for (let i = 0; i < labels.length; i++) {
      if (!this.#offsets.has(keys[i]!)) this.#offsets.set(keys[i]!, offset);
      offset += labels[i]!.length + 1;
    }
  }

  /** Offset of an already written name or suffix, or -1. */
  find(key: string): number {
    return this.#offsets.get(key) ?? -1;
  }

  /**
   * Writes `name` at `w` (whose byte 0 sits at absolute message offset `base`), pointing at the
   * longest known suffix when `compress`, and remembering the new suffixes when `register`.
   */
  writeName(w: ByteWriter, base: number, name: string, compress: boolean, register: boolean): void {
    const labels = splitName(name);
    const keys = suffixKeys(labels);
    for (let i = 0; i < labels.length; i++) {
      if (compress) {
        const at = this.#offsets.get(keys[i]!);
        if (at !== undefined && at < 0x4000) {
          w.u16(0xc000 | at);
          return;
        }
      }
      const here = base + w.length;
      if (register && here < 0x4000 && !this.#offsets.has(keys[i]!)) {
        this.#offsets.set(keys[i]!, here);
      }
      w.u8(labels[i]!.length);
      w.bytes(labels[i]!);
    }
    w.u8(0);
  }
}

/** A growable byte buffer for building records; slices are copied out with take(). */
export class ByteWriter {
  #buf = Buffer.allocUnsafe(512);
  #pos = 0;

  get length(): number {
    return this.#pos;
  }

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + n));
    this.#buf.copy(bigger, 0, 0, this.#pos);
    this.#buf = bigger;
  }

  u8(v: number): void {
    this.#ensure(1);
    this.#buf[this.#pos++] = v & 0xff;
  }

  u16(v: number): void {
    this.#ensure(2);
    this.#buf.writeUInt16BE(v & 0xffff, this.#pos);
    this.#pos += 2;
  }

  u32(v: number): void {
    this.#ensure(4);
    this.#buf.writeUInt32BE(v >>> 0, this.#pos);
    this.#pos += 4;
  }

  bytes(b: Uint8Array): void {
    this.#ensure(b.length);
    this.#buf.set(b, this.#pos);
    this.#pos += b.length;
  }

  setU16(at: number, v: number): void {
    this.#buf.writeUInt16BE(v & 0xffff, at);
  }

  /** Copies out bytes [from, length) as a standalone slice. */
  take(from: number): Uint8Array {
    return Uint8Array.prototype.slice.call(this.#buf, from, this.#pos);
  }
}

/** IPv4 text → 4 bytes, or null when it is not an IPv4 address. */
export function ipv4Bytes(ip: string): Uint8Array | null {
  if (!isIPv4(ip)) return null;
  return Uint8Array.from(ip.split('.').map(Number));
}

/** IPv6 text (with "::" and embedded IPv4 allowed) → 16 bytes, or null. */
export function ipv6Bytes(ip: string): Uint8Array | null {
  const bare = ip.includes('%') ? ip.slice(0, ip.indexOf('%')) : ip;
  if (!isIPv6(bare)) return null;
  let text = bare;
  const lastColon = text.lastIndexOf(':');
  const maybeV4 = text.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    // Rewrite an embedded IPv4 tail ("::ffff:1.2.3.4") as two hex groups.
    const v4 = ipv4Bytes(maybeV4);
    if (!v4) return null;
    const hi = ((v4[0]! << 8) | v4[1]!).toString(16);
    const lo = ((v4[2]! << 8) | v4[3]!).toString(16);
    text = `${text.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const [head = '', rest] = text.split('::');
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((h) => parseInt(h, 16)));
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const fill = 8 - left.length - right.length;
  if (fill < 0 || (rest === undefined && fill !== 0)) return null;
  const groups = [...left, ...new Array<number>(fill).fill(0), ...right];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/** Where an RR's owner name comes from: a pointer to a fixed offset, or a name to write. */
export type Owner = { pointer: number } | { name: string };

/** Encodes whole RRs into one writer; each call returns the RR's own byte slice. */
export class RREncoder {
  readonly #w = new ByteWriter();
  readonly #compressor: NameCompressor;
  /** Absolute message offset of this section's first byte, for registering names. */
  readonly #base: number;
  readonly #register: boolean;

  constructor(compressor: NameCompressor, base: number, register: boolean) {
    this.#compressor = compressor;
    this.#base = base;
    this.#register = register;
  }

  #header(owner: Owner, type: number, ttl: number): number {
    if ('pointer' in owner) this.#w.u16(0xc000 | owner.pointer);
    else this.#compressor.writeName(this.#w, this.#base, owner.name, true, this.#register);
    this.#w.u16(type);
    this.#w.u16(CLASS_IN);
    this.#w.u32(ttl);
    const rdlengthAt = this.#w.length;
    this.#w.u16(0);
    return rdlengthAt;
  }

  #finish(start: number, rdlengthAt: number): Uint8Array {
    this.#w.setU16(rdlengthAt, this.#w.length - rdlengthAt - 2);
    return this.#w.take(start);
  }

  /** An A (`v6` false) or AAAA record; null when `ip` is not an address of that family. */
  address(owner: Owner, ttl: number, ip: string, v6: boolean): Uint8Array | null {
    const bytes = v6 ? ipv6Bytes(ip) : ipv4Bytes(ip);
    if (!bytes) return null;
    const start = this.#w.length;
    const at = this.#header(owner, v6 ? TYPE_AAAA : TYPE_A, ttl);
    this.#w.bytes(bytes);
    return this.#finish(start, at);
  }

  srv(
    owner: Owner,
    ttl: number,
    priority: number,
    weight: number,
    port: number,
    target: string,
  ): Uint8Array {
    const start = this.#w.length;
    const at = this.#header(owner, TYPE_SRV, ttl);
    this.#w.u16(priority);
    this.#w.u16(weight);
    this.#w.u16(port);
    // RFC 2782: "name compression is not to be used for this field".
    this.#compressor.writeName(this.#w, this.#base, target, false, false);
    return this.#finish(start, at);
  }

  /** PTR: the target may be compressed (RFC 1035 lists PTRDNAME as a domain name). */
  ptr(owner: Owner, ttl: number, target: string): Uint8Array {
    const start = this.#w.length;
    const at = this.#header(owner, TYPE_PTR, ttl);
    this.#compressor.writeName(this.#w, this.#base, target, true, false);
    return this.#finish(start, at);
  }

  ns(owner: Owner, ttl: number, target: string): Uint8Array {
    const start = this.#w.length;
    const at = this.#header(owner, TYPE_NS, ttl);
    this.#compressor.writeName(this.#w, this.#base, target, true, false);
    return this.#finish(start, at);
  }

  soa(owner: Owner, ttl: number, fields: SoaFields): Uint8Array {
    const start = this.#w.length;
    const at = this.#header(owner, TYPE_SOA, ttl);
    this.#compressor.writeName(this.#w, this.#base, fields.mname, true, false);
    this.#compressor.writeName(this.#w, this.#base, fields.rname, true, false);
    this.#w.u32(fields.serial);
    this.#w.u32(fields.refresh);
    this.#w.u32(fields.retry);
    this.#w.u32(fields.expire);
    this.#w.u32(fields.minttl);
    return this.#finish(start, at);
  }
}

export interface SoaFields {
  readonly mname: string;
  readonly rname: string;
  readonly serial: number;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  readonly minttl: number;
}
