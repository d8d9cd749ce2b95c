// Finds the leading master's state: asks each candidate in order; when the one that answers
// names (or redirects to) another leader, asks that leader once. No redirect loops.
import {
  NoMasterError,
  StateInvalidError,
  StateRedirectError,
  StateSilentError,
} from './errors.ts';
import { upidAddress } from '../net/host-port.ts';
import type { MesosState } from '../state/types.ts';

/** What choosing a master reads of a state: who it says leads. */
interface LeaderNamed {
  readonly leader?: string | undefined;
}

export interface LoadedState<S extends LeaderNamed = MesosState> {
  readonly state: S;
  /** "host:port" the state came from. */
  readonly master: string;
  /** "host:port" of the leader the state names. */
  readonly leader: string;
  /** Why the masters asked before this one gave nothing (hung, refused, not the leader...). */
  readonly skipped: readonly string[];
}

export type FetchState<S extends LeaderNamed = MesosState> = (master: string) => Promise<S>;

function sameMaster(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Loads the state from the first candidate that answers, following its leader once. Rejects
 * with NoMasterError listing every attempt when none does. `onSilent` hears at once of each
 * master skipped for sending nothing (StateSilentError), before the next is asked.
 */
export async function loadState<S extends LeaderNamed = MesosState>(
  fetchState: FetchState<S>,
  candidates: readonly string[],
  onSilent?: (master: string, message: string) => void,
): Promise<LoadedState<S>> {
  const tried = new Set<string>();
  const failures: string[] = [];
  const attempt = async (master: string): Promise<S | null> => {
    tried.add(master.toLowerCase());
    try {
      return await fetchState(master);
    } catch (error) {
      if (error instanceof StateRedirectError) throw error;
      if (error instanceof StateSilentError) onSilent?.(master, error.message);
      failures.push(describeError(error));
      return null;
    }
  };

  for (const candidate of candidates) {
    if (tried.has(candidate.toLowerCase())) continue;
    let state: S | null;
    let named: string | null;
    try {
      state = await attempt(candidate);
      if (state === null) continue;
      named = upidAddress(state.leader);
      if (named === null) {
        failures.push(
          new StateInvalidError(
            `${candidate} names no leading master (leader ${JSON.stringify(state.leader ?? '')}); no leader is elected`,
            candidate,
          ).message,
        );
        continue;
      }
      if (sameMaster(named, candidate)) {
        return { state, master: candidate, leader: named, skipped: failures };
      }
    } catch (error) {
      // Redirected by a non-leading master: its Location is the leader.
      failures.push(describeError(error));
      named = (error as StateRedirectError).location;
    }
    if (tried.has(named.toLowerCase())) continue;
    let leaderState: S | null;
    try {
      leaderState = await attempt(named);
    } catch (error) {
      failures.push(`${describeError(error)} (not following a second redirect)`);
      continue;
    }
    if (leaderState === null) continue;
    // Whatever the leader says about leadership, its own answer is the one to use.
    return {
      state: leaderState,
      master: named,
      leader: upidAddress(leaderState.leader) ?? named,
      skipped: failures,
    };
  }
  const list = candidates.length === 0 ? '(none)' : candidates.join(', ');
  const detail = failures.length === 0 ? 'no masters are known' : failures.join('; ');
  throw new NoMasterError(`no Mesos master returned a state (tried ${list}): ${detail}`, list);
}
