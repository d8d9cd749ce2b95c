// onlyHealthy and ptron end to end: the simulated master reports health check results, the real
// poller loads them, and answers change over UDP; reverse lookups answered with `dig -x`, and an
// agent's reverse name forwarded to a real upstream (dnsmasq).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { buildConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { taskHash } from '../../src/records/task-hash.ts';
import { demoCluster } from '../../sim/cluster.ts';
import { SimMaster } from '../../sim/master.ts';
import { decode, encodeQuery, flags, rcode } from '../dns/fixtures.ts';
import { udpExchange } from '../helpers/dns-client.ts';
import { DNSMASQ_PATH, startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';

const A = 1;
const PTR = 12;
const SRV = 33;
const run = promisify(execFile);

async function addresses(port: number, name: string): Promise<string[]> {
  const reply = await udpExchange(port, encodeQuery(name, { type: A }));
  return decode(reply)
    .answers.map((a) => ('address' in a ? String(a.address) : ''))
    .sort();
}

async function srvPorts(port: number, name: string): Promise<number[]> {
  const reply = await udpExchange(port, encodeQuery(name, { type: SRV }));
  return decode(reply)
    .answers.map((a) => ('port' in a ? Number(a.port) : 0))
    .sort();
}

// Both ways of learning the cluster: a health result reaches answers at the next load when
// polling, and as a TASK_UPDATED event (REASON_TASK_HEALTH_CHECK_STATUS_UPDATED) when following
// the stream.
for (const stateSource of ['poll', 'subscribe'] as const)
  describe(
    `onlyHealthy and ptron end to end (${stateSource})`,
    { skip: !existsSync(DNSMASQ_PATH) && 'no dnsmasq' },
    () => {
      let sim: SimMaster;
      let server: RunningServer;
      let upstream: Dnsmasq;
      let webIds: string[];

      before(async () => {
        // The agent 10.0.2.1's reverse name belongs to the site: only the upstream knows it.
        upstream = await startDnsmasq(['--ptr-record=1.2.0.10.in-addr.arpa,agent-0.site.example']);
        sim = await SimMaster.start({ cluster: demoCluster() });
        webIds = sim.cluster.frameworks[0]!.tasks.filter((t) => t.name === 'web').map((t) => t.id);
        const { config } = buildConfig({
          masters: [sim.address],
          port: 0,
          httpport: 0,
          listener: '127.0.0.1',
          HTTPListener: '127.0.0.1',
          resolvers: [upstream.resolver],
          refreshSeconds: 1,
          stateTimeoutSeconds: 2,
          onlyHealthy: true,
          ptron: true,
          stateSource,
        });
        server = await startServer(config, { logger: silentLogger() });
        await waitUntil(() => server.store.current !== null, WAIT_MS, 'the first load');
      });

      after(async () => {
        await server?.close();
        await sim?.close();
        await upstream?.stop();
      });

      it('drops a task when its health check fails, brings it back when it passes', async () => {
        const port = server.dns!.port;
        assert.deepEqual(await addresses(port, 'web.marathon.mesos'), [
          '172.17.0.2',
          '172.17.0.3',
          '172.17.0.4',
        ]);
        assert.ok(sim.setTaskHealth(webIds[0]!, false));
        await waitUntil(
          async () => (await addresses(port, 'web.marathon.mesos')).length === 2,
          WAIT_MS,
          'the unhealthy task to leave web.marathon.mesos',
        );
        assert.deepEqual(await addresses(port, 'web.marathon.mesos'), ['172.17.0.3', '172.17.0.4']);
        assert.deepEqual(await srvPorts(port, '_web._tcp.marathon.mesos'), [31001, 31002]);
        // Its canonical name still answers.
        const canonical = `web-${taskHash(webIds[0]!)}-${sim.cluster.slaves[0]!.id.split('-').at(-1)!.toLowerCase()}.marathon.mesos`;
        assert.deepEqual(await addresses(port, canonical), ['172.17.0.2']);
        if (stateSource === 'subscribe') {
          // It came as an event on the one subscription, not as a new snapshot (event counts
          // reach the metrics in periodic reports).
          const metrics = async (): Promise<string> =>
            (await fetch(`http://127.0.0.1:${server.http!.port}/metrics`)).text();
          await waitUntil(
            async () =>
              /^mesos_dns_stream_events_total\{type="TASK_UPDATED"\} [1-9]/m.test(await metrics()),
            WAIT_MS,
            'TASK_UPDATED counted',
          );
          assert.match(await metrics(), /^mesos_dns_stream_subscriptions_total 1$/m);
        }

        assert.ok(sim.setTaskHealth(webIds[0]!, true));
        await waitUntil(
          async () => (await addresses(port, 'web.marathon.mesos')).length === 3,
          WAIT_MS,
          'the recovered task to answer again',
        );
      });

      it('fails open when every instance is unhealthy, and counts it', async () => {
        const port = server.dns!.port;
        for (const id of webIds) assert.ok(sim.setTaskHealth(id, false));
        await waitUntil(
          () => (server.store.current?.failOpen ?? []).includes('web.marathon.mesos.'),
          WAIT_MS,
          'fail-open names in the set',
        );
        assert.equal((await addresses(port, 'web.marathon.mesos')).length, 3);
        const metrics = await (await fetch(`http://127.0.0.1:${server.http!.port}/metrics`)).text();
        const gauge = /^mesos_dns_fail_open_names (\d+)/m.exec(metrics);
        assert.ok(gauge && Number(gauge[1]) > 0, 'mesos_dns_fail_open_names');
        for (const id of webIds) sim.setTaskHealth(id, true);
        await waitUntil(
          () => (server.store.current?.failOpen ?? []).length === 0,
          WAIT_MS,
          'fail open to end',
        );
      });

      it('answers PTR for a container address with the task canonical name', async () => {
        const reply = await udpExchange(
          server.dns!.port,
          encodeQuery('2.0.17.172.in-addr.arpa', { type: PTR }),
        );
        assert.equal(rcode(reply), 0);
        const answers = decode(reply).answers;
        assert.equal(answers.length, 1);
        assert.match(
          String((answers[0] as { domain?: unknown }).domain),
          /^web-[a-z0-9]{5}-s0\.marathon\.mesos$/,
        );
        assert.ok(flags(reply) & 0x400, 'AA set');
      });

      it(
        'answers `dig -x` for a container IPv6 address',
        { skip: !existsSync('/usr/bin/dig') && 'no dig' },
        async () => {
          const { stdout } = await run('dig', [
            '@127.0.0.1',
            '-p',
            String(server.dns!.port),
            '+short',
            '+tries=1',
            '+time=2',
            '-x',
            'fd01::5',
          ]);
          assert.match(stdout.trim(), /^v6app-[a-z0-9]{5}-s3\.marathon\.mesos\.$/);
        },
      );

      it('forwards the reverse name of an agent address upstream', async () => {
        const reply = await udpExchange(
          server.dns!.port,
          encodeQuery('1.2.0.10.in-addr.arpa', { type: PTR }),
        );
        assert.equal(rcode(reply), 0);
        const answers = decode(reply).answers;
        // Only the upstream knows this name: we hold no PTR for an agent address.
        assert.equal(String((answers[0] as { domain?: unknown }).domain), 'agent-0.site.example');
        assert.equal(server.store.current?.ptr.has('1.2.0.10.in-addr.arpa.'), false);
      });

      it('lists PTR records in /v1/axfr under their own key', async () => {
        const body = (await (
          await fetch(`http://127.0.0.1:${server.http!.port}/v1/axfr`)
        ).json()) as { Records: { PTRs?: Record<string, string[]> } };
        assert.ok(body.Records.PTRs?.['2.0.17.172.in-addr.arpa.']?.[0]?.startsWith('web-'));
      });
    },
  );
