// The `zk` setting as a LeaderSource: ZooKeeper detection alone, or wrapped in LeaderFallback when a
// `masters` list is configured too.
import type { LeaderObserver, LeaderSource } from '../leader.ts';
import { LeaderFallback } from '../leader-fallback.ts';
import { ZkDetector, type ZkDetectorOptions } from './detector.ts';

export interface ZkLeaderSourceOptions extends Omit<
  ZkDetectorOptions,
  'detectionTimeoutSeconds' | 'observer'
> {
  /** zkDetectionTimeout; ignored (no fatal timeout) when a fallback is given. */
  readonly detectionTimeoutSeconds: number;
  /** The static masters source (MastersListSource), when `masters` is configured too. */
  readonly fallback?: LeaderSource | null;
  /** Told of the ZooKeeper connection and, with a fallback, of which source serves. */
  readonly observer?: LeaderObserver;
}

/** ZooKeeper detection, wrapped in LeaderFallback when a masters list is configured as well. */
export function createZkLeaderSource(options: ZkLeaderSourceOptions): LeaderSource {
  const { fallback, ...rest } = options;
  if (!fallback) {
    return new ZkDetector(rest);
  }
  const detector = new ZkDetector({ ...rest, detectionTimeoutSeconds: 0 });
  return new LeaderFallback(detector, fallback, options.logger, options.observer);
}
