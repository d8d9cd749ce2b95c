// Hostile and unusual clients: slow-loris headers, oversized headers, bad request targets, IPv6
// loopback, and the per-request debug log line.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { capturingLogger } from '../helpers/logs.ts';
import { startHarness } from './fixtures.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';

/** Resolves when the server closes the socket; rejects after `ms`. */
function closedWithin(socket: Socket, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const timer = setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms);
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
  });
}

/** Another client: Linux routes all of 127/8 to loopback. */
const ATTACKER = '127.0.0.2';

/** One GET on a fresh connection; resolves with the raw response. */
async function rawGet(port: number, path: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const done = closedWithin(socket, 5000);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  return done;
}

describe('HTTP robustness', () => {
  it('cuts off a client whose headers never complete, without blocking others', async () => {
    const h = await startHarness({
      limits: { headersTimeoutMs: 600, requestTimeoutMs: 5000, connectionsCheckingIntervalMs: 200 },
    });
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const socket = connect(h.server.address.port, '127.0.0.1');
        sockets.push(socket);
        await once(socket, 'connect');
        socket.write('GET /v1/version HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      }
      const closed = sockets.map((s) => closedWithin(s, 8000));
      // Other clients are served while the slow ones hang.
      const response = await fetch(`${h.base}/v1/version`);
      assert.equal(response.status, 200);
      await response.text();
      for (const result of await Promise.all(closed)) {
        // Node answers 408 when it times a request out, or just closes.
        assert.ok(result === '' || result.startsWith('HTTP/1.1 408'), result);
      }
    } finally {
      for (const s of sockets) s.destroy();
      await h.close();
    }
  });

  it('rejects oversized headers with 431 and keeps serving', async () => {
    const h = await startHarness({ limits: { maxHeaderSize: 2048 } });
    try {
      const big = await fetch(`${h.base}/v1/version`, { headers: { 'X-Big': 'a'.repeat(4096) } });
      assert.equal(big.status, 431);
      await big.body?.cancel();
      const ok = await fetch(`${h.base}/v1/version`);
      assert.equal(ok.status, 200);
      await ok.text();
    } finally {
      await h.close();
    }
  });

  it('at maxConnections admits the newcomer and closes the least recently active', async () => {
    const h = await startHarness({ limits: { maxConnections: 2 } });
    const held: Socket[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const socket = connect(h.server.address.port, '127.0.0.1');
        held.push(socket);
        await once(socket, 'connect');
      }
      const oldest = closedWithin(held[0]!, 5000);
      const raw = await rawGet(h.server.address.port, '/health');
      assert.match(raw, /^HTTP\/1\.1 200/);
      assert.equal(await oldest, '');
    } finally {
      for (const s of held) s.destroy();
      await h.close();
    }
  });

  it('a slow-loris flood past the cap leaves /health and /ready answering', async () => {
    const { logger, lines } = capturingLogger();
    const h = await startHarness({
      logger,
      // Scaled down from 1024; the headers timeout is far beyond the test so only eviction helps.
      limits: {
        maxConnections: 40,
        maxPerSource: 1000,
        headersTimeoutMs: 60_000,
        requestTimeoutMs: 60_000,
      },
    });
    const port = h.server.address.port;
    const flood: Socket[] = [];
    try {
      for (let i = 0; i < 200; i++) {
        const socket = connect({ port, host: '127.0.0.1', localAddress: ATTACKER });
        socket.on('error', () => {});
        flood.push(socket);
        socket.once('connect', () => socket.write('GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: '));
      }
      await Promise.all(
        flood.map(
          (s) => new Promise((resolve) => s.once('connect', resolve).once('close', resolve)),
        ),
      );
      assert.match(await rawGet(port, '/health'), /^HTTP\/1\.1 200/);
      assert.match(await rawGet(port, '/ready'), /^HTTP\/1\.1 200/);
      const openCount = () => flood.filter((s) => !s.destroyed && s.readyState === 'open').length;
      await waitUntil(
        () => openCount() <= 40,
        WAIT_MS,
        () => `${openCount()} slow-loris connections still open`,
      );
      const metrics = await h.metrics.render();
      assert.match(metrics, /mesos_dns_http_connections_closed_total\{reason="capacity"\} \d{3}/);
      const warned = lines.filter((l) => String(l.msg).includes('HTTP connection limit reached'));
      assert.equal(warned.length, 1);
    } finally {
      for (const s of flood) s.destroy();
      await h.close();
    }
  });

  it('holds one source to maxPerSource without touching others', async () => {
    const h = await startHarness({ limits: { maxConnections: 1000, maxPerSource: 5 } });
    const port = h.server.address.port;
    const flood: Socket[] = [];
    try {
      const other = connect(port, '127.0.0.1');
      flood.push(other);
      await once(other, 'connect');
      for (let i = 0; i < 30; i++) {
        const socket = connect({ port, host: '127.0.0.1', localAddress: ATTACKER });
        socket.on('error', () => {});
        flood.push(socket);
        await once(socket, 'connect');
      }
      const openCount = () =>
        flood.slice(1).filter((s) => !s.destroyed && s.readyState === 'open').length;
      await waitUntil(
        () => openCount() <= 5,
        WAIT_MS,
        () => `${openCount()} connections open from one source`,
      );
      assert.equal(other.destroyed, false);
      assert.match(
        await h.metrics.render(),
        /http_connections_closed_total\{reason="per_source"\}/,
      );
    } finally {
      for (const s of flood) s.destroy();
      await h.close();
    }
  });

  it('answers a request target that is not a path with 400 JSON', async () => {
    const h = await startHarness();
    const socket = connect(h.server.address.port, '127.0.0.1');
    try {
      await once(socket, 'connect');
      const done = closedWithin(socket, 5000);
      socket.end('GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      const raw = await done;
      assert.match(raw, /^HTTP\/1\.1 400/);
      assert.match(raw, /"error":"bad request"/);
    } finally {
      socket.destroy();
      await h.close();
    }
  });

  it('serves on IPv6 loopback', async () => {
    const h = await startHarness({ config: { HTTPListener: '::1' } });
    try {
      assert.equal(h.server.address.family, 'IPv6');
      const response = await fetch(`${h.base}/v1/hosts/v6.marathon.mesos`);
      assert.deepEqual(await response.json(), [{ host: 'v6.marathon.mesos.', ip: 'fd00::1' }]);
    } finally {
      await h.close();
    }
  });

  it('reports a port in use with the address and the fix', async () => {
    const first = await startHarness();
    try {
      await assert.rejects(
        startHarness({ config: { httpport: first.server.address.port } }),
        /cannot listen for HTTP on 127\.0\.0\.1:\d+: .*httpport/,
      );
    } finally {
      await first.close();
    }
  });

  it('logs one debug line per request with method, path, status and ms', async () => {
    const { logger, lines } = capturingLogger();
    const h = await startHarness({ logger });
    try {
      const response = await fetch(`${h.base}/v1/hosts/web.marathon.mesos?x=1`);
      await response.text();
      const missing = await fetch(`${h.base}/nope`);
      await missing.text();
      const requests = lines.filter((l) => l.msg === 'http request');
      assert.equal(requests.length, 2);
      assert.equal(requests[0]?.method, 'GET');
      assert.equal(requests[0]?.path, '/v1/hosts/web.marathon.mesos');
      assert.equal(requests[0]?.status, 200);
      assert.equal(typeof requests[0]?.ms, 'number');
      assert.equal(requests[1]?.status, 404);
    } finally {
      await h.close();
    }
  });
});
