// The transport-free query handler: bytes in, bytes out (or null to drop). UDP, TCP and any
// future worker threads share it. Hot path: parse, cache hit, copy slices; nothing else.
import type { Config } from '../config/types.ts';
import type { Logger } from '../log.ts';
import type { RecordSet } from '../records/recordset.ts';
import type { RecordStore } from '../records/store.ts';
import type { Forwarder } from './forward/forwarder.ts';
import type { DnsObserver, QueryOutcome, Transport } from './observer.ts';
import { AnswerCache, type AnswerRef } from './answer-cache.ts';
import { prepareAnswer, prepareReverseAnswer, REVERSE_APEXES, Zone } from './authority.ts';
import { packAnswer, packedOutcome } from './packed-answer.ts';
import { buildAnswerResponse, buildEmptyResponse } from './response.ts';
import { refuseTransfers, TransferStream, type TransferResponder } from './transfer/service.ts';
import {
  CLASS_ANY,
  CLASS_IN,
  ParsedQuery,
  parseQuery,
  RCODE_BADVERS,
  RCODE_FORMERR,
  RCODE_NOTIMP,
  RCODE_REFUSED,
  RCODE_SERVFAIL,
  TYPE_AXFR,
  TYPE_IXFR,
} from './wire.ts';

export interface HandlerOptions {
  readonly config: Config;
  readonly store: RecordStore;
  readonly forwarder: Forwarder | null;
  readonly observer: DnsObserver;
  readonly logger: Logger;
  /**
   * Prepared answers the cache's table is first sized for (grown from the set's names, see
   * answerCacheCapacity); 0 turns the fast path off (tests compare both paths).
   */
  readonly answerCacheSize?: number;
  /** Answers AXFR and IXFR; default: every transfer REFUSED. */
  readonly transfers?: TransferResponder;
}

const TCP_MAX = 65535;
/** The table is presized for this many answers at most (it grows past it within the bound). */
const ANSWER_CACHE_CEILING = 500_000;

/**
 * Answers the cache's table is sized for at each swap: every name of the set plus misses, so the
 * table does not have to grow (a pause proportional to its size) while a client walks all names.
 */
export function answerCacheCapacity(set: RecordSet, minimum: number): number {
  const names = set.a.size + set.aaaa.size + set.srv.size;
  return Math.min(ANSWER_CACHE_CEILING, Math.max(minimum, Math.ceil(names * 1.25)));
}

