// Hostile and unusual clients: slow-loris headers, oversized headers, bad request targets, IPv6
// loopback, and the per-request debug log line.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { capturingLogger, startHarness } from './fixtures.ts';

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

  it('closes connections beyond maxConnections on accept', async () => {
    const h = await startHarness({ limits: { maxConnections: 2 } });
    const held: Socket[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const socket = connect(h.server.address.port, '127.0.0.1');
        held.push(socket);
        await once(socket, 'connect');
      }
      const extra = connect(h.server.address.port, '127.0.0.1');
      held.push(extra);
      const done = closedWithin(extra, 5000);
      extra.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal(await done, '', 'the connection over the limit was served');
    } finally {
      for (const s of held) s.destroy();
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
