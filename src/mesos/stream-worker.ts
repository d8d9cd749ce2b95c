// The stream worker: follows the master's event stream (stream-follower.ts) off the serving
// thread — a SUBSCRIBED snapshot of 50,000 tasks is tens of MB of JSON — and hands each batch
// of changed records to the main thread over the transfer channel (transfer/channel.ts).
import { parentPort } from 'node:worker_threads';
import { releaseHeap } from '../heap.ts';
import { lowerThisThread } from '../thread-priority.ts';
import { renderApiBody } from '../records/api-bodies.ts';
import { generate } from '../records/generate.ts';
import { packRecordSet } from '../records/packed-map.ts';
import { TransferSender } from '../transfer/channel.ts';
import { StateClient } from './state-client.ts';
import { StreamFollower } from './stream-follower.ts';
import {
  STREAM_BASE,
  type BatchInfo,
  type FromStreamWorker,
  type ToStreamWorker,
} from './stream-protocol.ts';

let follower: StreamFollower | null = null;
let client: StateClient | null = null;
let sender: TransferSender<BatchInfo> | null = null;
let nextId = 1;

function send(message: FromStreamWorker, transfer: readonly ArrayBuffer[] = []): void {
  parentPort?.postMessage(message, transfer);
}

parentPort?.on('message', (message: ToStreamWorker) => {
  switch (message.type) {
    case 'start': {
      if (follower !== null) return;
      const params = message.params;
      // Background work next to the DNS thread once records are in service, as the load worker
      // (reload-worker.ts): from the start when some are, else once the first snapshot is.
      if (params.serving === true) lowerThisThread();
      client = new StateClient(params.client);
      const batches = new TransferSender<BatchInfo>(send, params.chunkBudget);
      sender = batches;
      follower = new StreamFollower(params, client, {
        batch: ({ set, changes, since, info }) =>
          batches.send(
            nextId++,
            // A snapshot crosses packed (records/packed-map.ts): its buffers, not its entries.
            changes === undefined
              ? {
                  set: packRecordSet(set),
                  ...(since === undefined ? {} : { since: { delta: since, base: STREAM_BASE } }),
                }
              : { set, delta: changes, base: STREAM_BASE },
            info,
          ),
        report: send,
        // The snapshot's record, its parsed tree and the conversions are garbage now; the heap
        // they grew stays the worker's until given back.
        snapshotBuilt: () => releaseHeap(),
      });
      follower.start();
      return;
    }
    case 'candidates':
      follower?.setCandidates(message.candidates, message.masters);
      return;
    case 'transfer-next':
      if (sender?.pull(message) === true) {
        lowerThisThread();
        follower?.batchDone();
      }
      return;
    case 'resync':
      sender?.cancel();
      follower?.resync();
      return;
    case 'render': {
      // Rendered from the model on request, with the same generation as a poll.
      const state = follower?.state() ?? null;
      const chunks =
        state === null || follower === null
          ? null
          : renderApiBody(
              generate(state, {
                ...follower.generateOptions,
                resolvedHosts: follower.resolvedHosts,
              }),
              message.body,
            );
      // Transferred, not cloned: the bytes move to the main thread without a copy.
      send(
        { type: 'rendered', id: message.id, chunks },
        (chunks ?? []).map((c) => c.buffer as ArrayBuffer),
      );
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
