// State JSON is only as typed as the master made it: every list is read through here so a
// missing or non-array field counts as empty instead of crashing generation.

export function listOf<T>(value: readonly T[] | null | undefined): readonly T[] {
  return Array.isArray(value) ? (value as readonly T[]) : [];
}

/**
 * A list that may also be read once, an element at a time (a framework's tasks parsed from the
 * state's bytes as they are reached); anything else counts as empty. A parsed JSON value is
 * iterable only as an array: JSON.parse makes no symbol keys, and a string is not an object.
 */
export function iterableOf<T>(value: Iterable<T> | null | undefined): Iterable<T> {
  if (Array.isArray(value)) return value as readonly T[];
  return typeof value === 'object' && value !== null && Symbol.iterator in value ? value : [];
}
