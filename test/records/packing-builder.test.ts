// generate() with `pack` (records/packing-builder.ts) against packRecordSet(generate()) on the
// same state: the packed buffers byte for byte, the maps it cannot pack, held records.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import {
  buildCluster,
  demoCluster,
  makeFramework,
  makeTask,
  type TaskSpec,
} from '../../sim/cluster.ts';
import type { ParsedIp } from '../../src/net/ip.ts';
import { withIndexedEnumeration } from '../../src/records/enumeration.ts';
import { enumerationBytes } from '../../src/records/enumeration-json.ts';
import { generate, type GenerateOptions } from '../../src/records/generate.ts';
import { isPacked, packRecordSet } from '../../src/records/packed-map.ts';
import { PackingBuilder } from '../../src/records/packing-builder.ts';
import { RecordBuilder } from '../../src/records/record-builder.ts';
import type { RecordSet, SrvRecord } from '../../src/records/recordset.ts';
import type { MesosState, MesosTask } from '../../src/state/types.ts';
import { clusterOptions, healthPtrOptions, simOptions } from '../helpers/generate-options.ts';
import { clusterState } from '../helpers/sim-state.ts';

const MAPS = ['a', 'aaaa', 'srv', 'ptr'] as const;

/** Asserts that generate() with `pack` gives what packRecordSet(generate()) gives. */
function samePacked(state: MesosState, options: GenerateOptions): RecordSet {
  // Tasks may be read once only (lazy states): each run gets a copy.
  const copy = (): MesosState => structuredClone(state);
  const warnings: string[][] = [[], []];
  const expected = packRecordSet(
    generate(copy(), { ...options, warn: (m) => warnings[0]!.push(m) }),
  );
  const packed = generate(copy(), { ...options, pack: true, warn: (m) => warnings[1]!.push(m) });
  for (const kind of MAPS) {
    const want = expected[kind];
    const got = packed[kind];
    assert.equal(isPacked(got), isPacked(want), `${kind} packed`);
    if (isPacked(want) && isPacked(got)) {
      assert.ok(
        Buffer.from(new Uint8Array(got.buffer)).equals(Buffer.from(new Uint8Array(want.buffer))),
        `${kind} buffers differ`,
      );
    } else {
      assert.deepEqual([...got], [...want], kind);
    }
  }
  assert.deepEqual(packed.recordCounts, expected.recordCounts);
  assert.deepEqual(
    [...(packed.emptyNonTerminals ?? [])].sort(),
    [...(expected.emptyNonTerminals ?? [])].sort(),
  );
  // Everything but the maps and what is computed from them.
  const rest = (s: RecordSet): [string, unknown][] =>
    Object.entries(s)
      .filter(([k]) => !['emptyNonTerminals', 'recordCounts', 'enumeration', ...MAPS].includes(k))
      .sort(([x], [y]) => x.localeCompare(y));
  assert.deepEqual(rest(packed), rest(expected));
  assert.deepEqual(warnings[1], warnings[0]);
  // The enumeration's records name their entries the same way, and /v1/enumerate is the same.
  // Generated packed, it holds entry numbers from the start (never the names as strings) where
  // the A, AAAA and SRV maps are packed, and names read from the maps where one is not.
  const allPacked = isPacked(packed.a) && isPacked(packed.aaaa) && isPacked(packed.srv);
  assert.equal(packed.enumeration?.names instanceof Uint32Array, allPacked);
  const indexed = withIndexedEnumeration(packed);
  assert.equal(indexed, packed, 'nothing left to index');
  assert.deepEqual(indexed.enumeration, withIndexedEnumeration(expected).enumeration);
  assert.ok(
    Buffer.concat(enumerationBytes(indexed)).equals(Buffer.concat(enumerationBytes(expected))),
  );
  return packed;
}

/** Marks every `every`th task unhealthy (and every other one healthy). */
function withHealth(state: MesosState, unhealthy: (task: MesosTask, i: number) => boolean) {
  let i = 0;
  for (const f of state.frameworks ?? []) {
    for (const t of f.tasks ?? []) {
      const statuses = t.statuses ?? [];
      const last = statuses[statuses.length - 1];
      if (last?.state === 'TASK_RUNNING') last.healthy = !unhealthy(t, i);
      i++;
    }
  }
  return state;
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/state-cluster.json', import.meta.url), 'utf8'),
) as MesosState;

