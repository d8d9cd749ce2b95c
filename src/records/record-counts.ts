// How many records a set holds, by type. Counting walks every name, so sets from the load worker
// carry the counts it made (RecordSet.recordCounts); the serving thread only reads them.
import type { RecordCounts, RecordSet } from './recordset.ts';

/** Values under all names of `map`. */
export function countValues(map: ReadonlyMap<string, readonly unknown[]>): number {
  let n = 0;
  for (const values of map.values()) n += values.length;
  return n;
}

export function recordCounts(set: RecordSet): RecordCounts {
  return (
    set.recordCounts ?? {
      a: countValues(set.a),
      aaaa: countValues(set.aaaa),
      srv: countValues(set.srv),
      ptr: countValues(set.ptr),
    }
  );
}

/** Every value under every name: what logs and /ready call "records". */
export function totalRecords(set: RecordSet): number {
  const c = recordCounts(set);
  return c.a + c.aaaa + c.srv + c.ptr;
}
