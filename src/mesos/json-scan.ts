// Reading a large JSON body without parsing it whole: a scanner that finds where values start
// and end (structure only), and a list of values parsed one at a time from their byte ranges.
// JSON.parse of a whole cluster (124 MB of /master/state, 274 MB of SUBSCRIBED at 200,000 tasks)
// holds the text and a tree several times its size at once; with these the large lists are
// left as bytes and each element becomes a value only while it is being used
// (state-split.ts, subscribed-split.ts).

export const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
export const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
export const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** The bytes are not JSON as far as the scanner can tell; callers parse whole instead. */
export class Malformed extends Error {}

/**
 * Just enough JSON to find values: where each starts and ends. Strings are skipped to their
 * closing quote; numbers and literals to the next delimiter; contents are not checked (the
 * JSON.parse of each piece does that). Throws Malformed where the structure is broken.
 */
export class Scanner {
  readonly b: Buffer;
  i = 0;

  constructor(b: Buffer) {
    this.b = b;
  }

  ws(): void {
    const b = this.b;
    let i = this.i;
    for (;;) {
      const c = b[i];
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.i = i;
  }

  /** The byte the next value starts with (after whitespace); undefined at the end. */
  peek(): number | undefined {
    this.ws();
    return this.b[this.i];
  }

  /** Past trailing whitespace, is the whole input read? */
  atEnd(): boolean {
    this.ws();
    return this.i === this.b.length;
  }

  #expect(c: number): void {
    this.ws();
    if (this.b[this.i] !== c) throw new Malformed();
    this.i++;
  }

  /** Reads an object, calling `onKey` with the scanner at each value (which it must consume). */
  object(onKey: (key: string) => void): void {
    this.#expect(OPEN_OBJECT);
    this.ws();
    if (this.b[this.i] === CLOSE_OBJECT) {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      const start = this.i;
      if (this.b[start] !== QUOTE) throw new Malformed();
      this.#skipString();
      let key: string;
      try {
        key = JSON.parse(this.b.toString('utf8', start, this.i)) as string;
      } catch {
        throw new Malformed();
      }
      this.#expect(COLON);
      this.ws();
      onKey(key);
      this.ws();
      const c = this.b[this.i++];
      if (c === CLOSE_OBJECT) return;
      if (c !== COMMA) throw new Malformed();
    }
  }

  /** Reads an array, calling `onElement` with the scanner at each element (which it must consume). */
  array(onElement: (index: number) => void): void {
    this.#expect(OPEN_ARRAY);
    this.ws();
    if (this.b[this.i] === CLOSE_ARRAY) {
      this.i++;
      return;
    }
    for (let index = 0; ; index++) {
      this.ws();
      onElement(index);
      this.ws();
      const c = this.b[this.i++];
      if (c === CLOSE_ARRAY) return;
      if (c !== COMMA) throw new Malformed();
    }
  }

  /** An array's elements: their start and end offsets, in pairs. */
  elements(): number[] {
    const out: number[] = [];
    this.array(() => {
      const start = this.i;
      this.skipValue();
      out.push(start, this.i);
    });
    return out;
  }

  /** Skips a value, noting its range to be replaced by an empty one of its kind (see `withCuts`). */
  cut(cuts: number[]): void {
    const start = this.i;
    const c = this.b[start];
    if (c !== OPEN_ARRAY && c !== OPEN_OBJECT) return this.skipValue();
    this.skipValue();
    cuts.push(start, this.i);
  }

  skipValue(): void {
    this.ws();
    const b = this.b;
    const c = b[this.i];
    if (c === QUOTE) return this.#skipString();
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) return this.#skipNested();
    // A number or a literal: up to the next delimiter.
    let i = this.i;
    for (;;) {
      const d = b[i];
      if (d === undefined) throw new Malformed();
      if (d === COMMA || d === CLOSE_OBJECT || d === CLOSE_ARRAY || d <= 0x20) break;
      i++;
    }
    if (i === this.i) throw new Malformed();
    this.i = i;
  }

  /** From an opening quote to just past its closing one. */
  #skipString(): void {
    const b = this.b;
    let i = this.i + 1;
    for (;;) {
      const q = b.indexOf(QUOTE, i);
      if (q < 0) throw new Malformed();
      // Escaped when an odd number of backslashes precede it.
      let k = q - 1;
      while (b[k] === BACKSLASH) k--;
      i = q + 1;
      if ((q - 1 - k) % 2 === 0) break;
    }
    this.i = i;
  }

  #skipNested(): void {
    const b = this.b;
    let depth = 0;
    let i = this.i;
    const n = b.length;
    while (i < n) {
      const c = b[i]!;
      if (c === QUOTE) {
        this.i = i;
        this.#skipString();
        i = this.i;
        continue;
      }
      if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
      else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        depth--;
        if (depth === 0) {
          this.i = i + 1;
          return;
        }
      }
      i++;
    }
    throw new Malformed();
  }
}

const EMPTY_ARRAY = Buffer.from('[]');
const EMPTY_OBJECT = Buffer.from('{}');

/**
 * `bytes` with each range [start, end) of `cuts` (in order, as Scanner.cut and callers note
 * them) replaced by `[]` or `{}`, whichever its first byte opens.
 */
export function withCuts(bytes: Buffer, cuts: readonly number[]): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (let k = 0; k < cuts.length; k += 2) {
    const start = cuts[k]!;
    parts.push(bytes.subarray(at, start), bytes[start] === OPEN_ARRAY ? EMPTY_ARRAY : EMPTY_OBJECT);
    at = cuts[k + 1]!;
  }
  parts.push(bytes.subarray(at));
  return Buffer.concat(parts);
}

/**
 * Turns one element's text into its value: JSON.parse, and whatever checking the caller adds.
 * `bytes` is the whole body, for an error that needs it; `index` the element's position.
 */
export type ReadElement<T> = (text: string, index: number, bytes: Buffer) => T;

/**
 * A JSON array's elements left as bytes, each parsed when iteration reaches it and garbage as
 * soon as the caller is done with it. Read once: the bytes are let go after the last element
 * (a second iteration throws rather than give nothing).
 */
export class JsonSlices<T> implements Iterable<T> {
  #bytes: Buffer | null;
  /** Start and end offsets of each element, in pairs. */
  readonly #bounds: readonly number[];
  readonly #read: ReadElement<T>;
  readonly length: number;

  constructor(bytes: Buffer, bounds: readonly number[], read: ReadElement<T>) {
    this.#bytes = bytes;
    this.#bounds = bounds;
    this.#read = read;
    this.length = bounds.length / 2;
  }

  *[Symbol.iterator](): Generator<T> {
    const bytes = this.#bytes;
    if (bytes === null) throw new Error('a list read from bytes can be iterated only once');
    this.#bytes = null;
    const bounds = this.#bounds;
    const read = this.#read;
    for (let i = 0; i < bounds.length; i += 2) {
      yield read(bytes.toString('utf8', bounds[i], bounds[i + 1]), i / 2, bytes);
    }
  }
}
