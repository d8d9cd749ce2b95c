// mesos-dns's own TestInsertState (records/generator_test.go at its final master, e888ef4),
// every expectation asked over DNS: its factories/fake.json served by the simulated master,
// one server per IPSources order the Go test uses, with RFC 952 labels as it does.
//
// The Go test sets the state's leader to master@144.76.157.37:5050 and masters to that address;
// here the leader is the simulated master itself on loopback (so nothing but loopback is ever
// contacted), and the leader/master expectations name its address and port instead.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { buildConfig } from '../../src/config/load.ts';
import type { IPSource } from '../../src/config/types.ts';
import { silentLogger } from '../../src/log.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import type { SimCluster } from '../../sim/cluster.ts';
import { SimMaster } from '../../sim/master.ts';
import { decode, encodeQuery } from '../dns/fixtures.ts';
import { udpExchange } from '../helpers/dns-client.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';

const A = 1;
const AAAA = 28;
const SRV = 33;
const LEADER = '144.76.157.37';

type Gen = 'rg' | 'rgDocker' | 'rgMesos' | 'rgSlave' | 'rgNetinfo';
const SOURCES: Record<Gen, IPSource[]> = {
  rg: ['netinfo', 'docker', 'mesos', 'host'],
  rgDocker: ['docker', 'host'],
  rgMesos: ['mesos', 'host'],
  rgSlave: ['host'],
  rgNetinfo: ['netinfo'],
};

// [generator, record kind, name, want] exactly as the Go table lists them (nil as []).
const CASES: [Gen, 'A' | 'AAAA' | 'SRV', string, string[]][] = [
  ['rg', 'A', 'big-dog.marathon.mesos.', ['10.3.0.1']],
  ['rg', 'A', 'liquor-store.marathon.mesos.', ['10.3.0.1', '10.3.0.2']],
  ['rg', 'A', 'liquor-store.marathon.slave.mesos.', ['1.2.3.11', '1.2.3.12']],
  ['rg', 'A', 'car-store.marathon.slave.mesos.', ['1.2.3.11']],
  ['rg', 'A', 'nginx.marathon.mesos.', ['10.3.0.3']],
  ['rg', 'A', 'poseidon.marathon.mesos.', []],
  ['rg', 'A', 'poseidon.marathon.slave.mesos.', []],
  ['rg', 'A', 'master.mesos.', [LEADER]],
  ['rg', 'A', 'master0.mesos.', [LEADER]],
  ['rg', 'A', 'leader.mesos.', [LEADER]],
  ['rg', 'A', 'slave.mesos.', ['1.2.3.10', '1.2.3.11', '1.2.3.12']],
  ['rg', 'A', 'some-box.chronoswithaspaceandmixe.mesos.', ['1.2.3.11']],
  ['rg', 'A', 'marathon.mesos.', ['1.2.3.11']],

  ['rg', 'AAAA', 'toy-store.ipv6-framework.mesos.', ['fd01:b::1:8000:2']],
  ['rg', 'AAAA', 'toy-store.ipv6-framework.slave.mesos.', ['2001:db8::1']],
  ['rg', 'AAAA', 'ipv6-framework.mesos.', ['2001:db8::1']],
  ['rg', 'AAAA', 'slave.mesos.', ['2001:db8::1']],

  [
    'rg',
    'SRV',
    '_big-dog._tcp.marathon.mesos.',
    ['big-dog-4dfjd-0.marathon.mesos.:80', 'big-dog-4dfjd-0.marathon.mesos.:443'],
  ],
  ['rg', 'SRV', '_poseidon._tcp.marathon.mesos.', []],
  ['rg', 'SRV', '_leader._tcp.mesos.', ['leader.mesos.:5050']],
  [
    'rg',
    'SRV',
    '_liquor-store._tcp.marathon.mesos.',
    [
      'liquor-store-4dfjd-0.marathon.mesos.:80',
      'liquor-store-4dfjd-0.marathon.mesos.:443',
      'liquor-store-zasmd-1.marathon.mesos.:80',
      'liquor-store-zasmd-1.marathon.mesos.:443',
    ],
  ],
  ['rg', 'SRV', '_liquor-store._udp.marathon.mesos.', []],
  ['rg', 'SRV', '_liquor-store.marathon.mesos.', []],
  [
    'rg',
    'SRV',
    '_https._liquor-store._tcp.marathon.mesos.',
    ['liquor-store-4dfjd-0.marathon.mesos.:443', 'liquor-store-zasmd-1.marathon.mesos.:443'],
  ],
  [
    'rg',
    'SRV',
    '_http._liquor-store._tcp.marathon.mesos.',
    ['liquor-store-4dfjd-0.marathon.mesos.:80', 'liquor-store-zasmd-1.marathon.mesos.:80'],
  ],
  [
    'rg',
    'SRV',
    '_car-store._tcp.marathon.mesos.',
    [
      'car-store-zinaz-0.marathon.slave.mesos.:31364',
      'car-store-zinaz-0.marathon.slave.mesos.:31365',
    ],
  ],
  [
    'rg',
    'SRV',
    '_car-store._udp.marathon.mesos.',
    [
      'car-store-zinaz-0.marathon.slave.mesos.:31364',
      'car-store-zinaz-0.marathon.slave.mesos.:31365',
    ],
  ],
  ['rg', 'SRV', '_slave._tcp.mesos.', ['slave.mesos.:5051']],
  ['rg', 'SRV', '_framework._tcp.marathon.mesos.', ['marathon.mesos.:25501']],

  ['rgSlave', 'A', 'liquor-store.marathon.mesos.', ['1.2.3.11', '1.2.3.12']],
  ['rgSlave', 'A', 'liquor-store.marathon.slave.mesos.', ['1.2.3.11', '1.2.3.12']],
  ['rgSlave', 'A', 'nginx.marathon.mesos.', ['1.2.3.11']],
  ['rgSlave', 'A', 'car-store.marathon.slave.mesos.', ['1.2.3.11']],

  ['rgSlave', 'AAAA', 'toy-store.ipv6-framework.mesos.', ['2001:db8::1']],
  ['rgSlave', 'AAAA', 'toy-store.ipv6-framework.slave.mesos.', ['2001:db8::1']],

  ['rgMesos', 'A', 'liquor-store.marathon.mesos.', ['1.2.3.11', '1.2.3.12']],
  ['rgMesos', 'A', 'liquor-store.marathon.slave.mesos.', ['1.2.3.11', '1.2.3.12']],
  ['rgMesos', 'A', 'nginx.marathon.mesos.', ['10.3.0.3']],
  ['rgMesos', 'A', 'car-store.marathon.slave.mesos.', ['1.2.3.11']],

  ['rgMesos', 'AAAA', 'toy-store.ipv6-framework.mesos.', ['2001:db8::1']],
  ['rgMesos', 'AAAA', 'toy-store.ipv6-framework.slave.mesos.', ['2001:db8::1']],

  ['rgNetinfo', 'A', 'toy-store.ipv6-framework.mesos.', ['12.0.1.3', '12.0.1.2']],

  ['rgNetinfo', 'AAAA', 'toy-store.ipv6-framework.mesos.', ['fd01:b::1:8000:2']],
  ['rgNetinfo', 'AAAA', 'toy-store.ipv6-framework.slave.mesos.', ['2001:db8::1']],

  ['rgDocker', 'A', 'liquor-store.marathon.mesos.', ['10.3.0.1', '10.3.0.2']],
  ['rgDocker', 'A', 'liquor-store.marathon.slave.mesos.', ['1.2.3.11', '1.2.3.12']],
  ['rgDocker', 'A', 'nginx.marathon.mesos.', ['1.2.3.11']],
  ['rgDocker', 'A', 'car-store.marathon.slave.mesos.', ['1.2.3.11']],
  ['rgDocker', 'AAAA', 'toy-store.ipv6-framework.mesos.', ['2001:db8::1']],
  ['rgDocker', 'AAAA', 'toy-store.ipv6-framework.slave.mesos.', ['2001:db8::1']],
];

