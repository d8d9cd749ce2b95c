// GET /metrics over HTTP: parsable text format that moves when the DNS layer reports queries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseExposition } from '../metrics/exposition.ts';
import { startHarness } from './fixtures.ts';

describe('GET /metrics', () => {
  it('serves the Prometheus text format, and counters move after queries', async () => {
    const h = await startHarness();
    try {
      const count = async () => {
        const response = await fetch(`${h.base}/metrics`);
        assert.equal(response.status, 200);
        assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
        const samples = parseExposition(await response.text());
        return samples
          .filter((s) => s.name === 'mesos_dns_requests_total' && s.labels.qtype === 'SRV')
          .reduce((n, s) => n + s.value, 0);
      };
      const before = await count();
      for (let i = 0; i < 3; i++) h.metrics.query('udp', 33, 'authoritative', 0.0001);
      assert.equal((await count()) - before, 3);

      const head = await fetch(`${h.base}/metrics`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(await head.text(), '');
    } finally {
      await h.close();
    }
  });
});
