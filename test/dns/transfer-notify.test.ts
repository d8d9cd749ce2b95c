// NOTIFY over real UDP sockets on loopback: a secondary that stays silent is sent the NOTIFY
// again after growing waits (the shared back-off, ../../src/backoff.ts), until it acknowledges;
// one that answers with an error is not asked again for that serial; a newer serial replaces
// the one being retried.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, test } from 'node:test';
import { Packet } from 'dns2';
import { buildConfig } from '../../src/config/load.ts';
import { Zone } from '../../src/dns/authority.ts';
import { Notifier, type NotifyResult } from '../../src/dns/transfer/notify.ts';
import { silentLogger } from '../../src/log.ts';
import { capturingLogger } from '../helpers/logs.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';

const zone = new Zone(buildConfig({ masters: ['127.0.0.1:5050'] }).config);

interface Received {
  readonly atMs: number;
  readonly id: number;
  readonly serial: number;
}

/** A UDP secondary on loopback that answers the n-th NOTIFY with `reply(n)` (null: silence). */
async function secondary(reply: (n: number) => number | null) {
  const socket = dgram.createSocket('udp4');
  const received: Received[] = [];
  socket.on('message', (msg, rinfo) => {
    const p = Packet.parse(msg);
    assert.equal(p.header.opcode, 4);
    assert.equal(p.questions[0]!.name, 'mesos');
    received.push({ atMs: performance.now(), id: p.header.id, serial: p.answers[0]!.serial! });
    const rcode = reply(received.length);
    if (rcode === null) return;
    const answer = Buffer.from(msg);
    answer[2] = answer[2]! | 0x80;
    answer[3] = (answer[3]! & 0xf0) | rcode;
    socket.send(answer, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  return { socket, received, target: `127.0.0.1:${port}` };
}

/** `firstRetryMs` short where resends are the point, long where a resend would race the answer. */
function notifier(
  target: string | readonly string[],
  results: NotifyResult[],
  { dropOnRejection = false, firstRetryMs = 40, logger = silentLogger() } = {},
) {
  return new Notifier({
    dropOnRejection,
    targets: typeof target === 'string' ? [target] : target,
    zone,
    key: null,
    logger,
    observer: { notify: (_t, result) => results.push(result) },
    minIntervalMs: 0,
    firstRetryMs,
    maxRetryMs: Math.max(1000, firstRetryMs),
    // The least the jitter allows: 3/4 of each step.
    random: () => 0,
  });
}

const closers: (() => void)[] = [];
after(() => closers.forEach((c) => c()));

test('a silent secondary is sent NOTIFY again after doubling waits until it acknowledges', async () => {
  const s = await secondary((n) => (n < 4 ? null : 0));
  closers.push(() => s.socket.close());
  const results: NotifyResult[] = [];
  const { logger, lines } = capturingLogger();
  const n = notifier(s.target, results, { logger });
  closers.push(() => n.close());
  n.changed(1000);
  await waitUntil(() => results.includes('ok'), WAIT_MS, 'the acknowledgement');
  // Silent three times, then acknowledged. (On a busy machine the acknowledgement can arrive
  // after the next wait ran out: one more resend, answered too.)
  const resends = results.length - 1;
  assert.ok(resends >= 3, results.join(', '));
  assert.deepEqual(results, [...Array<NotifyResult>(resends).fill('timeout'), 'ok']);
  assert.equal(n.pending, 0);
  assert.deepEqual(
    s.received.map((r) => r.serial),
    Array<number>(resends + 1).fill(1000),
  );
  assert.equal(new Set(s.received.map((r) => r.id)).size, resends + 1, 'a fresh id per attempt');
  // The waits the notifier chose: 40, 80, 160 ms less the jitter (random 0: 3/4 of each step).
  // Read from what it logs, not timed: a loaded machine only ever makes them look longer.
  const waits = lines
    .filter((l) => l['msg'] === 'notify not acknowledged; sending it again')
    .map((l) => l['waitedMs']);
  assert.deepEqual(waits.slice(0, 3), [30, 60, 120]);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(s.received.length, resends + 1, 'nothing sent after the acknowledgement');
});

test('a secondary that answers with an error is not asked again for that serial', async () => {
  const s = await secondary(() => 5 /* REFUSED */);
  closers.push(() => s.socket.close());
  const results: NotifyResult[] = [];
  const n = notifier(s.target, results, { firstRetryMs: 5000 });
  closers.push(() => n.close());
  n.changed(2000);
  await waitUntil(() => results.length > 0, WAIT_MS, 'the answer');
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(results, ['error']);
  assert.equal(s.received.length, 1);
});

test('a newer serial replaces the one being retried', async () => {
  let silent = true;
  const s = await secondary(() => (silent ? null : 0));
  closers.push(() => s.socket.close());
  const results: NotifyResult[] = [];
  const n = notifier(s.target, results);
  closers.push(() => n.close());
  n.changed(3000);
  await waitUntil(() => s.received.length >= 3, WAIT_MS, 'two resends');
  silent = false;
  n.changed(3001);
  await waitUntil(
    () => s.received.at(-1)!.serial === 3001 && n.pending === 0,
    WAIT_MS,
    'the new serial acknowledged',
  );
  assert.equal(results.at(-1), 'ok');
  assert.ok(s.received.every((r, i) => i === s.received.length - 1 || r.serial === 3000));
});

test('with dropOnRejection a secondary that refuses the zone is not told of later changes', async () => {
  for (const drop of [false, true]) {
    const s = await secondary(() => 9 /* NOTAUTH: not a zone it serves */);
    closers.push(() => s.socket.close());
    const results: NotifyResult[] = [];
    // A second secondary that acknowledges everything: once it has the new serial, the round
    // that would have told the first one has run.
    const witness = await secondary(() => 0);
    closers.push(() => witness.socket.close());
    const n = notifier([s.target, witness.target], results, {
      dropOnRejection: drop,
      firstRetryMs: 5000,
    });
    closers.push(() => n.close());
    n.changed(4000);
    await waitUntil(() => results.length === 2, WAIT_MS, 'the first answers');
    n.changed(4001);
    await waitUntil(
      () => witness.received.at(-1)?.serial === 4001 && s.received.length >= (drop ? 1 : 2),
      WAIT_MS,
      'the second round',
    );
    assert.equal(s.received.length, drop ? 1 : 2, `dropOnRejection ${drop}`);
  }
});
