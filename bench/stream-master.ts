// The simulated master of the stream benchmark (bench/stream.ts), as its own process so that
// serialising a 50,000-task /master/state for a poller never delays the probes that time DNS
// answers. It holds `tasks` running tasks, `gone` of them single-task apps gone-0, gone-1, …
// that the run kills; at `rate` changes a second it alternately starts a new single-task app
// (new-0, new-1, …) and kills the next gone-N. Every change goes out on the master's event
// stream at once (sim/master.ts); a poller sees it at its next /master/state.
//
// Talks to its parent over the IPC channel (StreamMasterMessage, StreamMasterCommand).
import { buildCluster } from '../sim/cluster.ts';
import { SimMaster } from '../sim/master.ts';

export interface StreamMasterSetup {
  readonly tasks: number;
  /** Tasks the run will kill (part of `tasks`). */
  readonly gone: number;
  readonly instances: number;
  readonly agents: number;
}

export type StreamMasterCommand =
  | {
      readonly type: 'run';
      readonly rate: number;
      readonly durationS: number;
      readonly probeEvery: number;
    }
  | { readonly type: 'counters' };

export interface MasterCounters {
  /** Body bytes the master sent: /master/state bodies, v1 answers, stream records. */
  readonly bytesSent: number;
  readonly stateRequests: number;
  readonly streamEvents: number;
}

export type StreamMasterMessage =
  | { readonly type: 'ready'; readonly address: string }
  /** A change that the parent probes for: `name` appears (start) or goes (kill) at `atMs`. */
  | {
      readonly type: 'change';
      readonly index: number;
      readonly kind: 'start' | 'kill';
      readonly name: string;
      readonly atMs: number;
    }
  | ({
      readonly type: 'done';
      readonly changes: number;
      readonly lagMaxMs: number;
    } & MasterCounters)
  | ({ readonly type: 'counters' } & MasterCounters);

export const FRAMEWORK = 'marathon';

function send(message: StreamMasterMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const setup = JSON.parse(process.argv[2] ?? '{}') as StreamMasterSetup;
  const instances = Math.max(1, setup.instances);
  const base = Math.max(0, setup.tasks - setup.gone);
  const cluster = buildCluster({
    apps: Math.ceil(base / instances),
    instancesPerApp: instances,
    agents: setup.agents,
    discoveryEvery: 4,
    containerIpEvery: 3,
    stagingEvery: 50,
  });
  const master = await SimMaster.start({ cluster, port: 0 });
  const goneIds: string[] = [];
  for (let j = 0; j < setup.gone; j++) {
    goneIds.push(master.startTask({ name: `gone-${j}`, agent: j % setup.agents }));
  }
  const counters = (): MasterCounters => ({
    bytesSent: master.bytesSent,
    stateRequests: master.stateRequests,
    streamEvents: master.streams.events,
  });

  process.on('message', (command: StreamMasterCommand) => {
    if (command.type === 'counters') {
      send({ type: 'counters', ...counters() });
      return;
    }
    const total = Math.round(command.rate * command.durationS);
    const started = Date.now();
    let done = 0;
    let starts = 0;
    let kills = 0;
    let lagMaxMs = 0;
    const tick = (): void => {
      const now = Date.now();
      const due = Math.min(total, Math.floor(((now - started) * command.rate) / 1000));
      if (due > done) lagMaxMs = Math.max(lagMaxMs, now - (started + (done * 1000) / command.rate));
      for (; done < due; done++) {
        let kind: 'start' | 'kill';
        let name: string;
        if (done % 2 === 0 || kills >= goneIds.length) {
          kind = 'start';
          name = `new-${starts}`;
          master.startTask({ name, agent: starts % setup.agents });
          starts++;
        } else {
          kind = 'kill';
          name = `gone-${kills}`;
          master.killTask(goneIds[kills]!);
          kills++;
        }
        if (done % command.probeEvery === 0) {
          send({ type: 'change', index: done, kind, name, atMs: Date.now() });
        }
      }
      if (done >= total) {
        clearInterval(timer);
        send({ type: 'done', changes: done, lagMaxMs, ...counters() });
      }
    };
    const timer = setInterval(tick, 5);
  });

  process.on('disconnect', () => {
    void master.close().then(() => process.exit(0));
  });
  // Serialise once up front so the first poll is as fast as the rest.
  JSON.stringify(master.state());
  send({ type: 'ready', address: master.address });
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    process.stderr.write(`stream-master: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
