// State JSON is only as typed as the master made it: every list is read through here so a
// missing or non-array field counts as empty instead of crashing generation.

export function listOf<T>(value: readonly T[] | null | undefined): readonly T[] {
  return Array.isArray(value) ? (value as readonly T[]) : [];
}
