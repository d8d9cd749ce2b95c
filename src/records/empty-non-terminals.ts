// Names that own no records but have descendants that do (RFC 8020 empty non-terminals, e.g.
// "_tcp.marathon.mesos."): they exist, so queries for them get NODATA, not NXDOMAIN. Finding them
// walks every name of the set, so the load worker does it once per load, off the serving thread.
import type { RecordSet } from './recordset.ts';

/**
 * Every proper ancestor (below the apex) of an owner name in the set. Ancestors that own records
 * themselves are included too: callers check the record maps first.
 */
export function findEmptyNonTerminals(set: RecordSet): string[] {
  const apexKey = `${set.domain}.`;
  const suffix = `.${apexKey}`;
  const found = new Set<string>();
  const visit = (name: string): void => {
    if (!name.endsWith(suffix)) return;
    let parent = name;
    for (;;) {
      parent = parent.slice(parent.indexOf('.') + 1);
      if (parent.length <= apexKey.length || found.has(parent)) break;
      found.add(parent);
    }
  };
  for (const name of set.a.keys()) visit(name);
  for (const name of set.aaaa.keys()) visit(name);
  for (const name of set.srv.keys()) visit(name);
  return [...found];
}
