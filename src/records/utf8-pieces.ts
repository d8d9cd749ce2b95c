// The large API bodies as UTF-8 in a few large pieces instead of many small buffers, so that the
// memory goes back to the system when a body is freed. glibc's malloc serves a buffer below its
// mmap threshold from an arena, and memory freed into an arena mostly stays with the process; the
// threshold starts at 128 KiB but rises to the size of any mmapped buffer freed, up to 32 MiB.
// Measured at 50,000 tasks: /v1/enumerate rendered as 256 KB chunks came from the load worker's
// arena and, freed, left all 63 MB of it resident. A piece over 32 MiB is always mmapped on its
// own (its untouched tail costs no memory) and unmapped when freed.

/** Over glibc's largest mmap threshold (32 MiB on 64-bit), so always a mapping of its own. */
export const BODY_PIECE_BYTES = 33 * 1024 * 1024;

/** A last piece this small is copied to a buffer of its size rather than keep a large one. */
const SMALL_TAIL_BYTES = 1024 * 1024;

/** Text is gathered into strings of about this length before it is encoded. */
const FLUSH_CHARS = 64 * 1024;

/**
 * Builds a body from strings written in order: `finish()` gives its UTF-8 bytes as a list of
 * pieces whose concatenation is the text. Every piece is a view on a buffer of its own, so a
 * worker can transfer them all without a copy; only the text not yet encoded (about 64 K
 * characters) is held as a string.
 */
export class Utf8Pieces {
  readonly #encoder = new TextEncoder();
  readonly #pieceBytes: number;
  readonly #pieces: Uint8Array[] = [];
  #piece: Uint8Array | null = null;
  #used = 0;
  #pending = '';

  /** `pieceBytes` other than the default is for tests (at least 4: one character's bytes). */
  constructor(pieceBytes = BODY_PIECE_BYTES) {
    if (!(pieceBytes >= 4))
      throw new RangeError(`pieceBytes must be at least 4, not ${pieceBytes}`);
    this.#pieceBytes = pieceBytes;
  }

  write(text: string): void {
    this.#pending += text;
    if (this.#pending.length >= FLUSH_CHARS) this.#flush();
  }

  /** The bytes of everything written; the builder is empty afterwards. */
  finish(): Uint8Array[] {
    this.#flush();
    this.#close();
    return this.#pieces.splice(0);
  }

  #flush(): void {
    let text = this.#pending;
    this.#pending = '';
    while (text.length > 0) {
      if (this.#piece === null) {
        this.#piece = new Uint8Array(this.#pieceBytes);
        this.#used = 0;
      }
      // encodeInto stops before a character that does not fit whole.
      const { read, written } = this.#encoder.encodeInto(text, this.#piece.subarray(this.#used));
      this.#used += written;
      text = text.slice(read);
      if (text.length > 0) this.#close();
    }
  }

  #close(): void {
    const piece = this.#piece;
    if (piece === null) return;
    this.#piece = null;
    if (this.#used === 0) return;
    // slice copies into a buffer of its own; subarray keeps the mapping, resident only as used.
    this.#pieces.push(
      this.#used <= SMALL_TAIL_BYTES ? piece.slice(0, this.#used) : piece.subarray(0, this.#used),
    );
  }
}
