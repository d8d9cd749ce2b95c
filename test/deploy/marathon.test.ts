// Validates deploy/marathon.json against Marathon 1.x's app API (field lists taken from Marathon's
// docs/rest-api/public/api/v2/types/*.raml) and against the server: ports, health and readiness
// paths, flags, the image tag.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { RESULTS_FILE, sectionOf } from '../../bench/results-file.ts';
import { parseMarkdownTable } from '../../bench/table.ts';
import { parseArgs } from '../../src/cli.ts';
import { CONFIG_SCHEMA } from '../../src/config/schema.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
type Json = Record<string, unknown>;
const app = JSON.parse(readFileSync(`${ROOT}deploy/marathon.json`, 'utf8')) as Json;
const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
  name: string;
  version: string;
};

/** deploy/README.md: size `mem` at 2-3x the server's RSS; below 2x is too tight. */
const MEM_MARGIN = 2;

/**
 * The server's peak RSS (VmHWM) serving the 10k-task simulated cluster, as `npm run bench` last
 * measured it: the largest "peak RSS MB" of the server rows in bench/results.md's serving section.
 */
function measuredServingPeakMb(): number {
  const section = sectionOf(readFileSync(RESULTS_FILE, 'utf8'), 'serving');
  assert.ok(section, `${RESULTS_FILE} has no serving section: run npm run bench`);
  const peaks = parseMarkdownTable(section)
    .filter((row) => (row['case'] ?? '').startsWith('server'))
    .map((row) => Number(row['peak RSS MB']));
  assert.ok(
    peaks.length > 0 && peaks.every((mb) => Number.isFinite(mb) && mb > 0),
    `no server "peak RSS MB" in the serving table of ${RESULTS_FILE}`,
  );
  return Math.max(...peaks);
}

/**
 * The server's peak RSS (VmHWM, polling as mesos-dns does) at `tasks` tasks, as bench/scale.ts
 * last measured it: the largest "peak RSS MB" row (2 s reloads, and the steady run) of its
 * section scale-<tasks> in bench/results.md.
 */
function measuredScalePeakMb(doc: string, tasks: number): number {
  const section = sectionOf(doc, `scale-${tasks}`);
  assert.ok(section, `bench/results.md has no section scale-${tasks}: node bench/scale.ts`);
  const peaks = parseMarkdownTable(section)
    .filter((row) => (row['measure'] ?? '').startsWith('peak RSS MB'))
    .map((row) => Number(row['mesos-dns-ts (poll)']));
  assert.ok(
    peaks.length > 0 && peaks.every((mb) => Number.isFinite(mb) && mb > 0),
    `no "peak RSS MB" for mesos-dns-ts (poll) in section scale-${tasks}`,
  );
  return Math.max(...peaks);
}

// App (app.raml). Deprecated fields (ports, uris, ipAddress) are left out on purpose.
const APP_FIELDS = [
  'id',
  'acceptedResourceRoles',
  'args',
  'backoffFactor',
  'backoffSeconds',
  'cmd',
  'constraints',
  'container',
  'cpus',
  'dependencies',
  'disk',
  'env',
  'executor',
  'fetch',
  'gpus',
  'healthChecks',
  'instances',
  'killSelection',
  'labels',
  'maxLaunchDelaySeconds',
  'mem',
  'networks',
  'portDefinitions',
  'readinessChecks',
  'requirePorts',
  'residency',
  'secrets',
  'storeUrls',
  'taskKillGracePeriodSeconds',
  'unreachableStrategy',
  'upgradeStrategy',
  'user',
];
const CONTAINER_FIELDS = ['type', 'docker', 'appc', 'volumes', 'portMappings'];
// DockerContainer; `network` and `portMappings` here are deprecated in favour of App.networks.
const DOCKER_FIELDS = ['credential', 'forcePullImage', 'image', 'parameters', 'privileged'];
const DOCKER_PARAMETER_FIELDS = ['key', 'value'];
const NETWORK_FIELDS = ['name', 'mode', 'labels'];
const PORT_DEFINITION_FIELDS = ['port', 'labels', 'name', 'protocol'];
const HEALTH_CHECK_FIELDS = [
  'command',
  'gracePeriodSeconds',
  'ignoreHttp1xx',
  'intervalSeconds',
  'maxConsecutiveFailures',
  'path',
  'port',
  'portIndex',
  'protocol',
  'ipProtocol',
  'timeoutSeconds',
  'delaySeconds',
];
const READINESS_FIELDS = [
  'name',
  'protocol',
  'path',
  'portName',
  'intervalSeconds',
  'timeoutSeconds',
  'httpStatusCodesForReady',
  'preserveLastResponse',
];
const UPGRADE_FIELDS = ['maximumOverCapacity', 'minimumHealthCapacity'];
const CONSTRAINT_OPERATORS = ['UNIQUE', 'CLUSTER', 'GROUP_BY', 'LIKE', 'UNLIKE', 'MAX_PER', 'IS'];

