// NOTIFY (RFC 1996): tells each secondary in `notify` that the zone changed, so it asks for the
// new version now instead of at its next refresh. Changes are coalesced (at most one round per
// `minIntervalMs`), and each secondary is retried with the project's back-off (../../backoff.ts:
// doubling, jittered waits) until it answers; a newer serial replaces the one still being
// retried. The messages are built and read with dns2, the project's DNS message library: a
// NOTIFY is one small message, off the query path (transfer messages are not: see messages.ts).
import dgram from 'node:dgram';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import type { Packet as PacketType, Resource } from 'dns2';
import { Backoff } from '../../backoff.ts';
import type { Logger } from '../../log.ts';
import { parseIpEndpoint, type IpEndpoint } from '../../net/host-port.ts';
import type { Zone } from '../authority.ts';
import { signRequest, type TsigKey } from './tsig.ts';

const OPCODE_NOTIFY = 4;

// dns2 is loaded on the first NOTIFY, not at startup: most servers have no `notify` targets, and
// the library costs the main thread memory for nothing then.
let dns2: typeof import('dns2') | null = null;
function packetClass(): typeof PacketType {
  dns2 ??= createRequire(import.meta.url)('dns2') as typeof import('dns2');
  return dns2.Packet;
}

export type NotifyResult = 'ok' | 'error' | 'timeout';

export interface NotifyObserver {
  notify(target: string, result: NotifyResult): void;
}

export interface NotifierOptions {
  /** "ip:port" or "[v6]:port" (port defaults to 53). */
  readonly targets: readonly string[];
  readonly zone: Zone;
  readonly key: TsigKey | null;
  readonly logger: Logger;
  readonly observer: NotifyObserver;
  /** Source address: the DNS listener, so secondaries see NOTIFY come from their primary. */
  readonly source?: string;
  readonly minIntervalMs?: number;
  /** First wait for an answer before resending; doubles per attempt up to `maxRetryMs`. */
  readonly firstRetryMs?: number;
  readonly maxRetryMs?: number;
  /** For the back-off's jitter (tests fix it); default Math.random. */
  readonly random?: () => number;
  /**
   * A secondary that answers with an error is not sent this zone's NOTIFY again (until restart):
   * for zones a secondary may well not carry (the reverse trees). Default false: retried on the
   * next change, and warned about.
   */
  readonly dropOnRejection?: boolean;
  readonly nowSeconds?: () => number;
}

interface Target {
  readonly label: string;
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
  /** Serial being announced; null once acknowledged. */
  serial: number | null;
  id: number;
  /** Waits for an answer before resending; starts over with each round. */
  readonly backoff: Backoff;
  /** Rejected this zone with dropOnRejection: not sent it again. */
  dropped: boolean;
  timer: NodeJS.Timeout | null;
}

