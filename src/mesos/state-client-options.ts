// What the state client is asked to do, from the config: plain data that crosses to the load and
// stream workers. Kept apart from state-client.ts so the main thread builds it without loading
// undici (the HTTP client runs only in the workers).
import { readFileSync } from 'node:fs';
import type { Config } from '../config/types.ts';

export interface StateClientOptions {
  readonly https: boolean;
  /** PEM text of the CA(s) that sign the masters' certificates; undefined: system CAs. */
  readonly ca?: string;
  /** PEM client certificate and key, when the masters require one. */
  readonly cert?: string;
  readonly key?: string;
  readonly credentials?: { readonly principal: string; readonly secret: string };
  /** Whole exchange: connect, headers and body. */
  readonly timeoutMs: number;
  /**
   * Connect and response headers (capped by timeoutMs): a master that accepts and then sends
   * nothing is given up early so the next master is asked. Default: timeoutMs.
   */
  readonly headersTimeoutMs?: number;
  readonly maxBytes: number;
}

/** Reads the certificate files named in the config (throws naming the file that fails). */
export function stateClientOptionsFromConfig(config: Config): StateClientOptions {
  const read = (key: 'CACertFile' | 'CertFile' | 'KeyFile'): string | undefined => {
    const file = config[key];
    if (file === '') return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`${key} "${file}" cannot be read (${reason}); fix the path in the config`, {
        cause: error,
      });
    }
  };
  const options: {
    -readonly [K in keyof StateClientOptions]: StateClientOptions[K];
  } = {
    https: config.mesosHTTPSOn,
    timeoutMs: Math.max(1, config.stateTimeoutSeconds) * 1000,
    headersTimeoutMs: Math.max(1, config.stateHeadersTimeoutSeconds) * 1000,
    maxBytes: config.stateMaxBytes,
  };
  if (config.mesosHTTPSOn) {
    const ca = read('CACertFile');
    const cert = read('CertFile');
    const key = read('KeyFile');
    if (ca !== undefined) options.ca = ca;
    if (cert !== undefined) options.cert = cert;
    if (key !== undefined) options.key = key;
  }
  if (config.mesosAuthentication === 'basic') {
    options.credentials = {
      principal: config.mesosCredentials.principal,
      secret: config.mesosCredentials.secret,
    };
  }
  return options;
}
