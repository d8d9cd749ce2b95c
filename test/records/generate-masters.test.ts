// Master and leader records: mesos-dns's TestMasterRecord table (generator_test.go), plus the
// SOA MNAME record and host-name masters.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generate, type GenerateOptions } from '../../src/records/generate.ts';
import type { RecordSet } from '../../src/records/recordset.ts';

type Kind = 'A' | 'AAAA' | 'SRV';

function masterSet(
  masters: string[],
  leader: string,
  over: Partial<GenerateOptions> = {},
): RecordSet {
  return generate(
    { leader },
    {
      domain: 'foo.com',
      ipSources: ['host'],
      enforceRFC952: false,
      srvWeight: 0,
      masters,
      soaMname: '',
      nameserverAddresses: [],
      ...over,
    },
  );
}

function flatten(set: RecordSet): string[] {
  const out: string[] = [];
  for (const [name, vs] of set.a) for (const v of vs) out.push(`${name} ${v} A`);
  for (const [name, vs] of set.aaaa) for (const v of vs) out.push(`${name} ${v} AAAA`);
  for (const [name, vs] of set.srv)
    for (const v of vs) out.push(`${name} ${v.target}:${v.port} SRV`);
  return out.sort();
}

const leaderSrv = (port: number): [string, string, Kind][] => [
  ['_leader._tcp.foo.com.', `leader.foo.com.:${port}`, 'SRV'],
  ['_leader._udp.foo.com.', `leader.foo.com.:${port}`, 'SRV'],
];

const cases: { masters: string[]; leader: string; expect: [string, string, Kind][] }[] = [
  { masters: [], leader: '', expect: [] },
  { masters: [], leader: '@', expect: [] },
  { masters: [], leader: '1@', expect: [] },
  { masters: [], leader: '@2', expect: [] },
  { masters: [], leader: '3@4', expect: [] },
  {
    masters: [],
    leader: '5@0.0.0.6:7',
    expect: [
      ['leader.foo.com.', '0.0.0.6', 'A'],
      ['master.foo.com.', '0.0.0.6', 'A'],
      ['master0.foo.com.', '0.0.0.6', 'A'],
      ...leaderSrv(7),
    ],
  },
  {
    masters: [],
    leader: '5@[2001:db8::1]:7',
    expect: [
      ['leader.foo.com.', '2001:db8::1', 'AAAA'],
      ['master.foo.com.', '2001:db8::1', 'AAAA'],
      ['master0.foo.com.', '2001:db8::1', 'AAAA'],
      ...leaderSrv(7),
    ],
  },
  {
    masters: ['0.0.0.6:7'],
    leader: '5@0.0.0.6:7',
    expect: [
      ['leader.foo.com.', '0.0.0.6', 'A'],
      ['master.foo.com.', '0.0.0.6', 'A'],
      ['master0.foo.com.', '0.0.0.6', 'A'],
      ...leaderSrv(7),
    ],
  },
  ...[
    ['0.0.0.8:9'],
    ['0.0.0.8:9', '0.0.0.8:9'],
    ['0.0.0.8:9', '0.0.0.6:7'],
    ['0.0.0.8:9', '0.0.0.6:7', '0.0.0.6:7'],
  ].map((masters) => ({
    masters,
    leader: '5@0.0.0.6:7',
    expect: [
      ['leader.foo.com.', '0.0.0.6', 'A'],
      ['master.foo.com.', '0.0.0.6', 'A'],
      ['master.foo.com.', '0.0.0.8', 'A'],
      ['master1.foo.com.', '0.0.0.6', 'A'],
      ['master0.foo.com.', '0.0.0.8', 'A'],
      ...leaderSrv(7),
    ] as [string, string, Kind][],
  })),
  {
    masters: ['0.0.0.8:9', '0.0.0.6:7', '0.0.0.7:0'],
    leader: '5@0.0.0.6:7',
    expect: [
      ['leader.foo.com.', '0.0.0.6', 'A'],
      ['master.foo.com.', '0.0.0.6', 'A'],
      ['master.foo.com.', '0.0.0.8', 'A'],
      ['master.foo.com.', '0.0.0.7', 'A'],
      ['master0.foo.com.', '0.0.0.8', 'A'],
      ['master1.foo.com.', '0.0.0.6', 'A'],
      ['master2.foo.com.', '0.0.0.7', 'A'],
      ...leaderSrv(7),
    ],
  },
  {
    masters: ['0.0.0.8:9', '0.0.0.6:7', '[2001:db8::1]:0'],
    leader: '5@0.0.0.6:7',
    expect: [
      ['leader.foo.com.', '0.0.0.6', 'A'],
      ['master.foo.com.', '0.0.0.6', 'A'],
      ['master.foo.com.', '0.0.0.8', 'A'],
      ['master.foo.com.', '2001:db8::1', 'AAAA'],
      ['master0.foo.com.', '0.0.0.8', 'A'],
      ['master1.foo.com.', '0.0.0.6', 'A'],
      ['master2.foo.com.', '2001:db8::1', 'AAAA'],
      ...leaderSrv(7),
    ],
  },
];

