// Reverse zones as transfers (ptron with transferAllow): the server is a primary for the reverse
// trees in-addr.arpa. and ip6.arpa., holding the PTR records of container addresses. dig
// transfers each whole; Knot replicates in-addr.arpa. and gets a new task's PTR by NOTIFY and
// IXFR; the apex SOA is answered for secondaries to check.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { buildConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { demoCluster } from '../../sim/cluster.ts';
import { SimMaster } from '../../sim/master.ts';
import { freePort } from '../helpers/dnsmasq.ts';
import { KNOTD_PATH, startKnot, type Secondary } from '../helpers/secondaries.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';

const run = promisify(execFile);
const DIG = '/usr/bin/dig';
const missing = [DIG, KNOTD_PATH].filter((p) => !existsSync(p));

async function dig(port: number, args: string[]): Promise<string> {
  const { stdout } = await run(DIG, [
    '-p',
    String(port),
    '@127.0.0.1',
    '+time=5',
    '+tries=1',
    ...args,
  ]);
  return stdout;
}

/** Record lines of dig's output (no comments, no TSIG records). */
function records(out: string): string[][] {
  return out
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith(';'))
    .map((l) => l.split(/\s+/))
    .filter((f) => f[3] !== 'TSIG');
}

describe(
  'reverse zones by transfer (ptron)',
  { skip: missing.length > 0 && `missing ${missing.join(', ')}` },
  () => {
    const secret = randomBytes(32).toString('base64');
    const tsig = `hmac-sha256:xfr-key:${secret}`;
    let sim: SimMaster;
    let server: RunningServer;
    let knot: Secondary;
    let port: number;

    before(async () => {
      const knotPort = await freePort();
      sim = await SimMaster.start({ cluster: demoCluster() });
      const { config } = buildConfig({
        masters: [sim.address],
        port: 0,
        httpon: false,
        listener: '127.0.0.1',
        externalon: false,
        refreshSeconds: 1,
        stateTimeoutSeconds: 5,
        ptron: true,
        transferAllow: ['127.0.0.1'],
        transferKeys: { 'xfr-key.': `hmac-sha256:${secret}` },
        notify: [`127.0.0.1:${knotPort}`],
        // Knot looks on its own only after this long: within a test's wait, nothing but NOTIFY
        // brings it a change.
        SOARefresh: 3600,
      });
      server = await startServer(config, { logger: silentLogger() });
      port = server.dns!.port;
      await waitUntil(() => server.store.current !== null, WAIT_MS, 'the first load');
      knot = startKnot({
        zone: 'in-addr.arpa',
        primaryPort: port,
        port: knotPort,
        key: { name: 'xfr-key', secret },
      });
    });

    after(async () => {
      await knot?.stop();
      await server?.close();
      await sim?.close();
    });

    for (const apex of ['in-addr.arpa.', 'ip6.arpa.']) {
      it(`AXFR ${apex}: SOA first and last, NS, every PTR the set holds under it`, async () => {
        const out = await dig(port, ['-y', tsig, '+tcp', apex, 'axfr']);
        assert.doesNotMatch(out, /Transfer failed|verify failure/i, out.slice(-500));
        const rrs = records(out);
        assert.deepEqual(rrs[0]!.slice(0, 5), [apex, rrs[0]![1]!, 'IN', 'SOA', 'ns1.mesos.']);
        assert.deepEqual(rrs.at(-1), rrs[0]);
        assert.ok(rrs.some((r) => r[0] === apex && r[3] === 'NS' && r[4] === 'ns1.mesos.'));
        const ptrs = rrs
          .filter((r) => r[3] === 'PTR')
          .map((r) => `${r[0]} ${r[4]}`)
          .sort();
        const expected = [...server.store.current!.ptr]
          .filter(([name]) => name.endsWith(`.${apex}`))
          .flatMap(([name, targets]) => [...new Set(targets)].map((t) => `${name} ${t}`))
          .sort();
        assert.ok(expected.length > 0, `the demo cluster has container addresses under ${apex}`);
        assert.deepEqual(ptrs, expected);
        assert.equal(rrs.length, expected.length + 3);
      });
    }

    it('answers the reverse apex SOA with the serial of the cluster zone', async () => {
      const soa = (name: string) =>
        dig(port, ['+short', name, 'soa']).then((s) => s.trim().split(/\s+/)[2]);
      assert.equal(await soa('in-addr.arpa.'), await soa('mesos.'));
      assert.equal(await soa('ip6.arpa.'), await soa('mesos.'));
    });

    it('Knot replicates in-addr.arpa. and gets a new task by NOTIFY and IXFR', async () => {
      const ptrAt = async (p: number, name: string) =>
        (await dig(p, ['+short', name, 'ptr']).catch(() => '')).trim();
      await waitUntil(
        async () => (await ptrAt(knot.port, '2.0.17.172.in-addr.arpa.')) !== '',
        WAIT_MS,
        () => `knot to load in-addr.arpa.; its log:\n${knot.log()}`,
      );
      assert.equal(
        await ptrAt(knot.port, '2.0.17.172.in-addr.arpa.'),
        await ptrAt(port, '2.0.17.172.in-addr.arpa.'),
      );
      sim.startTask({ name: 'revcheck', agent: 1, containerIps: ['172.17.0.99'] });
      const name = '99.0.17.172.in-addr.arpa.';
      await waitUntil(
        async () => (await ptrAt(port, name)) !== '',
        WAIT_MS,
        'the server to load it',
      );
      const expected = await ptrAt(port, name);
      assert.match(expected, /^revcheck-[a-z0-9]{5}-s1\.marathon\.mesos\.$/);
      // Nothing but NOTIFY makes Knot look before the SOA refresh (SOARefresh above).
      await waitUntil(
        async () => (await ptrAt(knot.port, name)) === expected,
        WAIT_MS,
        () => `knot to have ${name}; its log:\n${knot.log()}`,
      );
      assert.match(knot.log(), /\[in-addr\.arpa\.\] notify, incoming/i);
      assert.match(knot.log(), /\[in-addr\.arpa\.\] IXFR, incoming/);
    });
  },
);
