// Smoke tests of the benchmark's pure parts: query files, dnsperf output, tables, percentiles,
// the results file sections.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildCluster } from '../../sim/cluster.ts';
import type { MesosState } from '../../src/state/types.ts';
import { generate } from '../../src/records/generate.ts';
import { benchGenerateOptions } from '../../bench/generate-options.ts';
import { dnsperfArgs, parseDnsperfSummary, parseVerboseLine } from '../../bench/dnsperf.ts';
import { LatencySamples } from '../../bench/latency.ts';
import { cpuModel } from '../../bench/machine.ts';
import { buildQuerySets, mixKinds, seededRandom } from '../../bench/query-files.ts';
import { replaceSection, sectionOf } from '../../bench/results-file.ts';
import { parseOnly } from '../../bench/run.ts';
import { markdownTable, parseMarkdownTable, servingTable, verdict } from '../../bench/table.ts';

const DNSPERF_OUTPUT = `DNS Performance Testing Tool
Version 2.10.0

[Status] Command line: dnsperf -s 127.0.0.1 -p 34106 -d /tmp/q.txt -l 1 -v -q 10
[Status] Sending queries (to 127.0.0.1:34106)
> NOERROR a.mesos A 0.000677
[Status] Testing complete (time limit)

Statistics:

  Queries sent:         3038
  Queries completed:    3030 (99.74%)
  Queries lost:         8 (0.26%)

  Response codes:       NOERROR 2430 (80.20%), NXDOMAIN 600 (19.80%)
  Average packet size:  request 25, response 25
  Run time (s):         1.000131
  Queries per second:   3037.602074

  Average Latency (s):  0.000280 (min 0.000038, max 0.008246)
  Latency StdDev (s):   0.000495
`;

function smallSet() {
  const cluster = buildCluster({ apps: 20, instancesPerApp: 3, agents: 5, discoveryEvery: 4 });
  const state = {
    frameworks: cluster.frameworks,
    slaves: cluster.slaves,
    leader: 'master@127.0.0.1:5050',
  } as unknown as MesosState;
  return generate(state, benchGenerateOptions());
}

describe('query files', () => {
  const set = smallSet();
  const sets = buildQuerySets(set, { mixedLines: 1000, seed: 3 });

  it('lists every task A name once, each one a name the record set answers', () => {
    assert.ok(sets.a.length >= 20 * 3, `only ${sets.a.length} A names`);
    assert.equal(new Set(sets.a).size, sets.a.length);
    for (const line of sets.a) {
      const [name, type] = line.split(' ');
      assert.equal(type, 'A');
      assert.ok(set.a.has(`${name!}.`), `${name!} is not in the record set`);
    }
    assert.ok(sets.a.includes('app-0.marathon.mesos A'));
  });

  it('lists the _app._tcp SRV names', () => {
    assert.ok(sets.srv.includes('_app-7._tcp.marathon.mesos SRV'));
    for (const line of sets.srv) {
      const [name, type] = line.split(' ');
      assert.equal(type, 'SRV');
      assert.match(name!, /\._tcp\./);
      assert.ok(set.srv.has(`${name!}.`), `${name!} is not in the record set`);
    }
  });

  it('mixes 20 % names that do not exist with SOA, NS, leader and master', () => {
    assert.equal(sets.mixed.length, 1000);
    const nx = sets.mixed.filter((l) => l.startsWith('nx-'));
    assert.equal(nx.length, 200);
    for (const line of nx) {
      const name = `${line.split(' ')[0]!}.`;
      assert.ok(!set.a.has(name) && !set.srv.has(name) && !set.aaaa.has(name));
    }
    assert.equal(sets.mixed.filter((l) => l === 'mesos SOA').length, 50);
    assert.equal(sets.mixed.filter((l) => l === 'mesos NS').length, 50);
    assert.equal(sets.mixed.filter((l) => l === 'leader.mesos A').length, 25);
    assert.equal(sets.mixed.filter((l) => l === 'master.mesos A').length, 25);
  });

  it('is the same on every run and differs with the seed', () => {
    assert.deepEqual(buildQuerySets(set, { mixedLines: 1000, seed: 3 }), sets);
    assert.notDeepEqual(buildQuerySets(set, { mixedLines: 1000, seed: 4 }).mixed, sets.mixed);
  });

  it('refuses a record set without tasks', () => {
    const empty = { ...set, enumeration: undefined };
    assert.throws(() => buildQuerySets(empty), /0 task A names/);
  });

  it('mixKinds rounds to exactly the requested count', () => {
    assert.equal(mixKinds(7, seededRandom(1)).length, 7);
    assert.equal(mixKinds(0, seededRandom(1)).length, 0);
  });
});

