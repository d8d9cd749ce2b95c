// A 50,000-task synthetic state generates completely (counts and spot checks; no timing assert:
// the machine is shared). Duration is printed for the record.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MesosFramework, MesosState, MesosTask } from '../../src/state/types.ts';
import { enumerationFrameworks } from '../../src/records/enumeration-json.ts';
import { generate } from '../../src/records/generate.ts';
import { taskHash } from '../../src/records/task-hash.ts';

const AGENTS = 500;
const APPS = 5000;
const INSTANCES = 10;

function syntheticState(): MesosState {
  const slaves = Array.from({ length: AGENTS }, (_, i) => ({
    id: `c0ffee00-0000-4000-8000-000000000000-S${i}`,
    hostname: `agent-${i}.example.internal`,
    pid: `slave(1)@10.1.${i >> 8}.${i & 255}:5051`,
  }));
  const frameworks: MesosFramework[] = [];
  for (let f = 0; f < 5; f++) {
    const tasks: MesosTask[] = [];
    for (let a = f; a < APPS; a += 5) {
      for (let n = 0; n < INSTANCES; n++) {
        const agent = (a * INSTANCES + n) % AGENTS;
        const id = `app-${a}.${a}-${n}-5a3e3f2c-8d7b-11e6`;
        tasks.push({
          id,
          name: `app-${a}`,
          framework_id: `fw-${f}`,
          slave_id: slaves[agent]!.id,
          state: 'TASK_RUNNING',
          resources: { ports: `[${31000 + n}-${31001 + n}]` },
          statuses: [
            {
              state: 'TASK_RUNNING',
              timestamp: 1511800000 + n,
              container_status: {
                network_infos: [
                  { ip_addresses: [{ ip_address: `172.${16 + (a >> 8)}.${a & 255}.${n + 2}` }] },
                ],
              },
            },
          ],
        });
      }
    }
    frameworks.push({
      id: `fw-${f}`,
      name: `framework-${f}`,
      pid: `scheduler@10.0.0.${f + 2}:4000${f}`,
      tasks,
    });
  }
  return { leader: 'master@10.0.0.1:5050', slaves, frameworks };
}

describe('generate: 50,000 tasks', () => {
  it('produces every task’s records', () => {
    const state = syntheticState();
    const started = performance.now();
    const set = generate(state, {
      domain: 'mesos',
      ipSources: ['netinfo', 'host'],
      enforceRFC952: false,
      srvWeight: 1,
      masters: ['10.0.0.1:5050'],
      soaMname: 'ns1.mesos',
      nameserverAddresses: ['10.0.0.53'],
    });
    const ms = performance.now() - started;
    console.log(`generate: ${set.counts.tasks} tasks in ${ms.toFixed(0)} ms`);

    assert.deepEqual(set.counts, { tasks: APPS * INSTANCES, frameworks: 5, agents: AGENTS });
    // Per app: T.F.D, T.F.slave.D; per task: two canonical names. Plus slave, leader, master,
    // master0, ns1 and one name per framework.
    assert.equal(set.a.size, APPS * 2 + APPS * INSTANCES * 2 + 5 + 5);
    // Per app: 4 SRV names; plus _leader x2, _slave, _framework x5.
    assert.equal(set.srv.size, APPS * 4 + 8);
    assert.equal(set.a.get('app-17.framework-2.mesos.')!.length, INSTANCES);
    assert.equal(set.srv.get('_app-17._tcp.framework-2.mesos.')!.length, INSTANCES * 2);
    const id = 'app-17.17-3-5a3e3f2c-8d7b-11e6';
    const agent = (17 * INSTANCES + 3) % AGENTS;
    assert.deepEqual(set.a.get(`app-17-${taskHash(id)}-s${agent}.framework-2.mesos.`), [
      '172.16.17.5',
    ]);
    assert.equal(
      enumerationFrameworks(set).reduce((n, f) => n + f.tasks.length, 0),
      APPS * INSTANCES,
    );
  });
});
