// Which host names a load looks up before generation: only those generation takes addresses
// from (#16 finding 7: agents report an FQDN hostname and an IP pid; mesos-dns uses the pid).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { hostsToResolve, resolveHosts } from '../../src/mesos/resolve-hosts.ts';
import type { MesosState } from '../../src/state/types.ts';
import { generate } from '../../src/records/generate.ts';

describe('hostsToResolve', () => {
  it('skips the hostname of every agent and framework whose pid gives the host', () => {
    const state: MesosState = {
      leader: 'master@10.0.0.1:5050',
      slaves: [
        { id: 'S0', hostname: 'agent-0.example.internal', pid: 'slave(1)@10.0.1.10:5051' },
        { id: 'S1', hostname: 'agent-1.example.internal', pid: 'slave(1)@[2001:db8::11]:5051' },
      ],
      frameworks: [
        {
          id: 'F0',
          name: 'marathon',
          hostname: 'marathon-1.example.internal',
          pid: 'scheduler-1@10.0.0.2:34567',
        },
      ],
    };
    assert.deepEqual(hostsToResolve(state, ['10.0.0.1:5050']), []);
  });

  it('resolves the pid host when it is a name, and the hostname only without a readable pid', () => {
    const state: MesosState = {
      leader: 'master@leader.example.internal:5050',
      slaves: [
        { id: 'S0', hostname: 'agent-0.example.internal', pid: 'slave(1)@pid-0.example:5051' },
        { id: 'S1', hostname: 'agent-1.example.internal' },
        { id: 'S2', hostname: 'agent-2.example.internal', pid: 'not a pid' },
      ],
      frameworks: [
        { id: 'F0', name: 'a', hostname: 'fw-0.example.internal', pid: 's@fw-pid.example:1' },
        { id: 'F1', name: 'b', hostname: 'fw-1.example.internal' },
      ],
    };
    assert.deepEqual(hostsToResolve(state, ['master-2.example.internal:5050', 'bad']).sort(), [
      'agent-1.example.internal',
      'agent-2.example.internal',
      'fw-1.example.internal',
      'fw-pid.example',
      'leader.example.internal',
      'master-2.example.internal',
      'pid-0.example',
    ]);
  });

  it('mesos-dns factories/fake.json: only the framework without a pid ("localhost")', () => {
    const fake = JSON.parse(
      readFileSync(new URL('../fixtures/mesos-dns/fake.json', import.meta.url), 'utf8'),
    ) as MesosState;
    // Its agents' hostnames are IPs, its marathon's hostname is google.com with an IP pid.
    assert.deepEqual(hostsToResolve(fake, []), ['localhost']);
  });

  it('survives entries that are not objects', () => {
    const state = { slaves: [null, 3], frameworks: ['x'], leader: 7 } as unknown as MesosState;
    assert.deepEqual(hostsToResolve(state, []), []);
  });

  it('every name generation warns about unresolved is in the list (nothing it uses is missed)', async () => {
    const state: MesosState = {
      leader: 'master@leader.example:5050',
      slaves: [{ id: 'S0', hostname: 'h0', pid: 'slave(1)@agent.example:5051' }],
      frameworks: [{ id: 'F0', name: 'f', hostname: 'fw.example' }],
    };
    const masters = ['leader.example:5050', 'm.example:5050'];
    const names = hostsToResolve(state, masters);
    const { resolved } = await resolveHosts(names, {
      timeoutMs: 1000,
      lookup: () => Promise.resolve(['192.0.2.1', '2001:db8::1']),
    });
    const warnings: string[] = [];
    const set = generate(state, {
      domain: 'mesos',
      ipSources: ['host'],
      enforceRFC952: false,
      srvWeight: 1,
      masters,
      soaMname: 'ns1.mesos',
      nameserverAddresses: [],
      resolvedHosts: resolved,
      warn: (m) => warnings.push(m),
    });
    assert.deepEqual(warnings, []);
    // hostToIPs: every address of a resolved name, both families.
    assert.deepEqual(set.a.get('slave.mesos.'), ['192.0.2.1']);
    assert.deepEqual(set.aaaa.get('slave.mesos.'), ['2001:db8::1']);
    assert.deepEqual(set.aaaa.get('f.mesos.'), ['2001:db8::1']);
  });

  it('10,000 real-looking agents (FQDN hostname, IP pid): one lookup, for the one name generation uses', async () => {
    const agents = Array.from({ length: 10_000 }, (_, i) => ({
      id: `S${i}`,
      hostname: `agent-${i}.dc1.example.internal`,
      pid: `slave(1)@10.${(i >> 8) & 255}.${i & 255}.1:5051`,
    }));
    const frameworks = [
      ...Array.from({ length: 50 }, (_, i) => ({
        id: `F${i}`,
        name: `fw${i}`,
        hostname: `scheduler-${i}.dc1.example.internal`,
        pid: `scheduler-${i}@10.9.0.${i + 1}:4000`,
      })),
      // Without a pid, the hostname is where its records come from: the one name to look up.
      { id: 'F-nopid', name: 'nopid', hostname: 'nopid.dc1.example.internal' },
    ];
    const state: MesosState = { leader: 'master@10.0.0.1:5050', slaves: agents, frameworks };
    const asked: string[] = [];
    const { resolved, failures } = await resolveHosts(hostsToResolve(state, ['10.0.0.1:5050']), {
      timeoutMs: 1000,
      lookup: (name) => {
        asked.push(name);
        return Promise.resolve(['192.0.2.7']);
      },
    });
    assert.deepEqual(asked, ['nopid.dc1.example.internal']);
    assert.deepEqual(failures, []);
    const warnings: string[] = [];
    const set = generate(state, {
      domain: 'mesos',
      ipSources: ['host'],
      enforceRFC952: false,
      srvWeight: 1,
      masters: ['10.0.0.1:5050'],
      soaMname: 'ns1.mesos',
      nameserverAddresses: [],
      resolvedHosts: resolved,
      warn: (m) => warnings.push(m),
    });
    assert.deepEqual(warnings, []);
    // Addresses come from the pids (as mesos-dns), and the looked-up name serves its framework.
    assert.equal(set.a.get('slave.mesos.')?.length, 10_000);
    assert.deepEqual(set.a.get('nopid.mesos.'), ['192.0.2.7']);
    assert.deepEqual(set.a.get('fw7.mesos.'), ['10.9.0.8']);
  });
});
