// Shared pieces of the stream-mode tests: a server following a simulated master's event
// stream, and the records polling the same master gives, to compare against.
import assert from 'node:assert/strict';
import { buildConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/types.ts';
import { createLogger, silentLogger } from '../../src/log.ts';
import { loadParamsFromConfig } from '../../src/mesos/poller.ts';
import { StateClient } from '../../src/mesos/state-client.ts';
import { generate } from '../../src/records/generate.ts';
import type { RecordSet } from '../../src/records/recordset.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { WAIT_MS, waitUntil } from '../helpers/wait.ts';

export function streamConfig(masters: string[], extra: Record<string, unknown> = {}): Config {
  return buildConfig({
    masters,
    port: 0,
    httpport: 0,
    listener: '127.0.0.1',
    HTTPListener: '127.0.0.1',
    externalon: false,
    refreshSeconds: 3600,
    stateTimeoutSeconds: 5,
    stateSource: 'subscribe',
    streamCoalesceMs: 20,
    ...extra,
  }).config;
}

export async function startStreaming(config: Config): Promise<RunningServer> {
  return startServer(config, { logger: process.env['F12_LOG'] ? createLogger(0) : silentLogger() });
}

/** name → sorted values per type: record sets compared as sets, as DNS serves them. */
export function canonical(set: Pick<RecordSet, 'a' | 'aaaa' | 'srv'>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const kind of ['a', 'aaaa', 'srv'] as const) {
    for (const [name, values] of set[kind]) {
      out[`${kind} ${name}`] = values
        .map((v) => (typeof v === 'string' ? v : `${v.target}:${v.port}:${v.priority}:${v.weight}`))
        .sort();
    }
  }
  return out;
}

/** The records a poll of `master` gives with `config`: /master/state over HTTP, then generate(). */
export async function polledRecords(config: Config, master: string): Promise<RecordSet> {
  const params = loadParamsFromConfig(config, ['127.0.0.1']);
  const client = new StateClient(params.client);
  try {
    const state = await client.fetchState(master);
    return generate(state, params.generate);
  } finally {
    await client.close();
  }
}

/** Waits until the server's records equal a poll of `master` (the stream has caught up). */
export async function assertMatchesPoll(
  server: RunningServer,
  config: Config,
  master: string,
  ms = WAIT_MS,
): Promise<void> {
  let last = '';
  try {
    await waitUntil(
      async () => {
        const current = server.store.current;
        if (current === null) return false;
        const polled = await polledRecords(config, master);
        const a = canonical(current);
        const b = canonical(polled);
        last = diffSummary(a, b);
        return last === '' && current.counts.tasks === polled.counts.tasks;
      },
      ms,
      'streamed records to equal polled ones',
    );
  } catch (error) {
    assert.fail(`${(error as Error).message}: ${last}`);
  }
}

function diffSummary(a: Record<string, string[]>, b: Record<string, string[]>): string {
  const out: string[] = [];
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = JSON.stringify(a[k] ?? null);
    const y = JSON.stringify(b[k] ?? null);
    if (x !== y) out.push(`${k}: stream ${x} poll ${y}`);
    if (out.length >= 5) break;
  }
  return out.join('; ');
}
