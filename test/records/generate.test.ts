// generate() on a realistic /master/state fixture: every naming rule, IP source, sanitiser and
// degenerate input it has to survive.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { IP_SOURCES } from '../../src/config/schema.ts';
import type { IPSource } from '../../src/config/types.ts';
import type { MesosState } from '../../src/state/types.ts';
import { enumerationFrameworks } from '../../src/records/enumeration-json.ts';
import { generate, type GenerateOptions } from '../../src/records/generate.ts';
import type { RecordSet } from '../../src/records/recordset.ts';
import { taskHash } from '../../src/records/task-hash.ts';
import { clusterOptions } from '../helpers/generate-options.ts';

const state = JSON.parse(
  readFileSync(new URL('../fixtures/state-cluster.json', import.meta.url), 'utf8'),
) as MesosState;

const WEB1 = 'web.5a3e3f2c-8d7b-11e6-9a0b-0242ac110002';
const WEB2 = 'web.6b4f402d-8d7b-11e6-9a0b-0242ac110002';
const WEB3 = 'web.7c50513e-8d7b-11e6-9a0b-0242ac110002';
const API = 'api.8d61624f-8d7b-11e6-9a0b-0242ac110002';
const LEGACY = 'legacy.9e72735a-8d7b-11e6-9a0b-0242ac110002';
const TOY = 'toy.af83846b-8d7b-11e6-9a0b-0242ac110002';
const BADPORTS = 'badports.b094957c-8d7b-11e6-9a0b-0242ac110002';
const ORPHAN = 'orphan.e3c7c8af-8d7b-11e6-9a0b-0242ac110002';

function options(over: Partial<GenerateOptions> = {}): GenerateOptions & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...clusterOptions({ warn: (m) => warnings.push(m) }), warnings, ...over };
}

function run(over: Partial<GenerateOptions> = {}): { set: RecordSet; warnings: string[] } {
  const o = options(over);
  return { set: generate(state, o), warnings: o.warnings };
}

function srvs(set: RecordSet, name: string): string[] {
  return (set.srv.get(name) ?? []).map((r) => `${r.target}:${r.port}`);
}

/** "web-<hash>-s0" for a task id on agent S<n>. */
function canon(label: string, id: string, agent: string): string {
  return `${label}-${taskHash(id)}-${agent}`;
}

