// The mesos-dns v1 API over real HTTP on loopback, against a hand-made record set.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SECRET, SLAVE_TARGET, startHarness, type Harness } from './fixtures.ts';

async function getJson(url: string): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(url);
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as unknown, headers: response.headers };
}

describe('v1 API with records loaded', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('GET /v1/version names the service and our version', async () => {
    const { status, body, headers } = await getJson(`${h.base}/v1/version`);
    assert.equal(status, 200);
    assert.match(headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(body, {
      Service: 'Mesos-DNS',
      URL: 'https://github.com/mesosphere/mesos-dns',
      Version: '9.9.9-test',
    });
  });

  it('GET /v1/config uses mesos-dns field names and never shows the secret', async () => {
    const response = await fetch(`${h.base}/v1/config`);
    const text = await response.text();
    assert.equal(response.status, 200);
    assert.ok(!text.includes(SECRET), 'the Mesos secret leaked into /v1/config');
    assert.ok(!text.includes('zkpass'), 'the ZooKeeper password leaked into /v1/config');
    const body = JSON.parse(text) as Record<string, unknown>;
    assert.equal(body.HttpPort, 0);
    assert.equal(body.DnsOn, true);
    assert.equal(body.HttpOn, true);
    assert.equal(body.RefreshSeconds, 60);
    assert.equal(body.TTL, 60);
    assert.equal(body.Domain, 'mesos');
    assert.equal(body.SOAMname, 'ns1.mesos.');
    assert.equal(body.SOARname, 'root.ns1.mesos.');
    assert.deepEqual(body.Masters, ['127.0.0.1:5050']);
    assert.deepEqual(body.IPSources, ['netinfo', 'mesos', 'host']);
    assert.equal(body.EnumerationOn, true);
    assert.equal(body.File, '/etc/mesos-dns/config.json');
    assert.deepEqual(body.MesosCredentials, { principal: 'dns-principal', secret: '******' });
    assert.equal(body.KeyFile, '/etc/mesos-dns/client.key');
    assert.equal(body.Zk, 'zk://dns:******@127.0.0.1:2181/mesos');
    assert.equal(typeof body.SOASerial, 'number');
    assert.equal(body.CacheSize, 10000);
  });

  it('GET /v1/hosts answers A then AAAA, case-insensitively, with or without the trailing dot', async () => {
    const expected = [
      { host: 'web.marathon.mesos.', ip: '10.0.0.1' },
      { host: 'web.marathon.mesos.', ip: '10.0.0.2' },
    ];
    for (const name of ['web.marathon.mesos', 'web.marathon.mesos.', 'WEB.Marathon.MESOS']) {
      const { status, body } = await getJson(`${h.base}/v1/hosts/${name}`);
      assert.equal(status, 200, name);
      assert.deepEqual(body, expected, name);
    }
    const dual = await getJson(`${h.base}/v1/hosts/dual.marathon.mesos`);
    assert.deepEqual(dual.body, [
      { host: 'dual.marathon.mesos.', ip: '10.0.0.7' },
      { host: 'dual.marathon.mesos.', ip: 'fd00::7' },
    ]);
    const v6 = await getJson(`${h.base}/v1/hosts/v6.marathon.mesos`);
    assert.deepEqual(v6.body, [{ host: 'v6.marathon.mesos.', ip: 'fd00::1' }]);
  });

  it('GET /v1/hosts for a name without records, or outside the domain, is 200 []', async () => {
    for (const name of ['nothing.marathon.mesos', 'example.com', 'mesos']) {
      const { status, body } = await getJson(`${h.base}/v1/hosts/${name}`);
      assert.equal(status, 200, name);
      assert.deepEqual(body, [], name);
    }
  });

  it('GET /v1/hosts strips ".*" wildcards as mesos-dns does', async () => {
    const { body } = await getJson(`${h.base}/v1/hosts/web.*.marathon.mesos`);
    assert.equal((body as unknown[]).length, 2);
  });

  it('malformed names are 400 with a JSON reason', async () => {
    const bad = [
      'we$b.marathon.mesos',
      'web..marathon.mesos',
      `${'abcdefghi.'.repeat(26)}mesos`,
      '%E0%A4%A',
      'caf%C3%A9.mesos',
    ];
    for (const name of bad) {
      for (const path of ['hosts', 'services']) {
        const { status, body } = await getJson(`${h.base}/v1/${path}/${name}`);
        assert.equal(status, 400, `${path}/${name}`);
        assert.equal(typeof (body as { message: unknown }).message, 'string');
      }
    }
  });

  it('GET /v1/hosts/{host}/ports is 501, as in mesos-dns', async () => {
    const { status, body } = await getJson(`${h.base}/v1/hosts/web.marathon.mesos/ports`);
    assert.equal(status, 501);
    assert.equal((body as { error: string }).error, 'not implemented');
  });

  it('GET /v1/services lists each SRV target address with the port as a string', async () => {
    const { status, body } = await getJson(`${h.base}/v1/services/_WEB._tcp.marathon.mesos.`);
    assert.equal(status, 200);
    const service = '_WEB._tcp.marathon.mesos.'; // as asked, as mesos-dns
    assert.deepEqual(body, [
      { service, host: SLAVE_TARGET, ip: '10.0.1.1', port: '31000' },
      { service, host: 'dual.marathon.mesos.', ip: '10.0.0.7', port: '8080' },
      { service, host: 'dual.marathon.mesos.', ip: 'fd00::7', port: '8080' },
    ]);
    const none = await getJson(`${h.base}/v1/services/_none._tcp.marathon.mesos`);
    assert.equal(none.status, 200);
    assert.deepEqual(none.body, []);
  });

  it('GET /v1/enumerate has mesos-dns shape', async () => {
    const { status, body } = await getJson(`${h.base}/v1/enumerate`);
    assert.equal(status, 200);
    assert.deepEqual(body, {
      frameworks: [
        {
          tasks: [
            {
              name: 'web',
              id: 'web.abc12',
              records: [
                { name: 'web.marathon.mesos.', host: '10.0.0.1', rtype: 'A' },
                {
                  name: '_web._tcp.marathon.mesos.',
                  host: `${SLAVE_TARGET}:31000`,
                  rtype: 'SRV',
                },
              ],
            },
          ],
          name: 'marathon',
        },
      ],
    });
  });

  it('GET /v1/axfr dumps the zone with SOA fields and sorted names', async () => {
    const { status, body } = await getJson(`${h.base}/v1/axfr`);
    assert.equal(status, 200);
    const zone = body as Record<string, unknown> & {
      Records: {
        As: Record<string, string[]>;
        AAAAs: Record<string, string[]>;
        SRVs: Record<string, string[]>;
      };
    };
    assert.equal(zone.TTL, 60);
    assert.equal(zone.RefreshSeconds, 60);
    assert.equal(zone.Mname, 'ns1.mesos.');
    assert.equal(zone.Rname, 'root.ns1.mesos.');
    assert.equal(zone.Domain, 'mesos');
    assert.equal(zone.Serial, Math.floor((h.store.lastLoad?.atMs ?? 0) / 1000));
    assert.deepEqual(Object.keys(zone.Records.As), [
      'dual.marathon.mesos.',
      'leader.mesos.',
      SLAVE_TARGET, // "-" sorts before ".", as in Go's byte-wise key order
      'web.marathon.mesos.',
    ]);
    assert.deepEqual(zone.Records.AAAAs['v6.marathon.mesos.'], ['fd00::1']);
    assert.deepEqual(zone.Records.SRVs['_leader._tcp.mesos.'], ['leader.mesos.:5050']);
  });

  it('unknown paths are 404 JSON; wrong methods are 405 with Allow', async () => {
    const missing = await getJson(`${h.base}/v2/nothing`);
    assert.equal(missing.status, 404);
    assert.equal((missing.body as { error: string }).error, 'not found');

    const post = await fetch(`${h.base}/v1/version`, { method: 'POST', body: 'x'.repeat(1000) });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    assert.equal(post.headers.get('connection'), 'close');
    assert.equal(((await post.json()) as { error: string }).error, 'method not allowed');

    const del = await fetch(`${h.base}/v1/hosts/web.marathon.mesos`, { method: 'DELETE' });
    assert.equal(del.status, 405);
    await del.body?.cancel();
  });

  it('HEAD answers with the GET headers and no body', async () => {
    const get = await fetch(`${h.base}/v1/hosts/web.marathon.mesos`);
    const getText = await get.text();
    const head = await fetch(`${h.base}/v1/hosts/web.marathon.mesos`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(getText)));
    assert.equal(await head.text(), '');
  });

  it('GET /health is 200 ok', async () => {
    const { status, body } = await getJson(`${h.base}/health`);
    assert.equal(status, 200);
    assert.deepEqual(body, { status: 'ok' });
  });
});