describe('generate with pack: the same set as packRecordSet(generate())', () => {
  it('the fixture cluster, with and without ptron and onlyHealthy', () => {
    for (const over of [{}, { ptr: true }, { onlyHealthy: true, ptr: true }]) {
      const set = samePacked(fixture, clusterOptions(over));
      for (const kind of MAPS) assert.ok(isPacked(set[kind]), kind);
    }
    samePacked(fixture, clusterOptions({ ipSources: ['host', 'mesos'], enforceRFC952: true }));
  });

  it('the demo cluster (IPv6 agents and containers, discovery ports, a dotted framework)', () => {
    const state = demoCluster() as unknown as MesosState;
    state.leader = 'master@10.0.0.1:5050';
    samePacked(state, healthPtrOptions());
    samePacked(state, simOptions({ ipSources: ['docker', 'mesos', 'host'] }));
  });

  it('simulated clusters of varied shapes', () => {
    const shapes: Parameters<typeof buildCluster>[0][] = [
      { apps: 50, instancesPerApp: 4, agents: 20, discoveryEvery: 4, containerIpEvery: 3 },
      { apps: 30, instancesPerApp: 3, agents: 6, discoveryEvery: 2, ipv6Agents: 2, seed: 3 },
      { apps: 200, instancesPerApp: 2, agents: 50, stagingEvery: 7, portsPerTask: 0, seed: 5 },
      // Names with far more than 64 values, and ports that repeat on dense agents.
      { apps: 3, instancesPerApp: 300, agents: 7, containerIpEvery: 2, portsPerTask: 5, seed: 8 },
      { apps: 2, instancesPerApp: 150, agents: 200, ipv6Agents: 100, discoveryEvery: 1 },
      { apps: 0, agents: 3 },
    ];
    for (const shape of shapes) {
      samePacked(clusterState(shape), simOptions({ masters: ['10.0.0.1:5050', '10.0.0.2:5050'] }));
      samePacked(clusterState(shape), healthPtrOptions({ srvWeight: 7 }));
    }
  });

  it('onlyHealthy: held records, released fail-open where every task of a name is unhealthy', () => {
    const shape = {
      apps: 40,
      instancesPerApp: 3,
      agents: 5,
      discoveryEvery: 3,
      containerIpEvery: 2,
    };
    // app-0 .. app-9 wholly unhealthy (fail open); some others partly.
    const some = withHealth(
      clusterState(shape),
      (t, i) => (t.name.localeCompare('app-10') < 0 && t.name.length === 5) || i % 7 === 0,
    );
    const set = samePacked(some, healthPtrOptions());
    assert.ok((set.failOpen ?? []).length > 0);
    const all = withHealth(clusterState({ ...shape, instancesPerApp: 80 }), () => true);
    assert.ok((samePacked(all, healthPtrOptions()).failOpen ?? []).length > 0);
  });

  it('duplicate values under a name: shared container IPs, repeated ports, listed twice', () => {
    const marathon = makeFramework('c1', 1, 'marathon');
    const agents = [
      { id: 'c1-S0', hostname: '10.0.2.1', pid: 'slave(1)@10.0.2.1:5051' },
      { id: 'c1-S1', hostname: '10.0.2.2', pid: 'slave(1)@10.0.2.2:5051' },
      { id: 'c1-S2', hostname: '10.0.2.1', pid: 'slave(1)@10.0.2.1:5051' },
    ];
    const spec = (i: number): TaskSpec => ({
      id: `web.${i}`,
      name: i % 3 === 0 ? 'web' : 'Web',
      frameworkId: marathon.id,
      agentId: agents[i % 3]!.id,
      ports: [
        [31000, 31002],
        [31001, 31001],
      ],
      containerIps: [`172.17.0.${i % 70}`, `172.17.0.${i % 70}`, 'fd01::5'],
      discovery:
        i % 2 === 0
          ? {
              visibility: 'FRAMEWORK',
              name: 'web',
              ports: {
                ports: [
                  { number: 31000, name: 'http', protocol: 'tcp' },
                  { number: 31000, name: 'http' },
                ],
              },
            }
          : undefined,
      healthy: i % 5 !== 0,
    });
    for (let i = 0; i < 200; i++) marathon.tasks.push(makeTask(spec(i)));
    const state: MesosState = {
      leader: 'master@10.0.2.1:5050',
      frameworks: [marathon],
      slaves: agents,
    };
    samePacked(state, healthPtrOptions({ masters: ['10.0.2.1:5050', '10.0.2.1:5050'] }));
    samePacked(state, simOptions());
  });
});