describe('dnsperf output', () => {
  it('parses the statistics block', () => {
    const s = parseDnsperfSummary(DNSPERF_OUTPUT);
    assert.equal(s.sent, 3038);
    assert.equal(s.completed, 3030);
    assert.equal(s.lost, 8);
    assert.equal(s.qps, 3037.602074);
    assert.equal(s.runTimeS, 1.000131);
    assert.ok(Math.abs(s.avgLatencyMs - 0.28) < 1e-9);
    assert.deepEqual(s.rcodes, { NOERROR: 2430, NXDOMAIN: 600 });
  });

  it('names the failure when there is no statistics block', () => {
    assert.throws(
      () => parseDnsperfSummary('Error: invalid port'),
      /no "Queries sent:".*invalid port/s,
    );
  });

  it('reads per-query lines of -v and ignores the rest', () => {
    assert.deepEqual(parseVerboseLine('> NXDOMAIN nx-1.marathon.mesos A 0.001500'), {
      rcode: 'NXDOMAIN',
      ms: 1.5,
    });
    assert.equal(parseVerboseLine('[Status] Testing complete (time limit)'), null);
    assert.equal(parseVerboseLine('  Queries sent:         3038'), null);
  });

  it('builds a loopback-only command line', () => {
    const args = dnsperfArgs({
      port: 5353,
      file: 'q.txt',
      durationS: 5,
      clients: 8,
      outstanding: 300,
    });
    assert.deepEqual(args.slice(0, 2), ['-s', '127.0.0.1']);
    assert.ok(args.includes('-v'));
    assert.equal(args[args.indexOf('-q') + 1], '300');
    assert.ok(!args.includes('-Q'));
    assert.ok(
      dnsperfArgs({
        port: 1,
        file: 'f',
        durationS: 1,
        clients: 1,
        outstanding: 1,
        maxQps: 5000,
      }).includes('5000'),
    );
  });
});

describe('percentiles', () => {
  it('nearest rank over 1..1000 and growth past the first buffer', () => {
    const s = new LatencySamples();
    assert.ok(Number.isNaN(s.percentile(50)));
    for (let i = 100_000; i >= 1; i--) s.add(i / 100);
    assert.equal(s.length, 100_000);
    assert.equal(s.percentile(50), 500);
    assert.equal(s.percentile(99), 990);
    assert.equal(s.percentile(99.9), 999);
    assert.equal(s.max(), 1000);
    s.add(5000);
    assert.equal(s.max(), 5000);
  });
});

