// The one logger: structured JSON lines (pino) on stdout. -v=1 gives debug, -v=2 adds a line
// per DNS query (callers check `logger.isLevelEnabled('trace')` before building that line).
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(verbose = 0, destination?: pino.DestinationStream): Logger {
  const level = verbose >= 2 ? 'trace' : verbose === 1 ? 'debug' : 'info';
  const options: pino.LoggerOptions = { name: 'mesos-dns-ts', level, base: undefined };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that writes nothing, for tests that do not inspect logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * A warn line for an event that can come in floods (a connection limit biting): logged at once
 * the first time, then at most once per `intervalMs`, each line counting the events it covers.
 */
export function rateLimitedWarn(
  logger: Logger,
  msg: string,
  intervalMs = 10_000,
  now: () => number = Date.now,
): (fields: Record<string, unknown>) => void {
  let lastMs = -Infinity;
  let pending = 0;
  return (fields) => {
    pending++;
    const t = now();
    if (t - lastMs < intervalMs) return;
    logger.warn(
      { ...fields, events: pending, sinceMs: Number.isFinite(lastMs) ? t - lastMs : 0 },
      msg,
    );
    lastMs = t;
    pending = 0;
  };
}
