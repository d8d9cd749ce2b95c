// Reloads the records every refreshSeconds, and at once when the leader changes. Rounds never
// overlap; a failed round keeps the last good records in service and is retried next round.
import type { ApiBody } from '../records/api-bodies.ts';
import { totalRecords } from '../records/record-counts.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config/types.ts';
import { systemClock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { RecordStore } from '../records/store.ts';
import type { LeaderSource, MasterView } from './leader.ts';
import { candidateMasters } from './masters-list.ts';
import type { LoadParams } from './reload-protocol.ts';
import { stateClientOptionsFromConfig } from './state-client-options.ts';
import { WorkerStateLoader, type StateLoader } from './state-loader.ts';

export interface StatePollerOptions {
  readonly store: RecordStore;
  readonly source: LeaderSource;
  /** Everything a load needs except the candidates, which come from `source` each round. */
  readonly params: Omit<LoadParams, 'candidates'>;
  readonly refreshSeconds: number;
  readonly logger: Logger;
  /** Default: a worker-thread loader. */
  readonly loader?: StateLoader;
  /** Told of each master skipped for sending nothing (metrics). */
  readonly observer?: { masterSilent(): void };
  readonly clock?: Clock;
}

export interface PollerStatus {
  readonly rounds: number;
  /** Rounds in which every master failed, since start. */
  readonly failures: number;
  readonly consecutiveFailures: number;
  /** Times the known leader moved from one master to another. */
  readonly leaderChanges: number;
  /** "host:port" of the leader as last known, or null. */
  readonly leader: string | null;
  readonly lastError: string | null;
  readonly running: boolean;
}

export class StatePoller {
  readonly #options: StatePollerOptions;
  readonly #loader: StateLoader;
  readonly #clock: Clock;
  #timer: NodeJS.Timeout | null = null;
  #round: Promise<void> | null = null;
  #again = false;
  #stopped = true;
  #rounds = 0;
  #failures = 0;
  #consecutiveFailures = 0;
  #leaderChanges = 0;
  #leader: string | null = null;
  #lastError: string | null = null;
  /** Digest of the set this poller last swapped in, and the store generation it became. */
  #swapped: { readonly digest: string; readonly generation: number } | null = null;
  #listening = false;
  /** The source named a new leader while a round ran: that round's leader is already stale. */
  #leaderMovedDuringRound = false;

  constructor(options: StatePollerOptions) {
    if (!(options.refreshSeconds > 0)) {
      throw new Error(`refreshSeconds must be above 0, got ${options.refreshSeconds}`);
    }
    this.#options = options;
    this.#loader = options.loader ?? new WorkerStateLoader();
    this.#clock = options.clock ?? systemClock;
  }

  get status(): PollerStatus {
    return {
      rounds: this.#rounds,
      failures: this.#failures,
      consecutiveFailures: this.#consecutiveFailures,
      leaderChanges: this.#leaderChanges,
      leader: this.#leader,
      lastError: this.#lastError,
      running: this.#round !== null,
    };
  }

  /**
   * An API body (records/api-bodies.ts) of the set in service, from the loader that keeps it; null when the
   * set is not one this poller loaded or the loader no longer has it.
   */
  async render(body: ApiBody): Promise<readonly Uint8Array[] | null> {
    const swapped = this.#swapped;
    if (swapped === null || swapped.generation !== this.#options.store.generation) return null;
    return (await this.#loader.render?.(swapped.digest, body)) ?? null;
  }

  /** Runs the first round now and schedules the rest. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    if (!this.#listening) {
      this.#listening = true;
      this.#options.source.onChange((view) => this.#onSourceChange(view));
    }
    this.#trigger();
  }

  /** Runs a round now, or right after the current one; resolves when that round ends. */
  async refresh(): Promise<void> {
    if (this.#stopped) return;
    this.#trigger();
    while (this.#round !== null) await this.#round;
  }

  /** Ends the timer and the worker; a round in flight is abandoned (its result discarded). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#loader.close();
    if (this.#round) await this.#round;
  }

  #onSourceChange(view: MasterView): void {
    if (view.leader === null || view.leader === this.#leader) return;
    this.#observeLeader(view.leader);
    if (this.#round !== null) this.#leaderMovedDuringRound = true;
    this.#options.logger.info({ leader: view.leader }, 'leading master changed; reloading state');
    this.#trigger();
  }

  /** Returns true when `leader` differs from the one known before (the first one is no change). */
  #observeLeader(leader: string): boolean {
    const changed = this.#leader !== null && this.#leader.toLowerCase() !== leader.toLowerCase();
    if (changed) this.#leaderChanges++;
    this.#leader = leader;
    return changed;
  }

  #trigger(): void {
    if (this.#stopped) return;
    if (this.#round !== null) {
      this.#again = true;
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#round = this.#runRound().finally(() => {
      this.#round = null;
      if (this.#stopped) return;
      if (this.#again) {
        this.#again = false;
        this.#trigger();
      } else {
        this.#timer = setTimeout(() => this.#trigger(), this.#options.refreshSeconds * 1000);
      }
    });
  }

  async #runRound(): Promise<void> {
    const { store, source, params, logger } = this.#options;
    const view = source.current();
    const candidates = candidateMasters(view);
    const masters = view.masters.length > 0 ? view.masters : params.generate.masters;
    const startedAt = this.#clock.now();
    const started = performance.now();
    this.#rounds++;
    this.#leaderMovedDuringRound = false;
    try {
      // Only a set this poller put in service can be "unchanged" against.
      const inService = this.#swapped !== null && this.#swapped.generation === store.generation;
      const outcome = await this.#loader.load(
        {
          ...params,
          candidates,
          generate: { ...params.generate, masters },
          ...(inService ? { previousDigest: this.#swapped!.digest } : {}),
          serving: store.current !== null,
        },
        inService ? store.current : null,
        (master, message) => {
          // Said at once: the round goes on to the next master, and may still succeed.
          logger.warn(
            { master, err: message },
            'master sent nothing within stateHeadersTimeoutSeconds; asking the next one',
          );
          this.#options.observer?.masterSilent();
        },
      );
      if (this.#stopped) return;
      const set = outcome.set ?? store.current;
      if (set === null)
        throw new Error('state load reported no change, but no records are in service');
      const durationMs = Math.round(performance.now() - started);
      const tasks = set.counts.tasks;
      const records = totalRecords(set);
      const info = { atMs: this.#clock.now(), durationMs, master: outcome.master, tasks, records };
      if (outcome.set === null) {
        // Same records as in service: keep them (and the answer caches built on them), but the
        // load counts as fresh for /ready, metrics and logs.
        store.confirm(info);
      } else {
        store.swap(outcome.set, info);
        this.#swapped = { digest: outcome.digest, generation: store.generation };
      }
      this.#consecutiveFailures = 0;
      this.#lastError = null;
      if (!this.#leaderMovedDuringRound) {
        const previous = this.#leader;
        // With a masters list, a new leader is only seen in the state itself: say so once.
        if (this.#observeLeader(outcome.leader)) {
          logger.info({ leader: outcome.leader, previous }, 'leading master changed');
        }
        source.noteLeader(outcome.leader);
      }
      const t = outcome.timings;
      logger.info(
        {
          durationMs,
          tasks,
          records,
          master: outcome.master,
          leader: outcome.leader,
          fetchMs: Math.round(t.fetchMs),
          generateMs: Math.round(t.generateMs),
          transferMs: Math.round(t.transferMs),
          transfer: outcome.transfer,
        },
        'state loaded',
      );
      if (outcome.warnings.length > 0) {
        logger.warn(
          { count: outcome.warnings.length, first: outcome.warnings.slice(0, 5) },
          'state load warnings',
        );
      }
    } catch (error) {
      if (this.#stopped) return;
      const message = error instanceof Error ? error.message : String(error);
      this.#failures++;
      this.#consecutiveFailures++;
      this.#lastError = message;
      store.recordFailure({ atMs: startedAt, message });
      logger.error(
        {
          consecutiveFailures: this.#consecutiveFailures,
          keeping: store.current === null ? 'no records yet' : 'last good records',
          err: message,
        },
        'state load failed; retrying next round',
      );
    }
  }
}

/** Load parameters from the config; `nameserverAddresses` are the IPs SOAMname gets. */
export function loadParamsFromConfig(
  config: Config,
  nameserverAddresses: readonly string[],
): Omit<LoadParams, 'candidates'> {
  return {
    client: stateClientOptionsFromConfig(config),
    // Lookups share the round's time; one slow name must not eat the whole refresh period.
    resolveTimeoutMs: Math.min(5000, Math.max(500, config.stateTimeoutSeconds * 1000)),
    generate: {
      domain: config.domain,
      ipSources: config.IPSources,
      enforceRFC952: config.enforceRFC952,
      onlyHealthy: config.onlyHealthy,
      ptr: config.ptron,
      srvWeight: config.srvRecordDefaultWeight,
      masters: config.masters,
      soaMname: config.SOAMname,
      nameserverAddresses,
    },
  };
}
