// The load worker: fetches, parses and validates the master's state, resolves host names and
// generates the RecordSet off the main thread, then hands it over chunk by chunk on request.
import { parentPort } from 'node:worker_threads';
import { releaseHeap } from '../heap.ts';
import { lowerThisThread } from '../thread-priority.ts';
import { generate } from '../records/generate.ts';
import type { RecordSet } from '../records/recordset.ts';
import { renderApiBody } from '../records/api-bodies.ts';
import { TransferSender, type Outgoing } from '../transfer/channel.ts';
import { recordDelta, recordSetDigest, sendAs } from '../transfer/record-transfer.ts';
import { serializeStateError } from './errors.ts';
import { loadState } from './ask-masters.ts';
import type { FromWorker, LoadMeta, LoadParams, ToWorker } from './reload-protocol.ts';
import { hostsToResolve, resolveHosts } from './resolve-hosts.ts';
import { StateClient } from './state-client.ts';
import type { StateClientOptions } from './state-client-options.ts';

let client: StateClient | null = null;
let clientKey = '';
/**
 * The sets the main thread may be serving: the last one sent (or confirmed unchanged) and the
 * one it served while that one crossed; each load starts by keeping only the one it names as
 * served (`keepOnly`). A load whose `previousDigest` names one of them goes as a delta against
 * it, and /v1/enumerate and /v1/axfr are rendered from them.
 */
interface Held {
  /**
   * What the main thread calls the set (LoadMeta.digest): its digest, or, for a set sent before
   * its digest was computed (a first load), a name unique to that load.
   */
  readonly name: string;
  readonly set: RecordSet;
  /** Names the receiver has laid over its last full set when it holds this one (overlay-map.ts). */
  readonly overlaid: number;
  /** recordSetDigest(set); computed when first needed when the set went out without it. */
  digest: string | undefined;
}
const recent: Held[] = [];

function held(name: string | undefined): Held | undefined {
  return name === undefined ? undefined : recent.find((r) => r.name === name);
}

function remember(entry: Held): void {
  const at = recent.findIndex((r) => r.name === entry.name);
  if (at >= 0) recent.splice(at, 1);
  recent.unshift(entry);
  recent.length = Math.min(recent.length, 2);
}

/**
 * Drops every held set but the one the main thread serves (`name`). A load starts only after
 * the one before it has crossed and been swapped in, so from here on only that set is asked
 * for (the base of a delta, the /v1/enumerate and /v1/axfr bodies); at 200,000 tasks the other
 * one is ~160 MB (packed maps and enumeration) that would otherwise sit beside this load's
 * state tree and new set, at the load's peak.
 */
function keepOnly(name: string | undefined): void {
  const keep = held(name);
  recent.length = 0;
  if (keep !== undefined) recent.push(keep);
}

function digestOf(entry: Held): string {
  entry.digest ??= recordSetDigest(entry.set);
  return entry.digest;
}

function send(message: FromWorker, transfer: readonly ArrayBuffer[] = []): void {
  parentPort?.postMessage(message, transfer);
}

/** One transfer at a time, pulled by the main thread; the budget comes with each load. */
let sender: TransferSender<LoadMeta> | null = null;
/** A set sent without its digest: that is computed once its transfer has ended. */
let pendingDigest: Held | null = null;

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

/** A load's records, packed, with what the load learnt on the way. */
interface Generated {
  /** Null once taken (`takeSet`). */
  set: RecordSet | null;
  readonly master: string;
  readonly leader: string;
  readonly warnings: string[];
  readonly timings: LoadMeta['timings'];
}

/**
 * Fetches the state and generates its records, packed as they are made (records/packed-map.ts,
 * packing-builder.ts): the set this worker holds is a few buffers, never JS maps, and a full
 * transfer is those buffers, shared with every thread. A function of its own so that the state
 * (the body's bytes, 124 MB at 200,000 tasks) is unreachable once it returns: the digest and the
 * delta run after it, and would otherwise hold the body at the load's peak.
 */
async function generateRecords(id: number, params: LoadParams): Promise<Generated> {
  const started = performance.now();
  const stateClient = await clientFor(params.client);
  const loaded = await loadState(
    (master) => stateClient.fetchLazyState(master),
    params.candidates,
    (master, message) => send({ type: 'master-silent', id, master, message }),
  );
  const fetched = performance.now();
  const names = hostsToResolve(loaded.state, params.generate.masters);
  const { resolved, failures } = await resolveHosts(names, { timeoutMs: params.resolveTimeoutMs });
  const warnings = [
    // A hung master costs one early deadline each round; the log should say which one.
    ...loaded.skipped.map((reason) => `master skipped: ${reason}`),
    ...failures.map((f) => `host name did not resolve: ${f}`),
  ];
  const resolvedAt = performance.now();
  const set = generate(loaded.state, {
    ...params.generate,
    pack: true,
    resolvedHosts: resolved,
    warn: (message) => {
      // Bounded: a broken state could warn once per task.
      if (warnings.length < 100) warnings.push(message);
    },
  });
  const timings = {
    fetchMs: fetched - started,
    resolveMs: resolvedAt - fetched,
    generateMs: performance.now() - resolvedAt,
  };
  return { set, master: loaded.master, leader: loaded.leader, warnings, timings };
}

