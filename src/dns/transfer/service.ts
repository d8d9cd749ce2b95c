// Answers AXFR and IXFR requests for the zones it holds: access by address (`transferAllow`)
// and key (`transferKeys`, TSIG), the whole zone or the versions since the client's serial, in
// messages signed when the request was. The query handler hands it every AXFR/IXFR query.
import type { Logger } from '../../log.ts';
import { AddressList } from '../../net/address-list.ts';
import type { RecordSet } from '../../records/recordset.ts';
import type { Zone } from '../authority.ts';
import type { Transport } from '../observer.ts';
import {
  CLASS_IN,
  HEADER_SIZE,
  RCODE_FORMERR,
  RCODE_REFUSED,
  RCODE_SERVFAIL,
  skipName,
  TYPE_AXFR,
  TYPE_SOA,
  type ParsedQuery,
} from '../wire.ts';
import { ZoneJournal, type JournalEntry, type JournalLimits } from './journal.ts';
import { emptyReply, MessagePacker, type RequestEcho, type TransferItem } from './messages.ts';
import {
  findTsig,
  ResponseSigner,
  timeOther,
  tsigKeys,
  TSIG_BADKEY,
  TSIG_BADTIME,
  unsignedError,
  verifyRequest,
  type TsigKey,
  type TsigRecord,
} from './tsig.ts';
import type { ZoneContent } from './zone-records.ts';

export const RCODE_NOTAUTH = 9;

export type TransferKind = 'axfr' | 'ixfr';
/**
 * full: the zone in AXFR form; incremental: IXFR differences; soa: the SOA alone (the client
 * is current, or asked over UDP and must come back over TCP);
 * refused: transport or address not allowed, or unsigned when keys are set; badtsig: NOTAUTH
 * for a bad key, signature or time; notauth: not a zone we serve; notready: no records yet.
 */
export type TransferResult =
  'full' | 'incremental' | 'soa' | 'refused' | 'badtsig' | 'notauth' | 'notready' | 'formerr';

export interface TransferObserver {
  transfer(kind: TransferKind, result: TransferResult, bytes: number): void;
}

/**
 * The messages of one transfer, produced as the TCP connection takes them: made here, or
 * relayed from the main thread to a DNS thread (relay.ts). Leaving the loop early (the client
 * went away) ends the source too.
 */
export class TransferStream implements AsyncIterable<Uint8Array> {
  readonly #messages: Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
  readonly #done: (bytes: number, messages: number) => void;

  constructor(
    messages: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
    done: (bytes: number, messages: number) => void = () => {},
  ) {
    this.#messages = messages;
    this.#done = done;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    let bytes = 0;
    let count = 0;
    for await (const m of this.#messages) {
      bytes += m.length;
      count++;
      yield m;
    }
    this.#done(bytes, count);
  }
}

/** The handler's answer to a query (the signed query with its TSIG taken off). */
export type UnsignedAnswer = (query: Uint8Array) => Uint8Array | Promise<Uint8Array> | null;

interface TsigFailure {
  readonly reply: Uint8Array;
  readonly result: 'formerr' | 'badtsig';
}

/** What answers transfers and signed queries: the service, or `refuseTransfers`. */
export interface TransferResponder {
  respond(
    packet: Uint8Array,
    q: ParsedQuery,
    transport: Transport,
    peer: string,
  ): Uint8Array | Promise<Uint8Array> | TransferStream;
  /** A query other than a transfer that carries a TSIG record (RFC 8945 §5.3: sign the answer). */
  signed(
    packet: Uint8Array,
    q: ParsedQuery,
    transport: Transport,
    peer: string,
    answer: UnsignedAnswer,
  ): Uint8Array | Promise<Uint8Array> | null;
}

/** A zone served by transfer: its apex facts, what it holds of a record set, its history. */
export interface TransferZone {
  readonly zone: Zone;
  readonly content: ZoneContent;
  readonly journal: ZoneJournal;
}