export class Notifier {
  readonly #targets: Target[];
  readonly #zone: Zone;
  readonly #key: TsigKey | null;
  readonly #logger: Logger;
  readonly #observer: NotifyObserver;
  readonly #source: string | undefined;
  readonly #minIntervalMs: number;
  readonly #dropOnRejection: boolean;
  readonly #now: () => number;
  readonly #sockets = new Map<4 | 6, dgram.Socket>();
  #latest: number | null = null;
  #lastRoundMs = -Infinity;
  #roundTimer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(options: NotifierOptions) {
    const backoff = {
      initialMs: options.firstRetryMs ?? 1000,
      maxMs: options.maxRetryMs ?? 60_000,
      // Waits between 3/4 and all of the doubled step: secondaries that went quiet together
      // (a network cut) are not retried in lockstep.
      jitter: 0.25,
      ...(options.random === undefined ? {} : { random: options.random }),
    };
    this.#targets = options.targets.map((label) => ({
      label,
      ...notifyTarget(label),
      serial: null,
      id: 0,
      backoff: new Backoff(backoff),
      dropped: false,
      timer: null,
    }));
    this.#zone = options.zone;
    this.#key = options.key;
    this.#logger = options.logger;
    this.#observer = options.observer;
    this.#source = options.source;
    this.#minIntervalMs = options.minIntervalMs ?? 1000;
    this.#dropOnRejection = options.dropOnRejection ?? false;
    this.#now = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  }

  /** Secondaries not yet acknowledging the latest serial. */
  get pending(): number {
    return this.#targets.filter((t) => t.serial !== null).length;
  }

  /** The zone now has `serial`: announce it (coalesced with other changes close in time). */
  changed(serial: number): void {
    if (this.#closed || this.#targets.length === 0) return;
    this.#latest = serial;
    if (this.#roundTimer !== null) return;
    const wait = Math.max(0, this.#lastRoundMs + this.#minIntervalMs - Date.now());
    this.#roundTimer = setTimeout(() => this.#round(), wait);
    this.#roundTimer.unref();
  }

  #round(): void {
    this.#roundTimer = null;
    this.#lastRoundMs = Date.now();
    const serial = this.#latest;
    if (serial === null || this.#closed) return;
    for (const target of this.#targets) {
      if (target.dropped) continue;
      if (target.timer !== null) clearTimeout(target.timer);
      target.serial = serial;
      target.backoff.reset();
      this.#send(target);
    }
  }

  #socket(family: 4 | 6): dgram.Socket {
    let socket = this.#sockets.get(family);
    if (socket !== undefined) return socket;
    socket = dgram.createSocket(family === 4 ? 'udp4' : 'udp6');
    socket.on('error', (err) => this.#logger.warn({ err: err.message }, 'notify socket error'));
    socket.on('message', (msg, rinfo) => this.#onReply(msg, rinfo));
    const source =
      this.#source !== undefined && isIP(this.#source) === family ? this.#source : undefined;
    socket.bind({ port: 0, ...(source === undefined ? {} : { address: source }) });
    socket.unref();
    this.#sockets.set(family, socket);
    return socket;
  }

  #message(target: Target, serial: number): Uint8Array {
    const zone = this.#zone;
    const apex = zone.apexKey.slice(0, -1);
    const Packet = packetClass();
    const packet = new Packet();
    packet.header.id = target.id;
    packet.header.opcode = OPCODE_NOTIFY;
    packet.header.aa = 1;
    packet.questions.push(new Packet.Question(apex, Packet.TYPE.SOA, Packet.CLASS.IN));
    // RFC 1996 §3.7: the new SOA may ride along as a hint.
    packet.answers.push({
      name: apex,
      type: Packet.TYPE.SOA,
      class: Packet.CLASS.IN,
      ttl: zone.ttl,
      primary: zone.mname.slice(0, -1),
      admin: zone.rname.slice(0, -1),
      serial,
      refresh: zone.refresh,
      retry: zone.retry,
      expiration: zone.expire,
      minimum: zone.minttl,
    } as Resource);
    const bytes = packet.toBuffer();
    return this.#key === null ? bytes : signRequest(bytes, this.#key, this.#now());
  }

  #send(target: Target): void {
    if (this.#closed || target.serial === null) return;
    const serial = target.serial;
    target.id = (Math.random() * 0x10000) | 0;
    const message = this.#message(target, serial);
    this.#socket(target.family).send(message, target.port, target.host, (err) => {
      if (err) this.#logger.warn({ target: target.label, err: err.message }, 'notify send failed');
    });
    const waitMs = target.backoff.next();
    this.#logger.debug({ target: target.label, serial, waitMs }, 'notify sent');
    target.timer = setTimeout(() => {
      target.timer = null;
      if (target.serial !== serial) return;
      this.#observer.notify(target.label, 'timeout');
      this.#logger.info(
        { target: target.label, serial, attempts: target.backoff.failures, waitedMs: waitMs },
        'notify not acknowledged; sending it again',
      );
      this.#send(target);
    }, waitMs);
    target.timer.unref();
  }

  #onReply(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    let reply: PacketType;
    try {
      reply = packetClass().parse(msg);
    } catch {
      return;
    }
    const h = reply.header;
    const target = this.#targets.find(
      (t) =>
        t.serial !== null &&
        t.id === h.id &&
        t.port === rinfo.port &&
        sameHost(t.host, rinfo.address),
    );
    if (target === undefined || !h.qr || h.opcode !== OPCODE_NOTIFY) return;
    if (target.timer !== null) clearTimeout(target.timer);
    target.timer = null;
    if (h.rcode !== 0 && this.#dropOnRejection) {
      this.#observer.notify(target.label, 'error');
      this.#logger.info(
        { target: target.label, zone: this.#zone.apexKey, rcode: h.rcode },
        'the secondary does not serve this zone; not notifying it of this zone again',
      );
      target.serial = null;
      target.dropped = true;
      return;
    }
    if (h.rcode !== 0) {
      // A secondary that refuses (not configured for us, wrong key) will not change its mind
      // soon; say so once per round rather than hammer it.
      this.#observer.notify(target.label, 'error');
      this.#logger.warn(
        { target: target.label, serial: target.serial, rcode: h.rcode },
        'notify rejected by the secondary; check its primary and key settings',
      );
      target.serial = null;
      return;
    }
    this.#observer.notify(target.label, 'ok');
    this.#logger.debug({ target: target.label, serial: target.serial }, 'notify acknowledged');
    target.serial = null;
  }

  close(): void {
    this.#closed = true;
    if (this.#roundTimer !== null) clearTimeout(this.#roundTimer);
    for (const t of this.#targets) if (t.timer !== null) clearTimeout(t.timer);
    for (const socket of this.#sockets.values()) socket.close();
    this.#sockets.clear();
  }
}

function sameHost(a: string, b: string): boolean {
  return a === b || b === `::ffff:${a}`;
}

/** A `notify` entry (validated with the config; a bad one here is a programming error). */
function notifyTarget(label: string): IpEndpoint {
  const endpoint = parseIpEndpoint(label, 53);
  if (endpoint === null) throw new Error(`notify: ${JSON.stringify(label)} is not an IP endpoint`);
  return endpoint;
}
