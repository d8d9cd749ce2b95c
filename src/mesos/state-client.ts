// Fetches and validates GET /master/state from one master over HTTP or HTTPS (CA-verified,
// optional client certificate, optional basic auth) with a deadline and a body size limit.
import { Agent, request } from 'undici';
import type { StateClientOptions } from './state-client-options.ts';
import {
  MesosStateError,
  StateAuthError,
  StateConnectError,
  StateHttpError,
  StateNotJsonError,
  StateRedirectError,
  StateSilentError,
  StateTimeoutError,
  StateTlsError,
  StateTooLargeError,
} from './errors.ts';
import type { LazyMesosState, MesosState } from '../state/types.ts';
import { readState, wholeState } from './state-split.ts';

/** The URL of a master's state endpoint; `master` is "host:port" or "[v6]:port". */
export function stateUrl(master: string, https: boolean, path = '/master/state'): string {
  return `${https ? 'https' : 'http'}://${master}${path}`;
}

/** A response body being read as it arrives (the v1 event stream). */
export interface OpenBody extends AsyncIterable<Buffer> {
  destroy(): unknown;
  on(event: 'error', listener: () => void): unknown;
}

const TLS_CODE = /^(ERR_SSL_|ERR_TLS_)|CERT|UNABLE_TO_(GET|VERIFY)|SELF_SIGNED/;

function errorCode(error: unknown): string {
  let current: unknown = error;
  // undici wraps socket errors; the informative code is often on the cause.
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code;
    current = current.cause;
  }
  return '';
}

export class StateClient {
  readonly #options: StateClientOptions;
  readonly #agent: Agent;
  readonly #authorization: string | undefined;

