// IncrementalRecords against generate(): after any sequence of entity changes, the records it
// publishes (and the deltas it hands out, applied in order) equal a full generation of the
// same state, name by name, as sets of values.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { MesosAgent, MesosState, MesosTask } from '../../src/state/types.ts';
import { findEmptyNonTerminals } from '../../src/records/empty-non-terminals.ts';
import { generate, type GenerateOptions } from '../../src/records/generate.ts';
import { IncrementalRecords } from '../../src/records/incremental.ts';
import { OverlayMap, overlay } from '../../src/records/overlay-map.ts';
import { PackedRecordMap } from '../../src/records/packed-map.ts';
import { recordCounts } from '../../src/records/record-counts.ts';
import type { RecordSet, SrvRecord } from '../../src/records/recordset.ts';
import { makeFramework, makeTask } from '../../sim/cluster.ts';
import { clusterOptions } from '../helpers/generate-options.ts';
import { clusterState } from '../helpers/sim-state.ts';

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/state-cluster.json', import.meta.url), 'utf8'),
) as MesosState;

const AGENT: MesosAgent = { id: 'c1-S0', hostname: '10.0.2.1', pid: 'slave(1)@10.0.2.1:5051' };

const options = (): GenerateOptions => clusterOptions();

/** name → sorted values, per type. */
export function canonical(maps: Pick<RecordSet, 'a' | 'aaaa' | 'srv'>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const kind of ['a', 'aaaa', 'srv'] as const) {
    for (const [name, values] of maps[kind]) {
      out[`${kind} ${name}`] = values
        .map((v) => (typeof v === 'string' ? v : `${v.target}:${v.port}:${v.priority}:${v.weight}`))
        .sort();
    }
  }
  return out;
}

function load(engine: IncrementalRecords, state: MesosState): void {
  engine.setLeader(state.leader);
  for (const agent of state.slaves ?? []) engine.setAgent(agent);
  for (const f of state.frameworks ?? []) {
    engine.setFramework(f);
    for (const t of f.tasks ?? []) engine.setTask(t);
  }
}

function assertSame(engine: IncrementalRecords, state: MesosState): void {
  const full = generate(state, options());
  assert.deepEqual(canonical(engine), canonical(full));
  assert.deepEqual(engine.counts, full.counts);
  assert.equal(engine.leader, full.leader);
  assert.deepEqual(engine.recordCounts, recordCounts(full));
  assert.deepEqual(engine.emptyNonTerminals().sort(), findEmptyNonTerminals(full).sort());
}

