// End to end through startServer: a simulated master, the real poller and worker, DNS over UDP
// and TCP, and the HTTP endpoints — the paths an operator's dig and curl take.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { WorkerStateLoader } from '../../src/mesos/state-loader.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { demoCluster } from '../../sim/cluster.ts';
import { SimMaster } from '../../sim/master.ts';
import { counts, decode, encodeQuery, rcode } from '../dns/fixtures.ts';
import { tcpExchange, udpExchange } from '../helpers/dns-client.ts';
import { testLoadParams } from '../helpers/load-params.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';

const A = 1;
const SRV = 33;

function configFor(masters: string[], extra: Record<string, unknown> = {}) {
  return buildConfig({
    masters,
    port: 0,
    httpport: 0,
    listener: '127.0.0.1',
    HTTPListener: '127.0.0.1',
    externalon: false,
    refreshSeconds: 60,
    stateTimeoutSeconds: 2,
    // These tests are about polling; stream mode has its own (test/stream/).
    stateSource: 'poll',
    ...extra,
  }).config;
}

function answersOf(reply: Buffer): { name: string; type: number; data: unknown }[] {
  return decode(reply).answers.map((a) => ({
    name: a.name,
    type: a.type,
    data: 'address' in a ? a.address : 'port' in a ? a.port : undefined,
  }));
}

describe('server end to end (simulated master)', () => {
  let sim: SimMaster;
  let server: RunningServer;

  before(async () => {
    sim = await SimMaster.start({ cluster: demoCluster() });
    server = await startServer(configFor([sim.address]), { logger: silentLogger() });
    await waitUntil(() => server.store.current !== null, WAIT_MS, 'the first state load');
  });

  after(async () => {
    await server.close();
    await sim.close();
  });

  it('answers the Marathon app over UDP and TCP with its 3 instances', async () => {
    const port = server.dns!.port;
    for (const exchange of [udpExchange, tcpExchange]) {
      const reply = await exchange(port, encodeQuery('web.marathon.mesos', { type: A }));
      assert.equal(rcode(reply), 0);
      const answers = answersOf(reply);
      assert.equal(answers.length, 3, `${exchange.name}: ${JSON.stringify(answers)}`);
      assert.ok(answers.every((a) => a.type === A && a.name === 'web.marathon.mesos'));
    }
  });

  it('gives SRV records with host ports and the targets in the additional section', async () => {
    const reply = await udpExchange(
      server.dns!.port,
      encodeQuery('_web._tcp.marathon.mesos', { type: SRV }),
    );
    const [, an, , ar] = counts(reply);
    assert.equal(an, 3);
    assert.ok(ar >= 3, `additional records: ${ar}`);
  });

  it('serves /ready, the v1 API and metrics that count real DNS queries', async () => {
    const base = `http://127.0.0.1:${server.http!.port}`;
    const ready = await fetch(`${base}/ready`);
    assert.equal(ready.status, 200);
    await ready.arrayBuffer();

    const hosts = (await (await fetch(`${base}/v1/hosts/web.marathon.mesos`)).json()) as unknown[];
    assert.equal(hosts.length, 3);

    // The enumeration crossed from the load worker pre-rendered; it must still be the document.
    const enumerated = (await (await fetch(`${base}/v1/enumerate`)).json()) as {
      frameworks: { name: string; tasks: { name: string; records: { rtype: string }[] }[] }[];
    };
    const marathon = enumerated.frameworks.find((f) => f.name === 'marathon');
    const web = marathon?.tasks.filter((t) => t.name === 'web') ?? [];
    assert.equal(web.length, 3);
    assert.ok(web.every((t) => t.records.some((r) => r.rtype === 'A')));

    // /v1/axfr's records come from the load worker too: the names this thread serves.
    const zone = (await (await fetch(`${base}/v1/axfr`)).json()) as {
      Serial: number;
      Records: { As: Record<string, string[]>; SRVs: Record<string, string[]> };
    };
    const set = server.store.current!;
    assert.equal(zone.Serial, set.serial);
    assert.deepEqual(Object.keys(zone.Records.As), [...set.a.keys()].sort());
    assert.deepEqual(zone.Records.As['web.marathon.mesos.'], set.a.get('web.marathon.mesos.'));
    assert.deepEqual(Object.keys(zone.Records.SRVs), [...set.srv.keys()].sort());

    const scrape = async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      const line = text
        .split('\n')
        .find(
          (l) =>
            l.startsWith('mesos_dns_requests_total{') &&
            l.includes('transport="udp"') &&
            l.includes('qtype="A"') &&
            l.includes('outcome="authoritative"'),
        );
      return line === undefined ? 0 : Number(line.split(' ').at(-1));
    };
    const before = await scrape();
    for (let i = 0; i < 5; i++) {
      await udpExchange(server.dns!.port, encodeQuery('web.marathon.mesos', { type: A }));
    }
    assert.equal(await scrape(), before + 5);
  });

  it('keeps the last good records when the master fails, and says so in /ready', async () => {
    sim.setFailing(500);
    try {
      await server.poller!.refresh();
      assert.ok(server.store.lastFailure !== null, 'the failed round is recorded');
      const reply = await udpExchange(server.dns!.port, encodeQuery('web.marathon.mesos'));
      assert.equal(answersOf(reply).length, 3);
      const body = (await (await fetch(`http://127.0.0.1:${server.http!.port}/ready`)).json()) as {
        lastFailure: unknown;
      };
      assert.notEqual(body.lastFailure, null);
    } finally {
      sim.setFailing(null);
    }
  });

  it('follows tasks that start and die', async () => {
    const id = sim.startTask({ name: 'late', ports: [[32000, 32000]] });
    await server.poller!.refresh();
    let reply = await udpExchange(server.dns!.port, encodeQuery('late.marathon.mesos'));
    assert.equal(answersOf(reply).length, 1);
    // The enumeration (kept by the load worker) follows the reload too.
    const enumerated = (await (
      await fetch(`http://127.0.0.1:${server.http!.port}/v1/enumerate`)
    ).json()) as { frameworks: { tasks: { name: string }[] }[] };
    assert.ok(enumerated.frameworks.some((f) => f.tasks.some((t) => t.name === 'late')));
    sim.killTask(id);
    await server.poller!.refresh();
    reply = await udpExchange(server.dns!.port, encodeQuery('late.marathon.mesos'));
    assert.equal(rcode(reply), 3, 'NXDOMAIN once the task is gone');
  });
});

