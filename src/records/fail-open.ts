// onlyHealthy's fail-open names between two record sets: which began and which ended, so each is
// logged once when it starts and once when it ends, however many loads it lasts.
import type { RecordSet } from './recordset.ts';

export interface FailOpenChange {
  readonly started: readonly string[];
  readonly ended: readonly string[];
}

const NONE: readonly string[] = [];

export function failOpenChange(previous: RecordSet | null, next: RecordSet): FailOpenChange {
  const before = previous?.failOpen ?? NONE;
  const after = next.failOpen ?? NONE;
  if (before === after || (before.length === 0 && after.length === 0)) {
    return { started: NONE, ended: NONE };
  }
  const was = new Set(before);
  const is = new Set(after);
  return {
    started: after.filter((name) => !was.has(name)),
    ended: before.filter((name) => !is.has(name)),
  };
}
