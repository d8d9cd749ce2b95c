// ZooKeeper first, static masters list second: while ZooKeeper has no leader (unreachable, or no
// master registered) the view comes from the fallback source; once it has one again, it wins.
import type { Logger } from '../log.ts';
import type { LeaderObserver, LeaderSource, MasterView } from './leader.ts';

export class LeaderFallback implements LeaderSource {
  private readonly primary: LeaderSource;
  private readonly fallback: LeaderSource;
  private readonly log: Logger;
  private readonly observer: Pick<LeaderObserver, 'leaderFallbackActive'> | null;
  private last: MasterView;
  private usingFallback: boolean;
  private readonly changeListeners: ((view: MasterView) => void)[] = [];
  private readonly fatalListeners: ((error: Error) => void)[] = [];

  /**
   * `primary` should not time out on its own (build ZkDetector with detectionTimeoutSeconds 0):
   * with a fallback there is always somewhere to look, so its fatal errors are only logged.
   * `observer` hears which source serves (the `mesos_dns_leader_fallback_active` gauge).
   */
  constructor(
    primary: LeaderSource,
    fallback: LeaderSource,
    logger: Logger,
    observer?: Pick<LeaderObserver, 'leaderFallbackActive'>,
  ) {
    this.primary = primary;
    this.fallback = fallback;
    this.log = logger.child({ component: 'leader-fallback' });
    this.observer = observer ?? null;
    this.usingFallback = this.choosesFallback();
    this.observer?.leaderFallbackActive(this.usingFallback);
    this.last = this.compute();
    primary.onChange(() => this.update());
    fallback.onChange(() => this.update());
    primary.onFatal((err) => {
      this.log.warn({ err }, 'ZooKeeper detection gave up; staying on the masters list');
    });
    fallback.onFatal((err) => {
      this.emitFatal(err);
    });
  }

  async start(): Promise<void> {
    // The fallback first, so the view is usable before ZooKeeper answers.
    await this.fallback.start();
    await this.primary.start();
    this.update();
  }

  async stop(): Promise<void> {
    await Promise.all([this.primary.stop(), this.fallback.stop()]);
  }

  current(): MasterView {
    return this.last;
  }

  /**
   * Both sources hear it (ZooKeeper ignores it, the masters list remembers it); the view is
   * refreshed quietly, so a list in use asks the named leader first next round.
   */
  noteLeader(leader: string): void {
    this.primary.noteLeader(leader);
    this.fallback.noteLeader(leader);
    this.last = this.compute();
  }

  onChange(listener: (view: MasterView) => void): void {
    this.changeListeners.push(listener);
  }

  onFatal(listener: (error: Error) => void): void {
    this.fatalListeners.push(listener);
  }

  private choosesFallback(): boolean {
    const p = this.primary.current();
    if (p.leader !== null) {
      return false;
    }
    // A fallback that knows nothing is no better than ZooKeeper's (possibly stale) list.
    const f = this.fallback.current();
    return f.leader !== null || f.masters.length > 0 || p.masters.length === 0;
  }

  private compute(): MasterView {
    return this.usingFallback ? this.fallback.current() : this.primary.current();
  }

  private update(): void {
    const wasFallback = this.usingFallback;
    this.usingFallback = this.choosesFallback();
    if (wasFallback !== this.usingFallback) {
      this.observer?.leaderFallbackActive(this.usingFallback);
      if (this.usingFallback) {
        this.log.warn('no leader from ZooKeeper; using the configured masters list');
      } else {
        this.log.info({ leader: this.primary.current().leader }, 'ZooKeeper has a leader again');
      }
    }
    const next = this.compute();
    const prev = this.last;
    if (
      prev.leader === next.leader &&
      prev.masters.length === next.masters.length &&
      prev.masters.every((m, i) => m === next.masters[i])
    ) {
      return;
    }
    this.last = next;
    for (const listener of this.changeListeners) {
      try {
        listener(next);
      } catch (err) {
        this.log.error({ err }, 'a master-change listener threw');
      }
    }
  }

  private emitFatal(error: Error): void {
    for (const listener of this.fatalListeners) {
      try {
        listener(error);
      } catch (err) {
        this.log.error({ err }, 'a fatal-error listener threw');
      }
    }
  }
}
