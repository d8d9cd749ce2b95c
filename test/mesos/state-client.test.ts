import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { buildCluster, demoCluster } from '../../sim/cluster.ts';
import { SimMaster } from '../../sim/master.ts';
import { MesosStateError } from '../../src/mesos/errors.ts';
import { loadState } from '../../src/mesos/ask-masters.ts';
import { StateClient } from '../../src/mesos/state-client.ts';
import type { StateClientOptions } from '../../src/mesos/state-client-options.ts';
import { makeTestCerts, type TestCerts } from '../helpers/certs.ts';

const base: StateClientOptions = { https: false, timeoutMs: 2000, maxBytes: 10_000_000 };

async function withClient<T>(
  options: StateClientOptions,
  fn: (c: StateClient) => Promise<T>,
): Promise<T> {
  const client = new StateClient(options);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

async function rejectsWith(
  promise: Promise<unknown>,
  code: string,
  pattern: RegExp,
): Promise<MesosStateError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof MesosStateError, `expected a MesosStateError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    return error;
  }
  assert.fail(`expected rejection with ${code}`);
}

describe('StateClient over HTTP', () => {
  let master: SimMaster;
  before(async () => {
    master = await SimMaster.start({ cluster: demoCluster() });
  });
  after(async () => {
    await master.close();
  });

  it('reads and validates a state', async () => {
    master.setFailing(null);
    const state = await withClient(base, (c) => c.fetchState(master.address));
    assert.equal(state.leader, master.upid);
    assert.equal(state.frameworks?.length, 2);
    assert.equal(state.slaves?.length, 4);
    const web = state.frameworks?.[0]?.tasks?.filter((t) => t.name === 'web');
    assert.equal(web?.length, 3);
  });

  it('names the master URL when the body is not JSON', async () => {
    master.setFailing('garbage');
    await rejectsWith(
      withClient(base, (c) => c.fetchState(master.address)),
      'MESOS_STATE_NOT_JSON',
      new RegExp(`http://${master.address}/master/state .*not JSON`),
    );
  });

  it('rejects JSON that is not a Mesos state', async () => {
    master.setFailing('not-a-state');
    await rejectsWith(
      withClient(base, (c) => c.fetchState(master.address)),
      'MESOS_STATE_INVALID',
      /frameworks: expected an array/,
    );
  });

  it('reports an HTTP 500', async () => {
    master.setFailing(500);
    await rejectsWith(
      withClient(base, (c) => c.fetchState(master.address)),
      'MESOS_STATE_HTTP',
      /HTTP 500/,
    );
  });

  it('times out a master that never answers', async () => {
    master.setFailing('hang');
    const started = Date.now();
    await rejectsWith(
      withClient({ ...base, timeoutMs: 300 }, (c) => c.fetchState(master.address)),
      'MESOS_STATE_TIMEOUT',
      /within 0.3s/,
    );
    assert.ok(Date.now() - started < 5000);
  });

  for (const mode of ['hang', 'trickle'] as const) {
    it(`gives up on a master that ${mode}s at the headers deadline, not the whole-load one`, async () => {
      master.setFailing(mode);
      const started = Date.now();
      await rejectsWith(
        // stateTimeoutSeconds 300 as in mesos-dns; the headers deadline is what ends it.
        withClient({ ...base, timeoutMs: 300_000, headersTimeoutMs: 500 }, (c) =>
          c.fetchState(master.address),
        ),
        'MESOS_STATE_TIMEOUT',
        /sent no response headers within 0.5s \(stateHeadersTimeoutSeconds\)/,
      );
      assert.ok(Date.now() - started < 30_000);
      master.setFailing(null);
    });
  }

  it('a hung master is skipped for the next one, and the skip is reported', async () => {
    const good = await SimMaster.start({ cluster: demoCluster() });
    master.setFailing('hang');
    try {
      const loaded = await withClient({ ...base, timeoutMs: 300_000, headersTimeoutMs: 500 }, (c) =>
        loadState((m) => c.fetchState(m), [master.address, good.address]),
      );
      assert.equal(loaded.master, good.address);
      assert.equal(loaded.skipped.length, 1);
      assert.match(loaded.skipped[0]!, /sent no response headers within 0.5s/);
    } finally {
      master.setFailing(null);
      await good.close();
    }
  });

  it('times out a body that stops half way', async () => {
    master.setFailing('slow-body');
    await rejectsWith(
      withClient({ ...base, timeoutMs: 300 }, (c) => c.fetchState(master.address)),
      'MESOS_STATE_TIMEOUT',
      /stateTimeoutSeconds/,
    );
    master.setFailing(null);
  });

  it('refuses a body over stateMaxBytes from Content-Length', async () => {
    master.setFailing(null);
    await rejectsWith(
      withClient({ ...base, maxBytes: 1000 }, (c) => c.fetchState(master.address)),
      'MESOS_STATE_TOO_LARGE',
      /declares \d+ bytes/,
    );
  });

  it('reports connection refused with the URL', async () => {
    // A port that was just free: bind, read, close.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    await rejectsWith(
      withClient(base, (c) => c.fetchState(`127.0.0.1:${port}`)),
      'MESOS_STATE_CONNECT',
      new RegExp(`127\\.0\\.0\\.1:${port}.*ECONNREFUSED`),
    );
  });
});

