// Stream records and the size limit: a SUBSCRIBED snapshot carries the whole state in v1 JSON,
// about twice the /master/state body, so a stateMaxBytes sized for the state body must let the
// stream of the same cluster through; a snapshot over the record limit is reported once (log and
// metric), and then `auto` polls while `subscribe` keeps the last records and retries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STREAM_RECORD_FACTOR, streamRecordLimit } from '../../src/mesos/streamer.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { buildCluster, demoCluster } from '../../sim/cluster.ts';
import { SimMaster } from '../../sim/master.ts';
import { capturingLogger } from '../helpers/logs.ts';
import { assertMatchesPoll, streamConfig } from './helpers.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';

const WEB = 'web.marathon.mesos.';

/** A server whose log lines are kept, parsed. */
async function startLogged(
  config: ReturnType<typeof streamConfig>,
): Promise<{ server: RunningServer; lines: Record<string, unknown>[] }> {
  const { logger, lines } = capturingLogger();
  return { server: await startServer(config, { logger }), lines };
}

/** Bytes of the sim's /master/state body and of its SUBSCRIBED record's JSON. */
function sizes(sim: SimMaster): { state: number; subscribed: number } {
  const state = Buffer.byteLength(JSON.stringify(sim.state()));
  const subscribed = Buffer.byteLength(
    JSON.stringify({ type: 'SUBSCRIBED', subscribed: { get_state: sim.v1State() } }),
  );
  return { state, subscribed };
}

function overLimitLines(lines: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return lines.filter((l) => String(l['msg']).includes('over the record limit'));
}

async function metric(server: RunningServer, name: string): Promise<number> {
  const text = await server.metrics.registry.metrics();
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  assert.ok(match, `${name} on /metrics`);
  return Number(match[1]);
}