export interface TransferServiceOptions {
  readonly allow: readonly string[];
  readonly keys: Readonly<Record<string, string>>;
  readonly zones: readonly { readonly zone: Zone; readonly content: ZoneContent }[];
  readonly logger: Logger;
  readonly observer: TransferObserver;
  /** Wall-clock seconds, for TSIG times. */
  readonly nowSeconds?: () => number;
  readonly journal?: JournalLimits;
}

function echoOf(packet: Uint8Array, q: ParsedQuery): RequestEcho {
  return {
    id: q.id,
    flags: q.flags,
    question: packet.subarray(HEADER_SIZE, q.questionEnd),
    apexKey: q.key,
  };
}

/** The serial in the IXFR request's authority SOA (RFC 1995 §3), or null when there is none. */
export function ixfrClientSerial(packet: Uint8Array, questionEnd: number): number | null {
  const an = (packet[6]! << 8) | packet[7]!;
  const ns = (packet[8]! << 8) | packet[9]!;
  let pos = questionEnd;
  for (let i = 0; i < an + ns; i++) {
    const typeAt = skipName(packet, pos);
    if (typeAt < 0 || typeAt + 10 > packet.length) return null;
    const rdata = typeAt + 10;
    const end = rdata + ((packet[typeAt + 8]! << 8) | packet[typeAt + 9]!);
    if (end > packet.length) return null;
    const type = (packet[typeAt]! << 8) | packet[typeAt + 1]!;
    if (i >= an && type === TYPE_SOA) {
      let at = skipName(packet, rdata);
      if (at >= 0) at = skipName(packet, at);
      if (at < 0 || at + 4 > end) return null;
      return Buffer.from(packet.buffer, packet.byteOffset, packet.length).readUInt32BE(at);
    }
    pos = end;
  }
  return null;
}

export class TransferService implements TransferResponder {
  readonly #allow: AddressList;
  readonly #keys: ReadonlyMap<string, TsigKey>;
  readonly #zones = new Map<string, TransferZone>();
  readonly #logger: Logger;
  readonly #observer: TransferObserver;
  readonly #now: () => number;

