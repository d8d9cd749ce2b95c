// Test-side DNS plumbing: build queries with dns2's Packet, send raw bytes to a loopback server
// over UDP or TCP, and record what a forwarder reports to its observer.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

import { Packet } from 'dns2';

import type { Clock } from '../../src/clock.ts';
import type { Forwarder } from '../../src/dns/forward/forwarder.ts';
import { nameToWire } from '../../src/dns/names.ts';
import type {
  DnsObserver,
  QueryOutcome,
  Transport,
  UpstreamResult,
} from '../../src/dns/observer.ts';
import { ParsedQuery, parseQuery } from '../../src/dns/wire.ts';

export interface QueryOptions {
  readonly id?: number;
  readonly rd?: boolean;
  /** Adds an OPT record with this UDP payload size. */
  readonly ednsSize?: number;
  readonly dnssecOk?: boolean;
}

export function buildQuery(name: string, type: number, options: QueryOptions = {}): Uint8Array {
  const packet = new Packet();
  packet.header.id = options.id ?? 0x4242;
  packet.header.rd = options.rd === false ? 0 : 1;
  packet.questions.push(new Packet.Question(name, type, Packet.CLASS.IN));
  if (options.ednsSize !== undefined) {
    packet.additionals.push(
      Packet.Resource.EDNS([], {
        udpPayloadSize: options.ednsSize,
        doFlag: options.dnssecOk ?? false,
      }),
    );
  }
  return new Uint8Array(packet.toBuffer());
}

const APEX = nameToWire('mesos.');

/** The handler's parse of `query`, as the forwarder receives it; throws if the handler would not forward it. */
export function parsed(query: Uint8Array): ParsedQuery {
  const q = new ParsedQuery();
  parseQuery(query, APEX, q);
  if (q.status !== 'ok') throw new Error(`test query does not parse: ${q.status}`);
  return q;
}

/** Hands `query` to the forwarder as the handler does: with its parse. */
export function ask(
  f: Forwarder,
  query: Uint8Array,
  transport: Transport,
  clientUdpSize: number,
): Promise<Uint8Array> {
  return f.forward(query, parsed(query), transport, clientUdpSize);
}

export function decode(bytes: Uint8Array): Packet {
  return Packet.parse(Buffer.from(bytes));
}

export function rcodeOf(bytes: Uint8Array): number {
  return bytes[3]! & 0x0f;
}

export function idOf(bytes: Uint8Array): number {
  return (bytes[0]! << 8) | bytes[1]!;
}

export function isTruncated(bytes: Uint8Array): boolean {
  return (bytes[2]! & 0x02) !== 0;
}

/** Sends `query` to 127.0.0.1:port over UDP and returns the first reply. */
export function udpExchange(
  port: number,
  query: Uint8Array,
  timeoutMs = 2000,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no UDP reply from 127.0.0.1:${port} in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(new Uint8Array(msg));
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      socket.close();
      reject(err);
    });
    socket.send(query, port, '127.0.0.1');
  });
}

/** Sends `query` to 127.0.0.1:port over TCP and returns the reply. */
export function tcpExchange(
  port: number,
  query: Uint8Array,
  timeoutMs = 2000,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TCP reply from 127.0.0.1:${port} in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => {
      const framed = Buffer.alloc(query.length + 2);
      framed.writeUInt16BE(query.length, 0);
      framed.set(query, 2);
      socket.write(framed);
    });
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= 2 && data.length >= data.readUInt16BE(0) + 2) {
        clearTimeout(timer);
        socket.destroy();
        resolve(new Uint8Array(data.subarray(2, 2 + data.readUInt16BE(0))));
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Reads every TTL of answer/authority/additional RRs (OPT excluded) via dns2. */
export function ttlsOf(bytes: Uint8Array): number[] {
  const packet = decode(bytes);
  return [...packet.answers, ...packet.authorities, ...packet.additionals]
    .filter((r) => r.type !== Packet.TYPE.EDNS)
    .map((r) => r.ttl);
}

export class RecordingObserver implements DnsObserver {
  readonly upstreams: { resolver: string; result: UpstreamResult }[] = [];
  readonly caches: ('hit' | 'miss' | 'stale')[] = [];

  query(_t: Transport, _q: number, _o: QueryOutcome, _s: number): void {}
  dropped(_t: Transport): void {}
  upstream(resolver: string, result: UpstreamResult, _seconds: number): void {
    this.upstreams.push({ resolver, result });
  }
  cache(event: 'hit' | 'miss' | 'stale', _size: number): void {
    this.caches.push(event);
  }
  tcpClosed(): void {}
}

export class ManualClock implements Clock {
  #now = 1_000_000;
  now(): number {
    return this.#now;
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}