describe('stream mode: record size limit', () => {
  it('a stream record may be a few times stateMaxBytes, up to the longest string', () => {
    assert.equal(streamRecordLimit(1024), STREAM_RECORD_FACTOR * 1024);
    assert.ok(streamRecordLimit(256 * 1024 * 1024) > 274_000_000); // 200k tasks' SUBSCRIBED
    assert.ok(streamRecordLimit(2 ** 40) < 2 ** 30);
  });

  it('auto: stateMaxBytes sized for the state body follows the larger stream', async () => {
    // 200 tasks: the v1 JSON is about 2.2 times the state body, as at 200,000 tasks.
    const cluster = buildCluster({ apps: 50, instancesPerApp: 4, agents: 10 });
    const sim = await SimMaster.start({ cluster, heartbeatSeconds: 0.2 });
    const { state, subscribed } = sizes(sim);
    // The case the limit is for: the state fits, its v1 form alone would not.
    assert.ok(subscribed > state);
    const config = streamConfig([sim.address], {
      stateSource: 'auto',
      stateMaxBytes: Math.max(1024, Math.ceil(subscribed / 2)),
    });
    assert.ok(config.stateMaxBytes >= state && config.stateMaxBytes < subscribed);
    const { server } = await startLogged(config);
    try {
      await waitUntil(() => server.store.current !== null, WAIT_MS, 'the first snapshot');
      assert.equal(server.poller, null);
      assert.equal(server.streamer!.status.ends['too-large'] ?? 0, 0);
      assert.equal(sim.stateRequests, 0);
      await assertMatchesPoll(server, config, sim.address);
    } finally {
      await server.close();
      await sim.close();
    }
  });

  it('auto: a snapshot over the record limit is said once, then the master is polled', async () => {
    const sim = await SimMaster.start({ cluster: demoCluster(), heartbeatSeconds: 0.2 });
    const stateMaxBytes = Math.max(1024, sizes(sim).state * 2);
    // SUBSCRIBED over 3 × stateMaxBytes while /master/state fits.
    sim.setSubscribedPadding(STREAM_RECORD_FACTOR * stateMaxBytes);
    const config = streamConfig([sim.address], { stateSource: 'auto', stateMaxBytes });
    const { server, lines } = await startLogged(config);
    try {
      await waitUntil(() => server.poller !== null, WAIT_MS, 'the fallback to polling');
      assert.equal(server.streamer, null);
      await waitUntil(() => server.store.current !== null, WAIT_MS, 'the first poll');
      assert.ok(server.store.current!.a.has(WEB));
      await assertMatchesPoll(server, config, sim.address);
      assert.equal(sim.streams.subscriptions, 1);
      const said = overLimitLines(lines);
      assert.equal(said.length, 1);
      assert.equal(said[0]!['level'], 50);
      assert.match(String(said[0]!['msg']), /SUBSCRIBED.*polling \/master\/state instead/);
      assert.equal(said[0]!['limitBytes'], streamRecordLimit(stateMaxBytes));
      assert.ok(Number(said[0]!['recordBytes']) > streamRecordLimit(stateMaxBytes));
      assert.equal(
        await metric(server, 'mesos_dns_stream_oversized_record_bytes'),
        said[0]!['recordBytes'],
      );
      const ready = await fetch(`http://127.0.0.1:${server.http!.port}/ready`);
      assert.equal(ready.status, 200);
    } finally {
      await server.close();
      await sim.close();
    }
  });

  it('subscribe: keeps the last records and retries with back-off, saying so once', async () => {
    const sim = await SimMaster.start({ cluster: demoCluster(), heartbeatSeconds: 0.2 });
    const stateMaxBytes = Math.max(1024, sizes(sim).state * 2);
    const config = streamConfig([sim.address], { stateMaxBytes });
    const { server, lines } = await startLogged(config);
    try {
      await waitUntil(() => server.store.current !== null, WAIT_MS, 'the first snapshot');
      const generation = server.store.generation;
      // The cluster's snapshot outgrows the limit; the stream is cut, the next one is too big.
      sim.setSubscribedPadding(STREAM_RECORD_FACTOR * stateMaxBytes);
      sim.streams.cut(false);
      await waitUntil(
        () => (server.streamer!.status.ends['too-large'] ?? 0) >= 3,
        WAIT_MS,
        'three refused snapshots',
      );
      assert.ok(sim.streams.subscriptions >= 4);
      assert.equal(server.poller, null);
      assert.equal(server.store.generation, generation);
      assert.ok(server.store.current!.a.has(WEB));
      const ready = await fetch(`http://127.0.0.1:${server.http!.port}/ready`);
      assert.equal(ready.status, 200);
      const said = overLimitLines(lines);
      assert.equal(said.length, 1);
      assert.equal(said[0]!['level'], 50);
      assert.match(String(said[0]!['msg']), /SUBSCRIBED.*resubscribing with back-off/);
      assert.equal(said[0]!['keeping'], 'last good records');
      assert.ok((await metric(server, 'mesos_dns_stream_oversized_record_bytes')) > 0);
      // Retries back off: the waits between the refused attempts grow.
      const retries = lines
        .filter((l) => l['cause'] === 'too-large' && typeof l['retryInMs'] === 'number')
        .map((l) => l['retryInMs'] as number);
      assert.ok(retries.length >= 3);
      assert.ok(retries[2]! > retries[0]!, `back-off grows: ${retries.join(', ')}`);
      // The snapshot fits again: the next retry subscribes, the gauge goes back to 0.
      sim.setSubscribedPadding(0);
      const subscriptions = server.streamer!.status.subscriptions;
      await waitUntil(
        () => server.streamer!.status.subscriptions > subscriptions,
        WAIT_MS,
        'a subscription once the snapshot fits',
      );
      await assertMatchesPoll(server, config, sim.address);
      assert.equal(await metric(server, 'mesos_dns_stream_oversized_record_bytes'), 0);
    } finally {
      await server.close();
      await sim.close();
    }
  });
});