/**
 * The generated set, taken out of `generated`. In a frame of its own: held by a local or a call
 * argument of load(), a value stays alive (V8 keeps a frame's registers) through the digest and
 * the delta below, at the load's peak; `generated` must not keep the set either.
 */
function takeSet(generated: Generated): RecordSet {
  const set = generated.set!;
  generated.set = null;
  return set;
}

async function load(id: number, params: LoadParams): Promise<void> {
  keepOnly(params.previousDigest);
  // Background work once a set is in service (thread-priority.ts): from the first load's end,
  // or from the start when one is (a restarted worker, a set from the event stream).
  if (params.serving === true) lowerThisThread();
  const generated = await generateRecords(id, params);
  const digestStarted = performance.now();
  // The digest tells an unchanged load from a changed one, against the set in service. With
  // none (the first load) nothing needs it until a later load compares against this set, so it
  // is computed after the transfer, off the path to the first answer (~0.15 s at 200k tasks).
  const set = takeSet(generated);
  const digest = params.previousDigest === undefined ? undefined : recordSetDigest(set);
  const { timings } = generated;
  const inService = held(params.previousDigest);
  const name = digest ?? `undigested-${id}`;
  const meta: LoadMeta = {
    master: generated.master,
    leader: generated.leader,
    digest: name,
    warnings: generated.warnings,
    timings: { ...timings, generateMs: timings.generateMs + performance.now() - digestStarted },
  };
  if (
    digest !== undefined &&
    (digest === params.previousDigest ||
      (inService !== undefined && digest === digestOf(inService)))
  ) {
    // The main thread keeps calling the set by the name it knows (a digest implies one).
    const known = params.previousDigest ?? digest;
    remember({ name: known, set, overlaid: inService?.overlaid ?? 0, digest });
    send({ type: 'unchanged', id, ...meta, digest: known });
    releaseHeap();
    return;
  }
  let outgoing: Outgoing = { set };
  let overlaid = 0;
  if (inService !== undefined) {
    const diff = recordDelta(inService.set, set);
    const base = inService.name;
    switch (sendAs(inService.overlaid, diff.size, set.a.size + set.aaaa.size + set.srv.size)) {
      case 'delta':
        outgoing = { set, delta: diff, base };
        overlaid = inService.overlaid + diff.size;
        break;
      case 'since':
        outgoing = { set, since: { delta: diff, base } };
        break;
      case 'whole':
        break;
    }
  }
  const entry: Held = { name, set, overlaid, digest };
  remember(entry);
  sender = new TransferSender<LoadMeta>(send, params.chunkBudget);
  sender.send(id, outgoing, meta);
  pendingDigest = digest === undefined ? entry : null;
}

parentPort?.on('message', (message: ToWorker) => {
  if (message.type === 'transfer-next') {
    if (sender?.pull(message) === true) {
      // The set is in service: what follows (its digest, the next loads) is background work.
      lowerThisThread();
      if (pendingDigest !== null) digestOf(pendingDigest);
      pendingDigest = null;
      // The load's garbage (body, tasks, maps) goes as soon as the set has crossed:
      // otherwise V8 keeps the heap it grew to (302 MB for 45 MB live at 10,000 tasks, 2 s reloads).
      releaseHeap();
    }
    return;
  }
  if (message.type === 'render') {
    // The enumeration never crosses with a load: the serving thread would hold (and collect)
    // tens of MB per reload for an endpoint that is rarely asked. It and /v1/axfr (seconds of
    // work at 50,000 tasks) are rendered here when asked, and the bytes move to the main
    // thread without a copy (transferred, not cloned).
    const entry = held(message.digest);
    const chunks = entry ? renderApiBody(entry.set, message.body) : null;
    send(
      { type: 'rendered', id: message.id, chunks },
      (chunks ?? []).map((c) => c.buffer as ArrayBuffer),
    );
    return;
  }
  sender = null;
  pendingDigest = null;
  load(message.id, message.params).catch((error: unknown) => {
    send({
      type: 'error',
      id: message.id,
      error: serializeStateError(error, message.params.candidates.join(', ')),
    });
    releaseHeap();
  });
});
