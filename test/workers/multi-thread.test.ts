// `workers: 2` end to end through startServer and a simulated master: both threads serve UDP
// and TCP on one port, reloads reach both, /metrics adds them up, a killed thread comes back.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { buildConfig } from '../../src/config/load.ts';
import { DnsThreadPool } from '../../src/dns/workers/pool.ts';
import { silentLogger } from '../../src/log.ts';
import { Metrics } from '../../src/metrics/metrics.ts';
import { RecordStore } from '../../src/records/store.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { demoCluster } from '../../sim/cluster.ts';
import { SimMaster } from '../../sim/master.ts';
import { decode, encodeQuery, rcode } from '../dns/fixtures.ts';
import { tcpExchange, udpExchange } from '../helpers/dns-client.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';

const A = 1;

function configFor(masters: string[]) {
  return buildConfig({
    masters,
    port: 0,
    httpport: 0,
    listener: '127.0.0.1',
    HTTPListener: '127.0.0.1',
    externalon: false,
    refreshSeconds: 60,
    stateTimeoutSeconds: 2,
    workers: 2,
    stateSource: 'poll',
  }).config;
}

/** One query from each of `sockets` fresh UDP sockets (distinct source ports), all at once. */
async function fromManyPorts(port: number, name: string, sockets: number): Promise<Buffer[]> {
  const replies: Buffer[] = [];
  // Batches keep the burst under the socket buffers of a busy 2-core machine.
  for (let i = 0; i < sockets; i += 50) {
    const batch = Array.from({ length: Math.min(50, sockets - i) }, () =>
      udpExchange(port, encodeQuery(name, { type: A }), 3000),
    );
    replies.push(...(await Promise.all(batch)));
  }
  return replies;
}

const addressesOf = (reply: Buffer): string[] =>
  decode(reply)
    .answers.map((a) => ('address' in a ? String(a.address) : ''))
    .sort();

async function scrapeRequests(httpPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('mesos_dns_requests_total{')) total += Number(line.split(' ').at(-1));
  }
  return total;
}

describe('workers: 2 (simulated master)', () => {
  let sim: SimMaster;
  let server: RunningServer;

  before(async () => {
    sim = await SimMaster.start({ cluster: demoCluster() });
    server = await startServer(configFor([sim.address]), { logger: silentLogger() });
    await waitUntil(() => server.store.current !== null, WAIT_MS, 'the first state load');
    const pool = server.dnsThreads!;
    await waitUntil(
      () => pool.threads.every((t) => t.generation === server.store.generation),
      WAIT_MS,
      'both threads to have the first record set',
    );
  });

  after(async () => {
    await server.close();
    await sim.close();
  });

  it('runs two DNS threads and serves UDP and TCP on the one port', async () => {
    const pool = server.dnsThreads;
    assert.ok(pool !== null, 'workers: 2 starts a thread pool');
    assert.equal(pool.threads.length, 2);
    assert.ok(pool.threads.every((t) => t.listening && t.threadId !== null));
    const port = server.dns!.port;
    for (const exchange of [udpExchange, tcpExchange]) {
      const reply = await exchange(port, encodeQuery('web.marathon.mesos', { type: A }));
      assert.equal(rcode(reply), 0, exchange.name);
      assert.equal(addressesOf(reply).length, 3, exchange.name);
    }
    const ready = await fetch(`http://127.0.0.1:${server.http!.port}/ready`);
    assert.equal(ready.status, 200);
    await ready.arrayBuffer();
  });

  it('answers 200 clients on distinct source ports, spread over both threads', async () => {
    const pool = server.dnsThreads!;
    await pool.flush();
    const before = pool.threads.map((t) => t.queries);
    const expected = addressesOf(
      await udpExchange(server.dns!.port, encodeQuery('web.marathon.mesos', { type: A })),
    );
    const replies = await fromManyPorts(server.dns!.port, 'web.marathon.mesos', 200);
    assert.equal(replies.length, 200);
    for (const reply of replies) assert.deepEqual(addressesOf(reply), expected);
    await pool.flush();
    const served = pool.threads.map((t, i) => t.queries - before[i]!);
    assert.equal(
      served.reduce((a, b) => a + b, 0),
      201,
    );
    // A 4-tuple hash over 200 ports leaves a thread idle with probability ~2^-199.
    assert.ok(
      served.every((n) => n > 0),
      `each thread served some: ${served.join(', ')}`,
    );
  });

  it('/metrics totals equal the queries sent to all threads', async () => {
    const httpPort = server.http!.port;
    const before = await scrapeRequests(httpPort);
    await fromManyPorts(server.dns!.port, 'web.marathon.mesos', 100);
    for (let i = 0; i < 20; i++) {
      await tcpExchange(server.dns!.port, encodeQuery('nope.marathon.mesos', { type: A }));
    }
    assert.equal(await scrapeRequests(httpPort), before + 120);
  });

  it('a reload reaches every thread', async () => {
    const pool = server.dnsThreads!;
    const id = sim.startTask({ name: 'late', ports: [[32000, 32000]] });
    try {
      await server.poller!.refresh();
      await waitUntil(
        () => pool.threads.every((t) => t.generation === server.store.generation),
        WAIT_MS,
        'both threads to swap in the new set',
      );
      const before = pool.threads.map((t) => t.queries);
      const replies = await fromManyPorts(server.dns!.port, 'late.marathon.mesos', 100);
      for (const reply of replies) {
        assert.equal(rcode(reply), 0);
        assert.equal(addressesOf(reply).length, 1);
      }
      await pool.flush();
      assert.ok(
        pool.threads.every((t, i) => t.queries > before[i]!),
        'both threads answered',
      );
    } finally {
      sim.killTask(id);
      await server.poller!.refresh();
    }
  });

  it('restarts a killed thread, which serves the current records again', async () => {
    const pool = server.dnsThreads!;
    const victim = pool.threads[1]!;
    await pool.kill(1);
    assert.equal(pool.threads[1]!.listening, false);
    assert.equal(pool.listening, false, '/ready reports not ready while a thread is down');
    // The survivor keeps serving the whole port meanwhile.
    const during = await fromManyPorts(server.dns!.port, 'web.marathon.mesos', 20);
    assert.ok(during.every((r) => addressesOf(r).length === 3));
    await waitUntil(
      () => {
        const t = pool.threads[1]!;
        return t.starts === victim.starts + 1 && t.listening;
      },
      WAIT_MS,
      'the killed thread to be restarted and listening',
    );
    const again = pool.threads[1]!;
    assert.notEqual(again.threadId, victim.threadId);
    assert.equal(again.generation, server.store.generation, 'restarted with the current set');
    const before = again.queries;
    const replies = await fromManyPorts(server.dns!.port, 'web.marathon.mesos', 200);
    assert.ok(replies.every((r) => addressesOf(r).length === 3));
    await pool.flush();
    assert.ok(pool.threads[1]!.queries > before, 'the new thread serves its share');
    const ready = await fetch(`http://127.0.0.1:${server.http!.port}/ready`);
    assert.equal(ready.status, 200);
    await ready.arrayBuffer();
  });
});