describe('IncrementalRecords', () => {
  it('loaded entity by entity, equals generate() on the fixture', () => {
    const engine = new IncrementalRecords(options());
    load(engine, fixture);
    engine.takeChanges();
    assertSame(engine, fixture);
  });

  it('the deltas it hands out, applied in order, give the same maps', () => {
    const engine = new IncrementalRecords(options());
    const mirror = { a: new Map(), aaaa: new Map(), srv: new Map() } as Record<
      'a' | 'aaaa' | 'srv',
      Map<string, readonly unknown[]>
    >;
    const apply = (): void => {
      const d = engine.takeChanges();
      for (const kind of ['a', 'aaaa', 'srv'] as const) {
        for (const [name, values] of d.changed[kind]) mirror[kind].set(name, values);
        for (const name of d.removed[kind]) mirror[kind].delete(name);
      }
    };
    load(engine, fixture);
    apply();
    const state = structuredClone(fixture);
    // Kill the first running task of the first framework and remove an agent.
    const f0 = state.frameworks![0]!;
    const victim = f0.tasks!.find((t) => t.state === 'TASK_RUNNING')!;
    victim.state = 'TASK_KILLED';
    engine.setTask(victim);
    apply();
    const gone = state.slaves!.shift()!;
    engine.removeAgent(gone.id);
    apply();
    assert.deepEqual(canonical(mirror as never), canonical(generate(state, options())));
    assertSame(engine, state);
  });

  const walks = [
    { what: 'kept in the overlay', rebaseEvery: 0 },
    { what: 'packed again every 11 changes (rebase)', rebaseEvery: 11 },
  ];
  for (const { what, rebaseEvery } of walks) {
    it(`a random walk of 3,000 changes stays equal to generate() of the same state, ${what}`, () => {
      const state = clusterState({
        apps: 30,
        instancesPerApp: 4,
        agents: 6,
        discoveryEvery: 3,
        containerIpEvery: 2,
        ipv6Agents: 1,
        stagingEvery: 5,
        seed: 9,
      });
      const engine = new IncrementalRecords(options());
      load(engine, state);
      engine.takeChanges();
      if (rebaseEvery > 0) engine.rebase();
      let seed = 12345;
      const rand = (n: number): number => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      const removedAgents: NonNullable<MesosState['slaves']> = [];
      const fw = state.frameworks![0]!;
      for (let step = 0; step < 3000; step++) {
        const r = rand(100);
        const tasks = fw.tasks!;
        if (r < 40 && tasks.length > 0) {
          const t = tasks[rand(tasks.length)]!;
          const next: MesosTask = {
            ...t,
            state: t.state === 'TASK_RUNNING' ? 'TASK_KILLED' : 'TASK_RUNNING',
          };
          tasks[tasks.indexOf(t)] = next;
          engine.setTask(next);
        } else if (r < 60 && tasks.length > 0) {
          const t = tasks.splice(rand(tasks.length), 1)[0]!;
          engine.removeTask(t.framework_id, t.id);
        } else if (r < 85) {
          const agents = state.slaves!;
          const src = tasks[rand(Math.max(1, tasks.length))];
          if (!src || agents.length === 0) continue;
          const t: MesosTask = {
            ...src,
            id: `${src.name}.${step}`,
            slave_id: agents[rand(agents.length)]!.id,
          };
          tasks.push(t);
          engine.setTask(t);
        } else if (r < 92 && state.slaves!.length > 1) {
          const a = state.slaves!.splice(rand(state.slaves!.length), 1)[0]!;
          removedAgents.push(a);
          engine.removeAgent(a.id);
        } else if (r < 97 && removedAgents.length > 0) {
          const a = removedAgents.pop()!;
          state.slaves!.push(a);
          engine.setAgent(a);
        } else {
          fw.name = fw.name === 'marathon' ? 'marathon-2' : 'marathon';
          engine.setFramework(fw);
        }
        if (step % 7 === 0) engine.takeChanges();
        if (rebaseEvery > 0 && step % rebaseEvery === 0) engine.rebase();
        if (step % 500 === 0) {
          engine.takeChanges();
          assertSame(engine, state);
        }
      }
      engine.takeChanges();
      assertSame(engine, state);
    });
  }

  it('packed by rebase, it publishes the same records, and its deltas apply on the packed set', () => {
    const engine = new IncrementalRecords(options());
    load(engine, fixture);
    engine.takeChanges();
    engine.rebase();
    assert.equal(engine.overlaid, 0);
    assert.ok(engine.a instanceof PackedRecordMap);
    assert.ok(engine.srv instanceof PackedRecordMap);
    assertSame(engine, fixture);
    // The receiver holds the packed set and lays the deltas over it.
    let served: RecordSet = {
      ...generate(fixture, options()),
      a: engine.a,
      aaaa: engine.aaaa,
      srv: engine.srv,
    };
    const apply = (): void => {
      const d = engine.takeChanges();
      served = {
        ...served,
        a: overlay(served.a, d.changed.a as [string, string[]][], d.removed.a),
        aaaa: overlay(served.aaaa, d.changed.aaaa as [string, string[]][], d.removed.aaaa),
        srv: overlay(served.srv, d.changed.srv as [string, SrvRecord[]][], d.removed.srv),
      };
    };
    // Every task replaced by an equal one: nothing changes, SRV records included (decoded anew
    // from the packed bytes, they are other objects).
    for (const f of fixture.frameworks ?? [])
      for (const t of f.tasks ?? []) engine.setTask({ ...t });
    assert.equal(engine.takeChanges().size, 0);
    const state = structuredClone(fixture);
    const f0 = state.frameworks![0]!;
    const victim = f0.tasks!.find((t) => t.state === 'TASK_RUNNING')!;
    victim.state = 'TASK_KILLED';
    engine.setTask(victim);
    apply();
    assert.ok(engine.overlaid > 0);
    assert.ok(engine.a instanceof OverlayMap);
    assertSame(engine, state);
    const gone = state.slaves!.shift()!;
    engine.removeAgent(gone.id);
    apply();
    assert.deepEqual(canonical(served), canonical(generate(state, options())));
    engine.rebase();
    assertSame(engine, state);
    state.slaves!.unshift(gone);
    engine.setAgent(gone);
    apply();
    assert.deepEqual(canonical(served), canonical(generate(state, options())));
    assertSame(engine, state);
  });

  it('with more apps than it keeps names cached for, stays equal to generate()', () => {
    const state = clusterState({
      apps: 1500,
      instancesPerApp: 2,
      agents: 40,
      discoveryEvery: 3,
      containerIpEvery: 2,
      stagingEvery: 0,
      seed: 3,
    });
    const engine = new IncrementalRecords(options());
    load(engine, state);
    engine.takeChanges();
    engine.rebase();
    assertSame(engine, state);
    // Every app's first instance killed, then running again: names computed anew.
    const tasks = state.frameworks![0]!.tasks!;
    for (let i = 0; i < tasks.length; i += 2) {
      const t = tasks[i]!;
      tasks[i] = { ...t, state: 'TASK_KILLED' };
      engine.setTask(tasks[i]!);
    }
    engine.takeChanges();
    assertSame(engine, state);
    for (let i = 0; i < tasks.length; i += 2) {
      tasks[i] = { ...tasks[i]!, state: 'TASK_RUNNING' };
      engine.setTask(tasks[i]!);
    }
    engine.takeChanges();
    assertSame(engine, state);
  });

  it('a framework removed takes its tasks records with it, and comes back whole', () => {
    const engine = new IncrementalRecords(options());
    load(engine, fixture);
    engine.takeChanges();
    const f = fixture.frameworks![0]!;
    engine.removeFramework(f.id);
    engine.takeChanges();
    const without = { ...fixture, frameworks: fixture.frameworks!.slice(1) };
    assertSame(engine, without);
    engine.setFramework(f);
    engine.takeChanges();
    assertSame(engine, fixture);
  });

  it('a record two tasks share stays until the last of them goes, with the same value object', () => {
    const agent = AGENT;
    const marathon = makeFramework('c1', 1, 'marathon');
    const task = (id: string, port: number): MesosTask =>
      makeTask({
        id,
        name: 'web',
        frameworkId: marathon.id,
        agentId: agent.id,
        ports: [[port, port]],
      });
    const engine = new IncrementalRecords(options());
    engine.setAgent(agent);
    engine.setFramework(marathon);
    const t1 = task('web.1', 31000);
    const t2 = task('web.2', 31001);
    engine.setTask(t1);
    engine.setTask(t2);
    engine.takeChanges();
    const shared = 'web.marathon.slave.mesos.';
    assert.deepEqual(engine.a.get(shared), ['10.0.2.1']);
    const before = engine.a.get(shared);
    // Replaced by an equal task: nothing changes, and the published array is the same one.
    engine.setTask({ ...t1 });
    assert.equal(engine.takeChanges().size, 0);
    assert.equal(engine.a.get(shared), before);
    engine.removeTask(marathon.id, 'web.1');
    const d = engine.takeChanges();
    assert.ok(!d.changed.a.some(([n]) => n === shared));
    assert.deepEqual(engine.a.get(shared), ['10.0.2.1']);
    engine.removeTask(marathon.id, 'web.2');
    assert.ok(engine.takeChanges().removed.a.includes(shared));
    assert.equal(engine.a.has(shared), false);
    assert.equal(engine.counts.tasks, 0);
  });

  it('warns about a task once, not again when its records are computed to remove them', () => {
    const warnings: string[] = [];
    const engine = new IncrementalRecords({ ...options(), warn: (m) => warnings.push(m) });
    const agent = AGENT;
    const marathon = makeFramework('c1', 1, 'marathon');
    engine.setAgent(agent);
    engine.setFramework(marathon);
    const bad = makeTask({ id: 'x.1', name: '_', frameworkId: marathon.id, agentId: agent.id });
    engine.setTask(bad);
    assert.equal(warnings.length, 1);
    engine.removeTask(marathon.id, 'x.1');
    assert.equal(warnings.length, 1);
  });

  it('refuses a task changed in place (its old records could not be found again)', () => {
    const engine = new IncrementalRecords(options());
    const agent = AGENT;
    const marathon = makeFramework('c1', 1, 'marathon');
    engine.setAgent(agent);
    engine.setFramework(marathon);
    const t = makeTask({ id: 'web.1', name: 'web', frameworkId: marathon.id, agentId: agent.id });
    engine.setTask(t);
    t.state = 'TASK_KILLED';
    assert.throws(() => engine.setTask(t), /changed in place/);
  });
});