describe('generate: masters (mesos-dns TestMasterRecord)', () => {
  cases.forEach((tc, i) => {
    it(`case ${i + 1}: masters=${JSON.stringify(tc.masters)} leader=${JSON.stringify(tc.leader)}`, () => {
      const set = masterSet(tc.masters, tc.leader);
      assert.deepEqual(flatten(set), tc.expect.map(([n, h, k]) => `${n} ${h} ${k}`).sort());
    });
  });

  it('leader field is the address after "@"', () => {
    assert.equal(masterSet([], 'master@10.1.1.1:5050').leader, '10.1.1.1:5050');
    assert.equal(masterSet([], 'master@[2001:db8::1]:5050').leader, '[2001:db8::1]:5050');
    assert.equal(masterSet([], '').leader, '');
  });

  it('a bare-IPv6 leader UPID (as Mesos writes it) gets its records, as the poller accepts it', () => {
    const warnings: string[] = [];
    const set = masterSet(['[2001:DB8::1]:5050', '10.1.1.2:5050'], 'master@2001:db8::1:5050', {
      warn: (m) => warnings.push(m),
    });
    assert.deepEqual(warnings, []);
    assert.equal(set.leader, '[2001:db8::1]:5050');
    assert.deepEqual(set.aaaa.get('leader.foo.com.'), ['2001:db8::1']);
    // Matched to its masters-list entry however that is spelt: it keeps master0.
    assert.deepEqual(set.aaaa.get('master0.foo.com.'), ['2001:db8::1']);
    assert.deepEqual(set.a.get('master1.foo.com.'), ['10.1.1.2']);
    assert.equal(set.srv.get('_leader._tcp.foo.com.')?.[0]?.port, 5050);
  });

  it('host-name masters use resolvedHosts, else are skipped with a warning', () => {
    const warnings: string[] = [];
    const set = masterSet(['m1.example:5050', 'm2.example:5050'], 'master@10.1.1.1:5050', {
      resolvedHosts: new Map([['m1.example', ['10.1.1.2']]]),
      warn: (m) => warnings.push(m),
    });
    assert.deepEqual(set.a.get('master0.foo.com.'), ['10.1.1.2']);
    assert.deepEqual(set.a.get('master1.foo.com.'), ['10.1.1.1']); // leader appended
    assert.deepEqual(set.a.get('master.foo.com.'), ['10.1.1.1', '10.1.1.2']);
    assert.ok(warnings.some((w) => w.includes('m2.example')));
    assert.ok(warnings.some((w) => w.includes('not in the masters list')));
  });
});

describe('generate: SOA MNAME record', () => {
  it('absolute and lower-case whether or not it has the trailing dot', () => {
    for (const mname of ['NS1.foo.com', 'ns1.foo.com.']) {
      const set = masterSet([], '', {
        soaMname: mname,
        nameserverAddresses: ['4.5.6.7', '2001:db8::1'],
      });
      assert.deepEqual(set.a.get('ns1.foo.com.'), ['4.5.6.7']);
      assert.deepEqual(set.aaaa.get('ns1.foo.com.'), ['2001:db8::1']);
    }
  });

  it('warns about and skips addresses that are not IPs', () => {
    const warnings: string[] = [];
    const set = masterSet([], '', {
      soaMname: 'ns1.foo.com',
      nameserverAddresses: ['eth0'],
      warn: (m) => warnings.push(m),
    });
    assert.equal(set.a.size, 0);
    assert.match(warnings[0]!, /"eth0"/);
  });
});
