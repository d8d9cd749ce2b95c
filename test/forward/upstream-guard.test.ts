// Integration with a scripted loopback upstream: fresh IDs upstream, query bytes passed as is,
// spoofed replies ignored, TCP clients forwarded over TCP, silent upstreams timed out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { systemClock } from '../../src/clock.ts';
import { createForwarder } from '../../src/dns/forward/forwarder.ts';
import { silentLogger } from '../../src/log.ts';
import { answerA, startFakeUpstream } from './fake-upstream.ts';
import {
  RecordingObserver,
  ask,
  buildQuery,
  decode,
  idOf,
  parsed,
  rcodeOf,
} from './wire-client.ts';
import { WAIT_MS } from '../helpers/wait.ts';

function make(resolvers: string[], observer = new RecordingObserver(), timeoutMs = 1000) {
  return createForwarder({
    resolvers,
    zoneResolvers: {},
    timeoutMs,
    cacheSize: 0,
    observer,
    logger: silentLogger(),
    clock: systemClock,
  });
}

describe('upstream exchange', () => {
  it('sends the client query as is under a fresh ID, and restores the client ID', async () => {
    const up = await startFakeUpstream((q) => [answerA(q, 60, [192, 0, 2, 1])]);
    const f = make([up.resolver]);
    try {
      const ids = new Set<number>();
      for (let i = 0; i < 8; i++) {
        const query = buildQuery('www.example.org', 1, {
          id: 0x0101,
          ednsSize: 4000,
          dnssecOk: true,
        });
        const reply = await ask(f, query, 'udp', 4000);
        assert.equal(idOf(reply), 0x0101);
        const sent = up.seen.at(-1)!.query;
        // Everything but the ID travels unchanged: EDNS size and DO bit included.
        assert.deepEqual(Buffer.from(sent.subarray(2)), Buffer.from(query.subarray(2)));
        ids.add(idOf(sent));
      }
      assert.ok(ids.size >= 6, `upstream IDs are random, got ${[...ids].join(',')}`);
    } finally {
      await f.close();
      await up.close();
    }
  });

  it('ignores replies with the wrong ID or the wrong question, and takes the real one', async () => {
    const up = await startFakeUpstream((q) => {
      const wrongId = answerA(q, 60, [6, 6, 6, 6]);
      wrongId[0] = wrongId[0]! ^ 0xff;
      const wrongName = answerA(
        buildQuery('evil.example.org', 1, { id: idOf(q) }),
        60,
        [6, 6, 6, 7],
      );
      return [wrongId, wrongName, answerA(q, 60, [192, 0, 2, 9])];
    });
    const f = make([up.resolver]);
    try {
      const reply = await ask(f, buildQuery('www.example.org', 1, { id: 3 }), 'udp', 512);
      assert.equal(decode(reply).answers[0]?.address, '192.0.2.9');
    } finally {
      await f.close();
      await up.close();
    }
  });

  it('forwards over TCP when the client asked over TCP', async () => {
    const up = await startFakeUpstream((q) => [answerA(q, 60, [192, 0, 2, 2])]);
    const f = make([up.resolver]);
    try {
      const reply = await ask(f, buildQuery('www.example.org', 1), 'tcp', 512);
      assert.equal(decode(reply).answers[0]?.address, '192.0.2.2');
      assert.deepEqual(
        up.seen.map((s) => s.transport),
        ['tcp'],
      );
    } finally {
      await f.close();
      await up.close();
    }
  });

  // A forwarder that never gave up would hang: the test's own timeout ends it, however slow
  // the machine. That the silent one timed out is what the observer says.
  it(
    'times out a silent upstream, reports it, and moves to the next',
    { timeout: WAIT_MS },
    async () => {
      const silent = await startFakeUpstream(() => []);
      const good = await startFakeUpstream((q) => [answerA(q, 60, [192, 0, 2, 3])]);
      const observer = new RecordingObserver();
      const f = make([silent.resolver, good.resolver], observer, 300);
      try {
        const reply = await ask(f, buildQuery('www.example.org', 1), 'udp', 512);
        assert.equal(decode(reply).answers[0]?.address, '192.0.2.3');
        assert.deepEqual(observer.upstreams, [
          { resolver: silent.resolver, result: 'timeout' },
          { resolver: good.resolver, result: 'ok' },
        ]);
      } finally {
        await f.close();
        await silent.close();
        await good.close();
      }
    },
  );

  it('answers in-flight queries with SERVFAIL when closed, never hanging', async () => {
    const silent = await startFakeUpstream(() => []);
    const f = make([silent.resolver], new RecordingObserver(), 10_000);
    try {
      const pending = ask(f, buildQuery('www.example.org', 1, { id: 9 }), 'udp', 512);
      await new Promise((r) => setTimeout(r, 50));
      await f.close();
      const reply = await pending;
      assert.equal(rcodeOf(reply), 2);
      assert.equal(idOf(reply), 9);
    } finally {
      await silent.close();
    }
  });

  it('builds SERVFAIL that mirrors the query: ID, RD, question, EDNS with DO', async () => {
    const silent = await startFakeUpstream(() => []);
    const f = make([silent.resolver], new RecordingObserver(), 100);
    try {
      const query = buildQuery('Www.Example.org', 28, {
        id: 0x4321,
        rd: false,
        ednsSize: 4096,
        dnssecOk: true,
      });
      const reply = await ask(f, query, 'udp', 4096);
      const packet = decode(reply);
      assert.equal(packet.header.id, 0x4321);
      assert.equal(packet.header.qr, 1);
      assert.equal(packet.header.rd, 0);
      assert.equal(packet.header.rcode, 2);
      assert.equal(packet.questions[0]?.name, 'Www.Example.org');
      assert.equal(packet.additionals.length, 1);
      assert.equal(reply[reply.length - 4]! & 0x80, 0x80, 'DO echoed');
    } finally {
      await f.close();
      await silent.close();
    }
  });
});

