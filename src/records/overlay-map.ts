// A read-only map that is a base map plus a small set of changes: how a record set built as a
// delta shares the bulk of its names with the set before it. Rebuilding a 200k-name Map after
// every load would allocate, rehash and later collect all of it on the serving thread; an
// overlay costs only what changed. Overlays never stack: one built on an overlay takes that
// overlay's base and merged changes (see `overlay`).

import { noteStep } from './map-steps.ts';
import { ReadonlyMapBase } from './readonly-map-base.ts';

/** What a base map plus changes holds: the parts of an overlay, read-only or being built. */
export interface OverlayParts<V> {
  readonly base: ReadonlyMap<string, V>;
  readonly changed: ReadonlyMap<string, V>;
  readonly removed: ReadonlySet<string>;
}

/** `name`'s value in `o`: changed, else the base's unless removed. */
export function overlayGet<V>(o: OverlayParts<V>, name: string): V | undefined {
  const value = o.changed.get(name);
  if (value !== undefined) return value;
  return o.removed.has(name) ? undefined : o.base.get(name);
}

export function overlayHas<V>(o: OverlayParts<V>, name: string): boolean {
  return o.changed.has(name) || (!o.removed.has(name) && o.base.has(name));
}

export class OverlayMap<V> extends ReadonlyMapBase<V> implements OverlayParts<V> {
  readonly base: ReadonlyMap<string, V>;
  /** Names added or changed relative to `base`. */
  readonly changed: ReadonlyMap<string, V>;
  /** Names of `base` that are gone (never also in `changed`). */
  readonly removed: ReadonlySet<string>;
  readonly size: number;

  /** `size`: the number of names, when the caller keeps it (else counted here). */
  constructor(
    base: ReadonlyMap<string, V>,
    changed: ReadonlyMap<string, V>,
    removed: ReadonlySet<string>,
    size?: number,
  ) {
    super();
    this.base = base;
    this.changed = changed;
    this.removed = removed;
    if (size === undefined) {
      size = base.size;
      for (const name of changed.keys()) if (!base.has(name)) size++;
      for (const name of removed) if (base.has(name)) size--;
    }
    this.size = size;
  }

  get(name: string): V | undefined {
    return overlayGet(this, name);
  }

  has(name: string): boolean {
    return overlayHas(this, name);
  }

  *entries(): MapIterator<[string, V]> {
    for (const entry of this.base) {
      if (this.removed.has(entry[0])) continue;
      const value = this.changed.get(entry[0]);
      yield value === undefined ? entry : [entry[0], value];
    }
    for (const entry of this.changed) if (!this.base.has(entry[0])) yield entry;
  }
}

/**
 * `previous` with `changes` applied and `removals` dropped, as an overlay on the plain base map
 * underneath (merging with `previous`'s own changes when it is an overlay already). The result
 * is noted as a step from `previous` (map-steps.ts): comparing the two costs these names only,
 * not every name the merged overlay holds.
 */
export function overlay<V>(
  previous: ReadonlyMap<string, V>,
  changes: Iterable<readonly [string, V]>,
  removals: Iterable<string>,
): OverlayMap<V> {
  const base =
    previous instanceof OverlayMap ? (previous.base as ReadonlyMap<string, V>) : previous;
  const changed = new Map<string, V>(previous instanceof OverlayMap ? previous.changed : []);
  const removed = new Set<string>(previous instanceof OverlayMap ? previous.removed : []);
  const names: string[] = [];
  for (const [name, value] of changes) {
    changed.set(name, value);
    removed.delete(name);
    names.push(name);
  }
  for (const name of removals) {
    changed.delete(name);
    if (base.has(name)) removed.add(name);
    names.push(name);
  }
  const result = new OverlayMap(base, changed, removed);
  noteStep(result, previous, names);
  return result;
}
