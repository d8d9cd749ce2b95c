// Zone transfers end to end: startServer over a simulated master, dig as the client. AXFR (a zone
// big enough for many messages, TSIG on each checked by dig), IXFR after a task change, and
// every refusal: UDP AXFR, an address not allowed, unsigned, wrong secret, unknown key.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { buildConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { buildCluster } from '../../sim/cluster.ts';
import { SimMaster } from '../../sim/master.ts';
import { decode, encodeQuery, rcode } from './fixtures.ts';
import { tcpExchange, udpExchange } from '../helpers/dns-client.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';

const run = promisify(execFile);
const DIG = '/usr/bin/dig';
const SOA = 6;
const AXFR = 252;

async function dig(port: number, args: string[], source?: string): Promise<string> {
  const { stdout } = await run(DIG, [
    '-p',
    String(port),
    ...(source === undefined ? [] : ['-b', source]),
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

function xfrSize(out: string): { records: number; messages: number } | null {
  const m = /XFR size: (\d+) records \(messages (\d+)/.exec(out);
  return m ? { records: Number(m[1]), messages: Number(m[2]) } : null;
}

async function serialOf(port: number): Promise<number> {
  const reply = await udpExchange(port, encodeQuery('mesos', { type: SOA }));
  return decode(reply).answers[0]!.serial!;
}

// With `workers` 2 the DNS threads own the port and relay every transfer to the main thread.
for (const workers of [1, 2])
  describe(
    `zone transfers with dig, workers: ${workers}`,
    { skip: !existsSync(DIG) && 'dig is not installed' },
    () => {
      const secret = randomBytes(32).toString('base64');
      const tsig = `hmac-sha256:xfr-key:${secret}`;
      let sim: SimMaster;
      let server: RunningServer;
      let port: number;

      before(async () => {
        // 400 tasks: a zone of thousands of records, many 16 KB messages.
        sim = await SimMaster.start({ cluster: buildCluster({ apps: 40, instancesPerApp: 10 }) });
        const { config } = buildConfig({
          masters: [sim.address],
          port: 0,
          httpon: false,
          listener: '127.0.0.1',
          externalon: false,
          refreshSeconds: 1,
          stateTimeoutSeconds: 5,
          transferAllow: ['127.0.0.1/32', '::1'],
          transferKeys: { 'xfr-key': `hmac-sha256:${secret}` },
          workers,
        });
        server = await startServer(config, { logger: silentLogger() });
        port = server.dns!.port;
        await waitUntil(() => server.store.current !== null, WAIT_MS, 'the first load');
      });

      after(async () => {
        await server?.close();
        await sim?.close();
      });

      it('AXFR: SOA first and last, every record, many messages each signed', async () => {
        const out = await dig(port, ['-y', tsig, '+tcp', 'mesos', 'axfr']);
        assert.doesNotMatch(out, /Transfer failed|tsig verify failure|failed/i, out.slice(-500));
        const rrs = records(out);
        const serial = await serialOf(port);
        assert.deepEqual(rrs[0]!.slice(3, 5), ['SOA', 'ns1.mesos.']);
        assert.equal(Number(rrs[0]![6]), serial);
        assert.deepEqual(rrs.at(-1), rrs[0]);
        assert.equal(rrs.filter((r) => r[3] === 'SOA').length, 2);
        assert.ok(rrs.some((r) => r[0] === 'mesos.' && r[3] === 'NS'));
        assert.ok(
          rrs.some((r) => r[0] === 'ns1.mesos.' && r[3] === 'A'),
          'SOAMname address',
        );
        const set = server.store.current!;
        let expected = 3; // SOA, NS, SOA
        for (const m of [set.a, set.aaaa, set.srv]) {
          for (const values of m.values())
            expected += new Set(values.map((v) => JSON.stringify(v))).size;
        }
        assert.equal(rrs.length, expected);
        const size = xfrSize(out);
        assert.ok(size !== null && size.records === expected, out.slice(-300));
        assert.ok(size.messages > 3, `messages: ${size.messages}`);
        // Every record the server answers is in the transfer.
        const web = rrs.filter((r) => r[0] === 'app-0.marathon.mesos.' && r[3] === 'A');
        assert.equal(web.length, set.a.get('app-0.marathon.mesos.')?.length ?? -1);
      });

      it('IXFR: a task change as deletions then additions; a current client gets the SOA alone', async () => {
        const before = await serialOf(port);
        const current = await dig(port, ['-y', tsig, 'mesos', `ixfr=${before}`]);
        assert.equal(records(current).length, 1, current);

        const id = sim.startTask({ name: 'ixfrcheck', agent: 2 });
        await waitUntil(
          async () => (await serialOf(port).catch(() => before)) !== before,
          WAIT_MS,
          'a new serial',
        );
        const after = await serialOf(port);
        const out = await dig(port, ['-y', tsig, 'mesos', `ixfr=${before}`]);
        const rrs = records(out);
        assert.equal(rrs[0]![3], 'SOA');
        assert.equal(Number(rrs[0]![6]), after);
        assert.equal(Number(rrs[1]![6]), before, 'the old SOA opens the deletions');
        const newSoa = rrs.findIndex((r, i) => i > 1 && r[3] === 'SOA');
        const added = rrs.slice(newSoa + 1, -1).map((r) => r[0]);
        assert.ok(added.includes('ixfrcheck.marathon.mesos.'), out);
        assert.deepEqual(rrs.at(-1), rrs[0]);

        // Over UDP a client behind gets the SOA alone, which sends it to TCP (RFC 1995 §2).
        const udp = await dig(port, ['-y', tsig, '+notcp', 'mesos', `ixfr=${before}`]);
        assert.equal(records(udp).length, 1, udp);
        assert.equal(Number(records(udp)[0]![6]), after);

        // A serial the journal never held: the whole zone, in AXFR form.
        const full = await dig(port, ['-y', tsig, 'mesos', 'ixfr=12345']);
        assert.ok(records(full).length > 100);
        sim.killTask(id);
      });

      it('refuses AXFR over UDP, and from an address not allowed', async () => {
        const udp = await udpExchange(port, encodeQuery('mesos', { type: AXFR }));
        assert.equal(rcode(udp), 5);
        const out = await dig(port, ['-y', tsig, '+tcp', 'mesos', 'axfr'], '127.0.0.2');
        assert.match(out, /Transfer failed/);
        assert.equal(records(out).length, 0);
      });

      it('refuses unsigned requests; NOTAUTH with the TSIG error for a bad secret or unknown key', async () => {
        const unsigned = await tcpExchange(port, encodeQuery('mesos', { type: AXFR }));
        assert.equal(rcode(unsigned), 5);
        const other = randomBytes(32).toString('base64');
        const badSig = await dig(port, [
          '-y',
          `hmac-sha256:xfr-key:${other}`,
          '+tcp',
          'mesos',
          'axfr',
        ]);
        assert.match(badSig, /BADSIG/);
        const badKey = await dig(port, [
          '-y',
          `hmac-sha256:nobody:${secret}`,
          '+tcp',
          'mesos',
          'axfr',
        ]);
        assert.match(badKey, /BADKEY/);
        for (const out of [badSig, badKey]) assert.equal(records(out).length, 0);
      });

      it('signs the answer to a signed SOA query; ordinary queries stay unsigned', async () => {
        const out = await dig(port, ['-y', tsig, 'mesos', 'soa']);
        assert.match(out, /status: NOERROR/);
        assert.match(out, /TSIG\s+hmac-sha256\. \d+ 300 32 \S+ \d+ NOERROR/);
        assert.doesNotMatch(out, /verify failure|failed/i);
        const plain = await dig(port, ['mesos', 'soa']);
        assert.doesNotMatch(plain, /TSIG/);
      });

      if (workers > 1) {
        it('relays transfers from every DNS thread to the main thread', async () => {
          const threads = server.dnsThreads!;
          // The kernel spreads connections over the threads by source port: try until each served.
          for (let i = 0; i < 40 && threads.threads.some((t) => t.transfers === 0); i++) {
            const out = await dig(port, ['-y', tsig, '+tcp', 'mesos', 'axfr']);
            assert.doesNotMatch(out, /Transfer failed|verify failure/i, out.slice(-500));
            const rrs = records(out);
            assert.ok(rrs.length > 100 && xfrSize(out)?.records === rrs.length, out.slice(-300));
            assert.deepEqual(rrs.at(-1), rrs[0]);
          }
          assert.ok(
            threads.threads.every((t) => t.transfers > 0),
            JSON.stringify(threads.threads.map((t) => t.transfers)),
          );
        });
      }

      it('counts transfers by result in /metrics', async () => {
        const text = await server.metrics.render();
        for (const [type, result] of [
          ['axfr', 'full'],
          ['ixfr', 'incremental'],
          ['ixfr', 'soa'],
          ['axfr', 'refused'],
          ['axfr', 'badtsig'],
        ]) {
          assert.match(
            text,
            new RegExp(
              `mesos_dns_zone_transfers_total\\{type="${type}",result="${result}"\\} [1-9]`,
            ),
            `${type} ${result}`,
          );
        }
      });
    },
  );