function obj(value: unknown, where: string): Json {
  assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), where);
  return value as Json;
}

function list(value: unknown, where: string): unknown[] {
  assert.ok(Array.isArray(value), `${where} should be an array`);
  return value;
}

function onlyFields(value: unknown, allowed: readonly string[], where: string): Json {
  const o = obj(value, `${where} should be an object`);
  for (const key of Object.keys(o)) {
    assert.ok(allowed.includes(key), `${where}.${key} is not a Marathon app API field`);
  }
  return o;
}

function num(value: unknown, where: string): number {
  assert.equal(typeof value, 'number', `${where} should be a number`);
  return value as number;
}

function defaultOf(key: string): number {
  const value = CONFIG_SCHEMA.find((d) => d.key === key)?.default;
  assert.equal(typeof value, 'number', `schema default of ${key}`);
  return value as number;
}

const portDefinitions = list(app['portDefinitions'], 'portDefinitions').map((p, i) =>
  onlyFields(p, PORT_DEFINITION_FIELDS, `portDefinitions[${i}]`),
);

test('only Marathon app API fields, at every level', () => {
  onlyFields(app, APP_FIELDS, 'app');
  const container = onlyFields(app['container'], CONTAINER_FIELDS, 'container');
  const docker = onlyFields(container['docker'], DOCKER_FIELDS, 'container.docker');
  list(docker['parameters'], 'container.docker.parameters').forEach((p, i) =>
    onlyFields(p, DOCKER_PARAMETER_FIELDS, `container.docker.parameters[${i}]`),
  );
  list(app['networks'], 'networks').forEach((n, i) =>
    onlyFields(n, NETWORK_FIELDS, `networks[${i}]`),
  );
  list(app['healthChecks'], 'healthChecks').forEach((h, i) =>
    onlyFields(h, HEALTH_CHECK_FIELDS, `healthChecks[${i}]`),
  );
  list(app['readinessChecks'], 'readinessChecks').forEach((r, i) =>
    onlyFields(r, READINESS_FIELDS, `readinessChecks[${i}]`),
  );
  onlyFields(app['upgradeStrategy'], UPGRADE_FIELDS, 'upgradeStrategy');
  for (const key of ['env', 'labels']) {
    for (const [k, v] of Object.entries(obj(app[key], key))) {
      assert.equal(typeof v, 'string', `${key}.${k} must be a string`);
    }
  }
});

test('required fields and value rules Marathon enforces', () => {
  assert.match(String(app['id']), /^\/?([a-z0-9][a-z0-9-]*[a-z0-9]\/?)+$/);
  assert.ok(!('cmd' in app && 'args' in app), 'cmd and args are mutually exclusive');
  const container = obj(app['container'], 'container');
  assert.ok(['DOCKER', 'MESOS'].includes(String(container['type'])));
  const docker = obj(container['docker'], 'container.docker');
  assert.ok(typeof docker['image'] === 'string' && docker['image'] !== '');
  assert.ok(num(app['cpus'], 'cpus') >= 0.001);
  assert.ok(Number.isInteger(app['instances']) && num(app['instances'], 'instances') >= 1);
  for (const [i, p] of portDefinitions.entries()) {
    assert.ok(['tcp', 'udp', 'udp,tcp'].includes(String(p['protocol'])), `port ${i} protocol`);
    assert.match(String(p['name']), /^[a-z0-9]([a-z0-9-]*[a-z0-9]+)*$/);
  }
  for (const c of list(app['constraints'], 'constraints')) {
    const parts = list(c, 'constraint');
    assert.ok(parts.length >= 2 && parts.length <= 3, `constraint ${JSON.stringify(c)}`);
    assert.ok(CONSTRAINT_OPERATORS.includes(String(parts[1])), `operator ${String(parts[1])}`);
  }
  for (const key of ['healthChecks', 'readinessChecks']) {
    for (const check of list(app[key], key)) {
      const o = obj(check, key);
      assert.ok(
        num(o['timeoutSeconds'], 'timeoutSeconds') < num(o['intervalSeconds'], 'interval'),
        `${key}: timeoutSeconds must be below intervalSeconds`,
      );
    }
  }
  const upgrade = obj(app['upgradeStrategy'], 'upgradeStrategy');
  for (const v of Object.values(upgrade)) assert.ok(num(v, 'upgrade') >= 0 && (v as number) <= 1);
});

