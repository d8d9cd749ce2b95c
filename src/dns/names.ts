// Domain names between wire and text: the question's lookup key (lower-case, RFC 1035 escaped so
// a label containing "." can never alias another name) and text names encoded to wire form.

const scratch = Buffer.allocUnsafe(255 * 4 + 1);
const labelStarts = new Int32Array(128);

/** What readQname fills in; ParsedQuery implements it. */
export interface QnameTarget {
  key: string;
  apexOffset: number;
}

const DOT = 0x2e;
const BACKSLASH = 0x5c;

function isPlain(b: number): boolean {
  return b > 0x20 && b < 0x7f && b !== DOT && b !== BACKSLASH;
}

/**
 * Reads the uncompressed QNAME at `offset`. Returns the offset after its zero byte, or -1 when it
 * is malformed (out of bounds, a label over 63 bytes, a compression pointer, longer than 255).
 * Sets `out.key` and `out.apexOffset` (offset within the name where `domainWire` starts, or -1).
 */
export function readQname(
  buf: Uint8Array,
  offset: number,
  domainWire: Uint8Array,
  out: QnameTarget,
): number {
  let pos = offset;
  let n = 0;
  let labels = 0;
  let plain = true;
  for (;;) {
    if (pos >= buf.length) return -1;
    const len = buf[pos]!;
    if (len === 0) break;
    // A pointer in the question can only point into the header: treat it, and the reserved
    // label types, as malformed rather than follow it.
    if (len > 63) return -1;
    if (pos + 1 + len > buf.length || pos + 1 + len - offset >= 255) return -1;
    labelStarts[labels++] = pos - offset;
    for (let i = pos + 1; i <= pos + len; i++) {
      let b = buf[i]!;
      if (b >= 0x41 && b <= 0x5a) b |= 0x20;
      else if (!isPlain(b)) plain = false;
      scratch[n++] = b;
    }
    scratch[n++] = DOT;
    pos += len + 1;
  }
  const end = pos + 1;
  const wireLength = end - offset;
  if (labels === 0) {
    out.key = '.';
  } else if (plain) {
    out.key = scratch.toString('latin1', 0, n);
  } else {
    out.key = escapedKey(buf, offset);
  }
  out.apexOffset = -1;
  const candidate = wireLength - domainWire.length;
  if (candidate >= 0) {
    let isLabelStart = domainWire.length === 1;
    for (let i = 0; i < labels && !isLabelStart; i++) isLabelStart = labelStarts[i] === candidate;
    if (isLabelStart && sameWireIgnoringCase(buf, offset + candidate, domainWire)) {
      out.apexOffset = candidate;
    }
  }
  return end;
}

function sameWireIgnoringCase(buf: Uint8Array, at: number, wire: Uint8Array): boolean {
  for (let i = 0; i < wire.length; i++) {
    let b = buf[at + i]!;
    if (b >= 0x41 && b <= 0x5a) b |= 0x20;
    if (b !== wire[i]) return false;
  }
  return true;
}

function escapedKey(buf: Uint8Array, offset: number): string {
  let key = '';
  let pos = offset;
  for (let len = buf[pos]!; len !== 0; len = buf[pos]!) {
    for (let i = pos + 1; i <= pos + len; i++) {
      let b = buf[i]!;
      if (b >= 0x41 && b <= 0x5a) b |= 0x20;
      if (b === DOT || b === BACKSLASH) key += '\\' + String.fromCharCode(b);
      else if (b <= 0x20 || b >= 0x7f) key += '\\' + String(b).padStart(3, '0');
      else key += String.fromCharCode(b);
    }
    key += '.';
    pos += len + 1;
  }
  return key;
}

/**
 * Splits a text name ("web.marathon.mesos." or relative "ns1.mesos") into raw labels, honouring
 * RFC 1035 escapes ("\." and "\DDD"). Throws naming the input when a label is empty or too long.
 */
export function splitName(name: string): Uint8Array[] {
  const labels: Uint8Array[] = [];
  if (name === '.' || name === '') return labels;
  let current: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === BACKSLASH && i + 1 < name.length) {
      const digits = name.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(digits)) {
        current.push(Number(digits) & 0xff);
        i += 3;
      } else {
        current.push(name.charCodeAt(i + 1) & 0xff);
        i += 1;
      }
    } else if (c === DOT) {
      if (current.length === 0) throw new Error(`DNS name "${name}" has an empty label`);
      labels.push(Uint8Array.from(current));
      current = [];
    } else {
      current.push(c & 0xff);
    }
  }
  if (current.length > 0) labels.push(Uint8Array.from(current));
  let total = 1;
  for (const label of labels) {
    if (label.length > 63) {
      throw new Error(`DNS name "${name}" has a label longer than 63 bytes; shorten it`);
    }
    total += label.length + 1;
  }
  if (total > 255) throw new Error(`DNS name "${name}" is longer than 255 bytes; shorten it`);
  return labels;
}

/** Wire form of a text name, uncompressed, with the final zero byte. */
export function nameToWire(name: string): Uint8Array {
  const labels = splitName(name);
  let size = 1;
  for (const l of labels) size += l.length + 1;
  const out = new Uint8Array(size);
  let pos = 0;
  for (const l of labels) {
    out[pos++] = l.length;
    out.set(l, pos);
    pos += l.length;
  }
  out[pos] = 0;
  return out;
}

/** "ns1.mesos" → "ns1.mesos."; already absolute names are returned unchanged. */
export function absoluteName(name: string): string {
  if (name === '' || name === '.') return '.';
  return name.endsWith('.') && !name.endsWith('\\.') ? name : name + '.';
}

/** Lower-case key form of a text name, matching ParsedQuery.key for the same wire name. */
export function nameKey(name: string): string {
  const wire = nameToWire(absoluteName(name));
  const target: QnameTarget = { key: '', apexOffset: -1 };
  readQname(wire, 0, new Uint8Array([0]), target);
  return target.key;
}
