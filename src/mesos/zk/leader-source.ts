// The `zk` setting as a LeaderSource: ZooKeeper detection alone, or wrapped in LeaderFallback when a
// `masters` list is configured too.
import type { LeaderSource } from '../leader.ts';
import { LeaderFallback } from '../leader-fallback.ts';
import { ZkDetector, type ZkDetectorOptions } from './detector.ts';

export interface ZkLeaderSourceOptions extends Omit<ZkDetectorOptions, 'detectionTimeoutSeconds'> {
  /** zkDetectionTimeout; ignored (no fatal timeout) when a fallback is given. */
  readonly detectionTimeoutSeconds: number;
  /** The static masters source (MastersListSource), when `masters` is configured too. */
  readonly fallback?: LeaderSource | null;
}

/** ZooKeeper detection, wrapped in LeaderFallback when a masters list is configured as well. */
export function createZkLeaderSource(options: ZkLeaderSourceOptions): LeaderSource {
  const { fallback, ...rest } = options;
  if (!fallback) {
    return new ZkDetector(rest);
  }
  const detector = new ZkDetector({ ...rest, detectionTimeoutSeconds: 0 });
  return new LeaderFallback(detector, fallback, options.logger);
}
