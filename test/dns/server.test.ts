import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DnsServer } from '../../src/dns/server.ts';
import type { Forwarder } from '../../src/dns/forward/forwarder.ts';
import { nullObserver } from '../../src/dns/observer.ts';
import { silentLogger } from '../../src/log.ts';
import type { Config } from '../../src/config/types.ts';
import type { RecordStore } from '../../src/records/store.ts';
import {
  decode,
  encodeQuery,
  makeSet,
  rcode,
  sampleSet,
  srv,
  storeWith,
  testConfig,
} from './fixtures.ts';

import { tcpExchange } from '../helpers/dns-client.ts';
import { WAIT_MS } from '../helpers/wait.ts';

const run = promisify(execFile);

async function start(
  opts: {
    config?: Partial<Config>;
    store?: RecordStore;
    forwarder?: Forwarder | null;
    idleMs?: number;
  } = {},
): Promise<{ server: DnsServer; port: number }> {
  const server = new DnsServer({
    config: testConfig(opts.config),
    store: opts.store ?? storeWith(sampleSet()),
    forwarder: opts.forwarder ?? null,
    observer: nullObserver,
    logger: silentLogger(),
    tcp: opts.idleMs === undefined ? {} : { idleMs: opts.idleMs },
  });
  const { udp, tcp } = await server.listen();
  assert.equal(udp.port, tcp.port);
  return { server, port: udp.port };
}

function udpQuery(
  port: number,
  packet: Uint8Array,
  waitMs = 2000,
  host = '127.0.0.1',
): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => {
      sock.close();
      resolve(null);
    }, waitMs);
    sock.on('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      resolve(msg);
    });
    sock.send(packet, port, host);
  });
}

/** A TCP client that splits the byte stream back into DNS messages. */
class TcpClient {
  readonly socket: net.Socket;
  readonly messages: Buffer[] = [];
  closed = false;
  #buf = Buffer.alloc(0);
  #waiters: (() => void)[] = [];

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      while (this.#buf.length >= 2 && this.#buf.length >= 2 + this.#buf.readUInt16BE(0)) {
        const len = this.#buf.readUInt16BE(0);
        this.messages.push(this.#buf.subarray(2, 2 + len));
        this.#buf = this.#buf.subarray(2 + len);
      }
      this.#wake();
    });
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      this.closed = true;
      this.#wake();
    });
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  connected(): Promise<void> {
    return new Promise((resolve) => this.socket.once('connect', () => resolve()));
  }

  async waitFor(pred: () => boolean, ms = WAIT_MS): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error('timed out waiting on TCP client');
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  static frame(msg: Uint8Array): Buffer {
    const f = Buffer.alloc(msg.length + 2);
    f.writeUInt16BE(msg.length, 0);
    f.set(msg, 2);
    return f;
  }
}

test('UDP: A, SRV with additional, NXDOMAIN, REFUSED outside the domain', async () => {
  const { server, port } = await start();
  try {
    const a = decode((await udpQuery(port, encodeQuery('web.marathon.mesos')))!);
    assert.equal(a.answers.length, 3);
    const s = decode(
      (await udpQuery(port, encodeQuery('_web._tcp.marathon.mesos', { type: 33 })))!,
    );
    assert.equal(s.answers.length, 2);
    assert.equal(s.additionals.length, 3);
    assert.equal(rcode((await udpQuery(port, encodeQuery('nope.mesos')))!), 3);
    assert.equal(rcode((await udpQuery(port, encodeQuery('example.org')))!), 5);
  } finally {
    await server.close();
  }
});

