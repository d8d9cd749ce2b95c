// Command-line parsing: Go-style single-dash flags, GNU-style flags, overrides of every kind.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeGoFlags, parseArgs, renderHelp } from '../../src/cli.ts';
import { ConfigError } from '../../src/config/load.ts';
import { CONFIG_SCHEMA } from '../../src/config/schema.ts';

function run(argv: string[]): Extract<ReturnType<typeof parseArgs>, { kind: 'run' }> {
  const parsed = parseArgs(argv);
  if (parsed.kind !== 'run') assert.fail(`expected a run, got ${parsed.kind}`);
  return parsed;
}

describe('normalizeGoFlags', () => {
  it('rewrites mesos-dns spellings', () => {
    assert.deepEqual(normalizeGoFlags(['-config=/etc/c.json']), ['--config=/etc/c.json']);
    assert.deepEqual(normalizeGoFlags(['-config', 'x.json']), ['--config', 'x.json']);
    assert.deepEqual(normalizeGoFlags(['-version']), ['--version']);
    assert.deepEqual(normalizeGoFlags(['-v=2']), ['--verbose', '--verbose']);
    assert.deepEqual(normalizeGoFlags(['-v', '1', 'x']), ['--verbose', 'x']);
    assert.deepEqual(normalizeGoFlags(['-v']), ['--verbose']);
    assert.deepEqual(normalizeGoFlags(['-refreshSeconds=5', '--DnsOn=false', '-no-httpon']), [
      '--refresh-seconds=5',
      '--dnson=false',
      '--no-httpon',
    ]);
    assert.deepEqual(normalizeGoFlags(['-vv', '--', '-config=x']), ['-vv', '--', '-config=x']);
  });

  it('rejects a non-numeric -v level', () => {
    assert.throws(() => normalizeGoFlags(['-v=high']), ConfigError);
  });
});

describe('parseArgs', () => {
  it('defaults to ./config.json with no overrides', () => {
    assert.deepEqual(run([]), {
      kind: 'run',
      configFile: 'config.json',
      overrides: {},
      verbose: 0,
    });
  });

  it('accepts -config=FILE, --config FILE and --config=FILE', () => {
    assert.equal(run(['-config=/a.json']).configFile, '/a.json');
    assert.equal(run(['--config', '/b.json']).configFile, '/b.json');
    assert.equal(run(['--config=/c.json']).configFile, '/c.json');
    assert.equal(run(['-config', '/d.json']).configFile, '/d.json');
  });

  it('counts verbosity from -v=N, -vv and --verbose', () => {
    assert.equal(run(['-v=1']).verbose, 1);
    assert.equal(run(['-v=2']).verbose, 2);
    assert.equal(run(['-vv']).verbose, 2);
    assert.equal(run(['--verbose']).verbose, 1);
  });

  it('recognises help and version in both styles', () => {
    assert.equal(parseArgs(['-version']).kind, 'version');
    assert.equal(parseArgs(['--version']).kind, 'version');
    assert.equal(parseArgs(['--help']).kind, 'help');
    assert.equal(parseArgs(['-h']).kind, 'help');
    assert.equal(parseArgs(['-help']).kind, 'help');
  });

  it('turns flags into typed overrides', () => {
    const { overrides } = run([
      '--port',
      '8053',
      '--domain',
      'Example',
      '--masters',
      '10.0.0.1:5050',
      '--masters',
      '10.0.0.2:5050,10.0.0.3:5050',
      '--resolvers=127.0.0.1',
      '--refresh-seconds',
      '5',
      '--stateTimeoutSeconds=9',
      '-SOAMname=ns2.mesos',
      '--no-dnson',
      '--externalon=false',
      '--recurseon',
      '--zone-resolvers',
      'consul=127.0.0.2:8600,127.0.0.3',
      '--zone-resolvers',
      'weave=127.0.0.4',
      '--mesos-credentials',
      'dns:pa:ss',
      '--ip-sources',
      'host,netinfo',
    ]);
    assert.deepEqual(overrides, {
      port: 8053,
      domain: 'Example',
      masters: ['10.0.0.1:5050', '10.0.0.2:5050', '10.0.0.3:5050'],
      resolvers: ['127.0.0.1'],
      refreshSeconds: 5,
      stateTimeoutSeconds: 9,
      SOAMname: 'ns2.mesos',
      dnson: false,
      externalon: false,
      recurseon: true,
      zoneResolvers: { consul: ['127.0.0.2:8600', '127.0.0.3'], weave: ['127.0.0.4'] },
      mesosCredentials: { principal: 'dns', secret: 'pa:ss' },
      IPSources: ['host', 'netinfo'],
    });
  });

  it('accepts Go-style single-dash config flags', () => {
    assert.deepEqual(run(['-port=8053', '-httpport', '9000', '-dnson=false']).overrides, {
      port: 8053,
      httpport: 9000,
      dnson: false,
    });
  });

  it('reports bad flag values and unknown flags as one-line ConfigErrors', () => {
    assert.throws(
      () => parseArgs(['--port', 'abc']),
      new ConfigError('--port: "port" must be an integer, got "abc"'),
    );
    assert.throws(
      () => parseArgs(['--zone-resolvers', '127.0.0.2']),
      new ConfigError(
        '--zone-resolvers: "zoneResolvers" must be zone=ip[,ip...] (e.g. consul=10.0.0.5:8600), got "127.0.0.2"',
      ),
    );
    assert.throws(
      () => parseArgs(['--mesos-credentials', 'nosecret']),
      new ConfigError(
        '--mesos-credentials: "mesosCredentials" must be principal:secret, got "nosecret"',
      ),
    );
    assert.throws(
      () => parseArgs(['--bogus', '1']),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /^command line: Unknown argument: bogus; see --help$/);
        assert.ok(!err.message.includes('\n'));
        return true;
      },
    );
  });
});

describe('renderHelp', () => {
  it('lists every flag with its config key and default', () => {
    const help = renderHelp();
    for (const def of CONFIG_SCHEMA) {
      assert.ok(help.includes(`--${def.flag}`), def.flag);
      assert.ok(
        help.includes(`[key: ${def.key}, default: ${JSON.stringify(def.default)}]`),
        def.key,
      );
    }
    for (const flag of ['--config FILE', '--version', '--help', '-v=N'])
      assert.ok(help.includes(flag), flag);
  });
});
