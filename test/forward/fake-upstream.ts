// A scriptable upstream on 127.0.0.1 or ::1 (UDP and TCP on one port) for what dnsmasq cannot do:
// stay silent, send spoofed replies first, or report which transport and ID it received.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as NetSocket } from 'node:net';

import { freePort } from '../helpers/dnsmasq.ts';

export interface Seen {
  readonly transport: 'udp' | 'tcp';
  readonly query: Uint8Array;
}

/** Returns the replies to send, in order (none: stay silent). */
export type FakeHandler = (query: Uint8Array, transport: 'udp' | 'tcp') => Uint8Array[];

export interface FakeUpstream {
  readonly port: number;
  readonly resolver: string;
  readonly seen: Seen[];
  close(): Promise<void>;
}

/** Listens on `host` (127.0.0.1 or ::1); `resolver` is the address as the forwarder's config says it. */
export async function startFakeUpstream(
  handler: FakeHandler,
  host = '127.0.0.1',
): Promise<FakeUpstream> {
  const port = await freePort(host);
  const seen: Seen[] = [];
  const udp: Socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  udp.on('message', (msg, rinfo) => {
    const query = new Uint8Array(msg);
    seen.push({ transport: 'udp', query });
    for (const reply of handler(query, 'udp')) udp.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => udp.bind(port, host, resolve));
  const sockets = new Set<NetSocket>();
  const tcp: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let data = Buffer.alloc(0);
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      while (data.length >= 2 && data.length >= data.readUInt16BE(0) + 2) {
        const query = new Uint8Array(data.subarray(2, 2 + data.readUInt16BE(0)));
        data = data.subarray(2 + query.length);
        seen.push({ transport: 'tcp', query });
        for (const reply of handler(query, 'tcp')) {
          const framed = Buffer.alloc(reply.length + 2);
          framed.writeUInt16BE(reply.length, 0);
          framed.set(reply, 2);
          socket.write(framed);
        }
      }
    });
  });
  await new Promise<void>((resolve) => tcp.listen(port, host, resolve));
  return {
    port,
    resolver: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
    seen,
    async close() {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
}

/** A NOERROR reply to `query` with one A record (TTL `ttl`) for the question's name. */
export function answerA(query: Uint8Array, ttl: number, ip: readonly number[]): Uint8Array {
  let end = 12;
  while (query[end]! !== 0) end += query[end]! + 1;
  end += 5;
  const out = new Uint8Array(end + 16);
  out.set(query.subarray(0, end));
  out[2] = 0x80 | (query[2]! & 0x01);
  out[3] = 0x80;
  out.set([0, 1, 0, 1, 0, 0, 0, 0], 4);
  out.set(
    [
      0xc0,
      12,
      0,
      1,
      0,
      1,
      ttl >>> 24,
      (ttl >>> 16) & 0xff,
      (ttl >>> 8) & 0xff,
      ttl & 0xff,
      0,
      4,
      ...ip,
    ],
    end,
  );
  return out;
}
