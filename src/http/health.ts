// Liveness and readiness for orchestrators: /health says the process serves HTTP, /ready says
// DNS is listening with records loaded, and explains itself when it is not.
import type { RecordStore } from '../records/store.ts';
import { json, type Reply } from './reply.ts';

export function health(): Reply {
  return json(200, { status: 'ok' });
}

export interface ReadinessInputs {
  readonly store: RecordStore;
  readonly isDnsListening: () => boolean;
  readonly nowMs: number;
}

export function ready({ store, isDnsListening, nowMs }: ReadinessInputs): Reply {
  const reasons: string[] = [];
  if (store.current === null) reasons.push('no Mesos state loaded yet');
  if (!isDnsListening()) reasons.push('the DNS server is not listening');
  const load = store.lastLoad;
  const failure = store.lastFailure;
  const ageSeconds = (atMs: number) => Math.max(0, Math.round(nowMs - atMs) / 1000);
  const body = {
    status: reasons.length === 0 ? 'ready' : 'not ready',
    reasons,
    recordsAgeSeconds: load === null ? null : ageSeconds(load.atMs),
    generation: store.generation,
    lastLoad:
      load === null
        ? null
        : {
            at: new Date(load.atMs).toISOString(),
            durationMs: load.durationMs,
            master: load.master,
            tasks: load.tasks,
            records: load.records,
          },
    lastFailure:
      failure === null
        ? null
        : {
            at: new Date(failure.atMs).toISOString(),
            ageSeconds: ageSeconds(failure.atMs),
            message: failure.message,
          },
  };
  return json(reasons.length === 0 ? 200 : 503, body);
}
