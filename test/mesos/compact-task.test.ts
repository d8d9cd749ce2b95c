// compactTask keeps what generation reads: a state whose tasks are compacted generates the same
// records as the state itself, for every IP source order, with health checks and PTR on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compactTask } from '../../src/mesos/v1-state.ts';
import { generate, type GenerateOptions } from '../../src/records/generate.ts';
import type { MesosState } from '../../src/state/types.ts';
import { demoCluster, makeTask } from '../../sim/cluster.ts';
import { healthPtrOptions } from '../helpers/generate-options.ts';

const options = (ipSources: GenerateOptions['ipSources']): GenerateOptions =>
  healthPtrOptions({ ipSources });

describe('compactTask', () => {
  const cluster = demoCluster();
  const state = structuredClone(cluster) as unknown as MesosState;
  state.leader = 'master@10.0.0.1:5050';
  const f = state.frameworks![0]!;
  const agent = state.slaves![0]!.id;
  // IPs from labels, an older running status with other IPs, and an unhealthy latest one.
  const labelled = makeTask({
    id: 'lab.1',
    name: 'lab',
    frameworkId: f.id,
    agentId: agent,
    ports: [[31500, 31501]],
    healthy: false,
  });
  const running = labelled.statuses!.at(-1)!;
  running.labels = [
    { key: 'MesosContainerizer.NetworkSettings.IPAddress', value: '172.18.0.5' },
    { key: 'other', value: 'x' },
    { key: 'Docker.NetworkSettings.IPAddress', value: '172.19.0.5' },
  ];
  labelled.statuses!.unshift({
    ...running,
    timestamp: running.timestamp - 10,
    healthy: true,
    labels: [{ key: 'MesosContainerizer.NetworkSettings.IPAddress', value: '172.18.0.99' }],
  });
  labelled.labels = [{ key: 'task-label', value: 'dropped' }];
  f.tasks!.push(labelled);
  // A second instance of the app with DiscoveryInfo (its own copy of the same info).
  const db = f.tasks!.find((t) => t.discovery !== undefined)!;
  f.tasks!.push({ ...structuredClone(db), id: `${db.id}-2` });

  const compacted = (): MesosState => {
    const interned = new Map<string, string>();
    const intern = (t: string): string => interned.get(t) ?? (interned.set(t, t), t);
    const objects = new Map<string, object>();
    const same = <T extends object>(v: T): T => {
      const key = JSON.stringify(v);
      const known = objects.get(key);
      if (known !== undefined) return known as T;
      objects.set(key, v);
      return v;
    };
    return {
      ...state,
      frameworks: state.frameworks!.map((fw) => ({
        ...fw,
        tasks: fw.tasks!.map((t) => compactTask(t, intern, same)),
      })),
    };
  };

  for (const sources of [
    ['netinfo', 'mesos', 'host'],
    ['mesos', 'docker', 'host'],
    ['docker', 'netinfo'],
    ['host'],
  ] as const) {
    it(`generates the same records (${sources.join(', ')})`, () => {
      const o = options([...sources]);
      const small = compacted();
      const want = generate(state, o);
      const got = generate(small, o);
      for (const kind of ['a', 'aaaa', 'srv', 'ptr'] as const) {
        assert.deepEqual([...got[kind]], [...want[kind]], kind);
      }
      assert.deepEqual(got.failOpen, want.failOpen);
      assert.deepEqual(got.enumeration, want.enumeration);
    });
  }

  it('keeps one running status, no task labels, and shares equal discovery infos', () => {
    const small = compacted().frameworks!.flatMap((fw) => fw.tasks!);
    const lab = small.find((t) => t.id === 'lab.1')!;
    assert.equal(lab.statuses!.length, 1);
    assert.equal(lab.labels, undefined);
    assert.deepEqual(
      lab.statuses![0]!.labels!.map((l) => l.key),
      ['MesosContainerizer.NetworkSettings.IPAddress', 'Docker.NetworkSettings.IPAddress'],
    );
    // Network infos come back as they were (kept as text, parsed when read).
    const full = state.frameworks!.flatMap((fw) => fw.tasks!);
    let withIps = 0;
    for (const t of small) {
      const infos = t.statuses?.[0]?.container_status?.network_infos;
      if (infos === undefined) continue;
      withIps++;
      const original = full.find((o) => o.id === t.id)!;
      const running = original.statuses!.filter((s) => s.state === 'TASK_RUNNING');
      const latest = running.reduce((a, b) => (b.timestamp > a.timestamp ? b : a));
      assert.deepEqual(infos, latest.container_status!.network_infos);
    }
    assert.ok(withIps > 0);
    const withDiscovery = small.filter((t) => t.discovery !== undefined);
    assert.ok(withDiscovery.length >= 2);
    const byName = new Map<string, object>();
    for (const t of withDiscovery) {
      const known = byName.get(t.name);
      if (known === undefined) byName.set(t.name, t.discovery!);
      else assert.equal(t.discovery, known);
    }
  });
});