describe('StateClient body limit while streaming', () => {
  it('stops reading a chunked body once past stateMaxBytes', async () => {
    const master = await SimMaster.start({ cluster: buildCluster({ apps: 200 }), chunked: true });
    try {
      await rejectsWith(
        withClient({ ...base, maxBytes: 100_000 }, (c) => c.fetchState(master.address)),
        'MESOS_STATE_TOO_LARGE',
        /sent more than that/,
      );
      const state = await withClient(base, (c) => c.fetchState(master.address));
      assert.equal(state.frameworks?.[0]?.tasks?.length, 600);
    } finally {
      await master.close();
    }
  });
});

describe('StateClient body with Content-Length, in several writes', () => {
  it('reads it whole into one buffer, a UTF-8 character split across writes intact', async () => {
    // "é" is two bytes in UTF-8; the first write ends between them.
    const body = Buffer.from(JSON.stringify({ frameworks: [], slaves: [], hostname: 'mé' }));
    const cut = body.indexOf(Buffer.from('é')) + 1;
    const server = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.write(body.subarray(0, cut));
      setTimeout(() => res.end(body.subarray(cut)), 20);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const text = await withClient(base, (c) => c.fetchText(`http://127.0.0.1:${port}/`));
      assert.equal(text, body.toString('utf8'));
      assert.ok(text.includes('mé'));
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('parses a large state served with Content-Length', async () => {
    const master = await SimMaster.start({ cluster: buildCluster({ apps: 2000 }) });
    try {
      const state = await withClient(base, (c) => c.fetchState(master.address));
      assert.equal(state.frameworks?.[0]?.tasks?.length, 6000);
    } finally {
      await master.close();
    }
  });
});

describe('StateClient basic authentication', () => {
  let master: SimMaster;
  before(async () => {
    master = await SimMaster.start({
      cluster: demoCluster(),
      auth: { principal: 'dns', secret: 's3cr3t-value' },
    });
  });
  after(async () => {
    await master.close();
  });

  it('succeeds with the right credentials', async () => {
    const state = await withClient(
      { ...base, credentials: { principal: 'dns', secret: 's3cr3t-value' } },
      (c) => c.fetchState(master.address),
    );
    assert.equal(state.frameworks?.length, 2);
  });

  it('names the principal and never the secret on 401', async () => {
    const error = await rejectsWith(
      withClient({ ...base, credentials: { principal: 'dns', secret: 'wrong-secret-xyz' } }, (c) =>
        c.fetchState(master.address),
      ),
      'MESOS_STATE_AUTH',
      /principal "dns"/,
    );
    assert.doesNotMatch(error.message, /wrong-secret-xyz/);
    assert.doesNotMatch(`${error.stack ?? ''} ${error.url}`, /wrong-secret-xyz/);
  });

  it('says no credentials were sent', async () => {
    await rejectsWith(
      withClient(base, (c) => c.fetchState(master.address)),
      'MESOS_STATE_AUTH',
      /no credentials/,
    );
  });
});

describe('StateClient over HTTPS', () => {
  let certs: TestCerts;
  before(() => {
    certs = makeTestCerts();
  });
  after(() => {
    certs.remove();
  });

  it('verifies the master against CACertFile', async () => {
    const master = await SimMaster.start({
      cluster: demoCluster(),
      tls: { key: certs.serverKey, cert: certs.serverCert },
    });
    try {
      const state = await withClient({ ...base, https: true, ca: certs.ca }, (c) =>
        c.fetchState(master.address),
      );
      assert.equal(state.frameworks?.length, 2);
    } finally {
      await master.close();
    }
  });

  it('refuses a master whose certificate the CA did not sign', async () => {
    const master = await SimMaster.start({
      cluster: demoCluster(),
      tls: { key: certs.rogueKey, cert: certs.rogueCert },
    });
    try {
      await rejectsWith(
        withClient({ ...base, https: true, ca: certs.ca }, (c) => c.fetchState(master.address)),
        'MESOS_STATE_TLS',
        /https:\/\/127\.0\.0\.1:\d+\/master\/state TLS failed .*CACertFile/,
      );
    } finally {
      await master.close();
    }
  });

  it('presents a client certificate when the master requires one', async () => {
    const master = await SimMaster.start({
      cluster: demoCluster(),
      tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requireClientCert: true },
    });
    try {
      const withCert = {
        ...base,
        https: true,
        ca: certs.ca,
        cert: certs.clientCert,
        key: certs.clientKey,
      };
      const state = await withClient(withCert, (c) => c.fetchState(master.address));
      assert.equal(state.slaves?.length, 4);
      await assert.rejects(
        withClient({ ...base, https: true, ca: certs.ca }, (c) => c.fetchState(master.address)),
        (error: unknown) => {
          assert.ok(error instanceof MesosStateError);
          assert.ok(['MESOS_STATE_TLS', 'MESOS_STATE_CONNECT'].includes(error.code), error.code);
          assert.match(error.message, /https:\/\/127\.0\.0\.1/);
          return true;
        },
      );
    } finally {
      await master.close();
    }
  });
});
