// The load worker: fetches, parses and validates the master's state, resolves host names and
// generates the RecordSet off the main thread, then hands it over chunk by chunk on request.
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import type { GenerateOptions } from '../records/generate.ts';
import type { RecordSet } from '../records/recordset.ts';
import { enumerationJson } from '../records/enumeration-json.ts';
import { serializeStateError } from './errors.ts';
import { loadState } from './load-state.ts';
import {
  deltaChunks,
  recordChunks,
  recordDelta,
  recordSetDigest,
  recordSetHeader,
  type RecordChunk,
} from './record-transfer.ts';
import type { FromWorker, LoadParams, ToWorker } from './reload-protocol.ts';
import { hostsToResolve, resolveHosts } from './resolve-hosts.ts';
import { StateClient, type StateClientOptions } from './state-client.ts';
import type { MesosState } from './types.ts';

type Generate = (state: MesosState, options: GenerateOptions) => RecordSet;

const ownExtension = import.meta.url.slice(import.meta.url.lastIndexOf('.'));
const defaultGenerator = new URL(`../records/generate${ownExtension}`, import.meta.url).href;

// A load is background work next to the thread answering DNS. On Linux a nice value belongs to
// one thread, so this lowers only the load worker: where both share a core (a 1-CPU container,
// a busy host) the scheduler runs the DNS thread the moment a query arrives instead of
// time-slicing it with a second of JSON parsing. Failure (no permission, other OSes) is harmless.
try {
  setPriority(19);
} catch {
  // Keep the default priority.
}

let client: StateClient | null = null;
let clientKey = '';
const generators = new Map<string, Generate>();
/**
 * The last set this worker sent (or confirmed unchanged), so the next load can go as a delta
 * when the main thread still serves it (its digest comes back as `previousDigest`).
 */
let base: {
  readonly digest: string;
  readonly set: RecordSet;
  /** Names the receiver has laid over its last full set since then (records/overlay-map.ts). */
  readonly overlaid: number;
} | null = null;

/**
 * Past this share of changed names, a full transfer beats making every lookup on the serving
 * thread check a large overlay; it also starts the next overlay from scratch.
 */
const MAX_OVERLAY_SHARE = 0.15;
/** The transfer in progress: one load at a time, pulled by the main thread. */
let transfer: { id: number; chunks: Iterator<RecordChunk> } | null = null;

function send(message: FromWorker): void {
  parentPort?.postMessage(message);
}

/** Keeps one client (and its keep-alive connections) while the options stay the same. */
async function clientFor(options: StateClientOptions): Promise<StateClient> {
  const key = JSON.stringify(options);
  if (client !== null && key === clientKey) return client;
  const old = client;
  client = new StateClient(options);
  clientKey = key;
  if (old !== null) await old.close();
  return client;
}

async function generatorFrom(url: string): Promise<Generate> {
  const cached = generators.get(url);
  if (cached) return cached;
  const module = (await import(url)) as { generate?: unknown };
  if (typeof module.generate !== 'function') {
    throw new Error(`${url} does not export a generate function`);
  }
  const generate = module.generate as Generate;
  generators.set(url, generate);
  return generate;
}

async function load(id: number, params: LoadParams): Promise<void> {
  const started = performance.now();
  const stateClient = await clientFor(params.client);
  const loaded = await loadState((master) => stateClient.fetchState(master), params.candidates);
  const fetched = performance.now();
  const names = hostsToResolve(loaded.state, params.generate.masters);
  const { resolved, failures } = await resolveHosts(names, { timeoutMs: params.resolveTimeoutMs });
  const warnings = failures.map((f) => `host name did not resolve: ${f}`);
  const resolvedAt = performance.now();
  const generate = await generatorFrom(params.generatorUrl ?? defaultGenerator);
  const set = generate(loaded.state, {
    ...params.generate,
    resolvedHosts: resolved,
    warn: (message) => {
      // Bounded: a broken state could warn once per task.
      if (warnings.length < 100) warnings.push(message);
    },
  });
  const digest = recordSetDigest(set);
  const generated = performance.now();
  const timings = {
    fetchMs: fetched - started,
    resolveMs: resolvedAt - fetched,
    generateMs: generated - resolvedAt,
  };
  const previous = base;
  base = { digest, set, overlaid: previous?.digest === digest ? previous.overlaid : 0 };
  remember(digest, set);
  if (digest === params.previousDigest) {
    send({
      type: 'unchanged',
      id,
      master: loaded.master,
      leader: loaded.leader,
      digest,
      warnings,
      timings,
    });
    return;
  }
  const options = {
    enumeration: false,
    ...(params.chunkBudget === undefined ? {} : { budget: params.chunkBudget }),
  };
  const nameCount = set.a.size + set.aaaa.size + set.srv.size;
  const diff =
    previous !== null && previous.digest === params.previousDigest
      ? recordDelta(previous.set, set)
      : null;
  const delta = diff !== null && previous!.overlaid + diff.size <= MAX_OVERLAY_SHARE * nameCount;
  base = { digest, set, overlaid: delta ? previous!.overlaid + diff.size : 0 };
  transfer = {
    id,
    chunks: delta ? deltaChunks(set, diff, options) : recordChunks(set, options),
  };
  send({
    type: 'header',
    id,
    master: loaded.master,
    leader: loaded.leader,
    header: delta ? { ...recordSetHeader(set), base: previous!.digest } : recordSetHeader(set),
    digest,
    warnings,
    timings,
  });
}

function next(id: number): void {
  if (transfer?.id !== id) return;
  const step = transfer.chunks.next();
  if (step.done === true) {
    transfer = null;
    send({ type: 'done', id });
  } else {
    send({ type: 'chunk', id, chunk: step.value });
  }
}

/**
 * The sets the main thread may be serving: the last one sent and the one before it (a load in
 * progress replaces `base` before the main thread has swapped it in).
 */
const recent: { digest: string; set: RecordSet }[] = [];

function remember(digest: string, set: RecordSet): void {
  if (recent.some((r) => r.digest === digest)) return;
  recent.unshift({ digest, set });
  recent.length = Math.min(recent.length, 2);
}

parentPort?.on('message', (message: ToWorker) => {
  if (message.type === 'next') {
    next(message.id);
    return;
  }
  if (message.type === 'enumerate') {
    // The enumeration never crosses with a load: the serving thread would hold (and collect)
    // tens of MB per reload for an endpoint that is rarely asked. It is rendered when asked.
    const held = recent.find((r) => r.digest === message.digest);
    send({
      type: 'enumeration',
      id: message.id,
      fragments: held ? enumerationJson(held.set.enumeration) : null,
    });
    return;
  }
  transfer = null;
  load(message.id, message.params).catch((error: unknown) => {
    send({
      type: 'error',
      id: message.id,
      error: serializeStateError(error, message.params.candidates.join(', ')),
    });
  });
});
