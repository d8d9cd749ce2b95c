// Packs a transfer's records into DNS messages (RFC 5936 §2.2): each one the request's header
// and question, then as many answer RRs as fit, names compressed against the question and the
// RRs before them in the same message. Records are encoded by rr-encode.ts, the same encoder
// ordinary answers use.
//
// Not dns2, the project's DNS message library, which builds and reads the NOTIFY messages
// (notify.ts): it has no IXFR or TSIG codec (TSIG signs these exact bytes, tsig.ts), it
// compresses SRV targets, which RFC 2782 forbids, and it packed 100,000 SRV records in 18 s
// where this takes 1 s (measured on the dev machine, 2026-12-02).
import { NameCompressor, RREncoder, type SoaFields } from '../rr-encode.ts';
import { FLAG_AA, FLAG_QR, HEADER_SIZE, TYPE_AAAA, TYPE_PTR, TYPE_SRV } from '../wire.ts';
import type { ZoneRecord } from './zone-records.ts';

/**
 * Bytes per message before TSIG. Compression pointers reach only the first 16 KB of a message
 * (14-bit offsets), so names written past it cannot be pointed at; 16 KB messages keep every
 * owner name a target and stay far below the 64 KB TCP limit.
 */
export const MESSAGE_BYTES = 16 * 1024;

/** Header and question of the request, reused at the top of every message of the response. */
export interface RequestEcho {
  readonly id: number;
  /** Request flags: opcode and RD are copied. */
  readonly flags: number;
  /** The request's question bytes (name, type, class), from offset 12. */
  readonly question: Uint8Array;
  /** Lower-case key of the question name: the zone apex. */
  readonly apexKey: string;
}

/** The RR sequence a transfer sends, item by item; 'soa' items carry their serial. */
export type TransferItem =
  { readonly soa: number } | { readonly ns: string } | { readonly record: ZoneRecord };

export class MessagePacker {
  readonly #echo: RequestEcho;
  readonly #soa: Omit<SoaFields, 'serial'>;
  readonly #ttl: number;
  readonly #limit: number;
  #enc!: RREncoder;
  #rrs: Uint8Array[] = [];
  #bytes = 0;
  /** RRs written so far across all messages. */
  records = 0;

  constructor(
    echo: RequestEcho,
    soa: Omit<SoaFields, 'serial'>,
    ttl: number,
    limit = MESSAGE_BYTES,
  ) {
    this.#echo = echo;
    this.#soa = soa;
    this.#ttl = ttl;
    this.#limit = limit;
    this.#reset();
  }

  #reset(): void {
    const compressor = new NameCompressor();
    compressor.addQuestion(this.#echo.apexKey);
    this.#enc = new RREncoder(compressor, HEADER_SIZE + this.#echo.question.length, true);
    this.#rrs = [];
    this.#bytes = HEADER_SIZE + this.#echo.question.length;
  }

  #encode(item: TransferItem): Uint8Array | null {
    const apex = { pointer: HEADER_SIZE };
    if ('soa' in item) return this.#enc.soa(apex, this.#ttl, { ...this.#soa, serial: item.soa });
    if ('ns' in item) return this.#enc.ns(apex, this.#ttl, item.ns);
    const r = item.record;
    const owner = { name: r.name };
    if (r.type === TYPE_SRV) {
      const { priority, weight, port, target } = r.srv;
      return this.#enc.srv(owner, this.#ttl, priority, weight, port, target);
    }
    if (r.type === TYPE_PTR) return this.#enc.ptr(owner, this.#ttl, r.target);
    return this.#enc.address(owner, this.#ttl, r.ip, r.type === TYPE_AAAA);
  }

  /**
   * Adds one RR; returns the message it completed when this RR did not fit into it (the RR then
   * starts the next message), else null. An address that is not one is skipped.
   */
  add(item: TransferItem): Uint8Array | null {
    let rr = this.#encode(item);
    if (rr === null) return null;
    let done: Uint8Array | null = null;
    if (this.#bytes + rr.length > this.#limit && this.#rrs.length > 0) {
      done = this.flush();
      rr = this.#encode(item)!;
    }
    this.#rrs.push(rr);
    this.#bytes += rr.length;
    this.records++;
    return done;
  }

  /** The message being filled, complete; the packer starts a new one. Null when it is empty. */
  flush(): Uint8Array | null {
    if (this.#rrs.length === 0) return null;
    const out = Buffer.allocUnsafe(this.#bytes);
    const echo = this.#echo;
    out.writeUInt16BE(echo.id, 0);
    out.writeUInt16BE(FLAG_QR | FLAG_AA | (echo.flags & 0x7900), 2);
    out.writeUInt16BE(1, 4);
    out.writeUInt16BE(this.#rrs.length, 6);
    out.writeUInt32BE(0, 8);
    out.set(echo.question, HEADER_SIZE);
    let at = HEADER_SIZE + echo.question.length;
    for (const rr of this.#rrs) {
      out.set(rr, at);
      at += rr.length;
    }
    this.#reset();
    return out;
  }
}

/** A header-and-question reply with `rcode` and no records (refusals, errors). */
export function emptyReply(echo: RequestEcho, rcode: number): Uint8Array {
  const out = Buffer.alloc(HEADER_SIZE + echo.question.length);
  out.writeUInt16BE(echo.id, 0);
  out.writeUInt16BE(FLAG_QR | (echo.flags & 0x7900) | (rcode & 0xf), 2);
  out.writeUInt16BE(echo.question.length > 0 ? 1 : 0, 4);
  out.set(echo.question, HEADER_SIZE);
  return out;
}