test('host networking on the server default ports, one instance per host', () => {
  assert.deepEqual(app['networks'], [{ mode: 'host' }]);
  assert.equal(app['requirePorts'], true, 'fixed host ports: resolvers point at port 53');
  const dns = portDefinitions.find((p) => p['port'] === defaultOf('port'));
  const http = portDefinitions.find((p) => p['port'] === defaultOf('httpport'));
  assert.equal(dns?.['protocol'], 'udp,tcp', 'DNS needs UDP and TCP on port 53');
  assert.ok(http, `a port definition for httpport ${defaultOf('httpport')}`);
  const constraints = list(app['constraints'], 'constraints');
  assert.ok(constraints.some((c) => JSON.stringify(c) === '["hostname","UNIQUE"]'));
  // Host ports cannot be doubled on one host, so upgrades replace instances in place.
  const upgrade = obj(app['upgradeStrategy'], 'upgradeStrategy');
  assert.equal(upgrade['maximumOverCapacity'], 0);
  assert.ok(num(upgrade['minimumHealthCapacity'], 'minimumHealthCapacity') >= 0.5);
});

test('health and readiness checks hit /health and /ready on httpport', () => {
  const httpport = defaultOf('httpport');
  const [health] = list(app['healthChecks'], 'healthChecks').map((h) => obj(h, 'health'));
  assert.equal(health?.['protocol'], 'MESOS_HTTP');
  assert.equal(health['path'], '/health');
  const port = health['port'] ?? portDefinitions[num(health['portIndex'], 'portIndex')]?.['port'];
  assert.equal(port, httpport);
  const [ready] = list(app['readinessChecks'], 'readinessChecks').map((r) => obj(r, 'ready'));
  assert.equal(ready?.['path'], '/ready');
  assert.ok(['HTTP', 'HTTPS'].includes(String(ready['protocol'])));
  const named = portDefinitions.find((p) => p['name'] === ready['portName']);
  assert.equal(named?.['port'], httpport, 'readiness portName names the HTTP port');
});

test('the image, its capabilities, its flags and its memory', () => {
  const docker = obj(obj(app['container'], 'container')['docker'], 'docker');
  assert.equal(docker['image'], `${pkg.name}:${pkg.version}`, 'image tag follows package.json');
  assert.ok(docker['privileged'] !== true, 'no privileged container: NET_BIND_SERVICE suffices');
  assert.deepEqual(
    list(docker['parameters'], 'parameters').filter((p) => obj(p, 'p')['key'] === 'cap-add'),
    [{ key: 'cap-add', value: 'NET_BIND_SERVICE' }],
  );
  const args = list(app['args'], 'args').map(String);
  const parsed = parseArgs(args);
  assert.ok(parsed.kind === 'run');
  assert.equal(parsed.configFile, '/etc/mesos-dns/config.json');
  const mem = num(app['mem'], 'mem');
  const peak = measuredServingPeakMb();
  assert.ok(
    mem >= MEM_MARGIN * peak,
    `mem ${mem} MB is below ${MEM_MARGIN}x the measured peak RSS of ${peak} MB (bench/results.md)`,
  );
});

test('mem covers the cluster size the app says it is sized for (bench/scale.ts)', () => {
  const labels = obj(app['labels'], 'labels');
  const tasks = Number(labels['sized-for-tasks']);
  assert.ok(Number.isInteger(tasks) && tasks > 0, 'labels["sized-for-tasks"]: a task count');
  const mem = num(app['mem'], 'mem');
  const peak = measuredScalePeakMb(readFileSync(RESULTS_FILE, 'utf8'), tasks);
  assert.ok(
    mem >= MEM_MARGIN * peak,
    `mem ${mem} MB is below ${MEM_MARGIN}x the peak RSS of ${peak} MB measured at ${tasks} tasks`,
  );
});

test('reads the peak RSS of a scale section', () => {
  const doc = [
    '<!-- section:scale-50000 -->',
    '| measure | mesos-dns-ts (poll) | mesos-dns |',
    '|---|---|---|',
    '| first answer after start, reload phase (s) | 3.0 | 2.0 |',
    '| peak RSS MB, 30 s of 2 s reloads (VmHWM) | 613 | 554 |',
    '| peak RSS MB, steady phase (VmHWM) | 481 | 334 |',
    '<!-- /section:scale-50000 -->',
  ].join('\n');
  assert.equal(measuredScalePeakMb(doc, 50_000), 613);
  assert.throws(() => measuredScalePeakMb(doc, 10_000), /no section scale-10000/);
});