test('UDP: dig reads our answers without complaint', async () => {
  const { server, port } = await start();
  try {
    const { stdout } = await run('dig', [
      '@127.0.0.1',
      '-p',
      String(port),
      '+norec',
      '+tries=1',
      '+time=2',
      '_web._tcp.marathon.mesos',
      'SRV',
    ]);
    assert.match(stdout, /status: NOERROR/);
    assert.match(stdout, /flags: qr aa ra;/);
    assert.match(stdout, /ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 4/);
    assert.match(stdout, /web-2\.marathon\.slave\.mesos\.\s+60\s+IN\s+AAAA\s+fd00::2/);
    assert.doesNotMatch(stdout, /WARNING|malformed/i);
    const nx = await run('dig', [
      '@127.0.0.1',
      '-p',
      String(port),
      '+tries=1',
      '+time=2',
      'Nope.MESOS',
      'A',
    ]);
    assert.match(nx.stdout, /status: NXDOMAIN/);
    assert.match(nx.stdout, /mesos\.\s+30\s+IN\s+SOA\s+ns1\.mesos\. root\.ns1\.mesos\./i);
  } finally {
    await server.close();
  }
});

test('UDP: SERVFAIL before the first load, answers once the store is filled', async () => {
  const store = storeWith(null);
  const { server, port } = await start({ store });
  try {
    assert.equal(rcode((await udpQuery(port, encodeQuery('web.marathon.mesos')))!), 2);
    store.swap(sampleSet(), { atMs: 0, durationMs: 0, master: '', tasks: 0, records: 0 });
    assert.equal(rcode((await udpQuery(port, encodeQuery('web.marathon.mesos')))!), 0);
  } finally {
    await server.close();
  }
});

test('UDP: the forwarder answers names outside the domain', async () => {
  const seen: string[] = [];
  const forwarder: Forwarder = {
    forward(query, _question, transport, size) {
      seen.push(`${transport}:${size}`);
      const reply = Buffer.from(query);
      reply[2] = 0x81;
      reply[3] = 0x83;
      return Promise.resolve(reply);
    },
    close: () => Promise.resolve(),
  };
  const { server, port } = await start({ forwarder });
  try {
    const r = (await udpQuery(port, encodeQuery('example.org', { edns: 1000 })))!;
    assert.equal(rcode(r), 3);
    // An offer above udpMaxSize (1232 by default) is capped before it reaches the forwarder.
    await udpQuery(port, encodeQuery('example.org', { edns: 65000 }));
    assert.deepEqual(seen, ['udp:1000', 'udp:1232']);
  } finally {
    await server.close();
  }
});

test('UDP: garbage is dropped or answered FORMERR while valid queries keep working', async () => {
  const { server, port } = await start();
  try {
    assert.equal(await udpQuery(port, Buffer.from('hello'), 300), null);
    const bad = encodeQuery('web.marathon.mesos').subarray(0, 18);
    assert.equal(rcode((await udpQuery(port, bad))!), 1);
    for (let i = 0; i < 200; i++) {
      const junk = Buffer.alloc(12 + (i % 40));
      for (let k = 0; k < junk.length; k++) junk[k] = (i * 31 + k * 7) & 0xff;
      junk[2] = junk[2]! & 0x7f;
      await new Promise<void>((resolve) => {
        const s = dgram.createSocket('udp4');
        s.send(junk, port, '127.0.0.1', () => {
          s.close();
          resolve();
        });
      });
    }
    assert.equal(rcode((await udpQuery(port, encodeQuery('web.marathon.mesos')))!), 0);
  } finally {
    await server.close();
  }
});

function bigStore(n: number): RecordStore {
  const a: Record<string, string[]> = {};
  const srvs = [];
  const addrs: string[] = [];
  for (let i = 0; i < n; i++) {
    a[`t${i}.big.slave.mesos.`] = [`10.1.${i >> 8}.${i & 255}`];
    srvs.push(srv(`t${i}.big.slave.mesos.`, 31000 + i));
    addrs.push(`10.2.${i >> 8}.${i & 255}`);
  }
  a['big.marathon.mesos.'] = addrs;
  return storeWith(makeSet({ a, srv: { '_big._tcp.marathon.mesos.': srvs } }));
}

