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
