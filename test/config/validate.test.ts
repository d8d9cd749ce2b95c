// Every validation rule, with the exact one-line message a user sees.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig, ConfigError } from '../../src/config/load.ts';
import { normalizeResolver } from '../../src/config/validate.ts';
import { splitHostPort } from '../../src/net/host-port.ts';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mdns-validate-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const base = { masters: ['127.0.0.1:5050'], resolvers: ['127.0.0.1'] };

function rejects(values: Record<string, unknown>, message: string): void {
  assert.throws(
    () => buildConfig({ ...base, ...values }, { source: 'config.json' }),
    new ConfigError(message),
  );
}

function accepts(values: Record<string, unknown>): void {
  assert.doesNotThrow(() => buildConfig({ ...base, ...values }, { source: 'config.json' }));
}

describe('validation', () => {
  it('ports: 0-65535, 0 meaning a free port', () => {
    rejects(
      { port: 70000 },
      'config.json: "port" must be 0-65535 (0 picks a free port), got 70000',
    );
    rejects(
      { httpport: -1 },
      'config.json: "httpport" must be 0-65535 (0 picks a free port), got -1',
    );
    accepts({ port: 0, httpport: 65535 });
  });

  it('negative and zero numbers where they make no sense', () => {
    rejects({ ttl: -5 }, 'config.json: "ttl" must be 0-2147483647, got -5');
    rejects({ refreshSeconds: 0 }, 'config.json: "refreshSeconds" must be 1-2147483647, got 0');
    rejects(
      { stateTimeoutSeconds: 0 },
      'config.json: "stateTimeoutSeconds" must be 1-2147483647, got 0',
    );
    rejects({ timeout: -1 }, 'config.json: "timeout" must be 1-3600, got -1');
    rejects({ SOAMinttl: -1 }, 'config.json: "SOAMinttl" must be 0-4294967295, got -1');
    rejects(
      { srvRecordDefaultWeight: 70000 },
      'config.json: "srvRecordDefaultWeight" must be 0-65535, got 70000',
    );
    rejects({ workers: 0 }, 'config.json: "workers" must be 1-256, got 0');
    rejects({ cacheSize: -1 }, 'config.json: "cacheSize" must be 0-100000000, got -1');
  });

  it('resolvers: IP or IP:port, no duplicates', () => {
    rejects(
      { resolvers: ['dns.google'] },
      'config.json: "resolvers"[0] must be an IP address or IP:port (e.g. "10.0.0.2", "10.0.0.2:5353", "[fd00::2]:53"), got "dns.google"',
    );
    rejects(
      { resolvers: ['127.0.0.1', '127.0.0.1:99999'] },
      'config.json: "resolvers"[1] must be an IP address or IP:port (e.g. "10.0.0.2", "10.0.0.2:5353", "[fd00::2]:53"), got "127.0.0.1:99999"',
    );
    rejects(
      { resolvers: ['127.0.0.1', '127.0.0.1:53'] },
      'config.json: "resolvers" lists "127.0.0.1:53" twice; remove the duplicate',
    );
    accepts({ resolvers: ['127.0.0.1', '127.0.0.2:5353', '::1', '[::1]:5353'] });
  });

  it('needs masters or zk', () => {
    rejects(
      { masters: [] },
      'config.json: neither "masters" nor "zk" is set; set "zk" (e.g. "zk://10.0.0.1:2181/mesos") or "masters" (e.g. ["10.0.0.1:5050"])',
    );
    accepts({ masters: [], zk: 'zk://127.0.0.1:2181/mesos' });
  });

  it('masters: host:port, no duplicates', () => {
    const bad = (m: string, i = 0): string =>
      `config.json: "masters"[${i}] must be host:port (e.g. "10.0.0.1:5050", "[fd00::1]:5050"), got ${JSON.stringify(m)}`;
    rejects({ masters: ['10.0.0.1'] }, bad('10.0.0.1'));
    rejects({ masters: ['10.0.0.1:5050', 'host:0'] }, bad('host:0', 1));
    rejects({ masters: ['::1:5050'] }, bad('::1:5050'));
    rejects({ masters: ['bad_host:5050'] }, bad('bad_host:5050'));
    rejects(
      { masters: ['Master1:5050', 'master1:5050'] },
      'config.json: "masters" lists "master1:5050" twice; remove the duplicate',
    );
    accepts({ masters: ['master1.example:5050', '[::1]:5050', '10.0.0.1:5050'] });
  });

  it('zk: zk://hosts/path', () => {
    const bad = (zk: string): string =>
      `config.json: "zk" must be zk://host:port[,host:port...]/path (e.g. "zk://10.0.0.1:2181/mesos"), got ${JSON.stringify(zk)}`;
    for (const zk of [
      'http://10.0.0.1:2181/mesos',
      'zk://10.0.0.1:2181',
      'zk:///mesos',
      'zk://h:99999/mesos',
    ]) {
      rejects({ zk }, bad(zk));
    }
    accepts({ zk: 'zk://10.0.0.1:2181,10.0.0.2:2181/mesos' });
    accepts({ zk: 'zk://user:pass@zk-1.zk:2181/mesos' });
  });

  it('domain must be a DNS name', () => {
    rejects(
      { domain: 'my_domain' },
      'config.json: "domain" has label "my_domain"; labels are 1-63 letters, digits and inner hyphens (got "my_domain"); use a name like "mesos" or "cluster.example"',
    );
    rejects(
      { domain: 'a..b' },
      'config.json: "domain" has an empty label (got "a..b"); use a name like "mesos" or "cluster.example"',
    );
    rejects(
      { domain: '' },
      'config.json: "domain" is empty (got ""); use a name like "mesos" or "cluster.example"',
    );
    accepts({ domain: 'Cluster-1.Example.' });
  });

  it('zoneResolvers: valid zones with resolvers, not the Mesos domain, not nested', () => {
    rejects(
      { zoneResolvers: { consul: [] } },
      'config.json: "zoneResolvers" zone "consul" has no resolvers; list at least one IP or remove the zone',
    );
    rejects(
      { zoneResolvers: { mesos: ['127.0.0.2'] } },
      'config.json: "zoneResolvers" cannot hold the Mesos domain "mesos"; remove that zone',
    );
    rejects(
      { zoneResolvers: { 'a.consul': ['127.0.0.2'], consul: ['127.0.0.3'] } },
      'config.json: "zoneResolvers" zone "a.consul" is inside "consul" and would never be used; remove one',
    );
    rejects(
      { zoneResolvers: { consul: ['nope'] } },
      'config.json: "zoneResolvers.consul"[0] must be an IP address or IP:port (e.g. "10.0.0.2", "10.0.0.2:5353", "[fd00::2]:53"), got "nope"',
    );
    accepts({ zoneResolvers: { consul: ['127.0.0.2:8600'], weave: ['127.0.0.3'] } });
  });

  it('IPSources: known, non-empty, unique', () => {
    rejects(
      { IPSources: ['host', 'rkt'] },
      'config.json: "IPSources" has unknown source "rkt"; use any of "netinfo", "mesos", "docker", "host"',
    );
    rejects(
      { IPSources: [] },
      'config.json: "IPSources" is empty; list at least one of "netinfo", "mesos", "docker", "host"',
    );
    rejects(
      { IPSources: ['host', 'host'] },
      'config.json: "IPSources" lists "host" twice; remove the duplicate',
    );
  });

  it('dnson and httpon cannot both be off', () => {
    rejects(
      { dnson: false, httpon: false },
      'config.json: "dnson" and "httpon" are both false; set at least one to true',
    );
  });

  it('listeners are IP addresses', () => {
    rejects(
      { listener: 'localhost' },
      'config.json: "listener" must be an IP address (e.g. "0.0.0.0", "127.0.0.1", "::"), got "localhost"',
    );
    rejects(
      { HTTPListener: '' },
      'config.json: "HTTPListener" must be an IP address (e.g. "0.0.0.0", "127.0.0.1", "::"), got ""',
    );
  });

  it('mesosAuthentication: "" or "basic" with a principal', () => {
    rejects(
      { mesosAuthentication: 'basic' },
      'config.json: "mesosAuthentication" is "basic" but "mesosCredentials" has no principal; set "mesosCredentials": {"principal": "...", "secret": "..."}',
    );
    rejects(
      { mesosAuthentication: 'iam' },
      'config.json: "mesosAuthentication" must be one of "", "basic", got "iam"; IAM authentication is not supported by mesos-dns-ts',
    );
    const { warnings } = buildConfig(
      { ...base, mesosCredentials: { principal: 'p', secret: 's' } },
      { source: 'config.json' },
    );
    assert.deepEqual(warnings, [
      'config.json: "mesosCredentials" is set but "mesosAuthentication" is ""; the credentials are not used (set "mesosAuthentication": "basic")',
    ]);
  });

  it('TLS files must exist, cert and key together', () => {
    const missing = join(dir, 'missing.pem');
    rejects(
      { CACertFile: missing },
      `config.json: "CACertFile" file ${JSON.stringify(missing)} cannot be read (ENOENT); fix the path or set it to ""`,
    );
    const cert = join(dir, 'cert.pem');
    writeFileSync(cert, 'not checked here');
    rejects(
      { CertFile: cert },
      'config.json: "CertFile" is set but "KeyFile" is not; set both or neither',
    );
    accepts({ CACertFile: cert, CertFile: cert, KeyFile: cert, mesosHTTPSOn: true });
  });

  it('SOA names must be DNS names', () => {
    rejects(
      { SOAMname: 'ns 1.mesos' },
      'config.json: "SOAMname" has label "ns 1"; labels are 1-63 letters, digits and inner hyphens (got "ns 1.mesos")',
    );
    accepts({ SOARname: 'root@ns1.mesos.' });
  });
});

describe('address helpers', () => {
  it('splitHostPort follows Go', () => {
    assert.deepEqual(splitHostPort('a:1'), { host: 'a', port: '1' });
    assert.deepEqual(splitHostPort('[::1]:53'), { host: '::1', port: '53' });
    assert.equal(splitHostPort('::1'), null);
    assert.equal(splitHostPort('a'), null);
  });

  it('normalizeResolver adds port 53 and brackets', () => {
    assert.equal(normalizeResolver('127.0.0.1'), '127.0.0.1:53');
    assert.equal(normalizeResolver('::1'), '[::1]:53');
    assert.equal(normalizeResolver('[::1]:5353'), '[::1]:5353');
    assert.equal(normalizeResolver('127.0.0.1:0'), undefined);
  });
});
