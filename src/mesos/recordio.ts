// Streaming decoder for Mesos RecordIO (src/common/recordio.hpp, stout/recordio.hpp): each record
// is its length in decimal ASCII, a newline, then that many bytes. The event stream of the v1
// operator API is one long RecordIO body; it arrives in arbitrary pieces, so a record (or its
// length) may be split across any number of chunks. A record longer than `maxRecordBytes`, a
// length that is not a decimal number, or bytes after the stream was declared broken end the
// decoding with a RecordIoError: the caller drops the connection, never the process.

export type RecordIoProblem = 'bad-length' | 'too-large';

export class RecordIoError extends Error {
  readonly problem: RecordIoProblem;
  /** too-large: the record's announced length and the limit it is over. */
  readonly recordBytes: number;
  readonly limitBytes: number;
  constructor(problem: RecordIoProblem, message: string, recordBytes = 0, limitBytes = 0) {
    super(message);
    this.name = 'RecordIoError';
    this.problem = problem;
    this.recordBytes = recordBytes;
    this.limitBytes = limitBytes;
  }
}

/** Digits a length may have: 2^53 fits in 16; more is never a real record. */
const MAX_LENGTH_DIGITS = 16;

export class RecordIoDecoder {
  readonly #maxRecordBytes: number;
  /** Digits of the length read so far (the length may be split across chunks). */
  #lengthText = '';
  /** Length of the record being read; -1 while reading a length. */
  #need = -1;
  /**
   * The record being read, when it did not come whole in one chunk: allocated at its full
   * length once the first chunk of it is in, and the chunks copied in as they come. So a chunk
   * is garbage as soon as it is read, and a large record is one allocation: a 274 MB SUBSCRIBED
   * record kept as its 64 KB chunks until the last arrived grew the thread's malloc arena by
   * that much, which glibc kept after the chunks were freed (~240 MB of RSS at 200,000 tasks),
   * where one allocation that large is mapped on its own and unmapped when freed.
   */
  #record: Buffer | null = null;
  #have = 0;
  #broken: RecordIoError | null = null;

  constructor(maxRecordBytes: number) {
    if (!(maxRecordBytes > 0))
      throw new Error(`maxRecordBytes must be above 0, got ${maxRecordBytes}`);
    this.#maxRecordBytes = maxRecordBytes;
  }

  /** True between records: nothing of a partial length or record is buffered. */
  get atBoundary(): boolean {
    return this.#need < 0 && this.#lengthText === '';
  }

  /**
   * Feeds one chunk; returns the records it completed, in order. Throws RecordIoError on a bad
   * length or an oversized record (and on every later call: the stream cannot be resynchronised).
   */
  push(chunk: Buffer): Buffer[] {
    if (this.#broken) throw this.#broken;
    const out: Buffer[] = [];
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.#need < 0) {
        // Reading the length, up to its newline.
        const nl = chunk.indexOf(10, i);
        const end = nl < 0 ? n : nl;
        const text = chunk.toString('latin1', i, end);
        if (!/^[0-9]*$/.test(text) || this.#lengthText.length + text.length > MAX_LENGTH_DIGITS) {
          throw this.#break(
            'bad-length',
            `record length is not a decimal number (starts with ${JSON.stringify((this.#lengthText + text).slice(0, 24))})`,
          );
        }
        this.#lengthText += text;
        if (nl < 0) return out;
        i = nl + 1;
        if (this.#lengthText === '') throw this.#break('bad-length', 'empty record length');
        const length = Number(this.#lengthText);
        this.#lengthText = '';
        if (length > this.#maxRecordBytes) {
          throw this.#break(
            'too-large',
            `record of ${length} bytes is over the limit of ${this.#maxRecordBytes} bytes`,
            length,
          );
        }
        this.#need = length;
        this.#record = null;
        this.#have = 0;
        if (length === 0) {
          this.#need = -1;
          out.push(Buffer.alloc(0));
        }
        continue;
      }
      const take = Math.min(this.#need - this.#have, n - i);
      if (this.#have === 0 && take === this.#need) {
        // The whole record is in this chunk (every small event): a view, no copy.
        out.push(chunk.subarray(i, i + take));
      } else {
        this.#record ??= Buffer.allocUnsafe(this.#need);
        chunk.copy(this.#record, this.#have, i, i + take);
        this.#have += take;
        if (this.#have === this.#need) {
          out.push(this.#record);
          this.#record = null;
        }
      }
      i += take;
      if (this.#record === null) {
        this.#have = 0;
        this.#need = -1;
      }
    }
    return out;
  }

  #break(problem: RecordIoProblem, message: string, recordBytes = 0): RecordIoError {
    this.#broken = new RecordIoError(problem, message, recordBytes, this.#maxRecordBytes);
    this.#record = null;
    return this.#broken;
  }
}