export class QueryHandler {
  readonly zone: Zone;
  readonly #config: Config;
  readonly #store: RecordStore;
  readonly #forwarder: Forwarder | null;
  readonly #observer: DnsObserver;
  readonly #logger: Logger;
  /** -v=2: a line per query. The level is fixed at start, so it is read once, not per packet. */
  readonly #traceQueries: boolean;
  readonly #cache: AnswerCache | null;
  readonly #cacheMinimum: number;
  readonly #transfers: TransferResponder;
  /** ptron with transfers allowed: the reverse trees are zones served here, apex included. */
  readonly #reverseApexes: boolean;
  readonly #q = new ParsedQuery();
  /** Where the answer being sent sits: in the cache, or packed for this query alone. */
  readonly #answer: AnswerRef = { bytes: new Uint8Array(0), at: 0 };
  readonly #onSwap = (set: RecordSet): void => {
    this.#takeSerial(set);
    this.#cache?.reset(answerCacheCapacity(set, this.#cacheMinimum));
  };

  constructor(options: HandlerOptions) {
    this.#config = options.config;
    this.#store = options.store;
    this.#forwarder = options.forwarder;
    this.#observer = options.observer;
    this.#logger = options.logger;
    this.#transfers = options.transfers ?? refuseTransfers;
    this.#reverseApexes = options.config.ptron && options.config.transferAllow.length > 0;
    this.#traceQueries = options.logger.isLevelEnabled('trace');
    this.zone = new Zone(options.config);
    this.#cacheMinimum = options.answerCacheSize ?? 20_000;
    this.#cache =
      this.#cacheMinimum > 0
        ? new AnswerCache(options.config.answerCacheMB * 1024 * 1024, this.#cacheMinimum)
        : null;
    const current = this.#store.current;
    if (current) {
      this.#takeSerial(current);
      this.#cache?.reset(answerCacheCapacity(current, this.#cacheMinimum));
    }
    this.#store.onSwap(this.#onSwap);
  }

  /** Prepared answers held for the set in service (0 with the fast path off). */
  get preparedAnswers(): number {
    return this.#cache?.size ?? 0;
  }

  /** Bytes the prepared answers take (the cache's segments and table). */
  get preparedBytes(): number {
    return this.#cache?.bytes ?? 0;
  }

  /** Stops reacting to record set swaps and drops the prepared answers. */
  close(): void {
    this.#store.offSwap(this.#onSwap);
    this.#cache?.clear();
  }

  /** The SOA serial is the set's own (stamped once when the main thread swapped it in). */
  #takeSerial(set: RecordSet): void {
    if (set.serial !== undefined) this.zone.serial = set.serial;
  }

  /**
   * Answers one query from `peer` (the client's IP). Returns the response bytes, a promise of
   * them (forwarded queries), the messages of a zone transfer, or null when the packet must be
   * dropped. Never throws on any input.
   */
  handle(
    packet: Uint8Array,
    transport: Transport,
    peer = '',
  ): Uint8Array | Promise<Uint8Array> | TransferStream | null {
    const start = performance.now();
    const q = this.#q;
    try {
      parseQuery(packet, this.zone.apexWire, q);
    } catch {
      q.status = 'drop';
    }
    const ra = this.#config.recurseon;
    let response: Uint8Array;
    let outcome: QueryOutcome;
    switch (q.status) {
      case 'drop':
        this.#observer.dropped(transport);
        return null;
      case 'notimp':
        outcome = 'notimp';
        response = buildEmptyResponse(packet, q, RCODE_NOTIMP, false, ra);
        break;
      case 'formerr':
        outcome = 'formerr';
        response = buildEmptyResponse(packet, q, RCODE_FORMERR, false, ra);
        break;
      case 'badvers':
        outcome = 'formerr';
        response = buildEmptyResponse(packet, q, RCODE_BADVERS, false, ra);
        break;
      case 'ok':
        // One test for ordinary queries; transfers and signed messages go the slow way.
        if (q.transferOrTsig) return this.#transferOrSigned(packet, q, transport, peer);
        if (q.apexOffset < 0 && !this.#holdsReverse(q)) {
          return this.#outside(packet, q, transport, start);
        }
        [response, outcome] = this.#inside(packet, q, transport);
        break;
    }
    this.#observer.query(transport, q.qtype, outcome, (performance.now() - start) / 1000);
    if (this.#traceQueries) this.#trace(transport, q, outcome);
    return response;
  }

  #transferOrSigned(
    packet: Uint8Array,
    q: ParsedQuery,
    transport: Transport,
    peer: string,
  ): Uint8Array | Promise<Uint8Array> | TransferStream | null {
    if (q.qtype === TYPE_AXFR || q.qtype === TYPE_IXFR) {
      return this.#transfers.respond(packet, q, transport, peer);
    }
    // A signed query (a secondary checking the SOA with its key): answered as usual, then signed.
    return this.#transfers.signed(packet, q, transport, peer, (unsigned) => {
      const out = this.handle(unsigned, transport, peer);
      return out instanceof TransferStream ? null : out;
    });
  }

  /** A reverse name with PTR records in the set (ptron): answered here, not forwarded. */
  #holdsReverse(q: ParsedQuery): boolean {
    const ptr = this.#store.current?.ptr;
    if (ptr !== undefined && ptr.size > 0 && ptr.has(q.key)) return true;
    // Secondaries of the reverse trees (transfer/primary.ts) check their apex SOA here.
    return this.#reverseApexes && (REVERSE_APEXES as readonly string[]).includes(q.key);
  }

  #inside(packet: Uint8Array, q: ParsedQuery, transport: Transport): [Uint8Array, QueryOutcome] {
    const ra = this.#config.recurseon;
    const set = this.#store.current;
    if (set === null) return [buildEmptyResponse(packet, q, RCODE_SERVFAIL, false, ra), 'notready'];
    if (q.qclass !== CLASS_IN && q.qclass !== CLASS_ANY) {
      return [buildEmptyResponse(packet, q, RCODE_REFUSED, false, ra), 'refused'];
    }
    // Only class IN is cached: the cache key has no class.
    const cache = q.qclass === CLASS_IN ? this.#cache : null;
    const answer = this.#answer;
    if (cache === null || !cache.get(q.key, q.qtype, answer)) {
      const prepared =
        q.apexOffset < 0
          ? prepareReverseAnswer(this.zone, set, q.key, q.qtype)
          : prepareAnswer(this.zone, set, q.key, q.qtype);
      if (cache === null || !cache.set(q.key, q.qtype, prepared, answer)) {
        answer.bytes = packAnswer(prepared);
        answer.at = 0;
      }
    }
    const maxSize = transport === 'tcp' ? TCP_MAX : this.#udpSize(q);
    const response = buildAnswerResponse(
      packet,
      q,
      answer.bytes,
      answer.at,
      maxSize,
      ra,
      this.#config.SetTruncateBit,
    );
    const outcome = packedOutcome(answer.bytes, answer.at);
    return [response, outcome];
  }

  #outside(
    packet: Uint8Array,
    q: ParsedQuery,
    transport: Transport,
    start: number,
  ): Uint8Array | Promise<Uint8Array> {
    const qtype = q.qtype;
    if (this.#forwarder === null || !this.#config.externalon) {
      const refused = buildEmptyResponse(packet, q, RCODE_REFUSED, false, this.#config.recurseon);
      this.#observer.query(transport, qtype, 'refused', (performance.now() - start) / 1000);
      if (this.#traceQueries) this.#trace(transport, q, 'refused');
      return refused;
    }
    const fallback = buildEmptyResponse(packet, q, RCODE_SERVFAIL, false, this.#config.recurseon);
    const key = q.key;
    const size = transport === 'tcp' ? TCP_MAX : this.#udpSize(q);
    return this.#forwarder.forward(packet, q.copy(), transport, size).then(
      (reply) => {
        const rcode = reply.length >= 4 ? reply[3]! & 0xf : RCODE_SERVFAIL;
        const outcome: QueryOutcome = rcode === RCODE_SERVFAIL ? 'servfail' : 'forwarded';
        this.#observer.query(transport, qtype, outcome, (performance.now() - start) / 1000);
        if (this.#traceQueries)
          this.#logger.trace({ transport, name: key, qtype, outcome }, 'query');
        return reply;
      },
      (err: unknown) => {
        // The Forwarder contract says it never rejects; if it does, the client still gets an answer.
        this.#logger.warn({ err, name: key }, 'forwarder rejected; answering SERVFAIL');
        this.#observer.query(transport, qtype, 'servfail', (performance.now() - start) / 1000);
        return fallback;
      },
    );
  }

  /**
   * What a UDP answer may take: the client's offer, capped by udpMaxSize so a spoofed query
   * cannot draw a large answer at its victim (the rest goes over TCP after TC).
   */
  #udpSize(q: ParsedQuery): number {
    return Math.min(q.clientUdpSize, this.#config.udpMaxSize);
  }

  #trace(transport: Transport, q: ParsedQuery, outcome: QueryOutcome): void {
    this.#logger.trace({ transport, name: q.key, qtype: q.qtype, outcome }, 'query');
  }
}
