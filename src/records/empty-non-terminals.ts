// Names that own no records but have descendants that do (RFC 8020 empty non-terminals, e.g.
// "_tcp.marathon.mesos."): they exist, so queries for them get NODATA, not NXDOMAIN. Finding them
// walks every name of the set, so the load worker does it once per load, off the serving thread.
import type { RecordSet } from './recordset.ts';

/**
 * Every proper ancestor (below the apex) of an owner name in the set. Ancestors that own records
 * themselves are included too: callers check the record maps first.
 */
export function findEmptyNonTerminals(set: RecordSet): string[] {
  const finder = new EmptyNonTerminalFinder(set.domain);
  for (const name of set.a.keys()) finder.visit(name);
  for (const name of set.aaaa.keys()) finder.visit(name);
  for (const name of set.srv.keys()) finder.visit(name);
  return [...finder.found];
}

/** Collects the proper ancestors (below the apex) of the owner names it is shown, once each. */
export class EmptyNonTerminalFinder {
  readonly #apexKey: string;
  readonly #suffix: string;
  readonly found = new Set<string>();

  /** `domain` as RecordSet.domain gives it ("mesos"). */
  constructor(domain: string) {
    this.#apexKey = `${domain}.`;
    this.#suffix = `.${this.#apexKey}`;
  }

  /** An owner name of an A, AAAA or SRV record (order does not matter). */
  visit(name: string): void {
    if (!name.endsWith(this.#suffix)) return;
    const apexLength = this.#apexKey.length;
    let parent = name;
    for (;;) {
      parent = parent.slice(parent.indexOf('.') + 1);
      if (parent.length <= apexLength || this.found.has(parent)) break;
      this.found.add(parent);
    }
  }
}
