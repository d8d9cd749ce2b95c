// Differential test against mesos-dns itself (its final master, built: ../shared/oracle, see
// its README): the simulated master serves a generated cluster (IP-literal hosts, an IPv6
// agent, container IPs, DiscoveryInfo), mesos-dns and this server read the same config.json on
// loopback, and every A, AAAA and SRV name we hold is asked of both over UDP; the answers and
// SRV additional sections must be equal as sets. Skips, saying so, when the oracle is absent.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildConfig } from '../../src/config/load.ts';
import type { IPSource } from '../../src/config/types.ts';
import { silentLogger } from '../../src/log.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { buildCluster } from '../../sim/cluster.ts';
import { SimMaster } from '../../sim/master.ts';
import { decode, encodeQuery } from '../dns/fixtures.ts';
import { udpExchange } from '../helpers/dns-client.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';

// Next to the repository (CI clones beside shared/); MESOS_DNS_ORACLE points elsewhere.
const ORACLE =
  process.env.MESOS_DNS_ORACLE ??
  new URL('../../../shared/oracle/mesos-dns', import.meta.url).pathname;
const skip = existsSync(ORACLE) ? false : `mesos-dns oracle not found at ${ORACLE}`;
const A = 1;
const AAAA = 28;
const SRV = 33;

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function rrText(rr: { type: number; name: string } & Record<string, unknown>): string {
  if (rr.type === SRV) return `${rr.name} SRV ${String(rr.target)}:${String(rr.port)}`;
  return `${rr.name} ${rr.type === A ? 'A' : 'AAAA'} ${String(rr.address)}`;
}

// "owner TYPE address" → "owner TYPE"
function ownerAndType(rrs: string[]): string[] {
  return rrs.map((r) => r.split(' ').slice(0, 2).join(' '));
}

async function ask(
  port: number,
  name: string,
  type: number,
): Promise<{ an: string[]; ar: string[] }> {
  const p = decode(await udpExchange(port, encodeQuery(name, { type, edns: 4096 }), 3000));
  const keep = (rrs: readonly unknown[]) =>
    (rrs as ({ type: number; name: string } & Record<string, unknown>)[])
      .filter((r) => r.type === A || r.type === AAAA || r.type === SRV)
      .map((r) => rrText({ ...r, name: r.name.toLowerCase() }))
      .sort();
  return { an: keep(p.answers), ar: keep(p.additionals) };
}

for (const order of [
  ['netinfo', 'mesos', 'host'],
  ['host', 'netinfo'],
] as IPSource[][]) {
  describe(`differential vs mesos-dns, IPSources ${order.join(',')}`, { skip }, () => {
    let sim: SimMaster;
    let ours: RunningServer;
    let oracle: ChildProcess;
    let oraclePort: number;
    let tmp: string;

    before(async () => {
      sim = await SimMaster.start({
        cluster: buildCluster({
          apps: 6,
          instancesPerApp: 2,
          agents: 4,
          ipv6Agents: 1,
          containerIpEvery: 2,
          discoveryEvery: 3,
          seed: 11,
        }),
      });
      tmp = mkdtempSync(join(tmpdir(), 'mesos-dns-diff-'));
      oraclePort = await freeUdpPort();
      const file = {
        masters: [sim.address],
        refreshSeconds: 60,
        port: oraclePort,
        httpon: false,
        listener: '127.0.0.1',
        externalon: false,
        IPSources: order,
      };
      writeFileSync(join(tmp, 'config.json'), JSON.stringify(file));
      oracle = spawn(ORACLE, [`-config=${join(tmp, 'config.json')}`], { stdio: 'ignore' });
      ours = await startServer(buildConfig({ ...file, port: 0 }).config, {
        logger: silentLogger(),
      });
      await waitUntil(
        async () => {
          const theirs = await ask(oraclePort, 'slave.mesos', A).catch(() => null);
          return ours!.store.current !== null && theirs !== null && theirs.an.length > 0;
        },
        WAIT_MS,
        'both servers to load',
      );
    });

    after(async () => {
      oracle?.kill('SIGKILL');
      await ours?.close();
      await sim?.close();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    it('every A, AAAA and SRV name: same answers and SRV additional sections', async () => {
      const set = ours.store.current!;
      const queries: [string, number][] = [
        ...[...set.a.keys()].map((n): [string, number] => [n, A]),
        ...[...set.aaaa.keys()].map((n): [string, number] => [n, AAAA]),
        ...[...set.srv.keys()].map((n): [string, number] => [n, SRV]),
      ].filter(([n]) => n.split('.').every((l) => l.length <= 63) && !n.startsWith('ns1.'));
      assert.ok(queries.length > 50, `${queries.length} queries`);
      for (const [name, type] of queries) {
        const [a, b] = await Promise.all([
          ask(ours.dns!.port, name, type),
          ask(oraclePort, name, type),
        ]);
        assert.deepEqual(a.an, b.an, `${name} type ${type}: answers`);
        if (type === SRV) {
          // mesos-dns adds one A and one AAAA per SRV target, whichever Go's map iteration
          // yields first (rrs.First), so a target with several addresses gets any one of them:
          // compare which owners and types were added, and that each address is the target's.
          assert.deepEqual(ownerAndType(a.ar), ownerAndType(b.ar), `${name}: additional`);
          for (const rr of [...a.ar, ...b.ar]) {
            const [owner, t, address] = rr.split(' ');
            const held = (t === 'A' ? set.a : set.aaaa).get(`${owner}.`) ?? [];
            assert.ok(
              held.includes(address ?? ''),
              `${name}: additional ${rr} is one of ${owner}'s addresses`,
            );
          }
        }
      }
    });
  });
}
