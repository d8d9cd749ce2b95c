// Unit: the relay between a DNS thread (RelayClient) and the main thread (RelayHost), wired
// back to back with a message hop between them as between threads. Whole streams arrive in
// order in bounded batches; a client that stops early stops the producer; UDP gets one message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RELAY_BATCH_BYTES, RelayClient, RelayHost } from '../../src/dns/transfer/relay.ts';
import {
  refuseTransfers,
  TransferStream,
  type TransferService,
} from '../../src/dns/transfer/service.ts';
import { ParsedQuery } from '../../src/dns/wire.ts';
import { silentLogger } from '../../src/log.ts';
import { encodeQuery } from './fixtures.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';

const AXFR = 252;
const apexWire = Uint8Array.from([5, ...Buffer.from('mesos'), 0]);

function wire(respond: TransferService['respond']) {
  const batches: number[] = [];
  // Only respond() of the service is used by the host.
  const service = { respond } as unknown as TransferService;
  let client: RelayClient | null = null;
  const host = new RelayHost(
    service,
    apexWire,
    (batch) => {
      batches.push(batch.messages.length);
      setImmediate(() => client!.receive(batch));
    },
    silentLogger(),
  );
  client = new RelayClient((m) => setImmediate(() => host.receive(m)), refuseTransfers);
  return { client, host, batches };
}

const message = (i: number) => new Uint8Array(16 * 1024).fill(i & 0xff);

test('a whole transfer crosses in order, in batches of bounded size', async () => {
  const { client, host, batches } = wire(() => {
    function* gen() {
      for (let i = 0; i < 100; i++) yield message(i);
    }
    return new TransferStream(gen());
  });
  const out = client.respond(
    encodeQuery('mesos', { type: AXFR }),
    new ParsedQuery(),
    'tcp',
    '127.0.0.1',
  );
  assert.ok(out instanceof TransferStream);
  const got: number[] = [];
  for await (const m of out) got.push(m[0]!);
  assert.deepEqual(
    got,
    Array.from({ length: 100 }, (_, i) => i),
  );
  assert.ok(batches.length >= (100 * 16 * 1024) / RELAY_BATCH_BYTES, `${batches.length} batches`);
  assert.ok(batches.every((n) => n <= RELAY_BATCH_BYTES / (16 * 1024)));
  assert.equal(host.open, 0);
  assert.equal(client.open, 0);
});

test('a client that stops early stops the producer on the main thread', async () => {
  let ended = false;
  let produced = 0;
  const { client, host } = wire(() => {
    function* gen() {
      try {
        for (let i = 0; i < 1000; i++) {
          produced++;
          yield message(i);
        }
      } finally {
        ended = true;
      }
    }
    return new TransferStream(gen());
  });
  const out = client.respond(encodeQuery('mesos', { type: AXFR }), new ParsedQuery(), 'tcp', '::1');
  assert.ok(out instanceof TransferStream);
  const taken: number[] = [];
  for await (const m of out) if (taken.push(m[0]!) === 3) break;
  assert.deepEqual(taken, [0, 1, 2]);
  await waitUntil(() => ended && host.open === 0, WAIT_MS, 'the producer to be ended');
  assert.ok(produced < 100, `produced ${produced} of 1000`);
});

test('over UDP the one message comes back as a promise', async () => {
  const reply = Uint8Array.from([1, 2, 3]);
  const { client, host } = wire((_p, _q, transport, peer) => {
    assert.deepEqual([transport, peer], ['udp', '10.0.0.1']);
    return reply;
  });
  const out = client.respond(
    encodeQuery('mesos', { type: 251 }),
    new ParsedQuery(),
    'udp',
    '10.0.0.1',
  );
  assert.ok(out instanceof Promise);
  assert.deepEqual(await out, reply);
  assert.equal(host.open, 0);
});

test('closing the thread ends the transfers waiting on it', async () => {
  const { client } = wire(
    () =>
      new TransferStream(
        (async function* () {
          await new Promise(() => {});
          yield message(0);
        })(),
      ),
  );
  const out = client.respond(encodeQuery('mesos', { type: AXFR }), new ParsedQuery(), 'tcp', '::1');
  assert.ok(out instanceof TransferStream);
  const all = (async () => {
    const got: Uint8Array[] = [];
    for await (const m of out) got.push(m);
    return got.length;
  })();
  await new Promise((r) => setTimeout(r, 10));
  client.close();
  assert.equal(await all, 0);
});