describe('server end to end: leader redirect and readiness', () => {
  it('fetches from the leader a non-leading master names', async () => {
    const leader = await SimMaster.start({ cluster: demoCluster() });
    const follower = await SimMaster.start({ cluster: demoCluster(), leader: leader.upid });
    const server = await startServer(configFor([follower.address]), { logger: silentLogger() });
    try {
      await waitUntil(() => server.store.current !== null, WAIT_MS, 'the first state load');
      assert.equal(server.store.current!.leader, leader.address);
      assert.equal(server.store.lastLoad!.master, leader.address);
      assert.ok(leader.stateRequests >= 1);
      const reply = await udpExchange(
        server.dns!.port,
        encodeQuery('_leader._tcp.mesos', { type: SRV }),
      );
      const srv = decode(reply).answers[0] as { port?: number } | undefined;
      assert.equal(srv?.port, leader.port);
    } finally {
      await server.close();
      await follower.close();
      await leader.close();
    }
  });

  it('answers SERVFAIL and /ready 503 until the first load, then flips', async () => {
    const sim = await SimMaster.start({ cluster: demoCluster() });
    sim.setFailing(503);
    const server = await startServer(configFor([sim.address], { refreshSeconds: 1 }), {
      logger: silentLogger(),
    });
    try {
      await waitUntil(() => server.store.lastFailure !== null, WAIT_MS, 'a failed round');
      const reply = await udpExchange(server.dns!.port, encodeQuery('web.marathon.mesos'));
      assert.equal(rcode(reply), 2, 'SERVFAIL before the first good load');
      const notReady = await fetch(`http://127.0.0.1:${server.http!.port}/ready`);
      assert.equal(notReady.status, 503);
      await notReady.arrayBuffer();

      sim.setFailing(null);
      await waitUntil(() => server.store.current !== null, WAIT_MS, 'the first good load');
      const ready = await fetch(`http://127.0.0.1:${server.http!.port}/ready`);
      assert.equal(ready.status, 200);
      await ready.arrayBuffer();
    } finally {
      await server.close();
      await sim.close();
    }
  });
});

describe('server end to end: a load worker started by the caller (cli.ts)', () => {
  it('loads the first state through it, and closes it with the server', async () => {
    const sim = await SimMaster.start({ cluster: demoCluster() });
    const stateLoader = new WorkerStateLoader();
    stateLoader.start();
    const thread = stateLoader.workerThreadId;
    const server = await startServer(configFor([sim.address]), {
      logger: silentLogger(),
      stateLoader,
    });
    try {
      await waitUntil(() => server.store.current !== null, WAIT_MS, 'the first state load');
      assert.equal(stateLoader.workerThreadId, thread, 'the load ran on the thread started');
      assert.equal(stateLoader.workerStarts, 1);
    } finally {
      await server.close();
      await sim.close();
    }
    await assert.rejects(stateLoader.load(testLoadParams(['127.0.0.1:1'])), /closed/);
  });

  it('closes it when the server cannot start', async () => {
    const taken = await startServer(configFor(['127.0.0.1:1']), { logger: silentLogger() });
    const stateLoader = new WorkerStateLoader();
    stateLoader.start();
    try {
      await assert.rejects(
        startServer(configFor(['127.0.0.1:1'], { port: taken.dns!.port }), {
          logger: silentLogger(),
          stateLoader,
        }),
      );
      assert.equal(stateLoader.workerThreadId, null, 'the worker ended');
    } finally {
      await taken.close();
    }
  });
});
