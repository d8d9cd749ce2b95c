// onlyHealthy (unhealthy tasks leave shared names, fail open when all are) and ptron (PTR records
// for container addresses) in generate(), on small states built with the simulator's shapes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enumerationFrameworks } from '../../src/records/enumeration-json.ts';
import { generate, type GenerateOptions } from '../../src/records/generate.ts';
import { IncrementalRecords } from '../../src/records/incremental.ts';
import type { RecordSet } from '../../src/records/recordset.ts';
import { taskHash } from '../../src/records/task-hash.ts';
import { reverseName } from '../../src/net/reverse-name.ts';
import type { MesosState } from '../../src/state/types.ts';
import { makeFramework, makeTask, type TaskSpec } from '../../sim/cluster.ts';
import { healthPtrOptions, simOptions } from '../helpers/generate-options.ts';

const AGENTS = [
  { id: 'c1-S0', hostname: '10.0.2.1', pid: 'slave(1)@10.0.2.1:5051' },
  { id: 'c1-S1', hostname: '10.0.2.2', pid: 'slave(1)@10.0.2.2:5051' },
];

type Spec = Omit<TaskSpec, 'frameworkId' | 'agentId'> & { agent?: number };

function state(tasks: Spec[]): MesosState {
  const marathon = makeFramework('c1', 1, 'marathon');
  for (const t of tasks) {
    const { agent = 0, ...spec } = t;
    marathon.tasks.push(
      makeTask({ ...spec, frameworkId: marathon.id, agentId: AGENTS[agent]!.id }),
    );
  }
  return { leader: 'master@10.0.0.1:5050', frameworks: [marathon], slaves: AGENTS };
}

function gen(tasks: Spec[], over: Partial<GenerateOptions> = {}): RecordSet {
  return generate(state(tasks), simOptions(over));
}

function canonical(id: string, agent: string, slave = false): string {
  return `web-${taskHash(id)}-${agent}.marathon.${slave ? 'slave.' : ''}mesos.`;
}

const srvTargets = (set: RecordSet, name: string): string[] =>
  (set.srv.get(name) ?? []).map((r) => `${r.target}:${r.port}`).sort();

