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
  // Names come grouped by task and app, so most have the parent of one of the last few names,
  // whose ancestors are in already: compared in place, that costs no slice and no hashing
  // (half a second of a load at 200,000 tasks otherwise).
  const recent = ['', '', '', ''];
  let next = 0;
  const visit = (name: string): void => {
    if (!name.endsWith(suffix)) return;
    const dot = name.indexOf('.');
    const parentLength = name.length - dot - 1;
    for (const r of recent) if (r.length === parentLength && name.endsWith(r)) return;
    let parent = name.slice(dot + 1);
    recent[next] = parent;
    next = (next + 1) % recent.length;
    while (parent.length > apexKey.length && !found.has(parent)) {
      found.add(parent);
      parent = parent.slice(parent.indexOf('.') + 1);
    }
  };
  for (const name of set.a.keys()) visit(name);
  for (const name of set.aaaa.keys()) visit(name);
  for (const name of set.srv.keys()) visit(name);
  return [...found];
}
