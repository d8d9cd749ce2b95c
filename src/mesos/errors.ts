// Errors from reading a master's /master/state, each with a stable `code` (as undici's errors
// have) and the URL asked, so logs and the HTTP API can say which master failed and why.

export type StateErrorCode =
  | 'MESOS_STATE_CONNECT'
  | 'MESOS_STATE_TLS'
  | 'MESOS_STATE_TIMEOUT'
  | 'MESOS_STATE_HTTP'
  | 'MESOS_STATE_REDIRECT'
  | 'MESOS_STATE_AUTH'
  | 'MESOS_STATE_TOO_LARGE'
  | 'MESOS_STATE_NOT_JSON'
  | 'MESOS_STATE_INVALID'
  | 'MESOS_NO_MASTER'
  | 'MESOS_WORKER';

export class MesosStateError extends Error {
  readonly code: StateErrorCode;
  /** The URL (or master list) the error is about. */
  readonly url: string;

  constructor(code: StateErrorCode, message: string, url: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.url = url;
  }
}

/** TCP connect refused, reset, DNS failure of the master's name. */
export class StateConnectError extends MesosStateError {
  constructor(message: string, url: string, options?: ErrorOptions) {
    super('MESOS_STATE_CONNECT', message, url, options);
  }
}

/** Certificate not trusted, name mismatch, client certificate refused. */
export class StateTlsError extends MesosStateError {
  constructor(message: string, url: string, options?: ErrorOptions) {
    super('MESOS_STATE_TLS', message, url, options);
  }
}

export class StateTimeoutError extends MesosStateError {
  constructor(message: string, url: string, options?: ErrorOptions) {
    super('MESOS_STATE_TIMEOUT', message, url, options);
  }
}

/**
 * A master that accepted no connection or sent no response headers within
 * stateHeadersTimeoutSeconds: hung or overloaded, skipped for the next one long before the
 * whole-load deadline.
 */
export class StateSilentError extends StateTimeoutError {}

/** A status other than 200 (401/403 become StateAuthError). */
export class StateHttpError extends MesosStateError {
  /** The HTTP status, when known (0 after crossing a worker boundary). */
  readonly status: number;

  constructor(message: string, url: string, options?: ErrorOptions & { status?: number }) {
    super('MESOS_STATE_HTTP', message, url, options);
    this.status = options?.status ?? 0;
  }
}

/** A non-leading master answered 3xx towards the leader; `location` is its "host:port". */
export class StateRedirectError extends MesosStateError {
  readonly location: string;

  constructor(message: string, url: string, location: string, options?: ErrorOptions) {
    super('MESOS_STATE_REDIRECT', message, url, options);
    this.location = location;
  }
}

/** 401/403: names the principal, never the secret. */
export class StateAuthError extends MesosStateError {
  constructor(message: string, url: string, options?: ErrorOptions) {
    super('MESOS_STATE_AUTH', message, url, options);
  }
}

export class StateTooLargeError extends MesosStateError {
  constructor(message: string, url: string, options?: ErrorOptions) {
    super('MESOS_STATE_TOO_LARGE', message, url, options);
  }
}

export class StateNotJsonError extends MesosStateError {
  constructor(message: string, url: string, options?: ErrorOptions) {
    super('MESOS_STATE_NOT_JSON', message, url, options);
  }
}

/** JSON, but not shaped like a Mesos state. */
export class StateInvalidError extends MesosStateError {
  constructor(message: string, url: string, options?: ErrorOptions) {
    super('MESOS_STATE_INVALID', message, url, options);
  }
}

/** Every candidate master failed; the message lists each failure. */
export class NoMasterError extends MesosStateError {
  constructor(message: string, url: string, options?: ErrorOptions) {
    super('MESOS_NO_MASTER', message, url, options);
  }
}

/** The load worker died or could not start. */
export class StateWorkerError extends MesosStateError {
  constructor(message: string, url: string, options?: ErrorOptions) {
    super('MESOS_WORKER', message, url, options);
  }
}

/** What crosses the worker boundary (structured clone drops class and custom fields). */
export interface SerializedStateError {
  readonly code: StateErrorCode;
  readonly message: string;
  readonly url: string;
  /** StateRedirectError's `location`. */
  readonly location?: string;
}

const byCode: Record<
  Exclude<StateErrorCode, 'MESOS_STATE_REDIRECT'>,
  new (message: string, url: string, options?: ErrorOptions) => MesosStateError
> = {
  MESOS_STATE_CONNECT: StateConnectError,
  MESOS_STATE_TLS: StateTlsError,
  MESOS_STATE_TIMEOUT: StateTimeoutError,
  MESOS_STATE_HTTP: StateHttpError,
  MESOS_STATE_AUTH: StateAuthError,
  MESOS_STATE_TOO_LARGE: StateTooLargeError,
  MESOS_STATE_NOT_JSON: StateNotJsonError,
  MESOS_STATE_INVALID: StateInvalidError,
  MESOS_NO_MASTER: NoMasterError,
  MESOS_WORKER: StateWorkerError,
};

export function serializeStateError(error: unknown, url: string): SerializedStateError {
  if (error instanceof StateRedirectError) {
    return { code: error.code, message: error.message, url: error.url, location: error.location };
  }
  if (error instanceof MesosStateError) {
    return { code: error.code, message: error.message, url: error.url };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'MESOS_WORKER', message: `unexpected error loading state: ${message}`, url };
}

export function deserializeStateError(data: SerializedStateError): MesosStateError {
  if (data.code === 'MESOS_STATE_REDIRECT') {
    return new StateRedirectError(data.message, data.url, data.location ?? '');
  }
  const ErrorClass = byCode[data.code];
  return new ErrorClass(data.message, data.url);
}