describe('generate: tasks', () => {
  const { set, warnings } = run();

  it('T.F.D gets each instance’s own IPs: every IP of the first source that has any', () => {
    // web1: newest TASK_RUNNING status (not the older one, not TASK_STARTING); web2: Mesos 0.25
    // netinfo form; web3: no container IP, so all its agent's (pre-resolved) addresses.
    assert.deepEqual(set.a.get('web.marathon.mesos.'), [
      '172.17.0.2',
      '172.17.0.3',
      '10.0.1.13',
      '10.0.1.99',
    ]);
    assert.deepEqual(set.aaaa.get('web.marathon.mesos.'), ['2001:db8::13']);
    assert.deepEqual(set.a.get(`${canon('web', WEB1, 's0')}.marathon.mesos.`), ['172.17.0.2']);
    assert.deepEqual(set.a.get(`${canon('web', WEB2, 's1')}.marathon.mesos.`), ['172.17.0.3']);
  });

  it('T.F.slave.D and canonical .slave names get every agent IP', () => {
    assert.deepEqual(set.a.get('web.marathon.slave.mesos.'), [
      '10.0.1.10',
      '10.0.1.11',
      '10.0.1.13',
      '10.0.1.99',
    ]);
    assert.deepEqual(set.aaaa.get('web.marathon.slave.mesos.'), ['2001:db8::13']);
    assert.deepEqual(set.a.get(`${canon('web', WEB1, 's0')}.marathon.slave.mesos.`), ['10.0.1.10']);
    assert.deepEqual(set.a.get(`${canon('web', WEB3, 's3')}.marathon.slave.mesos.`), [
      '10.0.1.13',
      '10.0.1.99',
    ]);
  });

  it('SRV from port resources under _T._tcp/_udp, with and without .slave, to the .slave canonical', () => {
    const want = [
      `${canon('web', WEB1, 's0')}.marathon.slave.mesos.:31000`,
      `${canon('web', WEB1, 's0')}.marathon.slave.mesos.:31001`,
      `${canon('web', WEB2, 's1')}.marathon.slave.mesos.:31005`,
      `${canon('web', WEB2, 's1')}.marathon.slave.mesos.:31010`,
      `${canon('web', WEB3, 's3')}.marathon.slave.mesos.:31020`,
    ];
    for (const name of [
      '_web._tcp.marathon.mesos.',
      '_web._udp.marathon.mesos.',
      '_web._tcp.marathon.slave.mesos.',
      '_web._udp.marathon.slave.mesos.',
    ]) {
      assert.deepEqual(srvs(set, name), want, name);
    }
    const r = set.srv.get('_web._tcp.marathon.mesos.')![0]!;
    assert.equal(r.priority, 0);
    assert.equal(r.weight, 1);
  });

  it('DiscoveryInfo: discovery name, .slave SRVs from resources, discovery ports for the rest', () => {
    const c = canon('api', API, 's0');
    assert.equal(set.a.get('api-server.marathon.mesos.'), undefined);
    assert.deepEqual(set.a.get('api.marathon.mesos.'), ['9.0.0.5']); // mesos label source
    assert.deepEqual(set.a.get(`${c}.marathon.mesos.`), ['9.0.0.5']);
    assert.deepEqual(set.a.get('api.marathon.slave.mesos.'), ['10.0.1.10']);
    assert.deepEqual(srvs(set, '_api._tcp.marathon.slave.mesos.'), [
      `${c}.marathon.slave.mesos.:31100`,
    ]);
    assert.deepEqual(srvs(set, '_api._udp.marathon.slave.mesos.'), [
      `${c}.marathon.slave.mesos.:31100`,
    ]);
    assert.deepEqual(srvs(set, '_api._tcp.marathon.mesos.'), [
      `${c}.marathon.mesos.:8080`,
      `${c}.marathon.mesos.:8443`,
      `${c}.marathon.mesos.:9090`,
    ]);
    // Only the protocol-less port is on both protocols.
    assert.deepEqual(srvs(set, '_api._udp.marathon.mesos.'), [`${c}.marathon.mesos.:9090`]);
    assert.deepEqual(srvs(set, '_http._api._tcp.marathon.mesos.'), [`${c}.marathon.mesos.:8080`]);
    assert.equal(set.srv.get('_http._api._udp.marathon.mesos.'), undefined);
    assert.deepEqual(srvs(set, '_metrics._api._tcp.marathon.mesos.'), [
      `${c}.marathon.mesos.:9090`,
    ]);
    assert.deepEqual(srvs(set, '_metrics._api._udp.marathon.mesos.'), [
      `${c}.marathon.mesos.:9090`,
    ]);
  });

  it('DiscoveryInfo legacy path: records under the raw name too; protocol and port name sanitised', () => {
    const raw = canon('legacy_app', LEGACY, 's1');
    const clean = canon('legacy-app', LEGACY, 's1');
    for (const n of ['legacy_app', 'legacy-app']) {
      assert.deepEqual(set.a.get(`${n}.marathon.mesos.`), ['10.0.1.11'], n);
      assert.deepEqual(set.a.get(`${n}.marathon.slave.mesos.`), ['10.0.1.11'], n);
    }
    assert.deepEqual(set.a.get(`${raw}.marathon.mesos.`), ['10.0.1.11']);
    assert.deepEqual(srvs(set, '_legacy_app._udp.marathon.mesos.'), [
      `${raw}.marathon.mesos.:7000`,
    ]);
    assert.deepEqual(srvs(set, '_gossip._legacy_app._udp.marathon.mesos.'), [
      `${raw}.marathon.mesos.:7000`,
    ]);
    assert.deepEqual(srvs(set, '_legacy-app._udp.marathon.mesos.'), [
      `${clean}.marathon.mesos.:7000`,
    ]);
    assert.deepEqual(srvs(set, '_gossip._legacy-app._udp.marathon.mesos.'), [
      `${clean}.marathon.mesos.:7000`,
    ]);
    assert.equal(set.srv.get('_legacy-app._tcp.marathon.mesos.'), undefined);
    assert.equal(set.a.get('legacy.marathon.mesos.'), undefined);
  });

  it('IPv6: container v6 goes to AAAA, container v4 to A, IPv6 agent only to AAAA', () => {
    assert.deepEqual(set.a.get('toy.marathon.mesos.'), ['12.0.1.2']);
    assert.deepEqual(set.aaaa.get('toy.marathon.mesos.'), ['fd01:b::1:8000:2']);
    assert.deepEqual(set.aaaa.get(`${canon('toy', TOY, 's2')}.marathon.mesos.`), [
      'fd01:b::1:8000:2',
    ]);
    assert.deepEqual(set.aaaa.get('toy.marathon.slave.mesos.'), ['2001:db8::11']);
    assert.equal(set.a.get('toy.marathon.slave.mesos.'), undefined);
    assert.equal(set.srv.get('_toy._tcp.marathon.mesos.'), undefined); // no port resources
  });

  it('bad ports text: keeps the readable ranges and warns about the rest', () => {
    const c = canon('badports', BADPORTS, 's0');
    assert.deepEqual(srvs(set, '_badports._tcp.marathon.mesos.'), [
      `${c}.marathon.slave.mesos.:31300`,
      `${c}.marathon.slave.mesos.:31301`,
    ]);
    assert.ok(warnings.some((w) => w.includes(BADPORTS) && w.includes('"31200"')));
    assert.ok(warnings.some((w) => w.includes(BADPORTS) && w.includes('"x-9"')));
  });

  it('skips non-running tasks, completed tasks and tasks on unknown agents', () => {
    for (const name of ['stager', 'ghost']) {
      assert.equal(set.a.get(`${name}.marathon.mesos.`), undefined, name);
      assert.equal(set.a.get(`${name}.marathon.slave.mesos.`), undefined, name);
      assert.equal(set.srv.get(`_${name}._tcp.marathon.mesos.`), undefined, name);
    }
    for (const ports of set.srv.get('_web._tcp.marathon.mesos.') ?? []) {
      assert.notEqual(ports.port, 31050); // the killed instance in completed_tasks
    }
  });

  it('a non-IP agent host without a resolved address: warned, no address records', () => {
    assert.ok(warnings.some((w) => w.includes('agent-4.example.internal')));
    assert.equal(set.a.get('orphan.marathon.mesos.'), undefined);
    assert.equal(set.a.get('orphan.marathon.slave.mesos.'), undefined);
    assert.ok(!(set.a.get('slave.mesos.') ?? []).some((v) => !/^[0-9.]+$/.test(v)));
    // Still a running task on a known agent: enumerated, with its name-based SRVs.
    const c = canon('orphan', ORPHAN, 's4');
    assert.deepEqual(srvs(set, '_orphan._tcp.marathon.mesos.'), [
      `${c}.marathon.slave.mesos.:31600`,
    ]);
  });

  it('sanitises framework and task names (RFC 1123 by default)', () => {
    assert.deepEqual(set.a.get('chronostaskmy-job-nightly.chronoswithspaces2.0.1.mesos.'), [
      '10.0.1.11',
    ]);
    assert.deepEqual(set.a.get('1234.chronoswithspaces2.0.1.mesos.'), ['10.0.1.11']);
    assert.deepEqual(set.a.get('chronoswithspaces2.0.1.mesos.'), ['10.0.0.3']);
    assert.equal(set.srv.get('_framework._tcp.chronoswithspaces2.0.1.mesos.'), undefined); // no pid
  });
});