  constructor(options: TransferServiceOptions) {
    this.#allow = new AddressList(options.allow);
    this.#keys = tsigKeys(options.keys);
    for (const { zone, content } of options.zones) {
      const journal = new ZoneJournal(options.journal, (before, after) =>
        content.diff(before, after),
      );
      this.#zones.set(zone.apexKey, { zone, content, journal });
    }
    this.#logger = options.logger;
    this.#observer = options.observer;
    this.#now = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  }

  /** The key NOTIFY messages are signed with: the first of `transferKeys`, if any. */
  get notifyKey(): TsigKey | null {
    for (const key of this.#keys.values()) return key;
    return null;
  }

  /** The zone at `apexKey` ("mesos."), for tests and the notifier. */
  zone(apexKey: string): TransferZone | undefined {
    return this.#zones.get(apexKey);
  }

  /** A new version of a zone: `set` with `serial`. */
  advance(apexKey: string, set: RecordSet, serial: number): void {
    const z = this.#zones.get(apexKey);
    if (z === undefined) throw new Error(`transfer: no zone ${apexKey}`);
    z.journal.advance(set, serial);
  }

  /**
   * The request's TSIG checked: a signer for the answer, null when unsigned, or the error reply
   * (FORMERR for a malformed TSIG, NOTAUTH with BADKEY/BADSIG/BADTIME), logged.
   */
  #checkTsig(
    packet: Uint8Array,
    q: ParsedQuery,
    echo: RequestEcho,
    what: string,
    context: Record<string, unknown>,
  ): ResponseSigner | null | TsigFailure {
    const tsig = findTsig(packet, q.questionEnd);
    if (tsig === null) return null;
    if (tsig === 'formerr') {
      this.#logger.warn({ ...context, zone: q.key }, `${what}: malformed TSIG record`);
      return { reply: emptyReply(echo, RCODE_FORMERR), result: 'formerr' };
    }
    const now = this.#now();
    const verdict = verifyRequest(packet, tsig, this.#keys, now);
    if (verdict.ok) return new ResponseSigner(verdict.key, tsig, this.#now);
    const names = { 16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME' } as const;
    this.#logger.warn(
      { ...context, zone: q.key, key: tsig.keyName },
      `${what}: TSIG ${names[verdict.error]}`,
    );
    const reply = emptyReply(echo, RCODE_NOTAUTH);
    const signed =
      verdict.error === TSIG_BADTIME && verdict.key !== null
        ? new ResponseSigner(verdict.key, tsig, this.#now).sign(reply, TSIG_BADTIME, timeOther(now))
        : unsignedError(reply, tsig, verdict.error);
    return { reply: signed, result: 'badtsig' };
  }

  signed(
    packet: Uint8Array,
    q: ParsedQuery,
    transport: Transport,
    peer: string,
    answer: UnsignedAnswer,
  ): Uint8Array | Promise<Uint8Array> | null {
    const echo = echoOf(packet, q);
    const checked = this.#checkTsig(packet, q, echo, 'signed query refused', { peer, transport });
    if (checked === null) return answer(packet);
    if (!(checked instanceof ResponseSigner)) return checked.reply;
    const tsig = findTsig(packet, q.questionEnd) as TsigRecord;
    const unsigned = Buffer.from(packet.subarray(0, tsig.start));
    unsigned.writeUInt16BE(unsigned.readUInt16BE(10) - 1, 10);
    const out = answer(unsigned);
    if (out === null) return null;
    if (out instanceof Uint8Array) return checked.sign(out);
    return out.then((reply) => checked.sign(reply));
  }

  respond(
    packet: Uint8Array,
    q: ParsedQuery,
    transport: Transport,
    peer: string,
  ): Uint8Array | TransferStream {
    const kind: TransferKind = q.qtype === TYPE_AXFR ? 'axfr' : 'ixfr';
    const echo = echoOf(packet, q);
    const refuse = (result: TransferResult, rcode: number, why: string): Uint8Array => {
      this.#logger.warn({ peer, transport, zone: q.key, kind }, `${kind} refused: ${why}`);
      const reply = emptyReply(echo, rcode);
      this.#observer.transfer(kind, result, reply.length);
      return reply;
    };
    if (transport === 'udp' && kind === 'axfr') {
      return refuse('refused', RCODE_REFUSED, 'AXFR needs TCP (RFC 5936 §4.2)');
    }
    if (!this.#allow.has(peer)) {
      return refuse('refused', RCODE_REFUSED, 'address not in transferAllow');
    }
    const checked = this.#checkTsig(packet, q, echo, `${kind} refused`, { peer, transport, kind });
    if (checked !== null && !(checked instanceof ResponseSigner)) {
      this.#observer.transfer(kind, checked.result, checked.reply.length);
      return checked.reply;
    }
    const signer = checked;
    if (signer === null && this.#keys.size > 0) {
      return refuse('refused', RCODE_REFUSED, 'not signed; transferKeys requires TSIG');
    }
    const sign = (m: Uint8Array): Uint8Array => (signer === null ? m : signer.sign(m));
    const fail = (result: TransferResult, rcode: number, why: string): Uint8Array => {
      this.#logger.warn({ peer, transport, zone: q.key, kind }, `${kind} failed: ${why}`);
      const reply = sign(emptyReply(echo, rcode));
      this.#observer.transfer(kind, result, reply.length);
      return reply;
    };

    const target = q.qclass === CLASS_IN ? this.#zones.get(q.key) : undefined;
    if (target === undefined) return fail('notauth', RCODE_NOTAUTH, 'not a zone served here');
    const { zone, content, journal } = target;
    const set = journal.set;
    if (set === null) return fail('notready', RCODE_SERVFAIL, 'no records loaded yet');
    const serial = journal.serial;

    const soa = {
      mname: zone.mname,
      rname: zone.rname,
      refresh: zone.refresh,
      retry: zone.retry,
      expire: zone.expire,
      minttl: zone.minttl,
    };
    let items: Iterable<TransferItem>;
    let result: TransferResult;
    let clientSerial: number | null = null;
    if (kind === 'axfr') {
      items = fullZone(content, set, serial, zone.mname);
      result = 'full';
    } else {
      clientSerial = ixfrClientSerial(packet, q.questionEnd);
      if (clientSerial === null) {
        return fail('formerr', RCODE_FORMERR, 'IXFR without an SOA in the authority section');
      }
      const plan = journal.plan(clientSerial, content.names(set));
      if (plan.kind === 'current' || transport === 'udp') {
        // RFC 1995 §2: over UDP the SOA alone, which sends a client that is behind to TCP.
        items = [{ soa: serial }];
        result = 'soa';
      } else if (plan.kind === 'diff') {
        items = differences(serial, plan.entries);
        result = 'incremental';
      } else {
        items = fullZone(content, set, serial, zone.mname);
        result = 'full';
      }
    }
    const packer = new MessagePacker(echo, soa, zone.ttl);
    const messages = pack(items, packer, sign);
    const done = (bytes: number, count: number): void => {
      this.#observer.transfer(kind, result, bytes);
      this.#logger.info(
        {
          peer,
          transport,
          zone: echo.apexKey,
          kind,
          result,
          serial,
          ...(clientSerial === null ? {} : { clientSerial }),
          records: packer.records,
          messages: count,
          bytes,
          signed: signer !== null,
        },
        `${kind} served`,
      );
    };
    if (transport === 'udp') {
      // Over UDP the plan is the SOA alone or a refusal: one message.
      const [only] = messages;
      done(only!.length, 1);
      return only!;
    }
    return new TransferStream(messages, done);
  }
}

function* fullZone(
  content: ZoneContent,
  set: RecordSet,
  serial: number,
  mname: string,
): Generator<TransferItem> {
  yield { soa: serial };
  yield { ns: mname };
  for (const record of content.records(set)) yield { record };
  yield { soa: serial };
}

/** RFC 1995 §4: the new SOA, then per version the old SOA, deletions, new SOA, additions. */
function* differences(serial: number, entries: readonly JournalEntry[]): Generator<TransferItem> {
  yield { soa: serial };
  for (const e of entries) {
    yield { soa: e.fromSerial };
    for (const record of e.deleted) yield { record };
    yield { soa: e.toSerial };
    for (const record of e.added) yield { record };
  }
  yield { soa: serial };
}

function* pack(
  items: Iterable<TransferItem>,
  packer: MessagePacker,
  sign: (m: Uint8Array) => Uint8Array,
): Generator<Uint8Array> {
  for (const item of items) {
    const done = packer.add(item);
    if (done !== null) yield sign(done);
  }
  const last = packer.flush();
  if (last !== null) yield sign(last);
}

/**
 * Answers every transfer REFUSED and every signed query NOTAUTH (BADKEY: no keys here): a
 * server built without a transfer service.
 */
export const refuseTransfers: TransferResponder = {
  respond(packet, q) {
    return emptyReply(echoOf(packet, q), RCODE_REFUSED);
  },
  signed(packet, q) {
    const reply = emptyReply(echoOf(packet, q), RCODE_NOTAUTH);
    const tsig = findTsig(packet, q.questionEnd);
    if (tsig === null || tsig === 'formerr') return emptyReply(echoOf(packet, q), RCODE_FORMERR);
    return unsignedError(reply, tsig, TSIG_BADKEY);
  },
};