describe('v1 API with enumeration off', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ config: { EnumerationOn: false } });
  });
  after(() => h.close());

  it('/v1/enumerate and /v1/axfr do not exist', async () => {
    for (const path of ['/v1/enumerate', '/v1/axfr']) {
      const { status } = await getJson(`${h.base}${path}`);
      assert.equal(status, 404, path);
    }
    const hosts = await getJson(`${h.base}/v1/hosts/web.marathon.mesos`);
    assert.equal(hosts.status, 200);
  });
});

describe('before the first state load', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ loaded: false });
  });
  after(() => h.close());

  it('record endpoints are 503 with a reason; /ready flips to 200 after a swap', async () => {
    for (const path of [
      '/v1/hosts/web.marathon.mesos',
      '/v1/services/_web._tcp.marathon.mesos',
      '/v1/enumerate',
      '/v1/axfr',
    ]) {
      const { status, body } = await getJson(`${h.base}${path}`);
      assert.equal(status, 503, path);
      assert.match((body as { message: string }).message, /no Mesos state/);
    }
    // Version and config do not depend on records.
    assert.equal((await getJson(`${h.base}/v1/version`)).status, 200);

    h.store.recordFailure({ atMs: Date.now() - 3000, message: 'master 127.0.0.1:5050 refused' });
    const notReady = await getJson(`${h.base}/ready`);
    assert.equal(notReady.status, 503);
    const nr = notReady.body as {
      status: string;
      reasons: string[];
      recordsAgeSeconds: number | null;
      lastFailure: { message: string; ageSeconds: number } | null;
    };
    assert.equal(nr.status, 'not ready');
    assert.deepEqual(nr.reasons, ['no Mesos state loaded yet']);
    assert.equal(nr.recordsAgeSeconds, null);
    assert.equal(nr.lastFailure?.message, 'master 127.0.0.1:5050 refused');
    assert.ok((nr.lastFailure?.ageSeconds ?? 0) >= 2);

    const { testRecordSet, loadInfo } = await import('./fixtures.ts');
    h.store.swap(testRecordSet(), loadInfo(Date.now() - 5000));
    const isReady = await getJson(`${h.base}/ready`);
    assert.equal(isReady.status, 200);
    const r = isReady.body as { status: string; recordsAgeSeconds: number; generation: number };
    assert.equal(r.status, 'ready');
    assert.ok(r.recordsAgeSeconds >= 4 && r.recordsAgeSeconds < 60, String(r.recordsAgeSeconds));
    assert.equal(r.generation, 1);
    assert.equal((await getJson(`${h.base}/v1/hosts/web.marathon.mesos`)).status, 200);

    h.dnsListening = false;
    const dnsDown = await getJson(`${h.base}/ready`);
    assert.equal(dnsDown.status, 503);
    assert.deepEqual((dnsDown.body as { reasons: string[] }).reasons, [
      'the DNS server is not listening',
    ]);
  });
});
