// The SOA serial is the record set's own: every DNS thread and /v1/config show the same one, an
// unchanged reload keeps it, a changed one raises it (zone transfers build on that).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { demoCluster } from '../../sim/cluster.ts';
import { SimMaster } from '../../sim/master.ts';
import { decode, encodeQuery } from '../dns/fixtures.ts';
import { udpExchange } from '../helpers/dns-client.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';

const SOA = 6;

describe('SOA serial with workers: 2 (simulated master)', () => {
  let sim: SimMaster;
  let server: RunningServer;

  const threadsCaughtUp = async (): Promise<void> => {
    await waitUntil(
      () => server.dnsThreads!.threads.every((t) => t.generation === server.store.generation),
      WAIT_MS,
      'both threads to have the set in service',
    );
  };

  /** Serials answered over DNS, from enough source ports to reach both threads. */
  async function dnsSerials(): Promise<Set<number>> {
    const serials = new Set<number>();
    const replies = await Promise.all(
      Array.from({ length: 40 }, () =>
        udpExchange(server.dns!.port, encodeQuery('mesos', { type: SOA }), 3000),
      ),
    );
    for (const reply of replies) {
      const soa = decode(reply).answers[0] as { serial?: number } | undefined;
      assert.equal(typeof soa?.serial, 'number', 'an SOA answer');
      serials.add(soa!.serial!);
    }
    return serials;
  }

  async function httpSerial(): Promise<number> {
    const res = await fetch(`http://127.0.0.1:${server.http!.port}/v1/config`);
    return ((await res.json()) as { SOASerial: number }).SOASerial;
  }

  before(async () => {
    sim = await SimMaster.start({ cluster: demoCluster() });
    const { config } = buildConfig({
      masters: [sim.address],
      port: 0,
      httpport: 0,
      listener: '127.0.0.1',
      HTTPListener: '127.0.0.1',
      externalon: false,
      refreshSeconds: 60,
      stateTimeoutSeconds: 5,
      workers: 2,
      stateSource: 'poll',
    });
    server = await startServer(config, { logger: silentLogger() });
    await waitUntil(() => server.store.current !== null, WAIT_MS, 'the first state load');
    await threadsCaughtUp();
  });

  after(async () => {
    await server.close();
    await sim.close();
  });

  it('is one number in every thread and over HTTP; unchanged loads keep it, changes raise it', async () => {
    const first = server.store.current!.serial!;
    assert.ok(Math.abs(first - Date.now() / 1000) < 600, `a Unix time, got ${first}`);
    assert.deepEqual([...(await dnsSerials())], [first]);
    assert.equal(await httpSerial(), first);

    // An unchanged reload a second later: nothing new to transfer, so the serial stays.
    await new Promise((r) => setTimeout(r, 1100));
    await server.poller!.refresh();
    assert.deepEqual([...(await dnsSerials())], [first]);
    assert.equal(await httpSerial(), first);

    // Two changes in quick succession: each one raises the serial, everywhere alike.
    let previous = first;
    const ids: string[] = [];
    try {
      for (const name of ['late-a', 'late-b']) {
        ids.push(sim.startTask({ name, ports: [[32000, 32000]] }));
        await server.poller!.refresh();
        await threadsCaughtUp();
        const serial = server.store.current!.serial!;
        assert.ok(serial > previous, `serial ${serial} > ${previous}`);
        assert.deepEqual([...(await dnsSerials())], [serial]);
        assert.equal(await httpSerial(), serial);
        previous = serial;
      }
    } finally {
      for (const id of ids) sim.killTask(id);
    }
  });
});