describe('generate: onlyHealthy', () => {
  const tasks: Spec[] = [
    {
      id: 'web.1',
      name: 'web',
      containerIps: ['172.17.0.2'],
      ports: [[31000, 31000]],
      healthy: true,
    },
    {
      id: 'web.2',
      name: 'web',
      containerIps: ['172.17.0.3'],
      ports: [[31001, 31001]],
      healthy: false,
      agent: 1,
    },
    // No health check: always answered.
    { id: 'web.3', name: 'web', containerIps: ['172.17.0.4'], ports: [[31002, 31002]] },
  ];

  it('leaves an unhealthy task out of T.F.D, T.F.slave.D and every SRV name', () => {
    const set = gen(tasks, { onlyHealthy: true });
    assert.deepEqual([...(set.a.get('web.marathon.mesos.') ?? [])].sort(), [
      '172.17.0.2',
      '172.17.0.4',
    ]);
    // Agent S1 only runs the unhealthy instance.
    assert.deepEqual(set.a.get('web.marathon.slave.mesos.'), ['10.0.2.1']);
    for (const name of [
      '_web._tcp.marathon.mesos.',
      '_web._udp.marathon.mesos.',
      '_web._tcp.marathon.slave.mesos.',
    ]) {
      const targets = srvTargets(set, name);
      assert.equal(targets.length, 2, name);
      assert.ok(!targets.some((t) => t.endsWith(':31001')), `${name}: ${targets.join(' ')}`);
    }
    assert.equal(set.failOpen, undefined);
  });

  it('keeps the unhealthy task under its canonical names, for debugging', () => {
    const set = gen(tasks, { onlyHealthy: true });
    assert.deepEqual(set.a.get(canonical('web.2', 's1')), ['172.17.0.3']);
    assert.deepEqual(set.a.get(canonical('web.2', 's1', true)), ['10.0.2.2']);
  });

  it('answers every task when onlyHealthy is off (mesos-dns behaviour)', () => {
    const set = gen(tasks);
    assert.equal(set.a.get('web.marathon.mesos.')?.length, 3);
    assert.equal(srvTargets(set, '_web._tcp.marathon.mesos.').length, 3);
  });

  it('fails open when every task behind a name is unhealthy, and names it', () => {
    const sick: Spec[] = [
      {
        id: 'web.1',
        name: 'web',
        containerIps: ['172.17.0.2'],
        ports: [[31000, 31000]],
        healthy: false,
      },
      {
        id: 'web.2',
        name: 'web',
        containerIps: ['172.17.0.3'],
        ports: [[31001, 31001]],
        healthy: false,
      },
      {
        id: 'api.1',
        name: 'api',
        containerIps: ['172.17.0.9'],
        ports: [[31009, 31009]],
        healthy: true,
      },
    ];
    const set = gen(sick, { onlyHealthy: true });
    assert.equal(set.a.get('web.marathon.mesos.')?.length, 2);
    assert.equal(srvTargets(set, '_web._tcp.marathon.mesos.').length, 2);
    assert.deepEqual(set.a.get('api.marathon.mesos.'), ['172.17.0.9']);
    assert.ok(set.failOpen?.includes('web.marathon.mesos.'));
    assert.ok(set.failOpen?.includes('_web._tcp.marathon.mesos.'));
    assert.ok(!set.failOpen?.some((n) => n.includes('api')));
    // Fail-open records are listed in the enumeration like any other.
    const web = enumerationFrameworks(set)[0]!.tasks.find((t) => t.id === 'web.1')!;
    assert.ok(web.records.some((r) => r.name === 'web.marathon.mesos.'));
  });

  it('judges the latest TASK_RUNNING status: a task that recovered answers again', () => {
    const s = state([
      { id: 'web.1', name: 'web', containerIps: ['172.17.0.2'], healthy: false, timestamp: 100 },
      { id: 'web.2', name: 'web', containerIps: ['172.17.0.3'], healthy: true, timestamp: 100 },
    ]);
    const task = s.frameworks![0]!.tasks![0]!;
    task.statuses!.push({ state: 'TASK_RUNNING', timestamp: 200, healthy: true });
    const set = generate(
      s,
      simOptions({ ipSources: ['netinfo', 'host'], masters: [], onlyHealthy: true }),
    );
    assert.equal(set.a.get('web.marathon.mesos.')?.length, 2);
  });
});

describe('generate: ptron', () => {
  it('gives container addresses a PTR to the canonical name, v4 and v6', () => {
    const set = gen([{ id: 'web.1', name: 'web', containerIps: ['172.17.0.2', 'fd01::5'] }], {
      ptr: true,
    });
    assert.deepEqual(set.ptr.get('2.0.17.172.in-addr.arpa.'), [canonical('web.1', 's0')]);
    assert.deepEqual(set.ptr.get(reverseName('fd01::5')!), [canonical('web.1', 's0')]);
    assert.equal(set.ptr.size, 2);
  });

  it('gives no PTR for addresses that come from the agent', () => {
    const set = gen([{ id: 'web.1', name: 'web' }], { ptr: true });
    assert.equal(set.a.get('web.marathon.mesos.')?.[0], '10.0.2.1');
    assert.equal(set.ptr.size, 0);
  });

  it('gives one PTR per task when tasks share an address (a pod)', () => {
    const set = gen(
      [
        { id: 'web.1', name: 'web', containerIps: ['172.17.0.2'] },
        { id: 'web.2', name: 'web', containerIps: ['172.17.0.2'] },
      ],
      { ptr: true },
    );
    assert.deepEqual(
      [...(set.ptr.get('2.0.17.172.in-addr.arpa.') ?? [])].sort(),
      [canonical('web.1', 's0'), canonical('web.2', 's0')].sort(),
    );
  });

  it('is off by default', () => {
    const set = gen([{ id: 'web.1', name: 'web', containerIps: ['172.17.0.2'] }]);
    assert.equal(set.ptr.size, 0);
  });
});

