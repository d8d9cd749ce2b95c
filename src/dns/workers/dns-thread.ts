// Entry point of one DNS thread: its own record store (fed in chunks by the pool), forwarder
// and cache, UDP and TCP sockets on the shared port; counts and log lines go to the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { systemClock } from '../../clock.ts';
import { RecordSetAssembler } from '../../transfer/record-transfer.ts';
import type { LoadInfo } from '../../records/store.ts';
import { RecordStore } from '../../records/store.ts';
import { forwarderFromConfig } from '../forward/setup.ts';
import type { DnsThreadData, FromDnsThread, ToDnsThread } from './protocol.ts';
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
const server = new DnsServer({
  config,
  store,
  forwarder,
  observer: tally,
  logger,
  reusePort: true,
});

let assembly: { gen: number; assembler: RecordSetAssembler; info: LoadInfo } | null = null;
let closing = false;

const report = setInterval(() => {
  const delta = tally.take();
  if (delta !== null) post({ type: 'counts', delta });
}, data.reportMs);

/** Asks for the next chunk after a full event-loop turn, so queued DNS packets go first. */
function pullNext(gen: number): void {
  setImmediate(() => {
    if (assembly?.gen === gen) post({ type: 'set-next', gen });
  });
}

function onMessage(message: ToDnsThread): void {
  switch (message.type) {
    case 'set-begin':
      assembly = {
        gen: message.gen,
        assembler: new RecordSetAssembler(message.header),
        info: message.info,
      };
      pullNext(message.gen);
      return;
    case 'set-chunk':
      if (assembly?.gen !== message.gen) return;
      assembly.assembler.add(message.chunk);
      pullNext(message.gen);
      return;
    case 'set-end': {
      if (assembly?.gen !== message.gen) return;
      const { assembler, info, gen } = assembly;
      assembly = null;
      store.swap(assembler.finish(), info);
      post({ type: 'set-swapped', gen });
      return;
    }
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
    case 'close':
      void close();
      return;
  }
}

async function close(): Promise<void> {
  if (closing) return;
  closing = true;
  clearInterval(report);
  assembly = null;
  await server.close().catch((err: unknown) => logger.warn({ err }, 'error closing DNS sockets'));
  await forwarder?.close().catch((err: unknown) => logger.warn({ err }, 'error closing forwarder'));
  post({ type: 'closed', delta: tally.take() });
}

port.on('message', (message: ToDnsThread) => {
  try {
    onMessage(message);
  } catch (err) {
    // A bad chunk drops that transfer only; the pool starts a fresh one on the next swap.
    assembly = null;
    logger.error({ err }, 'DNS thread could not apply a message from the main thread');
  }
});
post({ type: 'started' });
