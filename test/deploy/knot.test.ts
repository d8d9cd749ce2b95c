// deploy/knot/: the hidden-primary example. The mesos-dns-ts config loads without warnings, Knot
// accepts its config, and the two agree on the key, the primaries' addresses and the ports.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config/load.ts';
import { KNOTD_PATH } from '../helpers/secondaries.ts';

const run = promisify(execFile);
const DIR = new URL('../../deploy/knot/', import.meta.url).pathname;
const KNOTC = '/usr/sbin/knotc';

test('primary.json loads cleanly and serves transfers to the agents with a key', () => {
  const { config, warnings } = loadConfig({ file: `${DIR}primary.json` });
  assert.deepEqual(warnings, []);
  assert.equal(config.workers, 1);
  assert.equal(config.externalon, false);
  assert.ok(config.transferAllow.length > 0);
  assert.equal(Object.keys(config.transferKeys).length, 1);
  assert.ok(config.notify.length > 0);
});

test('knot.conf is valid for knotc and matches the primary', async (t) => {
  if (!existsSync(KNOTC) || !existsSync(KNOTD_PATH)) {
    t.skip('knot is not installed');
    return;
  }
  const { stdout } = await run(KNOTC, ['-c', `${DIR}knot.conf`, 'conf-check']);
  assert.match(stdout, /valid/i);

  const { config } = loadConfig({ file: `${DIR}primary.json` });
  const knot = readFileSync(`${DIR}knot.conf`, 'utf8');
  const [name, spec] = Object.entries(config.transferKeys)[0]!;
  assert.match(knot, new RegExp(`- id: ${name.replace(/\./g, '\\.')}\\n`));
  assert.ok(knot.includes(`secret: ${spec.split(':')[1]}`), 'same secret');
  assert.ok(knot.includes(`${config.listener}@${config.port}`), 'the primary is listed');
  for (const target of config.notify) {
    const [ip, port] = target.split(':');
    assert.ok(knot.includes(`listen: [ 127.0.0.1@${port}`), `agents listen on ${port}`);
    assert.ok(
      config.transferAllow.some((net) => net.startsWith(ip!.split('.').slice(0, 2).join('.'))),
    );
  }
});
