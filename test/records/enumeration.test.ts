// The compact enumeration (records/enumeration.ts): /v1/enumerate renders byte for byte as the
// JS form did (sha-256 of the old renderer's bodies), from the generated set, the packed one and
// the one whose names are entry indices, and from JS maps where packing failed.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  ENUM_A,
  ENUM_AAAA,
  ENUM_SRV,
  EnumerationBuilder,
  withIndexedEnumeration,
} from '../../src/records/enumeration.ts';
import {
  enumerationBytes,
  enumerationFrameworks,
  type EnumerationFramework,
} from '../../src/records/enumeration-json.ts';
import { generate } from '../../src/records/generate.ts';
import { isPacked, packRecordSet } from '../../src/records/packed-map.ts';
import type { RecordSet } from '../../src/records/recordset.ts';
import { taskHash } from '../../src/records/task-hash.ts';
import type { MesosState } from '../../src/state/types.ts';
import { recordSetDigest } from '../../src/transfer/record-transfer.ts';
import { makeFramework, makeTask } from '../../sim/cluster.ts';
import { healthPtrOptions } from '../helpers/generate-options.ts';
import { enumerationCases } from './enumeration-states.ts';

const text = (chunks: readonly Uint8Array[]): string => Buffer.concat(chunks).toString('utf8');

/** /v1/enumerate as the JS form rendered it (one JSON.stringify per task), from objects. */
function reference(frameworks: readonly EnumerationFramework[]): string {
  const doc = {
    frameworks: frameworks.map((f) => ({
      tasks: f.tasks.map((t) => ({
        name: t.name,
        id: t.id,
        records: t.records.map((r) => ({ name: r.name, host: r.host, rtype: r.rtype })),
      })),
      name: f.frameworkname,
    })),
  };
  return JSON.stringify(doc) + '\n';
}

/** Length and sha-256 of each case's body from the JS-form renderer this replaced. */
const OLD_BODIES: Record<string, [number, string]> = {
  'cluster fixture, ptron': [
    9527,
    '81ee7119e71dee7d69444ad34671bfeb12f0b1c03a23b82548f73635b72977e1',
  ],
  'cluster fixture, RFC 952, docker and host sources': [
    9035,
    '03bda5dc2b9d1e1b1a7139ff2eec482d8126ee40b4b969fe12d0420f26e8a9e9',
  ],
  'demo cluster': [5241, '83d77613947df3405972abd90bcb432639a28de8d13949619385d9fac42fe7e5'],
  'simulated, onlyHealthy': [
    19960,
    '99753654a2fd0a0ef289b0f578e776877e1518c625c5cbaf81efe2e63b14741a',
  ],
  'simulated, non-ASCII discovery name': [
    26091,
    '7b0d9571854cd0c2b86d1c0c1f61eefc0081a16d05d18603f6e5183b1cd5e6f9',
  ],
};

/** Every record's host is the value at its position under its name. */
function assertHostsInMaps(set: RecordSet): void {
  for (const f of enumerationFrameworks(set)) {
    for (const t of f.tasks) {
      for (const r of t.records) {
        const values =
          r.rtype === 'SRV'
            ? set.srv.get(r.name)?.map((v) => `${v.target}:${v.port}`)
            : (r.rtype === 'A' ? set.a : set.aaaa).get(r.name);
        assert.ok(values?.includes(r.host), `${r.rtype} ${r.name} ${r.host}`);
      }
    }
  }
}