test('UDP: an unknown opcode gets NOTIMP with RA clear and only RD copied (as Knot)', async () => {
  const { server, port } = await start({ config: { recurseon: true } });
  try {
    for (const opcode of [3, 5, 15]) {
      const q = encodeQuery('web.marathon.mesos', { id: 99 });
      // opcode, RD and CD set in the query (AD too), to see which are echoed.
      q.writeUInt16BE((opcode << 11) | 0x0100 | 0x0020 | 0x0010, 2);
      const r = await udpQuery(port, q);
      assert.ok(r, `opcode ${opcode}: no reply`);
      assert.equal(r.readUInt16BE(0), 99);
      const flags = r.readUInt16BE(2);
      assert.equal(flags & 0xf, 4, `opcode ${opcode}: NOTIMP`);
      assert.equal((flags >> 11) & 0xf, opcode, 'opcode echoed');
      assert.equal(flags & 0x8000, 0x8000, 'QR');
      assert.equal(flags & 0x0100, 0x0100, 'RD copied');
      assert.equal(flags & 0x0080, 0, 'RA clear');
      assert.equal(flags & 0x0010, 0, 'CD not copied');
      assert.equal(flags & 0x0020, 0, 'AD clear');
      assert.equal(flags & 0x0400, 0, 'AA clear');
    }
    // RD clear in the query stays clear.
    const q = encodeQuery('web.marathon.mesos', { rd: false });
    q[2] = 5 << 3;
    const r = await udpQuery(port, q);
    assert.equal(r!.readUInt16BE(2), 0x8000 | (5 << 11) | 4);
  } finally {
    await server.close();
  }
});

test('truncation over UDP, full answer over TCP', async () => {
  const { server, port } = await start({ store: bigStore(200) });
  try {
    const udp = decode((await udpQuery(port, encodeQuery('big.marathon.mesos')))!);
    assert.equal(udp.header.tc, 1);
    assert.ok(udp.answers.length < 200);
    const client = new TcpClient(port);
    await client.connected();
    client.socket.write(TcpClient.frame(encodeQuery('big.marathon.mesos', { id: 5 })));
    await client.waitFor(() => client.messages.length === 1);
    const tcp = decode(client.messages[0]!);
    assert.equal(tcp.header.tc, 0);
    assert.equal(tcp.answers.length, 200);
    client.socket.destroy();
    const { stdout } = await run('dig', [
      '@127.0.0.1',
      '-p',
      String(port),
      '+tries=1',
      '+time=2',
      '+ignore',
      '+noedns',
      'big.marathon.mesos',
    ]);
    assert.match(stdout, /flags: qr aa tc rd ra;/);
  } finally {
    await server.close();
  }
});

test('UDP answers stay within udpMaxSize whatever EDNS size the client offers', async () => {
  const query = encodeQuery('_big._tcp.marathon.mesos', { type: 33, edns: 65000 });
  const { server, port } = await start({ store: bigStore(400) });
  try {
    // A small query must not draw a large answer at a (spoofed) source: 1232 bytes at most.
    const udp = (await udpQuery(port, query))!;
    assert.ok(udp.length <= 1232, `UDP answer of ${udp.length} bytes`);
    const parsed = decode(udp);
    assert.equal(parsed.header.tc, 1);
    assert.ok(parsed.answers.length > 0);
    const full = await tcpExchange(port, query);
    assert.equal(decode(full).answers.length, 400);
    assert.ok(full.length > 10_000);
  } finally {
    await server.close();
  }
  const raised = await start({ store: bigStore(400), config: { udpMaxSize: 4096 } });
  try {
    const udp = (await udpQuery(raised.port, query))!;
    assert.ok(udp.length > 1232 && udp.length <= 4096, `UDP answer of ${udp.length} bytes`);
    assert.equal(decode(udp).header.tc, 1);
    // A client offering less than the cap still gets no more than it offered.
    const small = encodeQuery('_big._tcp.marathon.mesos', { type: 33, edns: 800 });
    assert.ok((await udpQuery(raised.port, small))!.length <= 800);
  } finally {
    await raised.server.close();
  }
});