/** Resolves when `port` can be bound exclusively on UDP and TCP: nobody holds it any more. */
async function portIsFree(port: number): Promise<boolean> {
  const udpFree = await new Promise<boolean>((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind({ port, address: '127.0.0.1', exclusive: true }, () =>
      socket.close(() => resolve(true)),
    );
  });
  const tcpFree = await new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () =>
      server.close(() => resolve(true)),
    );
  });
  return udpFree && tcpFree;
}

describe('workers: 2 lifecycle', () => {
  it('close stops every thread and frees the port', async () => {
    const sim = await SimMaster.start({ cluster: demoCluster() });
    try {
      const server = await startServer(configFor([sim.address]), { logger: silentLogger() });
      const pool = server.dnsThreads!;
      const port = server.dns!.port;
      assert.equal(await portIsFree(port), false, 'the threads hold the port while running');
      await server.close();
      assert.ok(pool.threads.every((t) => t.threadId === null && !t.listening));
      assert.equal(pool.listening, false);
      assert.equal(await portIsFree(port), true);
    } finally {
      await sim.close();
    }
  });

  it('a taken fixed port fails start with a message naming it, leaving no thread behind', async () => {
    const holder = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(0, '127.0.0.1', resolve));
    const port = holder.address().port;
    try {
      const config = buildConfig({
        masters: ['127.0.0.1:1'],
        port,
        httpon: false,
        listener: '127.0.0.1',
        externalon: false,
        workers: 2,
      }).config;
      const message = new RegExp(`cannot listen for DNS on udp 127\\.0\\.0\\.1:${port}`);
      await assert.rejects(startServer(config, { logger: silentLogger() }), message);

      const metrics = new Metrics({ version: 't', processMetrics: false });
      const pool = new DnsThreadPool({
        config,
        store: new RecordStore(),
        metrics,
        logger: silentLogger(),
      });
      await assert.rejects(pool.start(), message);
      assert.ok(pool.threads.every((t) => t.threadId === null && t.starts <= 1));
      assert.equal(pool.listening, false);
      await pool.close();
    } finally {
      await new Promise<void>((resolve) => holder.close(resolve));
    }
  });
});
