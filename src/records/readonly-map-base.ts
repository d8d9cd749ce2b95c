// What a read-only map derives from its entries: shared by the record maps that are not JS Maps
// (overlay-map.ts, packed-map.ts), so each writes only how it finds and walks its own names.

export abstract class ReadonlyMapBase<V> implements ReadonlyMap<string, V> {
  abstract readonly size: number;
  abstract get(name: string): V | undefined;
  abstract has(name: string): boolean;
  abstract entries(): MapIterator<[string, V]>;

  *keys(): MapIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  *values(): MapIterator<V> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(
    callback: (value: V, key: string, map: ReadonlyMap<string, V>) => void,
    thisArg?: unknown,
  ): void {
    for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
  }
}