describe('reverseName', () => {
  it('writes in-addr.arpa and ip6.arpa names', () => {
    assert.equal(reverseName('10.0.2.1'), '1.2.0.10.in-addr.arpa.');
    assert.equal(
      reverseName('2001:db8::567:89ab'),
      'b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.',
    );
    assert.equal(reverseName('::1'), '1' + '.0'.repeat(31) + '.ip6.arpa.');
    assert.equal(reverseName('FD01:0:0:0:0:0:0:5'), reverseName('fd01::5'));
    assert.equal(reverseName('fd01::'), '0.'.repeat(28) + '1.0.d.f.ip6.arpa.');
    // As the A record has it.
    assert.equal(reverseName('::ffff:10.0.2.1'), '1.2.0.10.in-addr.arpa.');
  });

  it('refuses what is no address', () => {
    for (const bad of ['10.0.2', '10.0.2.256', 'web.mesos', '1::2::3', ':::', '12345::1']) {
      assert.equal(reverseName(bad), null, bad);
    }
  });
});

describe('IncrementalRecords (stream mode): onlyHealthy and ptr as generate() gives them', () => {
  const opts = (): GenerateOptions => healthPtrOptions();

  const sorted = (
    maps: Pick<RecordSet, 'a' | 'aaaa' | 'srv' | 'ptr'>,
  ): Record<string, string[]> => {
    const out: Record<string, string[]> = {};
    for (const kind of ['a', 'aaaa', 'srv', 'ptr'] as const) {
      for (const [name, values] of maps[kind] as ReadonlyMap<string, readonly unknown[]>) {
        out[`${kind} ${name}`] = values
          .map((v) => (typeof v === 'string' ? v : (v as { target: string }).target))
          .sort();
      }
    }
    return out;
  };
  const specs: Spec[] = [
    { id: 'web.1', name: 'web', containerIps: ['172.17.0.2'], ports: [[31000, 31000]] },
    { id: 'web.2', name: 'web', containerIps: ['172.17.0.3'], ports: [[31001, 31001]], agent: 1 },
    { id: 'api.1', name: 'api', containerIps: ['172.17.0.9'], ports: [[31009, 31009]] },
  ];

  for (const packed of [false, true]) {
    it(`follows health flips task by task, fail open included, and its deltas say so${packed ? ', packed (rebase) after each change' : ''}`, () => {
      const engine = new IncrementalRecords(opts());
      const s = state(specs);
      engine.setLeader(s.leader);
      for (const agent of s.slaves ?? []) engine.setAgent(agent);
      const framework = s.frameworks![0]!;
      engine.setFramework(framework);
      for (const t of framework.tasks ?? []) engine.setTask(t);
      engine.takeChanges();
      const check = (what: string): void => {
        if (packed) engine.rebase();
        const full = generate(s, opts());
        assert.deepEqual(sorted(engine), sorted(full), what);
        assert.deepEqual(engine.failOpen(), full.failOpen ?? [], `${what}: fail-open names`);
      };
      check('all healthy');
      assert.ok(engine.ptr.has('2.0.17.172.in-addr.arpa.'));

      // Health results arrive one task at a time, as TASK_UPDATED events do.
      const flip = (id: string, healthy: boolean): void => {
        // A new object, as the stream gives: the engine keeps the one it was given.
        const tasks = framework.tasks!;
        const i = tasks.findIndex((t) => t.id === id);
        const task = tasks[i]!;
        const last = task.statuses!.at(-1)!;
        tasks[i] = {
          ...task,
          statuses: [...task.statuses!, { ...last, healthy, timestamp: last.timestamp + 1 }],
        };
        engine.setTask(tasks[i]);
      };
      flip('web.1', false);
      let changes = engine.takeChanges();
      check('web.1 unhealthy');
      assert.ok(changes.changed.a.some(([n]) => n === 'web.marathon.mesos.'));
      flip('web.2', false);
      changes = engine.takeChanges();
      check('both web unhealthy: fail open');
      assert.ok(changes.changed.a.some(([n, v]) => n === 'web.marathon.mesos.' && v.length === 2));
      assert.ok(engine.failOpen().includes('web.marathon.mesos.'));
      assert.equal(engine.a.get('web.marathon.mesos.')?.length, 2);
      flip('web.2', true);
      engine.takeChanges();
      check('web.2 back');
      assert.deepEqual(engine.a.get('web.marathon.mesos.'), ['172.17.0.3']);
      engine.removeTask(framework.id, 'web.2');
      framework.tasks = framework.tasks!.filter((t) => t.id !== 'web.2');
      engine.takeChanges();
      check('web.2 gone: web.1 alone and unhealthy fails open');
      assert.ok(!engine.ptr.has('3.0.17.172.in-addr.arpa.'));
    });
  }
});
