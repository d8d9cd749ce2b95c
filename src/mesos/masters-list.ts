// LeaderSource over the static `masters` list: the leader is unknown until a load names it;
// after a good load the poller reports the leader so it is asked first next time.
import type { LeaderSource, MasterView } from './leader.ts';

export class MastersListSource implements LeaderSource {
  readonly #masters: readonly string[];
  #leader: string | null = null;

  constructor(masters: readonly string[]) {
    this.#masters = [...masters];
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  current(): MasterView {
    return { leader: this.#leader, masters: this.#masters };
  }

  /** Remembers the leader a state named, to ask it first next round. */
  noteLeader(leader: string): void {
    this.#leader = leader;
  }

  onChange(_listener: (view: MasterView) => void): void {
    // The configured list never changes while running, so there is nothing to report.
  }

  onFatal(_listener: (error: Error) => void): void {
    // A static list never gives up: there is nothing to detect.
  }
}

/** Masters to ask in order: the leader when known, then every other master once. */
export function candidateMasters(view: MasterView): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const master of [view.leader, ...view.masters]) {
    if (master === null || master === '') continue;
    const key = master.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(master);
  }
  return out;
}