describe('generate: RFC 952', () => {
  const { set, warnings } = run({ enforceRFC952: true });

  it('cuts to 24 chars, drops leading digits, framework labels separately', () => {
    assert.deepEqual(set.a.get('chronostaskmy-job-nightl.chronoswithspaces2.mesos.'), [
      '10.0.1.11',
    ]);
    assert.deepEqual(set.a.get('chronoswithspaces2.mesos.'), ['10.0.0.3']);
    // "1234-----!!!" has no RFC 952 label at all: no records, a warning.
    assert.ok(warnings.some((w) => w.includes('1234-----!!!')));
    // Canonical labels append "-<hash>-<agent>" after the cut, as mesos-dns does.
    const canonical = /-[ybndrfg8ejkmcpqxot1uwisza345h769]{5}-s\d+$/;
    for (const name of set.a.keys()) {
      for (const label of name.slice(0, -1).split('.')) {
        assert.ok(label.length <= 24 || canonical.test(label), `${name}: ${label}`);
      }
    }
  });
});

describe('generate: IP sources', () => {
  it('host only: agent IPs', () => {
    const { set } = run({ ipSources: ['host'] });
    assert.deepEqual(set.a.get('web.marathon.mesos.'), [
      '10.0.1.10',
      '10.0.1.11',
      '10.0.1.13',
      '10.0.1.99',
    ]);
    assert.deepEqual(set.a.get('api.marathon.mesos.'), ['10.0.1.10']);
    assert.deepEqual(set.aaaa.get('toy.marathon.mesos.'), ['2001:db8::11']);
    assert.equal(set.a.get('toy.marathon.mesos.'), undefined);
  });

  it('docker: label on the newest running status', () => {
    const { set } = run({ ipSources: ['docker'] });
    assert.deepEqual(set.a.get('web.marathon.mesos.'), ['172.17.0.2', '172.17.0.3']);
    assert.equal(set.a.get('api.marathon.mesos.'), undefined);
  });

  it('mesos then host', () => {
    const { set } = run({ ipSources: ['mesos', 'host'] });
    assert.deepEqual(set.a.get('api.marathon.mesos.'), ['9.0.0.5']);
    assert.deepEqual(set.a.get('web.marathon.mesos.'), [
      '10.0.1.10',
      '10.0.1.11',
      '10.0.1.13',
      '10.0.1.99',
    ]);
  });

  it('sources are never mixed across families: the first source with any IP is the answer', () => {
    // toy's netinfo has both families, its agent only IPv6. Agent first: only the agent's v6,
    // no A from the container (older mesos-dns filled each family from any source).
    const hostFirst = run({ ipSources: ['host', 'netinfo'] }).set;
    assert.deepEqual(hostFirst.aaaa.get('toy.marathon.mesos.'), ['2001:db8::11']);
    assert.equal(hostFirst.a.get('toy.marathon.mesos.'), undefined);
    const netinfoFirst = run({ ipSources: ['netinfo', 'host'] }).set;
    assert.deepEqual(netinfoFirst.aaaa.get('toy.marathon.mesos.'), ['fd01:b::1:8000:2']);
    assert.deepEqual(netinfoFirst.a.get('toy.marathon.mesos.'), ['12.0.1.2']);
  });
});