describe('compact enumeration', () => {
  for (const c of enumerationCases()) {
    it(`renders as before: ${c.name}`, () => {
      const set = generate(c.state, c.options);
      const body = text(enumerationBytes(set));
      const [length, sha] = OLD_BODIES[c.name]!;
      assert.equal(Buffer.byteLength(body), length);
      assert.equal(createHash('sha256').update(body).digest('hex'), sha);
      assert.equal(body, reference(enumerationFrameworks(set)));
      assertHostsInMaps(set);

      // Packed, and then with entry indices for names: the same body, in small pieces too.
      const packed = packRecordSet(set);
      assert.equal(text(enumerationBytes(packed)), body);
      const indexed = withIndexedEnumeration(packed);
      assert.equal(text(enumerationBytes(indexed)), body);
      assert.equal(text(enumerationBytes(indexed, 64)), body);
      assert.deepEqual(enumerationFrameworks(indexed), enumerationFrameworks(set));
      assert.equal(withIndexedEnumeration(indexed), indexed);

      const allPacked = isPacked(packed.a) && isPacked(packed.aaaa) && isPacked(packed.srv);
      assert.equal(allPacked, !c.name.includes('non-ASCII'));
      // Strings until indexed; where a map stayed a JS Map the names stay strings.
      assert.ok(Array.isArray(packed.enumeration?.names));
      assert.equal(indexed.enumeration?.names instanceof Uint32Array, allPacked);
    });
  }

  it('lists a held record of an unhealthy task after its others, once served (fail open)', () => {
    const marathon = makeFramework('c1', 1, 'marathon');
    for (const i of [1, 2]) {
      marathon.tasks.push(
        makeTask({
          id: `web.${i}`,
          name: 'web',
          frameworkId: marathon.id,
          agentId: 'c1-S0',
          containerIps: [`172.17.0.${i}`],
          ports: [[31000 + i, 31000 + i]],
          healthy: false,
        }),
      );
    }
    const state: MesosState = {
      leader: 'master@10.0.0.1:5050',
      frameworks: [marathon],
      slaves: [{ id: 'c1-S0', hostname: '10.0.2.1', pid: 'slave(1)@10.0.2.1:5051' }],
    };
    const set = generate(state, healthPtrOptions());
    const web1 = enumerationFrameworks(set)[0]!.tasks[0]!;
    const c = `web-${taskHash('web.1')}-s0.marathon`;
    const srv = (name: string) => ({
      name,
      host: `${c}.slave.mesos.:31001`,
      rtype: 'SRV' as const,
    });
    assert.deepEqual(web1.records, [
      // Its own names first, as generated; then the shared ones, released after all tasks.
      { name: `${c}.mesos.`, host: '172.17.0.1', rtype: 'A' },
      { name: `${c}.slave.mesos.`, host: '10.0.2.1', rtype: 'A' },
      { name: 'web.marathon.mesos.', host: '172.17.0.1', rtype: 'A' },
      { name: 'web.marathon.slave.mesos.', host: '10.0.2.1', rtype: 'A' },
      srv('_web._tcp.marathon.slave.mesos.'),
      srv('_web._udp.marathon.slave.mesos.'),
      srv('_web._tcp.marathon.mesos.'),
      srv('_web._udp.marathon.mesos.'),
    ]);
    // The second task's shared address is the second value under the shared name.
    const web2 = enumerationFrameworks(set)[0]!.tasks[1]!;
    assert.deepEqual(
      web2.records.find((r) => r.name === 'web.marathon.mesos.'),
      { name: 'web.marathon.mesos.', host: '172.17.0.2', rtype: 'A' },
    );
    assert.deepEqual(set.a.get('web.marathon.mesos.'), ['172.17.0.1', '172.17.0.2']);
  });

  it('builds late records into their tasks in the order they came', () => {
    const e = new EnumerationBuilder();
    e.framework('f');
    const t0 = e.task('a', 'a.1');
    e.add(ENUM_A, 'x.', 0);
    const t1 = e.task('b', 'b.1');
    e.add(ENUM_AAAA, 'y.', 1);
    e.framework('g');
    const t2 = e.task('c', 'c.1');
    e.addLate(t2, ENUM_SRV, 's.', 0);
    e.addLate(t0, ENUM_SRV, 's.', 1);
    e.addLate(t2, ENUM_A, 'z.', 2);
    e.addLate(t0, ENUM_A, 'z.', 0);
    const en = e.finish();
    assert.deepEqual([t0, t1, t2], [0, 1, 2]);
    assert.deepEqual(en.frameworks, ['f', 'g']);
    assert.deepEqual([...en.frameworkTasks], [0, 2, 3]);
    assert.equal(en.text, 'aa.1bb.1cc.1');
    assert.deepEqual([...en.taskRecords], [0, 3, 4, 6]);
    assert.deepEqual(en.names, ['x.', 's.', 'z.', 'y.', 's.', 'z.']);
    assert.deepEqual(
      [...en.records],
      [0 * 4 + ENUM_A, 1 * 4 + ENUM_SRV, 0 * 4 + ENUM_A, 1 * 4 + ENUM_AAAA, ENUM_SRV, 2 * 4],
    );
  });

  it('is part of the digest: a change only /v1/enumerate shows changes it', () => {
    const state = (name: string): MesosState => {
      const marathon = makeFramework('c1', 1, 'marathon');
      marathon.tasks.push(
        makeTask({ id: 'web.1', name, frameworkId: marathon.id, agentId: 'c1-S0' }),
      );
      return {
        leader: 'master@10.0.0.1:5050',
        frameworks: [marathon],
        slaves: [{ id: 'c1-S0', hostname: '10.0.2.1', pid: 'slave(1)@10.0.2.1:5051' }],
      };
    };
    const digest = (name: string): string =>
      recordSetDigest(
        withIndexedEnumeration(packRecordSet(generate(state(name), healthPtrOptions()))),
      );
    const lower = generate(state('web'), healthPtrOptions());
    const upper = generate(state('WEB'), healthPtrOptions());
    // The same records (labels are lower-cased), a different task name in the enumeration.
    assert.deepEqual([...lower.a], [...upper.a]);
    assert.equal(digest('web'), digest('web'));
    assert.notEqual(digest('web'), digest('WEB'));
  });
});
