// The stream benchmark's pure parts: the --modes list, CPU seconds from /proc, the results table
// and the target lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cpuSeconds,
  parseModes,
  streamTable,
  streamTargets,
  type ModeResult,
  type StreamMode,
} from '../../bench/stream.ts';

function result(mode: StreamMode, over: Partial<ModeResult> = {}): ModeResult {
  return {
    mode,
    probed: 100,
    seen: 100,
    p50Ms: 30,
    p99Ms: 80,
    maxMs: 90,
    windowS: 60,
    cpuSeconds: 6,
    peakRssMb: 300,
    masterBytes: 5e6,
    stateRequests: 0,
    streamEvents: 6000,
    masterLagMaxMs: 10,
    oddAnswers: 0,
    worst: [],
    command: 'node src/cli.ts',
    ...over,
  };
}

describe('stream benchmark parts', () => {
  it('parses --modes', () => {
    assert.deepEqual(parseModes('subscribe, poll2,POLL60'), [
      { label: 'subscribe', stateSource: 'subscribe', refreshSeconds: 60 },
      { label: 'poll 2 s', stateSource: 'poll', refreshSeconds: 2 },
      { label: 'poll 60 s', stateSource: 'poll', refreshSeconds: 60 },
    ]);
    assert.throws(() => parseModes('stream'), /neither "subscribe" nor "poll<seconds>"/);
    assert.throws(() => parseModes('poll0'), /poll<seconds>/);
    assert.throws(() => parseModes(' , '), /at least one mode/);
  });

  it('reads CPU seconds of a live process, NaN for none', () => {
    let x = 0;
    for (let i = 0; i < 5e6; i++) x += Math.sqrt(i);
    assert.ok(x > 0);
    const used = cpuSeconds(process.pid);
    assert.ok(Number.isFinite(used) && used > 0, `CPU seconds ${used}`);
    assert.ok(Number.isNaN(cpuSeconds(undefined)));
    assert.ok(Number.isNaN(cpuSeconds(2 ** 30)));
  });

  it('tables per-minute bytes and CPU, and judges the targets', () => {
    const [sub, poll2] = parseModes('subscribe,poll2') as [StreamMode, StreamMode];
    const rows = [
      result(sub),
      result(poll2, { p50Ms: 1500, p99Ms: 2500, masterBytes: 1e9, cpuSeconds: 30, windowS: 30 }),
    ];
    const table = streamTable(rows);
    // 1e9 bytes over 30 s is 2,000 MB a minute; 30 CPU s over 30 s is 60 a minute.
    assert.match(
      table,
      /\| poll 2 s +\| 100 +\| 100 +\| 1500 +\| 2500 .*\| 60\.0 +\| 300 +\| 2000\.000 /,
    );
    const targets = streamTargets(rows);
    assert.match(targets[0]!, /p99 under 1000 ms: met \(80 ms; 100 of 100/);
    // 2000 MB/min against 5 MB/min is 400×.
    assert.match(targets[1]!, /met \(400\.00 ≥ 100\)/);
    const missed = streamTargets([result(sub, { seen: 99 }), rows[1]!]);
    assert.match(missed[0]!, /MISSED/);
  });
});