function fakeCluster(): SimCluster {
  const fake = JSON.parse(
    readFileSync(new URL('../fixtures/mesos-dns/fake.json', import.meta.url), 'utf8'),
  ) as Pick<SimCluster, 'frameworks' | 'slaves'>;
  return { id: 'mesos-dns-fake', frameworks: fake.frameworks, slaves: fake.slaves };
}

async function answers(port: number, name: string, type: number): Promise<string[]> {
  const reply = decode(await udpExchange(port, encodeQuery(name, { type })));
  return reply.answers
    .filter((a) => a.type === type)
    .map((a) =>
      type === SRV
        ? `${(a as { target: string }).target}.:${(a as { port: number }).port}`
        : (a as { address: string }).address,
    );
}

describe('mesos-dns TestInsertState (final master) over DNS', () => {
  let sim: SimMaster;
  const servers = new Map<Gen, RunningServer>();

  before(async () => {
    sim = await SimMaster.start({ cluster: fakeCluster() });
    await Promise.all(
      (Object.keys(SOURCES) as Gen[]).map(async (gen) => {
        const { config } = buildConfig({
          masters: [sim.address],
          port: 0,
          httpport: 0,
          httpon: false,
          listener: '127.0.0.1',
          externalon: false,
          refreshSeconds: 60,
          stateTimeoutSeconds: 5,
          enforceRFC952: true,
          SOAMname: 'mesos-dns.mesos.',
          IPSources: SOURCES[gen],
          // mesos-dns's fake.json holds what no master can stream: one task id twice in a
          // framework, and a task whose framework_id is not its framework's. Only a poll of
          // /master/state (tasks nested under their framework) reproduces the Go test.
          stateSource: 'poll',
        });
        const server = await startServer(config, { logger: silentLogger() });
        servers.set(gen, server);
        await waitUntil(
          () => server.store.current !== null,
          WAIT_MS,
          `${gen}: the first state load`,
        );
      }),
    );
  });

  after(async () => {
    await Promise.all([...servers.values()].map((s) => s.close()));
    await sim?.close();
  });

  it('the simulated master leads on loopback (the stand-in for 144.76.157.37:5050)', () => {
    assert.equal(sim.address, `127.0.0.1:${sim.port}`);
  });

  for (const [i, [gen, kind, name, want]] of CASES.entries()) {
    it(`#${i + 1} ${gen} ${kind} ${name} → ${want.length === 0 ? 'none' : want.join(' ')}`, async () => {
      const port = servers.get(gen)!.dns!.port;
      const expected = want
        .map((w) =>
          w.replace(LEADER, '127.0.0.1').replace('leader.mesos.:5050', `leader.mesos.:${sim.port}`),
        )
        .sort();
      const type = kind === 'A' ? A : kind === 'AAAA' ? AAAA : SRV;
      assert.deepEqual((await answers(port, name, type)).sort(), expected);
    });
  }
});
