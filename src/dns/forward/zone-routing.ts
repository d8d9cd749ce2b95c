// Which upstream resolvers a name goes to: the longest configured zone that holds it, else the
// default list.
import { parseResolver, type ResolverAddress } from './resolver-address.ts';

export interface Routes {
  readonly defaults: readonly ResolverAddress[];
  /** Zone (lower-case, no trailing dot) → its resolvers. */
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

function normalizeZone(zone: string): string {
  return zone.trim().toLowerCase().replace(/\.+$/, '');
}

/** The routing table from the configured lists; throws naming the first bad address. */
export function buildRoutes(
  resolvers: readonly string[],
  zoneResolvers: Readonly<Record<string, readonly string[]>>,
): Routes {
  const defaults = parseList(resolvers, 'resolvers');
  const zones = new Map<string, readonly ResolverAddress[]>();
  for (const [zone, list] of Object.entries(zoneResolvers)) {
    zones.set(normalizeZone(zone), parseList(list, `zoneResolvers["${zone}"]`));
  }
  return { defaults, zones };
}

/**
 * The resolvers for `qname` (lower-case, no trailing dot): those of the longest zone that
 * equals it or is a label-wise suffix of it, else the defaults.
 */
export function resolversForName(
  qname: string,
  zones: ReadonlyMap<string, readonly ResolverAddress[]>,
  defaults: readonly ResolverAddress[],
): readonly ResolverAddress[] {
  if (zones.size === 0) return defaults;
  let name = qname;
  for (;;) {
    const hit = zones.get(name);
    if (hit) return hit;
    const dot = name.indexOf('.');
    if (dot < 0) break;
    name = name.slice(dot + 1);
  }
  // The root zone "" (or ".") catches everything, when configured.
  return zones.get('') ?? defaults;
}
