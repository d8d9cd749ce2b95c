// The stream worker: follows the master's event stream (stream-follower.ts) off the serving
// thread — a SUBSCRIBED snapshot of 50,000 tasks is tens of MB of JSON — and hands each batch
// of changed records to the main thread chunk by chunk, on request (record-transfer.ts).
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { enumerationJson } from '../records/enumeration-json.ts';
import { generate } from '../records/generate.ts';
import { deltaChunks, recordChunks, type RecordChunk } from '../transfer/record-transfer.ts';
import { StateClient } from './state-client.ts';
import { StreamFollower, type Batch } from './stream-follower.ts';
import type { FromStreamWorker, ToStreamWorker } from './stream-protocol.ts';

// Background work next to the DNS thread, as the load worker (reload-worker.ts).
try {
  setPriority(19);
} catch {
  // Keep the default priority.
}

let follower: StreamFollower | null = null;
let client: StateClient | null = null;
let nextId = 1;
let transfer: { id: number; chunks: Iterator<RecordChunk>; batch: Batch } | null = null;

function send(message: FromStreamWorker): void {
  parentPort?.postMessage(message);
}

function beginTransfer(batch: Batch, chunkBudget: number | undefined): void {
  const id = nextId++;
  const set = batch.set;
  transfer = {
    id,
    batch,
    chunks:
      batch.changes === undefined
        ? recordChunks(set, chunkBudget)
        : deltaChunks(batch.changes, chunkBudget),
  };
  send({
    type: 'header',
    id,
    header: {
      domain: set.domain,
      leader: set.leader,
      counts: set.counts,
      emptyNonTerminals: batch.emptyNonTerminals,
      recordCounts: set.recordCounts!,
      ...(batch.changes === undefined ? {} : { base: 'stream' }),
    },
    info: batch.info,
  });
}

parentPort?.on('message', (message: ToStreamWorker) => {
  switch (message.type) {
    case 'start': {
      if (follower !== null) return;
      const params = message.params;
      client = new StateClient(params.client);
      follower = new StreamFollower(params, client, {
        batch: (batch) => beginTransfer(batch, params.chunkBudget),
        report: send,
      });
      follower.start();
      return;
    }
    case 'candidates':
      follower?.setCandidates(message.candidates, message.masters);
      return;
    case 'next': {
      if (transfer?.id !== message.id) return;
      const step = transfer.chunks.next();
      if (step.done === true) {
        transfer = null;
        send({ type: 'done', id: message.id });
        follower?.batchDone();
      } else {
        send({ type: 'chunk', id: message.id, chunk: step.value });
      }
      return;
    }
    case 'resync':
      if (transfer?.id === message.id) transfer = null;
      follower?.resync();
      return;
    case 'enumerate': {
      // Rendered from the model on request, with the same generation as a poll.
      const state = follower?.state() ?? null;
      const fragments =
        state === null || follower === null
          ? null
          : enumerationJson(
              generate(state, {
                ...follower.generateOptions,
                resolvedHosts: follower.resolvedHosts,
              }).enumeration,
            );
      send({ type: 'enumeration', id: message.id, fragments });
      return;
    }
    case 'stop':
      void (async () => {
        await follower?.stop();
        await client?.close();
        parentPort?.close();
      })();
      return;
  }
});
