// A SUBSCRIBED record read without building its whole tree at once. The record is the whole
// cluster (274 MB of JSON at 200,000 tasks): JSON.parse of it as one string holds the string
// and a tree several times its size together, and the tree lives on while the model is built.
// Here the record's bytes are scanned for the structure only: the record is parsed with
// `subscribed.get_state.get_tasks.tasks` (and the task and executor lists generation never
// reads) left empty, and the tasks are parsed one by one from the bytes when asked, each
// garbage as soon as it is converted. Anything not shaped like a SUBSCRIBED record gives null,
// and the caller parses it whole as any other record (which also reports it malformed).
import type { V1Event, V1Task } from '../state/v1-types.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** get_state lists that are not read (replaced by an empty value before parsing). */
const UNREAD_TASK_LISTS = new Set(['completed_tasks', 'unreachable_tasks', 'orphan_tasks']);

class Malformed extends Error {}

/** The tasks of a split SUBSCRIBED record, parsed one at a time from the record's bytes. */
export class SubscribedTasks {
  #bytes: Buffer;
  /** Start and end offsets of each element, in pairs. */
  readonly #bounds: number[];

  constructor(bytes: Buffer, bounds: number[]) {
    this.#bytes = bytes;
    this.#bounds = bounds;
  }

  get length(): number {
    return this.#bounds.length / 2;
  }

  /** Each task parsed in turn; the bytes are let go after the last. */
  *[Symbol.iterator](): Generator<V1Task> {
    const bounds = this.#bounds;
    for (let i = 0; i < bounds.length; i += 2) {
      const text = this.#bytes.toString('utf8', bounds[i], bounds[i + 1]);
      yield JSON.parse(text) as V1Task;
    }
    this.#bytes = Buffer.alloc(0);
    bounds.length = 0;
  }
}

export interface SplitSubscribed {
  /** The record with its tasks list empty. */
  readonly event: V1Event;
  readonly tasks: SubscribedTasks;
}

/** A SUBSCRIBED record split into the rest of it and its tasks; null for any other record. */
export function splitSubscribed(bytes: Buffer): SplitSubscribed | null {
  try {
    return split(bytes);
  } catch (err) {
    if (err instanceof Malformed) return null;
    throw err;
  }
}

function split(bytes: Buffer): SplitSubscribed | null {
  const s = new Scanner(bytes);
  /** Ranges [start, end) replaced by `[]` or `{}` (the byte at start tells which). */
  const cuts: number[] = [];
  let type = null as string | null;
  let tasks = null as number[] | null;
  s.object((key) => {
    if (key === 'type') {
      const start = s.i;
      s.skipValue();
      const text = bytes.toString('utf8', start, s.i);
      type = text.charCodeAt(0) === QUOTE ? (JSON.parse(text) as string) : null;
    } else if (key === 'subscribed') {
      s.object((key) => {
        if (key !== 'get_state') return s.skipValue();
        s.object((key) => {
          if (key === 'get_executors') return s.cut(cuts);
          if (key !== 'get_tasks') return s.skipValue();
          s.object((key) => {
            if (UNREAD_TASK_LISTS.has(key)) return s.cut(cuts);
            if (key !== 'tasks') return s.skipValue();
            const start = s.i;
            tasks = s.elements();
            cuts.push(start, s.i);
          });
        });
      });
    } else s.skipValue();
  });
  s.ws();
  if (s.i !== bytes.length || type !== 'SUBSCRIBED' || tasks === null) return null;
  const parts: Buffer[] = [];
  let at = 0;
  for (let k = 0; k < cuts.length; k += 2) {
    const start = cuts[k]!;
    parts.push(bytes.subarray(at, start), bytes[start] === OPEN_ARRAY ? EMPTY_ARRAY : EMPTY_OBJECT);
    at = cuts[k + 1]!;
  }
  parts.push(bytes.subarray(at));
  const rest = Buffer.concat(parts);
  let event: unknown;
  try {
    event = JSON.parse(rest.toString('utf8'));
  } catch {
    return null;
  }
  return { event: event as V1Event, tasks: new SubscribedTasks(bytes, tasks) };
}

const EMPTY_ARRAY = Buffer.from('[]');
const EMPTY_OBJECT = Buffer.from('{}');

/**
 * Just enough JSON to find values: where each starts and ends. Strings are skipped to their
 * closing quote; numbers and literals to the next delimiter; contents are not checked (the
 * JSON.parse of each piece does that).
 */
class Scanner {
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
      const key = JSON.parse(this.b.toString('utf8', start, this.i)) as string;
      this.#expect(COLON);
      this.ws();
      onKey(key);
      this.ws();
      const c = this.b[this.i++];
      if (c === CLOSE_OBJECT) return;
      if (c !== COMMA) throw new Malformed();
    }
  }

  /** An array's elements: their start and end offsets, in pairs. */
  elements(): number[] {
    this.#expect(OPEN_ARRAY);
    const out: number[] = [];
    this.ws();
    if (this.b[this.i] === CLOSE_ARRAY) {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      const start = this.i;
      this.skipValue();
      out.push(start, this.i);
      this.ws();
      const c = this.b[this.i++];
      if (c === CLOSE_ARRAY) return out;
      if (c !== COMMA) throw new Malformed();
    }
  }

  /** Skips a value, noting its range to be replaced by an empty one of its kind. */
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
