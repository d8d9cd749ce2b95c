// The DNS TCP listener under connection floods, over real sockets (scaled down: caps of tens of
// connections instead of the default 1000): idle and dripping connections never lock out a
// client that sends a query, the deadline covers a whole query rather than each byte, and a
// limit that bites is counted and logged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { DnsServer } from '../../src/dns/server.ts';
import { nullObserver, type CloseReason, type DnsObserver } from '../../src/dns/observer.ts';
import { tcpExchange } from '../helpers/dns-client.ts';
import { decode, encodeQuery, rcode, sampleSet, storeWith, testConfig } from './fixtures.ts';
import type { Config } from '../../src/config/types.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';

/** Loopback addresses other than 127.0.0.1 stand for other clients (Linux routes all of 127/8). */
const ATTACKER = '127.0.0.2';

class CloseCounter {
  readonly counts: Record<CloseReason, number> = { capacity: 0, per_source: 0, deadline: 0 };
  readonly observer: DnsObserver = {
    ...nullObserver,
    tcpClosed: (reason) => {
      this.counts[reason]++;
    },
  };
}

async function start(config: Partial<Config>) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) {
        if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  const closes = new CloseCounter();
  const server = new DnsServer({
    config: testConfig(config),
    store: storeWith(sampleSet()),
    forwarder: null,
    observer: closes.observer,
    logger: pino({ level: 'info' }, sink),
  });
  const { tcp } = await server.listen();
  return { server, port: tcp.port, closes, lines };
}

/** Opens `n` connections from `localAddress` that send nothing (or what `each` sends). */
async function flood(
  port: number,
  n: number,
  each?: (socket: net.Socket) => void,
): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  const opened: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: ATTACKER });
    socket.on('error', () => {});
    sockets.push(socket);
    opened.push(
      new Promise<void>((resolve) => {
        socket.once('connect', () => {
          each?.(socket);
          resolve();
        });
        socket.once('close', () => resolve());
      }),
    );
  }
  await Promise.all(opened);
  return sockets;
}

const stillOpen = (sockets: readonly net.Socket[]): number =>
  sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;

test('TCP: with the total cap full of idle connections, a new query is still answered', async () => {
  const { server, port, closes, lines } = await start({
    tcpMaxConnections: 50,
    tcpMaxConnectionsPerSource: 1000,
    tcpIdleSeconds: 60,
  });
  const sockets = await flood(port, 300);
  try {
    const reply = await tcpExchange(port, encodeQuery('web.marathon.mesos', { id: 42 }), 5000);
    assert.equal(reply.readUInt16BE(0), 42);
    assert.equal(rcode(reply), 0);
    assert.equal(decode(reply).answers.length, 3);
    await waitUntil(() => stillOpen(sockets) <= 50, WAIT_MS, 'the flood trimmed to the cap');
    // The server never holds more than its cap; the oldest idle connections made room.
    assert.ok(server.tcpConnections <= 50, `${server.tcpConnections} open`);
    assert.ok(stillOpen(sockets) <= 50, `${stillOpen(sockets)} flood connections still open`);
    assert.ok(closes.counts.capacity >= 250, JSON.stringify(closes.counts));
    // Said once in the log (rate-limited), not once per eviction.
    const warned = lines.filter((l) => String(l['msg']).includes('connection limit reached'));
    assert.equal(warned.length, 1);
    assert.equal(warned[0]!['reason'], 'capacity');
  } finally {
    for (const s of sockets) s.destroy();
    await server.close();
  }
});

test('TCP: a client that keeps querying outlives a flood of newer idle connections', async () => {
  const { server, port } = await start({
    // Room for two rounds of flood newer than the client's last query (accepts and reads on
    // different sockets may be handled in either order), but not for five.
    tcpMaxConnections: 50,
    tcpMaxConnectionsPerSource: 1000,
    tcpIdleSeconds: 60,
  });
  const client = net.connect({ port, host: '127.0.0.1' });
  let received = 0;
  client.on('data', (d: Buffer) => (received += d.length));
  await new Promise((resolve) => client.once('connect', resolve));
  /** Sends one query and waits for its answer, so the server has seen the client active. */
  const ask = async (id: number) => {
    const q = encodeQuery('web.marathon.mesos', { id });
    const frame = Buffer.alloc(q.length + 2);
    frame.writeUInt16BE(q.length, 0);
    frame.set(q, 2);
    const before = received;
    client.write(frame);
    await waitUntil(() => received > before || client.destroyed, WAIT_MS, `answer ${id}`);
  };
  const sockets: net.Socket[] = [];
  try {
    for (let round = 0; round < 8; round++) {
      await ask(round);
      sockets.push(...(await flood(port, 20)));
    }
    const before = received;
    await ask(99);
    assert.equal(client.destroyed, false, 'the active client was evicted');
    assert.ok(received > before);
  } finally {
    client.destroy();
    for (const s of sockets) s.destroy();
    await server.close();
  }
});

test('TCP: one source is held to its own cap; other sources are untouched', async () => {
  const { server, port, closes } = await start({
    tcpMaxConnections: 1000,
    tcpMaxConnectionsPerSource: 10,
    tcpIdleSeconds: 60,
  });
  const other = await new Promise<net.Socket>((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
  });
  const sockets = await flood(port, 60);
  try {
    await waitUntil(() => stillOpen(sockets) <= 10, WAIT_MS, 'the source held to its cap');
    assert.ok(stillOpen(sockets) <= 10, `${stillOpen(sockets)} open from one source`);
    assert.ok(closes.counts.per_source >= 50, JSON.stringify(closes.counts));
    assert.equal(other.destroyed, false);
    // The flooding address itself can still ask: its own oldest idle connection gives way.
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const q = encodeQuery('web.marathon.mesos', { id: 7 });
      const s = net.connect({ port, host: '127.0.0.1', localAddress: ATTACKER }, () => {
        const frame = Buffer.alloc(q.length + 2);
        frame.writeUInt16BE(q.length, 0);
        frame.set(q, 2);
        s.write(frame);
      });
      s.on('data', (d: Buffer) => {
        s.destroy();
        resolve(d.subarray(2));
      });
      s.on('error', reject);
    });
    assert.equal(reply.readUInt16BE(0), 7);
  } finally {
    other.destroy();
    for (const s of sockets) s.destroy();
    await server.close();
  }
});

test('TCP: the deadline is for a whole query, not per byte: dripping connections are closed', async () => {
  const { server, port, closes } = await start({ tcpIdleSeconds: 1 });
  const timers: NodeJS.Timeout[] = [];
  // Each sends a length prefix announcing 100 bytes, then one byte every 100 ms.
  const sockets = await flood(port, 20, (socket) => {
    socket.write(Buffer.from([0, 100]));
    timers.push(setInterval(() => socket.write(Buffer.from([0])), 100));
  });
  try {
    await waitUntil(() => stillOpen(sockets) === 0, WAIT_MS, 'the dripping connections closed');
    assert.equal(stillOpen(sockets), 0, 'dripping connections stayed open');
    assert.ok(closes.counts.deadline >= 20, JSON.stringify(closes.counts));
    // The listener itself is fine.
    const reply = await tcpExchange(port, encodeQuery('web.marathon.mesos', { id: 3 }), 5000);
    assert.equal(reply.readUInt16BE(0), 3);
  } finally {
    for (const t of timers) clearInterval(t);
    for (const s of sockets) s.destroy();
    await server.close();
  }
});
