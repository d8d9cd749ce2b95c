// The program's version, read from package.json at runtime so src/ (run directly) and dist/
// (compiled) report the same thing without a build step stamping it in.
import { readFileSync } from 'node:fs';

function readVersion(): string {
  try {
    // Both src/version.ts and dist/version.js sit one level below package.json.
    const pkg: unknown = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    );
    if (
      typeof pkg === 'object' &&
      pkg !== null &&
      'version' in pkg &&
      typeof pkg.version === 'string'
    ) {
      return pkg.version;
    }
  } catch {
    // Fall through: a missing package.json (unusual packaging) must not stop the server.
  }
  return '0.0.0-unknown';
}

/** e.g. "0.1.0". */
export const VERSION: string = readVersion();

/** What /v1/version reports as the service name and source URL (mesos-dns's field values). */
export const SERVICE_NAME = 'Mesos-DNS';
export const SERVICE_URL = 'https://github.com/mesosphere/mesos-dns';