describe('generate with pack: table sizes never change what is built', () => {
  it("a thread's first generation (tables sized from the listed tasks), then larger and smaller states", async () => {
    const many = clusterState({ apps: 300, instancesPerApp: 4, agents: 20 });
    // Tasks listed but on no known agent: sized for records that never come.
    const unserved = clusterState({ apps: 300, instancesPerApp: 4, agents: 20 });
    unserved.slaves = [];
    const larger = clusterState({ apps: 900, instancesPerApp: 7, agents: 3 });
    const states = [
      many,
      larger,
      unserved,
      clusterState({ apps: 2, instancesPerApp: 1, agents: 1 }),
    ];
    const worker = new Worker(new URL('../helpers/first-generation-worker.ts', import.meta.url), {
      workerData: states,
    });
    const [differ] = (await once(worker, 'message')) as [string[][]];
    await worker.terminate();
    assert.deepEqual(differ, [[], [], [], []]);
  });
});

describe('generate with pack: maps that cannot be packed stay JS maps, as packRecordSet leaves them', () => {
  /** A cluster whose app `app-<at>` has a discovery name with non-ASCII characters. */
  function nonAscii(at: number, instances: number): MesosState {
    const state = clusterState({
      apps: 20,
      instancesPerApp: instances,
      agents: 4,
      containerIpEvery: 2,
    });
    for (const t of state.frameworks![0]!.tasks!) {
      if (t.name === `app-${at}`) {
        t.discovery = {
          visibility: 'FRAMEWORK',
          name: 'Café',
          ports: { ports: [{ number: 31000, name: 'hé', protocol: 'tcp' }] },
        };
      }
    }
    return state;
  }

  it('a non-ASCII name first, midway, or after names with many values', () => {
    for (const [at, instances] of [
      [0, 3],
      [7, 3],
      [19, 3],
      [5, 100],
    ] as const) {
      const set = samePacked(nonAscii(at, instances), simOptions());
      assert.equal(isPacked(set.a), false);
      assert.equal(isPacked(set.srv), false);
      assert.equal(isPacked(set.aaaa), true);
      const onlyHealthy = withHealth(nonAscii(at, instances), (t) => t.name === `app-${at}`);
      samePacked(onlyHealthy, healthPtrOptions());
    }
  });

  it('SRV fields outside 0-65535 (the weight from the config) leave the SRV map unpacked', () => {
    const state = clusterState({ apps: 10, instancesPerApp: 70, agents: 3 });
    for (const srvWeight of [70_000, 1.5, -1]) {
      const set = samePacked(state, simOptions({ srvWeight }));
      assert.equal(isPacked(set.srv), false);
      assert.equal(isPacked(set.a), true);
    }
  });

  it('the builder alone: a non-ASCII value, then more values under the same names', () => {
    const b = new PackingBuilder('mesos');
    const r = new RecordBuilder();
    const ip = (address: string): ParsedIp => ({ family: address.includes(':') ? 6 : 4, address });
    const srv = (target: string, port: number, weight = 1): SrvRecord => ({
      target,
      port,
      priority: 0,
      weight,
    });
    const steps: [string, string][] = [];
    for (let i = 0; i < 100; i++) steps.push([`n${i % 3}.mesos.`, `10.0.0.${i % 80}`]);
    steps.push(['n1.mesos.', 'ünïcode'], ['n2.mesos.', '10.0.0.1'], ['n2.mesos.', '10.0.0.99']);
    for (const [name, value] of steps) {
      assert.equal(
        b.addAddress(name, ip(value)),
        r.addAddress(name, ip(value)),
        `${name} ${value}`,
      );
      assert.equal(b.addPtr(value, name), r.addPtr(value, name));
      const s = srv(name, 80 + (value.length % 3), value.length);
      assert.equal(b.addSrv(`_x._tcp.${name}`, s), r.addSrv(`_x._tcp.${name}`, s));
    }
    assert.equal(
      b.addSrv('_x._tcp.n1.mesos.', srv('t.mesos.', 70_000)),
      r.addSrv('_x._tcp.n1.mesos.', srv('t.mesos.', 70_000)),
    );
    assert.equal(b.addSrv('_x._tcp.n1.mesos.', srv('t.mesos.', 70_000)), 0);
    const built = b.finish();
    const plain = packRecordSet({
      ...r.finish(),
      domain: 'mesos',
      leader: '',
      counts: { tasks: 0, frameworks: 0, agents: 0 },
    });
    assert.equal(isPacked(built.a), false);
    assert.deepEqual([...built.a], [...plain.a]);
    assert.equal(isPacked(built.ptr), false);
    assert.deepEqual([...built.ptr], [...plain.ptr]);
    assert.equal(isPacked(built.srv), false);
    assert.deepEqual([...built.srv], [...plain.srv]);
    assert.deepEqual(built.recordCounts, plain.recordCounts);
  });
});