  constructor(options: StateClientOptions) {
    this.#options = options;
    const early = Math.min(options.headersTimeoutMs ?? options.timeoutMs, options.timeoutMs);
    this.#agent = new Agent({
      headersTimeout: early,
      bodyTimeout: options.timeoutMs,
      connectTimeout: early,
      connect: {
        rejectUnauthorized: true,
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
        ...(options.cert !== undefined ? { cert: options.cert } : {}),
        ...(options.key !== undefined ? { key: options.key } : {}),
      },
    });
    const credentials = options.credentials;
    this.#authorization =
      credentials === undefined
        ? undefined
        : `Basic ${Buffer.from(`${credentials.principal}:${credentials.secret}`).toString('base64')}`;
  }

  /**
   * GETs the state of `master` ("host:port") whole (the lists nothing reads left empty);
   * rejects with a MesosStateError naming the URL.
   */
  async fetchState(master: string): Promise<MesosState> {
    return wholeState(await this.fetchLazyState(master));
  }

  /**
   * GETs the state of `master` with each framework's tasks left as bytes, parsed and validated
   * one at a time as they are iterated (state-split.ts): iterating rejects as fetchState would
   * for a task that is not JSON or not a task.
   */
  async fetchLazyState(master: string): Promise<LazyMesosState> {
    const url = stateUrl(master, this.#options.https);
    return readState(await this.#exchange(url, null), url);
  }

  /** GETs `url` and returns the body as text, enforcing the deadline and the size limit. */
  async fetchText(url: string): Promise<string> {
    return (await this.#exchange(url, null)).toString('utf8');
  }

  /** POSTs one v1 operator API call (e.g. GET_MASTER) to `master` and parses the answer. */
  async callJson(master: string, call: object): Promise<unknown> {
    const url = stateUrl(master, this.#options.https, '/api/v1');
    const text = (await this.#exchange(url, JSON.stringify(call))).toString('utf8');
    try {
      return JSON.parse(text);
    } catch {
      throw new StateNotJsonError(`${url} answered a body that is not JSON`, url);
    }
  }

  /**
   * POSTs a v1 call whose answer is a stream (SUBSCRIBE) and returns the body unread once the
   * headers are in: the caller reads it as it arrives and watches its liveness itself, so
   * only connecting and the headers have the deadline. `signal` aborts the stream.
   */
  async openStream(master: string, call: object, signal: AbortSignal): Promise<OpenBody> {
    const url = stateUrl(master, this.#options.https, '/api/v1');
    // The deadline covers connecting and the headers only: the body lasts as long as the stream.
    // A master answers SUBSCRIBE's headers at once (the snapshot follows in the body), so the
    // early deadline applies: a hung master is skipped in seconds, not stateTimeoutSeconds.
    const early = Math.min(
      this.#options.headersTimeoutMs ?? this.#options.timeoutMs,
      this.#options.timeoutMs,
    );
    const connecting = new AbortController();
    const deadline = connecting.signal;
    const timer = setTimeout(
      () => connecting.abort(new DOMException('stream headers timed out', 'TimeoutError')),
      this.#options.timeoutMs,
    );
    try {
      const response = await request(url, {
        method: 'POST',
        headers: this.#headers(true),
        body: JSON.stringify(call),
        dispatcher: this.#agent,
        signal: AbortSignal.any([deadline, signal]),
        headersTimeout: early,
        bodyTimeout: 0,
      });
      clearTimeout(timer);
      const { statusCode, body } = response;
      if (statusCode !== 200) {
        discard(body);
        throw this.#statusError(url, statusCode, response.headers['location']);
      }
      return body;
    } catch (error) {
      throw this.#translate(error, url, deadline);
    } finally {
      clearTimeout(timer);
    }
  }

  #headers(json: boolean): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (json) headers['content-type'] = 'application/json';
    if (this.#authorization !== undefined) headers['authorization'] = this.#authorization;
    return headers;
  }

  /** One GET (or POST of `post`), the whole body, with the deadline and size limit. */
  async #exchange(url: string, post: string | null): Promise<Buffer> {
    const { timeoutMs, maxBytes } = this.#options;
    const deadline = AbortSignal.timeout(timeoutMs);
    try {
      const response = await request(url, {
        method: post === null ? 'GET' : 'POST',
        headers: this.#headers(post !== null),
        ...(post === null ? {} : { body: post }),
        dispatcher: this.#agent,
        signal: deadline,
      });
      const { statusCode, body } = response;
      if (statusCode !== 200) {
        discard(body);
        throw this.#statusError(url, statusCode, response.headers['location']);
      }
      const lengthHeader = response.headers['content-length'];
      const declared = typeof lengthHeader === 'string' ? Number(lengthHeader) : NaN;
      if (declared > maxBytes) {
        discard(body);
        throw tooLarge(url, maxBytes, `declares ${declared} bytes`);
      }
      // With a Content-Length (Mesos sends one) the body is copied into one buffer of that size
      // as it arrives, so each chunk is garbage at once: collecting the chunks and concatenating
      // them held the body twice (280 MB at 200,000 tasks) next to what is parsed from it.
      const whole =
        Number.isSafeInteger(declared) && declared > 0 ? Buffer.allocUnsafe(declared) : null;
      const chunks: Buffer[] = [];
      let received = 0;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (received + chunk.length > maxBytes) {
          discard(body);
          throw tooLarge(url, maxBytes, `sent more than that`);
        }
        if (whole !== null && chunks.length === 0 && received + chunk.length <= whole.length) {
          chunk.copy(whole, received);
        } else {
          // More than it declared (or no declaration): keep what came, then collect chunks.
          if (whole !== null && chunks.length === 0) chunks.push(whole.subarray(0, received));
          chunks.push(chunk);
        }
        received += chunk.length;
      }
      if (whole !== null && chunks.length === 0) return whole.subarray(0, received);
      return Buffer.concat(chunks, received);
    } catch (error) {
      throw this.#translate(error, url, deadline);
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  #statusError(url: string, status: number, location: unknown): MesosStateError {
    // A non-leading Mesos master answers 307 with the leader's address.
    if (status >= 300 && status < 400 && typeof location === 'string' && location !== '') {
      let host = '';
      try {
        host = new URL(location, url).host;
      } catch {
        // An unusable Location is reported as the plain HTTP status below.
      }
      if (host !== '') {
        return new StateRedirectError(
          `${url} is not the leading master (HTTP ${status} to ${host})`,
          url,
          host,
        );
      }
    }
    if (status === 401 || status === 403) {
      const principal = this.#options.credentials?.principal;
      const who =
        principal === undefined
          ? 'no credentials were sent; set mesosAuthentication "basic" and mesosCredentials'
          : `principal "${principal}" was ${status === 401 ? 'not accepted' : 'not allowed'}; check mesosCredentials`;
      return new StateAuthError(`${url} refused access (HTTP ${status}): ${who}`, url);
    }
    return new StateHttpError(`${url} answered HTTP ${status} instead of 200`, url, { status });
  }

  #translate(error: unknown, url: string, deadline: AbortSignal): MesosStateError {
    if (error instanceof MesosStateError) return error;
    const seconds = this.#options.timeoutMs / 1000;
    const code = errorCode(error);
    const reason = error instanceof Error ? error.message : String(error);
    const early = this.#options.headersTimeoutMs;
    if (
      !deadline.aborted &&
      early !== undefined &&
      early < this.#options.timeoutMs &&
      (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT')
    ) {
      return new StateSilentError(
        `${url} ${code === 'UND_ERR_CONNECT_TIMEOUT' ? 'did not accept the connection' : 'sent no response headers'} within ${early / 1000}s (stateHeadersTimeoutSeconds); the master is hung or overloaded`,
        url,
      );
    }
    if (
      deadline.aborted ||
      code === 'UND_ERR_HEADERS_TIMEOUT' ||
      code === 'UND_ERR_BODY_TIMEOUT' ||
      code === 'UND_ERR_CONNECT_TIMEOUT'
    ) {
      return new StateTimeoutError(
        `${url} did not deliver its state within ${seconds}s (stateTimeoutSeconds)`,
        url,
      );
    }
    if (TLS_CODE.test(code)) {
      return new StateTlsError(
        `${url} TLS failed (${code}: ${reason}); check CACertFile, CertFile and KeyFile`,
        url,
      );
    }
    return new StateConnectError(
      `${url} could not be read (${code !== '' ? `${code}: ` : ''}${reason})`,
      url,
    );
  }
}

/** Drops a body we will not read; its abort error must not surface as an uncaught 'error'. */
function discard(body: {
  on(event: 'error', listener: () => void): unknown;
  destroy(): unknown;
}): void {
  body.on('error', () => undefined);
  body.destroy();
}

function tooLarge(url: string, maxBytes: number, what: string): StateTooLargeError {
  return new StateTooLargeError(
    `${url} state is larger than stateMaxBytes (${maxBytes} bytes): the response ${what}; raise stateMaxBytes if the cluster is that big`,
    url,
  );
}
