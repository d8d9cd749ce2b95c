// Guards src/metrics/prom-histogram.ts, the one module that overrides prom-client's undocumented
// histogram export hook: an upgrade that renames or bypasses it fails here, naming it, instead of
// silently exporting empty latency histograms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Histogram, Registry } from 'prom-client';
import { SnapshotHistogram, type HistogramSnapshot } from '../../src/metrics/prom-histogram.ts';
import { parseExposition } from './exposition.ts';

const LIBRARY = 'prom-client';
const HOOK = `${LIBRARY} Histogram#getForPromString`;
const CHANGED = `${LIBRARY}'s internals changed: src/metrics/prom-histogram.ts overrides ${HOOK}`;

class Fixed extends SnapshotHistogram<'route'> {
  series: HistogramSnapshot[] = [];
  protected snapshots(): Iterable<HistogramSnapshot> {
    return this.series;
  }
}

function fixture(): { registry: Registry; histogram: Fixed } {
  const registry = new Registry();
  const histogram = new Fixed('t_seconds', 'Test latency.', ['route'], [0.1, 1], registry);
  histogram.series = [
    // 2 under 0.1 s, 1 under 1 s, 1 above: cumulative 2, 3, 4.
    { labels: { route: 'a' }, counts: [2, 1, 1], sum: 3.5, count: 4 },
    { labels: { route: 'idle' }, counts: [0, 0, 0], sum: 0, count: 0 },
  ];
  return { registry, histogram };
}

test(`package.json pins ${LIBRARY} exactly, to the installed version`, () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const installed = (
    createRequire(import.meta.url)(`${LIBRARY}/package.json`) as { version: string }
  ).version;
  assert.equal(
    pkg.dependencies[LIBRARY],
    installed,
    `${LIBRARY} must be pinned to an exact version: src/metrics/prom-histogram.ts overrides ${HOOK}`,
  );
});

test(`${HOOK} still exists`, () => {
  const proto = Histogram.prototype as unknown as Record<string, unknown>;
  assert.equal(typeof proto.getForPromString, 'function', `${CHANGED}, which is gone`);
});

test('the registry renders the snapshots through the hook', async () => {
  const { registry } = fixture();
  const samples = parseExposition(await registry.metrics()).filter((s) => s.name.startsWith('t_'));
  assert.deepEqual(
    samples,
    [
      { name: 't_seconds_bucket', labels: { le: '0.1', route: 'a' }, value: 2 },
      { name: 't_seconds_bucket', labels: { le: '1', route: 'a' }, value: 3 },
      { name: 't_seconds_bucket', labels: { le: '+Inf', route: 'a' }, value: 4 },
      { name: 't_seconds_sum', labels: { route: 'a' }, value: 3.5 },
      { name: 't_seconds_count', labels: { route: 'a' }, value: 4 },
    ],
    `${CHANGED}: Registry#metrics no longer renders what the hook returns`,
  );
});

test('Histogram#get and the JSON export build on the hook too', async () => {
  const { registry, histogram } = fixture();
  const got = await histogram.get();
  assert.deepEqual(
    got.values.map((v) => [v.metricName, v.labels, v.value]),
    [
      ['t_seconds_bucket', { le: 0.1, route: 'a' }, 2],
      ['t_seconds_bucket', { le: 1, route: 'a' }, 3],
      ['t_seconds_bucket', { le: '+Inf', route: 'a' }, 4],
      ['t_seconds_sum', { route: 'a' }, 3.5],
      ['t_seconds_count', { route: 'a' }, 4],
    ],
    `${CHANGED}: Histogram#get no longer builds on it`,
  );
  const json = await registry.getMetricsAsJSON();
  assert.equal(json.find((m) => m.name === 't_seconds')?.values.length, 5, `${CHANGED} (JSON)`);
});
