// Entry point of one DNS thread: its own record store (fed in chunks by the pool), forwarder
// and cache, UDP and TCP sockets on the shared port; counts and log lines go to the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { systemClock } from '../../clock.ts';
import { RecordStore } from '../../records/store.ts';
import {
  isTransferMessage,
  TransferReceiver,
  type TransferMessage,
} from '../../transfer/channel.ts';
import { forwarderFromConfig } from '../forward/setup.ts';
import { RelayClient } from '../transfer/relay.ts';
import { TransferService } from '../transfer/service.ts';
import type { DnsThreadData, FromDnsThread, ThreadSetMeta, ToDnsThread } from './protocol.ts';
import { QueryTally } from './query-tally.ts';
import { BindError, DnsServer } from '../server.ts';

if (parentPort === null) {
  throw new Error('dns-thread.ts runs as a worker thread started by the DNS thread pool');
}
const port = parentPort;
const data = workerData as DnsThreadData;
const { config } = data;
const post = (message: FromDnsThread): void => {
  port.postMessage(message);
};

// The main thread re-logs each line through its own logger, so output stays one ordered stream.
const logger = pino(
  // No `name` here: the main logger adds its own, and query lines carry a `name` field.
  { level: data.logLevel, base: { thread: data.index } },
  {
    write(line: string) {
      post({ type: 'log', line });
    },
  },
);

const tally = new QueryTally();
const store = new RecordStore();
const forwarder = config.externalon
  ? forwarderFromConfig(config, { observer: tally, logger, clock: systemClock })
  : null;
// Transfers are answered by the main thread, which holds the journal; signed ordinary queries
// here, with the keys alone.
const relay = data.relayTransfers
  ? new RelayClient(
      post,
      new TransferService({
        allow: config.transferAllow,
        keys: config.transferKeys,
        zones: [],
        logger,
        observer: { transfer: () => {} },
        journal: { versions: 0, records: 0 },
      }),
    )
  : null;
const server = new DnsServer({
  config,
  store,
  forwarder,
  observer: tally,
  logger,
  reusePort: true,
  ...(relay === null ? {} : { transfers: relay }),
});

const receiver = new TransferReceiver<ThreadSetMeta>(post);
/** The main store's generation of the set this thread serves (0: none yet). */
let servedGen = 0;
let closing = false;

const report = setInterval(() => {
  const delta = tally.take();
  if (delta !== null) post({ type: 'counts', delta });
}, data.reportMs);

/** A set (or the changes to the one served) from the pool; swapped in once complete. */
function onTransfer(message: TransferMessage<ThreadSetMeta>): void {
  let received;
  try {
    received = receiver.receive(message, (base) =>
      base === String(servedGen) ? store.current : null,
    );
  } catch (err) {
    logger.error({ err }, 'DNS thread could not apply a record set from the main thread');
    post({ type: 'set-failed', gen: message.id, message: String(err) });
    return;
  }
  if (received === null) return;
  store.swap(received.set, received.meta.info);
  servedGen = message.id;
  post({ type: 'set-swapped', gen: servedGen });
}

function onMessage(message: ToDnsThread): void {
  if (isTransferMessage(message)) {
    onTransfer(message as TransferMessage<ThreadSetMeta>);
    return;
  }
  switch (message.type) {
    case 'listen':
      server.listen(message.port).then(
        ({ udp }) => post({ type: 'listening', ...udp }),
        (err: unknown) =>
          post({
            type: 'listen-failed',
            message: err instanceof Error ? err.message : String(err),
            code: err instanceof BindError ? err.code : '',
          }),
      );
      return;
    case 'flush':
      post({ type: 'counts', delta: tally.take(), flushId: message.id });
      return;
    case 'xfr-batch':
      relay?.receive(message);
      return;
    case 'close':
      void close();
      return;
  }
}

async function close(): Promise<void> {
  if (closing) return;
  closing = true;
  clearInterval(report);
  receiver.cancel();
  relay?.close();
  await server.close().catch((err: unknown) => logger.warn({ err }, 'error closing DNS sockets'));
  await forwarder?.close().catch((err: unknown) => logger.warn({ err }, 'error closing forwarder'));
  post({ type: 'closed', delta: tally.take() });
}

port.on('message', (message: ToDnsThread) => {
  try {
    onMessage(message);
  } catch (err) {
    logger.error({ err }, 'DNS thread could not apply a message from the main thread');
  }
});
post({ type: 'started' });
