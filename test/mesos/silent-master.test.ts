// A master that sends nothing (finding 6 of issue 16): skipped for the next one at the headers
// deadline, said at once in the log, and counted in /metrics, polling or following the stream.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { demoCluster } from '../../sim/cluster.ts';
import { SimMaster } from '../../sim/master.ts';
import { buildConfig } from '../../src/config/load.ts';
import { startServer } from '../../src/server.ts';
import { capturingLogger } from '../helpers/logs.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';

for (const stateSource of ['poll', 'auto'] as const) {
  it(`${stateSource}: a hung master is logged and counted as it is skipped, and the next one serves`, async () => {
    const hung = await SimMaster.start({ cluster: demoCluster() });
    const good = await SimMaster.start({ cluster: demoCluster() });
    hung.setFailing('hang');
    const { logger, lines } = capturingLogger();
    const { config } = buildConfig({
      masters: [hung.address, good.address],
      port: 0,
      httpport: 0,
      listener: '127.0.0.1',
      HTTPListener: '127.0.0.1',
      externalon: false,
      refreshSeconds: 3600,
      stateTimeoutSeconds: 300,
      stateHeadersTimeoutSeconds: 1,
      stateSource,
    });
    const server = await startServer(config, { logger });
    try {
      await waitUntil(() => server.store.current !== null, WAIT_MS, 'the first load');
      if (stateSource === 'poll') assert.equal(server.store.lastLoad?.master, good.address);
      const warned = lines.find(
        (l) => l['level'] === 40 && String(l['msg']).startsWith('master sent nothing'),
      );
      assert.ok(warned, `no warning among ${lines.map((l) => String(l['msg'])).join(' | ')}`);
      assert.equal(warned['master'], hung.address);
      // Skipped at the 1 s headers deadline, not stateTimeoutSeconds (300): the stream's
      // SUBSCRIBE as much as a poll's GET.
      assert.match(String(warned['err']), /sent no response headers within 1s/);
      const metrics = await (await fetch(`http://127.0.0.1:${server.http!.port}/metrics`)).text();
      assert.match(metrics, /^mesos_dns_state_masters_silent_total 1$/m);
    } finally {
      await server.close();
      hung.setFailing(null);
      await hung.close();
      await good.close();
    }
  });
}