test('UDP: malformed EDNS options are answered FORMERR (RFC 6891, RFC 7873)', async () => {
  const { server, port } = await start();
  try {
    const send = async (options: number[]) =>
      rcode(
        (await udpQuery(
          port,
          encodeQuery('web.marathon.mesos', { edns: 1232, ednsOptions: Uint8Array.from(options) }),
        ))!,
      );
    // A COOKIE option of length 3.
    assert.equal(await send([0, 10, 0, 3, 1, 2, 3]), 1);
    // An option whose length runs past the OPT record.
    assert.equal(await send([0, 8, 0, 20, 0, 1, 24, 0]), 1);
    // A valid client cookie is fine.
    assert.equal(await send([0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]), 0);
  } finally {
    await server.close();
  }
});

test('truncation without TC when SetTruncateBit is false', async () => {
  const { server, port } = await start({ store: bigStore(200), config: { SetTruncateBit: false } });
  try {
    const r = decode((await udpQuery(port, encodeQuery('big.marathon.mesos', { edns: 800 })))!);
    assert.equal(r.header.tc, 0);
    assert.ok(r.answers.length > 0 && r.answers.length < 200);
  } finally {
    await server.close();
  }
});

test('TCP: pipelined queries in one write, and frames split across writes', async () => {
  const { server, port } = await start();
  try {
    const client = new TcpClient(port);
    await client.connected();
    const names = ['web.marathon.mesos', 'nope.mesos', '_web._tcp.marathon.mesos', 'mesos'];
    client.socket.write(
      Buffer.concat(
        names.map((n, i) =>
          TcpClient.frame(encodeQuery(n, { id: 100 + i, type: i === 2 ? 33 : 1 })),
        ),
      ),
    );
    await client.waitFor(() => client.messages.length === 4);
    const byId = new Map(client.messages.map((m) => [m.readUInt16BE(0), m]));
    assert.equal(rcode(byId.get(100)!), 0);
    assert.equal(rcode(byId.get(101)!), 3);
    assert.equal(decode(byId.get(102)!).answers.length, 2);
    // One query dribbled out a few bytes at a time.
    const frame = TcpClient.frame(encodeQuery('web.marathon.mesos', { id: 200 }));
    let from = 0;
    for (const cut of [1, 2, 7, 20, frame.length]) {
      client.socket.write(frame.subarray(from, cut));
      from = cut;
      await new Promise((r) => setTimeout(r, 20));
    }
    await client.waitFor(() => client.messages.length === 5);
    assert.equal(client.messages[4]!.readUInt16BE(0), 200);
    assert.equal(client.closed, false);
    client.socket.destroy();
  } finally {
    await server.close();
  }
});

test('TCP: a malformed length closes that connection only; half-sent frames do not hurt', async () => {
  const { server, port } = await start();
  try {
    const bad = new TcpClient(port);
    await bad.connected();
    bad.socket.write(Buffer.from([0, 3, 1, 2, 3]));
    await bad.waitFor(() => bad.closed);
    const half = new TcpClient(port);
    await half.connected();
    half.socket.write(TcpClient.frame(encodeQuery('web.marathon.mesos')).subarray(0, 9));
    half.socket.end();
    const good = new TcpClient(port);
    await good.connected();
    good.socket.write(TcpClient.frame(encodeQuery('web.marathon.mesos', { id: 9 })));
    await good.waitFor(() => good.messages.length === 1);
    assert.equal(rcode(good.messages[0]!), 0);
    good.socket.destroy();
    half.socket.destroy();
  } finally {
    await server.close();
  }
});

test('TCP: idle connections are closed', async () => {
  const { server, port } = await start({ idleMs: 300 });
  try {
    const client = new TcpClient(port);
    await client.connected();
    await client.waitFor(() => client.closed);
    assert.equal(client.closed, true);
  } finally {
    await server.close();
  }
});

test('IPv6 listener serves UDP and TCP on ::1', async () => {
  const { server, port } = await start({ config: { listener: '::1' } });
  try {
    const r = (await udpQuery(port, encodeQuery('web.marathon.mesos'), 2000, '::1'))!;
    assert.equal(decode(r).answers.length, 3);
  } finally {
    await server.close();
  }
});
