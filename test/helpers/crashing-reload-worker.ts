// The load worker for tests, except that a load for the domain "crash" kills the thread
// mid-round, as a fatal bug in the worker would. Given to WorkerStateLoader as its workerUrl.
import { parentPort } from 'node:worker_threads';
import type { ToWorker } from '../../src/mesos/reload-protocol.ts';

// Registered before the real worker's listener, so it runs first.
parentPort?.on('message', (message: ToWorker) => {
  if (message.type === 'load' && message.params.generate.domain === 'crash') process.exit(7);
});
await import('../../src/mesos/reload-worker.ts');
