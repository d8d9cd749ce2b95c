// Real secondaries: Debian's knotd and named replicate the cluster zone from the server over
// loopback, with TSIG. The zone loads; a task started on the simulated master reaches them by
// NOTIFY and IXFR; a secondary without the key, or transferring from an address not allowed,
// gets nothing. Once with one thread, once with two DNS threads.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { buildConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { demoCluster } from '../../sim/cluster.ts';
import { SimMaster } from '../../sim/master.ts';
import { decode, encodeQuery, rcode } from './fixtures.ts';
import { udpExchange } from '../helpers/dns-client.ts';
import { freePort } from '../helpers/dnsmasq.ts';
import {
  KNOTD_PATH,
  NAMED_PATH,
  startKnot,
  startNamed,
  type Secondary,
} from '../helpers/secondaries.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';

const A = 1;
const SOA = 6;
const missing = [KNOTD_PATH, NAMED_PATH].filter((p) => !existsSync(p));

/** A check over DNS: a query lost or refused along the way counts as "not yet". */
function settles(check: () => Promise<boolean>): () => Promise<boolean> {
  return () => check().catch(() => false);
}

/** How each secondary logs a NOTIFY it took for the zone `mesos`. */
const NOTIFY_LOGGED: Record<Secondary['kind'], RegExp> = {
  knot: /\[mesos\.\] notify, incoming/i,
  named: /received notify for zone 'mesos'/,
};

/** The SOA serial a server gives for `zone`, or null when it has no zone (or no answer). */
async function serialAt(port: number, zone: string): Promise<number | null> {
  const reply = await udpExchange(port, encodeQuery(zone, { type: SOA }), 1000);
  if (rcode(reply) !== 0) return null;
  const soa = decode(reply).answers.find((a) => a.type === SOA);
  return soa?.serial ?? null;
}

async function addresses(port: number, name: string): Promise<string[]> {
  const reply = await udpExchange(port, encodeQuery(name, { type: A }), 1000);
  return decode(reply)
    .answers.filter((a) => a.type === A)
    .map((a) => a.address ?? '')
    .sort();
}

async function transfers(server: RunningServer, type: string, result: string): Promise<number> {
  const text = await server.metrics.render();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`mesos_dns_zone_transfers_total{type="${type}",result="${result}"}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

// With `workers` 2 the secondaries' transfers go through the DNS threads to the main thread.
for (const workers of [1, 2])
  describe(
    `knotd and named as secondaries, workers: ${workers}`,
    { skip: missing.length > 0 && `missing ${missing.join(', ')}` },
    () => {
      const secret = randomBytes(32).toString('base64');
      const key = { name: 'xfr-key', secret };
      let sim: SimMaster;
      let server: RunningServer;
      let good: Secondary[] = [];
      let bad: Secondary[] = [];

      before(async () => {
        const ports = [];
        for (let i = 0; i < 4; i++) ports.push(await freePort());
        const [knotPort, namedPort, namedNoKeyPort, knotWrongSourcePort] = ports as [
          number,
          number,
          number,
          number,
        ];
        sim = await SimMaster.start({ cluster: demoCluster() });
        const { config } = buildConfig({
          masters: [sim.address],
          port: 0,
          httpon: false,
          listener: '127.0.0.1',
          externalon: false,
          refreshSeconds: 1,
          stateTimeoutSeconds: 5,
          transferAllow: ['127.0.0.1'],
          transferKeys: { [`${key.name}.`]: `hmac-sha256:${secret}` },
          notify: [`127.0.0.1:${knotPort}`, `127.0.0.1:${namedPort}`],
          workers,
          // The secondaries look on their own only after this long: within a test's wait,
          // nothing but NOTIFY brings them a change.
          SOARefresh: 3600,
        });
        server = await startServer(config, { logger: silentLogger() });
        const primaryPort = server.dns!.port;
        await waitUntil(() => server.store.current !== null, WAIT_MS, 'the first load');
        const common = { zone: 'mesos', primaryPort };
        good = [
          startKnot({ ...common, port: knotPort, key }),
          startNamed({ ...common, port: namedPort, key }),
        ];
        bad = [
          // named falls back to its default source address when transfer-source is refused, so the
          // address test uses Knot ("via"), which does not.
          startNamed({ ...common, port: namedNoKeyPort, key: null }),
          startKnot({ ...common, port: knotWrongSourcePort, key, source: '127.0.0.2' }),
        ];
      });

      after(async () => {
        await Promise.all([...good, ...bad].map((s) => s.stop()));
        await server?.close();
        await sim?.close();
      });

      it('load the zone by AXFR with TSIG, the serial the server gives', async () => {
        for (const secondary of good) {
          await waitUntil(
            // Both null (no zone yet) is not a match: with workers 2 a DNS thread may not hold
            // the first set yet when the main thread does, and answers SERVFAIL, as does a
            // secondary that has not loaded the zone.
            settles(async () => {
              const serial = await serialAt(secondary.port, 'mesos');
              return serial !== null && serial === (await serialAt(server.dns!.port, 'mesos'));
            }),
            WAIT_MS,
            () => `${secondary.kind} to load the zone; its log:\n${secondary.log()}`,
          );
          assert.deepEqual(
            await addresses(secondary.port, 'web.marathon.mesos'),
            await addresses(server.dns!.port, 'web.marathon.mesos'),
          );
        }
      });

      it('receive a new task by NOTIFY and IXFR', async () => {
        const incrementalBefore = await transfers(server, 'ixfr', 'incremental');
        sim.startTask({ name: 'xfrcheck', agent: 1 });
        const name = 'xfrcheck.marathon.mesos';
        await waitUntil(
          settles(async () => (await addresses(server.dns!.port, name)).length > 0),
          WAIT_MS,
          'the server to load the new task',
        );
        const expected = await addresses(server.dns!.port, name);
        // Nothing but NOTIFY makes them look before the SOA refresh (SOARefresh above).
        for (const secondary of good) {
          await waitUntil(
            settles(
              async () =>
                JSON.stringify(await addresses(secondary.port, name)) === JSON.stringify(expected),
            ),
            WAIT_MS,
            () => `${secondary.kind} to have ${name}; its log:\n${secondary.log()}`,
          );
          assert.match(secondary.log(), NOTIFY_LOGGED[secondary.kind]);
        }
        assert.ok(
          (await transfers(server, 'ixfr', 'incremental')) >= incrementalBefore + 2,
          'both secondaries came by IXFR',
        );
      });

      it('give nothing to a secondary without the key or from an address not allowed', async () => {
        await waitUntil(
          async () =>
            (await transfers(server, 'axfr', 'refused')) +
              (await transfers(server, 'ixfr', 'refused')) >=
            2,
          WAIT_MS,
          () =>
            `both refused secondaries to have asked; logs:\n${bad.map((s) => s.log()).join('\n')}`,
        );
        for (const secondary of bad) {
          assert.equal(
            await serialAt(secondary.port, 'mesos'),
            null,
            `${secondary.kind} has no zone`,
          );
          assert.deepEqual(
            await addresses(secondary.port, 'web.marathon.mesos').catch(() => []),
            [],
          );
        }
      });
    },
  );
