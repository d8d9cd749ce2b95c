// Which upstream resolvers a name goes to: the longest configured zone that holds it, else the
// default list.
import { parseResolver, type ResolverAddress } from '../../net/resolver.ts';
import { nameKey } from '../names.ts';

export interface Routes {
  readonly defaults: readonly ResolverAddress[];
  /** Zone in the query key form (lower-case, escaped, trailing dot; "." for the root) → its resolvers. */
  readonly zones: ReadonlyMap<string, readonly ResolverAddress[]>;
}

function parseList(list: readonly string[], where: string): ResolverAddress[] {
  return list.map((text) => {
    try {
      return parseResolver(text);
    } catch (err) {
      throw new Error(`${where}: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
  });
}

/** A configured zone in the form ParsedQuery.key takes, so both sides read names the same way. */
function zoneKey(zone: string): string {
  const text = zone.trim();
  try {
    return nameKey(text === '' ? '.' : text);
  } catch (err) {
    throw new Error(`zoneResolvers: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}

/** The routing table from the configured lists; throws naming the first bad address. */
export function buildRoutes(
  resolvers: readonly string[],
  zoneResolvers: Readonly<Record<string, readonly string[]>>,
): Routes {
  const defaults = parseList(resolvers, 'resolvers');
  const zones = new Map<string, readonly ResolverAddress[]>();
  for (const [zone, list] of Object.entries(zoneResolvers)) {
    zones.set(zoneKey(zone), parseList(list, `zoneResolvers["${zone}"]`));
  }
  return { defaults, zones };
}

/**
 * The resolvers for the query key `key` (ParsedQuery.key: lower-case, "\." inside a label, trailing
 * dot): those of the longest zone that equals it or is a label-wise suffix of it, else the
 * defaults. A "." escaped inside a label is no label boundary, exactly as for authoritative names.
 */
export function resolversForName(
  key: string,
  zones: ReadonlyMap<string, readonly ResolverAddress[]>,
  defaults: readonly ResolverAddress[],
): readonly ResolverAddress[] {
  if (zones.size === 0) return defaults;
  let at = 0;
  for (;;) {
    const hit = zones.get(at === 0 ? key : key.slice(at));
    if (hit) return hit;
    let i = at;
    // "\." and "\DDD" are inside a label: skip the escaped character.
    while (i < key.length && key.charCodeAt(i) !== 0x2e) i += key.charCodeAt(i) === 0x5c ? 2 : 1;
    if (i >= key.length - 1) break;
    at = i + 1;
  }
  // The root zone "." catches everything, when configured.
  return zones.get('.') ?? defaults;
}
