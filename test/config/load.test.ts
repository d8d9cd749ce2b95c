// Loading config files: mesos-dns's own example unchanged, case-insensitive keys, warnings,
// overrides, normalisation, freezing and file-level errors.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildConfig,
  closestKey,
  ConfigError,
  loadConfig,
  parseJson,
} from '../../src/config/load.ts';
import { CONFIG_SCHEMA, schemaDefaults } from '../../src/config/schema.ts';

const fixture = new URL('../fixtures/config/mesos-dns-example.json', import.meta.url).pathname;

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mdns-config-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, body: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof body === 'string' ? body : JSON.stringify(body, null, 2));
  return path;
}

describe('loadConfig', () => {
  it("loads mesos-dns's example config.json unchanged", () => {
    const { config, warnings } = loadConfig({ file: fixture });
    assert.equal(config.zk, 'zk://127.0.0.1:2181/mesos');
    assert.deepEqual(config.masters, ['127.0.0.1:5050']);
    assert.equal(config.port, 8053);
    assert.equal(config.httpport, 8123);
    assert.deepEqual(config.IPSources, ['mesos', 'host']);
    assert.equal(config.enforceRFC952, false);
    assert.equal(config.EnumerationOn, true);
    assert.equal(config.srvRecordDefaultWeight, 1);
    assert.equal(config.configFile, fixture);
    // Untouched keys keep mesos-dns's defaults.
    assert.equal(config.zkDetectionTimeout, 30);
    assert.equal(config.SetTruncateBit, true);
    assert.equal(config.HTTPListener, '0.0.0.0');
    assert.deepEqual(warnings, [`${fixture}: unknown key "ns" ignored`]);
  });

  it('matches keys case-insensitively, as Go does', () => {
    const file = write('case.json', {
      Masters: ['10.0.0.1:5050'],
      DnsOn: false,
      HttpPort: 9000,
      RefreshSeconds: 7,
      DOMAIN: 'Cluster.Example.',
      ipsources: ['host'],
      soamname: 'ns2.example',
      MesosCredentials: { Principal: 'p', SECRET: 's' },
      MesosAuthentication: 'basic',
    });
    const { config, warnings } = loadConfig({ file });
    assert.deepEqual(warnings, []);
    assert.deepEqual(config.masters, ['10.0.0.1:5050']);
    assert.equal(config.dnson, false);
    assert.equal(config.httpport, 9000);
    assert.equal(config.refreshSeconds, 7);
    assert.equal(config.domain, 'cluster.example');
    assert.deepEqual(config.IPSources, ['host']);
    assert.equal(config.SOAMname, 'ns2.example');
    assert.deepEqual(config.mesosCredentials, { principal: 'p', secret: 's' });
  });

  it('warns when two spellings of one key appear; the later wins', () => {
    const { config, warnings } = buildConfig(
      { masters: ['a:1'], dnson: false, DnsOn: true },
      { source: 'config.json' },
    );
    assert.equal(config.dnson, true);
    assert.deepEqual(warnings, [
      'config.json: "dnson" and "DnsOn" both set "dnson"; the later "DnsOn" wins',
    ]);
  });

  it('warns about unknown keys with the closest known key', () => {
    const { warnings } = buildConfig(
      { masters: ['a:1'], refreshSecond: 5, resolver: ['127.0.0.1'], email: 'x' },
      { source: 'config.json' },
    );
    assert.deepEqual(warnings, [
      'config.json: unknown key "refreshSecond" ignored (did you mean "refreshSeconds"?)',
      'config.json: unknown key "resolver" ignored (did you mean "resolvers"?)',
      'config.json: unknown key "email" ignored',
    ]);
  });

  it('accepts IAMConfigFile with a warning that IAM is not supported', () => {
    const { warnings } = buildConfig(
      { masters: ['a:1'], IAMConfigFile: '/run/iam.json' },
      { source: 'config.json' },
    );
    assert.deepEqual(warnings, [
      'config.json: "IAMConfigFile" is set but IAM authentication is not supported by mesos-dns-ts; the key is ignored',
    ]);
  });

  it('lets overrides win over the file and names the flag in errors', () => {
    const file = write('over.json', { masters: ['10.0.0.1:5050'], port: 53 });
    const { config } = loadConfig({ file, overrides: { port: 8053, masters: ['10.0.0.2:5050'] } });
    assert.equal(config.port, 8053);
    assert.deepEqual(config.masters, ['10.0.0.2:5050']);
    assert.throws(
      () => loadConfig({ file, overrides: { port: 70000 } }),
      new ConfigError('--port: "port" must be 0-65535 (0 picks a free port), got 70000'),
    );
  });

  it('uses defaults for every key not set and records verbose and the absolute path', () => {
    const file = write('min.json', { zk: 'zk://127.0.0.1:2181/mesos' });
    const { config } = loadConfig({ file, verbose: 2 });
    const defaults = schemaDefaults();
    for (const def of CONFIG_SCHEMA) {
      if (def.key === 'zk') continue;
      assert.deepEqual(config[def.key], defaults[def.key], def.key);
    }
    assert.equal(config.verbose, 2);
    assert.equal(config.configFile, file);
  });

  it('expands ~/ to the home directory and resolves relative paths against cwd', () => {
    write('home.json', { masters: ['a:1'] });
    assert.equal(
      loadConfig({ file: '~/home.json', home: dir }).config.configFile,
      join(dir, 'home.json'),
    );
    assert.equal(
      loadConfig({ file: 'home.json', cwd: dir }).config.configFile,
      join(dir, 'home.json'),
    );
  });

  it('normalises domain and zone names, keeps resolvers as written', () => {
    const { config } = buildConfig({
      masters: ['a:1'],
      domain: 'MESOS.',
      resolvers: ['127.0.0.1:5353', '::1'],
      zoneResolvers: { 'Consul.': ['127.0.0.2'] },
    });
    assert.equal(config.domain, 'mesos');
    assert.deepEqual(config.zoneResolvers, { consul: ['127.0.0.2'] });
    assert.deepEqual(config.resolvers, ['127.0.0.1:5353', '::1']);
  });

  it('writes masters and resolvers in their one canonical form (issue #10)', () => {
    const { config } = buildConfig({
      masters: ['[FD00:0::1]:5050', 'M1.Example:5050'],
      resolvers: ['0:0:0:0:0:0:0:1', '[0:0::1]:5353', '10.0.0.2:53'],
      zoneResolvers: { consul: ['[FD00::2]:8600'] },
    });
    assert.deepEqual(config.masters, ['[fd00::1]:5050', 'm1.example:5050']);
    assert.deepEqual(config.resolvers, ['::1', '[::1]:5353', '10.0.0.2']);
    assert.deepEqual(config.zoneResolvers, { consul: ['[fd00::2]:8600'] });
  });

  it('deep-freezes the result', () => {
    const { config } = buildConfig({ masters: ['a:1'], zoneResolvers: { consul: ['127.0.0.2'] } });
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.masters));
    assert.ok(Object.isFrozen(config.zoneResolvers));
    assert.ok(Object.isFrozen(config.zoneResolvers['consul']));
    assert.ok(Object.isFrozen(config.mesosCredentials));
    assert.throws(() => {
      (config.masters as string[]).push('b:2');
    }, TypeError);
  });

  it('treats null as Go does: scalars keep defaults, lists empty', () => {
    const { config } = buildConfig(
      { masters: ['a:1'], port: null, externalon: false, resolvers: null },
      { source: 'c' },
    );
    assert.equal(config.port, 53);
    assert.deepEqual(config.resolvers, []);
  });

  it('falls back to resolv.conf nameservers when resolvers is empty', () => {
    const resolvConf = write(
      'resolv.conf',
      '# test\nnameserver 127.0.0.77\nnameserver 127.0.0.78\nsearch x\n',
    );
    const { config, warnings } = buildConfig(
      { masters: ['a:1'], resolvers: [], port: 8053 },
      { source: 'config.json', resolvConf },
    );
    assert.deepEqual(config.resolvers, ['127.0.0.77', '127.0.0.78']);
    assert.deepEqual(warnings, [
      `config.json: "resolvers" is empty; using ${resolvConf} nameservers 127.0.0.77, 127.0.0.78`,
    ]);
  });

  it('leaves out resolv.conf nameservers that are this server itself (no forwarding loop)', () => {
    const resolvConf = write('resolv-self.conf', 'nameserver 127.0.0.77\nnameserver 10.9.9.9\n');
    // Listening on 0.0.0.0:53 answers on every local address, loopback included.
    const wildcard = buildConfig({ masters: ['a:1'], resolvers: [] }, { resolvConf }).config;
    assert.deepEqual(wildcard.resolvers, ['10.9.9.9']);
    const own = buildConfig(
      { masters: ['a:1'], resolvers: [], listener: '10.9.9.9' },
      { resolvConf },
    ).config;
    assert.deepEqual(own.resolvers, ['127.0.0.77']);
  });

  it('reports a missing file with its path and the fix', () => {
    const missing = join(dir, 'nope.json');
    assert.throws(
      () => loadConfig({ file: missing }),
      new ConfigError(
        `${missing}: config file does not exist (looked at ${missing}); create it or pass -config=FILE`,
      ),
    );
  });

  it('reports bad JSON with line and column', () => {
    const file = write('bad.json', '{\n  "port": 53\n  "ttl": 5\n}\n');
    assert.throws(
      () => loadConfig({ file }),
      new ConfigError(
        `${file}: invalid JSON at line 3, column 3: Expected ',' or '}' after property value; fix the syntax`,
      ),
    );
    assert.throws(
      () => parseJson('config.json', '{"a": 1,'),
      new ConfigError(
        'config.json: invalid JSON at line 1, column 9: Expected double-quoted property name; fix the syntax',
      ),
    );
    assert.throws(
      () => parseJson('config.json', '[1]'),
      new ConfigError('config.json: must hold a JSON object ({"key": value, ...}), got [1]'),
    );
  });

  it('rejects values of the wrong JSON type, as Go does', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ port: '53' }, 'config.json: "port" must be an integer, got "53"'],
      [{ ttl: 1.5 }, 'config.json: "ttl" must be an integer, got 1.5'],
      [{ dnson: 'yes' }, 'config.json: "dnson" must be true or false, got "yes"'],
      [{ domain: 5 }, 'config.json: "domain" must be a string, got 5'],
      [
        { masters: 'a:1' },
        'config.json: "masters" must be a list of strings (e.g. ["a", "b"]), got "a:1"',
      ],
      [{ resolvers: ['127.0.0.1', 53] }, 'config.json: "resolvers"[1] must be a string, got 53'],
      [
        { zoneResolvers: ['x'] },
        'config.json: "zoneResolvers" must be an object of zone → resolver list (e.g. {"consul": ["10.0.0.5:8600"]}), got ["x"]',
      ],
      [
        { mesosCredentials: 'p:s' },
        'config.json: "mesosCredentials" must be an object {"principal": "...", "secret": "..."}, got "p:s"',
      ],
    ];
    for (const [values, message] of cases) {
      assert.throws(
        () => buildConfig({ masters: ['a:1'], ...values }, { source: 'config.json' }),
        new ConfigError(message),
      );
    }
  });
});

describe('closestKey', () => {
  it('suggests only near misses', () => {
    assert.equal(closestKey('httpPorts'), 'httpport');
    assert.equal(closestKey('SOAMinTTL'), 'SOAMinttl');
    assert.equal(closestKey('ns'), undefined);
    assert.equal(closestKey('completelyunrelated'), undefined);
  });
});
