// Issue #10: a resolver written in a non-canonical IPv6 form ("0:0:0:0:0:0:0:1", "[0:0::1]:port")
// must answer. The kernel reports a reply's source canonical ("::1"); the config keeps one
// canonical form so the forwarder's source check matches it. Over real UDP sockets on ::1.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { describe, it } from 'node:test';

import { systemClock } from '../../src/clock.ts';
import { buildConfig } from '../../src/config/load.ts';
import { forwarderFromConfig } from '../../src/dns/forward/setup.ts';
import { silentLogger } from '../../src/log.ts';
import { answerA, startFakeUpstream } from './fake-upstream.ts';
import { RecordingObserver, ask, buildQuery, decode, rcodeOf } from './wire-client.ts';

async function ipv6Loopback(): Promise<boolean> {
  const socket = createSocket('udp6');
  return new Promise((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind(0, '::1', () => socket.close(() => resolve(true)));
  });
}

describe('resolvers written in a non-canonical IPv6 form', () => {
  it('answer over UDP, as default and as zone resolvers', async (t) => {
    if (!(await ipv6Loopback())) {
      t.skip('no IPv6 loopback (::1) on this machine');
      return;
    }
    const up = await startFakeUpstream((q) => [answerA(q, 60, [192, 0, 2, 1])], '::1');
    const { config } = buildConfig({
      masters: ['127.0.0.1:5050'],
      resolvers: [`[0:0:0:0:0:0:0:1]:${up.port}`],
      zoneResolvers: { 'example.net': [`[0:0::0001]:${up.port}`] },
      timeout: 1,
    });
    const observer = new RecordingObserver();
    const f = forwarderFromConfig(config, { observer, logger: silentLogger(), clock: systemClock });
    try {
      for (const name of ['www.example.org', 'www.example.net']) {
        const reply = await ask(f, buildQuery(name, 1), 'udp', 512);
        assert.equal(rcodeOf(reply), 0, `${name} answered`);
        assert.equal(decode(reply).answers[0]?.address, '192.0.2.1');
      }
      assert.deepEqual(
        up.seen.map((s) => s.transport),
        ['udp', 'udp'],
      );
      assert.deepEqual(config.resolvers, [`[::1]:${up.port}`]);
      assert.deepEqual(config.zoneResolvers['example.net'], [`[::1]:${up.port}`]);
    } finally {
      await f.close();
      await up.close();
    }
  });
});
