// Canonical task names can have a first label longer than 63 characters ("<task>-<hash>-<agent>"
// with a 63-character task label). DNS cannot carry them, but mesos-dns serves them on
// /v1/hosts and /v1/services; so must we — generated from a real state, asked over HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { demoCluster } from '../../sim/cluster.ts';
import { SimMaster } from '../../sim/master.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';

const LONG = 'a-task-name-that-is-exactly-sixty-three-characters-long-for-dns';

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url);
  return { status: response.status, body: JSON.parse(await response.text()) as unknown };
}

describe('HTTP API: names with a first label over 63 characters', () => {
  let sim: SimMaster;
  let server: RunningServer;
  let base: string;

  before(async () => {
    assert.equal(LONG.length, 63);
    sim = await SimMaster.start({ cluster: demoCluster() });
    sim.startTask({ name: LONG, agent: 0, ports: [[31777, 31777]] });
    const { config } = buildConfig({
      masters: [sim.address],
      port: 0,
      dnson: false,
      httpport: 0,
      HTTPListener: '127.0.0.1',
      externalon: false,
      refreshSeconds: 60,
    });
    server = await startServer(config, { logger: silentLogger() });
    base = `http://127.0.0.1:${server.http!.port}`;
    await waitUntil(() => server.store.current !== null, WAIT_MS, 'the first load');
  });

  after(async () => {
    await server?.close();
    await sim?.close();
  });

  function canonicalNames(): string[] {
    return [...server.store.current!.a.keys()].filter((k) => k.startsWith(`${LONG}-`));
  }

  it('the canonical names exist and their first label is longer than 63', () => {
    const names = canonicalNames();
    assert.equal(names.length, 2, names.join(' ')); // T-h-a.F.D and T-h-a.F.slave.D
    for (const name of names) assert.ok(name.split('.')[0]!.length > 63, name);
  });

  it('GET /v1/hosts/{canonical} answers its address, with or without the trailing dot', async () => {
    for (const name of canonicalNames()) {
      for (const asked of [name, name.slice(0, -1), name.toUpperCase()]) {
        const { status, body } = await getJson(`${base}/v1/hosts/${asked}`);
        assert.equal(status, 200, asked);
        const ips = server.store.current!.a.get(name)!;
        assert.deepEqual(
          body,
          ips.map((ip) => ({ host: name, ip })),
          asked,
        );
      }
    }
  });

  it('GET /v1/services for an SRV name whose target has a long label', async () => {
    const service = `_${LONG}._tcp.marathon.mesos`;
    const { status, body } = await getJson(`${base}/v1/services/${service}`);
    assert.equal(status, 200);
    const rows = body as { service: string; host: string; ip: string; port: string }[];
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.equal(rows[0]!.service, service);
    assert.ok(rows[0]!.host.startsWith(`${LONG}-`) && rows[0]!.host.endsWith('.slave.mesos.'));
    assert.equal(rows[0]!.port, '31777');
  });

  it('a long-label name that does not exist is 200 []', async () => {
    const { status, body } = await getJson(`${base}/v1/hosts/${LONG}-zzzzz-s9.marathon.mesos`);
    assert.equal(status, 200);
    assert.deepEqual(body, []);
  });

  it('text that is no name at all is still a clear 400', async () => {
    for (const bad of ['we$b.marathon.mesos', 'web..marathon.mesos', 'a%20b.mesos', '%E0%A4%A']) {
      for (const path of ['hosts', 'services']) {
        const { status, body } = await getJson(`${base}/v1/${path}/${bad}`);
        assert.equal(status, 400, `${path}/${bad}`);
        assert.match((body as { message: string }).message, /not a DNS name|percent-encoding/);
      }
    }
  });
});