describe('tables and results file', () => {
  it('renders aligned Markdown with dashes for missing numbers', () => {
    const table = servingTable([
      {
        case: 'bare',
        qps: 60000.4,
        p50Ms: 1.2,
        p99Ms: 3,
        answered: 1,
        peakRssMb: NaN,
        ofCeiling: 1,
      },
      {
        case: 'server a',
        qps: 45000,
        p50Ms: 2,
        p99Ms: 9.5,
        answered: 0.9999,
        peakRssMb: 120.26,
        ofCeiling: 0.75,
      },
    ]);
    const lines = table.split('\n');
    assert.equal(lines.length, 4);
    assert.match(
      lines[0]!,
      /^\| case +\| qps +\| p50 ms \| p99 ms \| answered % \| peak RSS MB \| fraction of ceiling \|$/,
    );
    assert.match(lines[2]!, /\| 60000 +\| 1\.200 +\| 3\.000 +\| 100\.00 +\| – +\| 1\.00 /);
    assert.match(lines[3]!, /\| 99\.99 +\| 120\.3 +\| 0\.75 /);
    assert.equal(new Set(lines.map((l) => l.length)).size, 1);
    assert.equal(markdownTable(['x'], []), '| x |\n|---|');
  });

  it('says by how much a target is missed', () => {
    assert.match(verdict(0.8, 0.75), /^met/);
    assert.match(verdict(0.6, 0.75), /MISSED .*short by 20 %/);
    assert.equal(verdict(NaN, 0.75), 'not measured');
  });

  it('replaces only its own section', () => {
    let doc = replaceSection('', 'serving', 'one');
    doc = replaceSection(doc, 'reload', 'two');
    doc = replaceSection(doc, 'serving', 'three');
    assert.match(doc, /^# mesos-dns-ts benchmark results/);
    assert.ok(doc.includes('three') && doc.includes('two') && !doc.includes('one'));
    assert.ok(doc.indexOf('three') < doc.indexOf('two'), 'section order kept');
    assert.equal(sectionOf(doc, 'serving'), 'three');
    assert.equal(sectionOf(doc, 'generate'), null);
  });

  it('reads back the tables it writes', () => {
    const text = `intro\n\n${markdownTable(
      ['case', 'peak RSS MB'],
      [
        ['server a', '299.5'],
        ['bare', '–'],
      ],
    )}\n\nafter`;
    assert.deepEqual(parseMarkdownTable(text), [
      { case: 'server a', 'peak RSS MB': '299.5' },
      { case: 'bare', 'peak RSS MB': '–' },
    ]);
    assert.deepEqual(parseMarkdownTable('no table here'), []);
  });

  it('parses --only and the CPU model', () => {
    assert.deepEqual(parseOnly('A, srv'), ['a', 'srv']);
    assert.throws(() => parseOnly('a,aaaa'), /unknown case "aaaa"/);
    assert.equal(cpuModel('processor\t: 0\nmodel name\t: AMD EPYC 7B13\n'), 'AMD EPYC 7B13');
    assert.equal(cpuModel(''), 'unknown');
  });
});

describe('generation targets', () => {
  it('says met or by how much it is over', async () => {
    const { underTarget } = await import('../../bench/generate.ts');
    assert.equal(underTarget(828.4, 1000, 'ms'), 'met (828 ms)');
    assert.equal(underTarget(1200, 1000, 'ms'), 'MISSED (1200 ms, 20 % over)');
    assert.equal(underTarget(NaN, 1000, 'ms'), 'not measured');
  });
});

describe('query packets for the open-loop sender', () => {
  it('encodes a standard query and reads a reply header', async () => {
    const { encodeQuery, queriesFromLines, readReply } = await import('../../bench/dns-query.ts');
    const q = encodeQuery('app-1.marathon.mesos.', 'SRV');
    assert.deepEqual(
      [...q],
      [
        0,
        0,
        1,
        0,
        0,
        1,
        0,
        0,
        0,
        0,
        0,
        0,
        5,
        ...Buffer.from('app-1'),
        8,
        ...Buffer.from('marathon'),
        5,
        ...Buffer.from('mesos'),
        0,
        0,
        33,
        0,
        1,
      ],
    );
    assert.throws(() => encodeQuery('x.mesos', 'TXT'), /"TXT" is not one of/);
    assert.equal(queriesFromLines('a.mesos A\n\n; comment\nmesos SOA\n').length, 2);
    assert.equal(readReply(q), null, 'a query (QR clear) is no reply');
    const reply = Buffer.from(q);
    reply.writeUInt16BE(0xbeef, 0);
    reply[2] = reply[2]! | 0x80;
    reply[3] = 3;
    assert.deepEqual(readReply(reply), { id: 0xbeef, rcode: 'NXDOMAIN' });
    assert.equal(readReply(Buffer.alloc(5)), null);
  });
});