/** A query whose labels are given raw, so one may hold a "." (dns2 would split it). */
function rawQuery(labels: readonly string[], id = 0x2222): Uint8Array {
  const name = Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])),
    Buffer.from([0]),
  ]);
  const header = Buffer.from([id >> 8, id & 0xff, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  return new Uint8Array(Buffer.concat([header, name, Buffer.from([0, 1, 0, 1])]));
}

describe('zone routing', () => {
  it('routes a label holding a "." as one label, as the authoritative side reads it', async () => {
    const zone = await startFakeUpstream((q) => [answerA(q, 60, [192, 0, 2, 10])]);
    const dflt = await startFakeUpstream((q) => [answerA(q, 60, [192, 0, 2, 20])]);
    const f = createForwarder({
      resolvers: [dflt.resolver],
      zoneResolvers: { 'b.example': [zone.resolver] },
      timeoutMs: 1000,
      cacheSize: 0,
      observer: new RecordingObserver(),
      logger: silentLogger(),
      clock: systemClock,
    });
    try {
      // Labels "a.b" and "example": the name is "a\.b.example.", outside the zone "b.example".
      const escaped = rawQuery(['a.b', 'example']);
      assert.equal(parsed(escaped).key, 'a\\.b.example.');
      assert.deepEqual(decode(await ask(f, escaped, 'udp', 512)).answers[0]?.address, '192.0.2.20');
      assert.equal(zone.seen.length, 0, 'the zone resolver was not asked');
      // Three labels "a", "b", "example" are inside the zone.
      const plain = rawQuery(['a', 'b', 'example']);
      assert.equal(decode(await ask(f, plain, 'udp', 512)).answers[0]?.address, '192.0.2.10');
      assert.equal(dflt.seen.length, 1);
    } finally {
      await f.close();
      await zone.close();
      await dflt.close();
    }
  });
});

describe('identical queries in flight', () => {
  it('share one upstream exchange; each client gets its own ID and question case', async () => {
    const up = await startFakeUpstream((q) => [answerA(q, 60, [192, 0, 2, 7])]);
    const f = make([up.resolver]);
    try {
      const names = ['www.example.org', 'WWW.Example.ORG', 'www.EXAMPLE.org'];
      const queries = Array.from({ length: 30 }, (_, i) =>
        buildQuery(names[i % names.length]!, 1, { id: 1000 + i }),
      );
      // All issued in one tick: the first opens the exchange, the rest join it.
      const replies = await Promise.all(queries.map((q) => ask(f, q, 'udp', 512)));
      assert.equal(up.seen.length, 1, 'one query went upstream');
      replies.forEach((reply, i) => {
        const query = queries[i]!;
        assert.equal(idOf(reply), 1000 + i);
        assert.equal(rcodeOf(reply), 0);
        const end = parsed(query).questionEnd;
        assert.deepEqual(reply.subarray(12, end), query.subarray(12, end), 'question as sent');
      });
      // Once answered, the next miss asks again (no cache here).
      await ask(f, buildQuery('www.example.org', 1, { id: 1 }), 'udp', 512);
      assert.equal(up.seen.length, 2);
    } finally {
      await f.close();
      await up.close();
    }
  });
});
