// Why an exchange with an upstream resolver failed, each with a stable `code` (as undici's errors
// and mesos/errors.ts have), the resolver as configured and the transport, so the forwarder can
// count and log by kind without reading messages.
import type { ResolverAddress } from '../../net/resolver.ts';

export type UpstreamErrorCode =
  'UPSTREAM_TIMEOUT' | 'UPSTREAM_NETWORK' | 'UPSTREAM_MALFORMED' | 'UPSTREAM_ABORTED';

export type UpstreamTransport = 'udp' | 'tcp';

export class UpstreamError extends Error {
  readonly code: UpstreamErrorCode;
  /** The resolver as configured (its metrics label). */
  readonly resolver: string;
  readonly transport: UpstreamTransport;

  constructor(
    code: UpstreamErrorCode,
    resolver: ResolverAddress,
    transport: UpstreamTransport,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`resolver ${resolver.label} (${transport}): ${message}`, options);
    this.name = new.target.name;
    this.code = code;
    this.resolver = resolver.label;
    this.transport = transport;
  }
}

/** No matching reply within the attempt's time. */
export class UpstreamTimeoutError extends UpstreamError {
  readonly timeoutMs: number;

  constructor(resolver: ResolverAddress, transport: UpstreamTransport, timeoutMs: number) {
    super('UPSTREAM_TIMEOUT', resolver, transport, `no reply within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** The socket failed: port unreachable, connection refused or reset, closed before a reply. */
export class UpstreamNetworkError extends UpstreamError {
  constructor(
    resolver: ResolverAddress,
    transport: UpstreamTransport,
    message: string,
    options?: ErrorOptions,
  ) {
    super('UPSTREAM_NETWORK', resolver, transport, message, options);
  }
}

/**
 * A reply that answers our query (our ID, our question) but is not a well-formed DNS message:
 * relaying it would hand clients bytes they reject, caching it would keep doing so.
 */
export class UpstreamMalformedError extends UpstreamError {
  /** What the whole-message check found, e.g. "answer 1: name pointer does not point back". */
  readonly problem: string;

  constructor(resolver: ResolverAddress, transport: UpstreamTransport, problem: string) {
    super('UPSTREAM_MALFORMED', resolver, transport, `malformed reply: ${problem}`);
    this.problem = problem;
  }
}

/** The forwarder closed while the exchange was in flight. */
export class UpstreamAbortedError extends UpstreamError {
  constructor(resolver: ResolverAddress, transport: UpstreamTransport) {
    super('UPSTREAM_ABORTED', resolver, transport, 'forwarder closed');
  }
}
