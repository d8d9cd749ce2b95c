// The forwarder as the config describes it: "resolvers", "zoneResolvers", "timeout" and the
// cache keys (see README.md in this folder).
import type { Config } from '../../config/types.ts';
import { createForwarder, type Forwarder, type ForwarderOptions } from './forwarder.ts';

/** The forwarder as the config describes it (`resolvers`, `timeout`, the cache keys). */
export function forwarderFromConfig(
  config: Config,
  parts: Pick<ForwarderOptions, 'observer' | 'logger' | 'clock'>,
): Forwarder {
  return createForwarder({
    resolvers: config.resolvers,
    zoneResolvers: config.zoneResolvers,
    timeoutMs: config.timeout * 1000,
    cacheSize: config.cacheSize,
    cacheMaxTtlSeconds: config.cacheMaxTTL,
    cacheServeStaleSeconds: config.cacheServeStale,
    ...parts,
  });
}