describe('generate: multi-IP, mixed-family tasks under every IPSources order', () => {
  // Each source holds several IPs; some hold one family only. The answer is always every IP
  // of the first source in the order that has any, whatever its families.
  const SOURCE_IPS: Record<IPSource, string[]> = {
    netinfo: ['10.9.0.1', 'fd09::1', '10.9.0.2'],
    mesos: ['10.9.1.1', '10.9.1.2'],
    docker: ['fd09:2::1', 'fd09:2::2'],
    host: ['10.9.3.1', 'fd09:3::1'],
  };
  const label = (key: string, value: string) => ({ key, value });
  const multi: MesosState = {
    leader: 'master@10.0.0.1:5050',
    slaves: [{ id: 'a-S1', hostname: 'agent-1.example', pid: 'slave(1)@agent-1.example:5051' }],
    frameworks: [
      {
        id: 'f',
        name: 'marathon',
        tasks: [
          {
            id: 'multi.1',
            name: 'multi',
            framework_id: 'f',
            slave_id: 'a-S1',
            state: 'TASK_RUNNING',
            statuses: [
              {
                state: 'TASK_RUNNING',
                timestamp: 2,
                labels: [
                  ...SOURCE_IPS.mesos.map((ip) =>
                    label('MesosContainerizer.NetworkSettings.IPAddress', ip),
                  ),
                  label('Docker.NetworkSettings.IPAddress', SOURCE_IPS.docker[0]!),
                  label('Docker.NetworkSettings.IPAddress', 'not-an-ip'),
                  label('Docker.NetworkSettings.IPAddress', SOURCE_IPS.docker[1]!),
                ],
                container_status: {
                  network_infos: [
                    { name: 'a', ip_addresses: [{ ip_address: SOURCE_IPS.netinfo[0] }] },
                    {
                      name: 'b',
                      ip_addresses: [
                        { ip_address: SOURCE_IPS.netinfo[1] },
                        { ip_address: SOURCE_IPS.netinfo[2] },
                      ],
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  };
  const resolvedHosts = new Map([['agent-1.example', SOURCE_IPS.host]]);

  const orders: IPSource[][] = [];
  const extend = (prefix: IPSource[]): void => {
    if (prefix.length > 0) orders.push(prefix);
    for (const s of IP_SOURCES) if (!prefix.includes(s)) extend([...prefix, s]);
  };
  extend([]);

  it(`covers all ${orders.length} orders of 1 to 4 sources`, () => {
    assert.equal(orders.length, 4 + 12 + 24 + 24);
  });

  for (const order of orders) {
    it(order.join(','), () => {
      const set = generate(multi, options({ ipSources: order, resolvedHosts }));
      const want = SOURCE_IPS[order[0]!];
      const v4 = want.filter((ip) => !ip.includes(':'));
      const v6 = want.filter((ip) => ip.includes(':'));
      for (const name of [
        'multi.marathon.mesos.',
        `multi-${taskHash('multi.1')}-s1.marathon.mesos.`,
      ]) {
        assert.deepEqual(set.a.get(name) ?? [], v4, `${name} A`);
        assert.deepEqual(set.aaaa.get(name) ?? [], v6, `${name} AAAA`);
      }
      // The agent names always carry every agent address, whatever the order.
      assert.deepEqual(set.a.get('multi.marathon.slave.mesos.'), ['10.9.3.1']);
      assert.deepEqual(set.aaaa.get('multi.marathon.slave.mesos.'), ['fd09:3::1']);
    });
  }
});

describe('generate: infrastructure names', () => {
  const { set, warnings } = run();

  it('leader, master, masterN, _leader SRVs (IPv6 master to AAAA)', () => {
    assert.equal(set.leader, '10.0.0.1:5050');
    assert.deepEqual(set.a.get('leader.mesos.'), ['10.0.0.1']);
    assert.deepEqual(set.a.get('master.mesos.'), ['10.0.0.1', '10.0.0.4']);
    assert.deepEqual(set.aaaa.get('master.mesos.'), ['2001:db8::5']);
    assert.deepEqual(set.a.get('master0.mesos.'), ['10.0.0.1']);
    assert.deepEqual(set.a.get('master1.mesos.'), ['10.0.0.4']);
    assert.deepEqual(set.aaaa.get('master2.mesos.'), ['2001:db8::5']);
    assert.equal(set.a.get('master2.mesos.'), undefined);
    assert.deepEqual(srvs(set, '_leader._tcp.mesos.'), ['leader.mesos.:5050']);
    assert.deepEqual(srvs(set, '_leader._udp.mesos.'), ['leader.mesos.:5050']);
  });

  it('slave.D and _slave._tcp.D from agent pids (v4 and v6, every resolved address)', () => {
    assert.deepEqual(set.a.get('slave.mesos.'), [
      '10.0.1.10',
      '10.0.1.11',
      '10.0.1.13',
      '10.0.1.99',
    ]);
    assert.deepEqual(set.aaaa.get('slave.mesos.'), ['2001:db8::11', '2001:db8::13']);
    assert.deepEqual(srvs(set, '_slave._tcp.mesos.'), ['slave.mesos.:5051']);
  });

  it('F.D and _framework._tcp.F.D from the framework pid', () => {
    assert.deepEqual(set.a.get('marathon.mesos.'), ['10.0.0.2']);
    assert.deepEqual(srvs(set, '_framework._tcp.marathon.mesos.'), ['marathon.mesos.:34567']);
    assert.deepEqual(set.aaaa.get('ipv6-framework.mesos.'), ['2001:db8::2']);
    assert.deepEqual(srvs(set, '_framework._tcp.ipv6-framework.mesos.'), [
      'ipv6-framework.mesos.:40000',
    ]);
    assert.equal(set.a.get('spark.mesos.'), undefined);
    assert.ok(warnings.some((w) => w.includes('spark-driver.example.internal')));
  });

  it('SOA MNAME made absolute, v4 to A and v6 to AAAA', () => {
    assert.deepEqual(set.a.get('ns1.mesos.'), ['10.0.0.53']);
    assert.deepEqual(set.aaaa.get('ns1.mesos.'), ['2001:db8::53']);
  });

  it('counts', () => {
    assert.deepEqual(set.counts, { tasks: 10, frameworks: 4, agents: 5 });
    assert.equal(set.domain, 'mesos');
  });
});

describe('generate: record set invariants', () => {
  for (const rfc952 of [false, true]) {
    it(`owner names absolute lower-case, families separated, SRV targets absolute (952=${rfc952})`, () => {
      const { set } = run({ enforceRFC952: rfc952 });
      for (const [kind, map] of [
        ['a', set.a],
        ['aaaa', set.aaaa],
        ['srv', set.srv],
      ] as const) {
        for (const [name, values] of map) {
          assert.ok(name.endsWith('.') && !name.endsWith('..'), `${kind} ${name}`);
          assert.equal(name, name.toLowerCase(), `${kind} ${name}`);
          assert.ok(values.length > 0);
          const keys = values.map((v) => (typeof v === 'string' ? v : `${v.target}:${v.port}`));
          assert.equal(new Set(keys).size, keys.length, `duplicates under ${name}`);
        }
      }
      for (const values of set.a.values())
        for (const v of values) assert.match(v, /^\d+\.\d+\.\d+\.\d+$/);
      for (const values of set.aaaa.values()) for (const v of values) assert.ok(v.includes(':'), v);
      for (const values of set.srv.values()) {
        for (const r of values) {
          assert.ok(r.target.endsWith('.') && r.target === r.target.toLowerCase(), r.target);
          assert.ok(Number.isInteger(r.port) && r.port >= 0 && r.port <= 65535);
        }
      }
    });
  }
});

describe('generate: enumeration', () => {
  const { set } = run();

  it('lists every framework (raw name) and each running task with the records it added', () => {
    assert.deepEqual(
      enumerationFrameworks(set).map((f) => [f.frameworkname, f.tasks.length]),
      [
        ['marathon', 8],
        ['Chronos With Spaces 2.0.1', 2],
        ['ipv6-framework', 0],
        ['spark', 0],
      ],
    );
    const web1 = enumerationFrameworks(set)[0]!.tasks[0]!;
    assert.equal(web1.id, WEB1);
    assert.equal(web1.name, 'web');
    const c = canon('web', WEB1, 's0');
    const srvFor = (port: number): { name: string; host: string; rtype: 'SRV' }[] =>
      [
        '_web._tcp.marathon.slave.mesos.',
        '_web._udp.marathon.slave.mesos.',
        '_web._tcp.marathon.mesos.',
        '_web._udp.marathon.mesos.',
      ].map((name) => ({
        name,
        host: `${c}.marathon.slave.mesos.:${port}`,
        rtype: 'SRV' as const,
      }));
    assert.deepEqual(web1.records, [
      { name: 'web.marathon.mesos.', host: '172.17.0.2', rtype: 'A' },
      { name: `${c}.marathon.mesos.`, host: '172.17.0.2', rtype: 'A' },
      { name: 'web.marathon.slave.mesos.', host: '10.0.1.10', rtype: 'A' },
      { name: `${c}.marathon.slave.mesos.`, host: '10.0.1.10', rtype: 'A' },
      ...srvFor(31000),
      ...srvFor(31001),
    ]);
    const api = enumerationFrameworks(set)[0]!.tasks.find((t) => t.id === API)!;
    assert.equal(api.name, 'api-server');
    const httpSrv = api.records.find((r) => r.name === '_http._api._tcp.marathon.mesos.');
    assert.equal(httpSrv?.rtype, 'SRV');
    assert.equal(httpSrv.host, `${canon('api', API, 's0')}.marathon.mesos.:8080`);
    const toy = enumerationFrameworks(set)[0]!.tasks.find((t) => t.id === TOY)!;
    assert.ok(toy.records.some((r) => r.rtype === 'AAAA' && r.host === 'fd01:b::1:8000:2'));
  });

  it('a record another task already added is not listed again (mesos-dns insertTaskRR)', () => {
    const s: MesosState = {
      leader: 'master@10.0.0.1:5050',
      slaves: [{ id: 'x-S1', hostname: 'h', pid: 'slave(1)@10.0.1.1:5051' }],
      frameworks: [
        {
          id: 'f',
          name: 'marathon',
          tasks: [1, 2].map((i) => ({
            id: `db.${i}`,
            name: 'db',
            framework_id: 'f',
            slave_id: 'x-S1',
            state: 'TASK_RUNNING',
          })),
        },
      ],
    };
    const set2 = generate(s, options({ ipSources: ['host'] }));
    const [t1, t2] = enumerationFrameworks(set2)[0]!.tasks;
    assert.equal(t1!.records.length, 4);
    assert.deepEqual(
      t2!.records.map((r) => r.name),
      [
        `db-${taskHash('db.2')}-s1.marathon.mesos.`,
        `db-${taskHash('db.2')}-s1.marathon.slave.mesos.`,
      ],
    );
    assert.deepEqual(set2.a.get('db.marathon.mesos.'), ['10.0.1.1']);
  });
});

describe('generate: worker transfer', () => {
  it('the record set survives structured clone unchanged (it is generated in a worker)', () => {
    const { set } = run();
    const clone = structuredClone({
      ...set,
      a: [...set.a],
      aaaa: [...set.aaaa],
      srv: [...set.srv],
    });
    assert.deepEqual(clone.enumeration, set.enumeration);
    assert.deepEqual(new Map(clone.srv), set.srv);
  });
});

describe('generate: bad input', () => {
  it('survives missing and malformed fields without throwing', () => {
    const junk = {
      leader: 'not-a-upid',
      slaves: [{ id: 'a-S1', hostname: '', pid: 'garbage' }, null, { hostname: 'x' }],
      frameworks: [
        {
          id: 'f',
          name: '',
          tasks: [{ id: 't', name: 'x', slave_id: 'a-S1', state: 'TASK_RUNNING' }],
        },
        { id: 'g', name: 'ok', tasks: 'nope' },
        {
          id: 'h',
          name: 'h',
          tasks: [
            null,
            { id: 5, state: 'TASK_RUNNING' },
            {
              id: 'y',
              name: 'y',
              slave_id: 'a-S1',
              state: 'TASK_RUNNING',
              resources: { ports: 42 },
              statuses: 'x',
              discovery: { name: 'y', ports: { ports: [{ number: 'eighty' }, null] } },
            },
          ],
        },
      ],
    } as unknown as MesosState;
    const o = options({ masters: ['nocolon', '10.0.0.9:5050'] });
    const set = generate(junk, o);
    assert.equal(set.leader, '');
    assert.equal(set.a.get('leader.mesos.'), undefined);
    assert.ok(o.warnings.length > 0);
    assert.equal(set.counts.tasks, 2);
    assert.deepEqual(set.a.get('ns1.mesos.'), ['10.0.0.53']);
  });

  it('an empty state yields only the nameserver records', () => {
    const set = generate({}, options());
    assert.deepEqual([...set.a.keys()], ['ns1.mesos.']);
    assert.deepEqual([...set.aaaa.keys()], ['ns1.mesos.']);
    assert.equal(set.srv.size, 0);
    assert.deepEqual(set.counts, { tasks: 0, frameworks: 0, agents: 0 });
    assert.deepEqual(enumerationFrameworks(set), []);
  });
});
