// One DNS exchange with one upstream resolver over UDP or TCP: a fresh socket (random source
// port) per query, and only a reply from that address with our ID and our question is accepted,
// and only once checked whole. Failures reject with the errors of errors.ts.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

import type { ResolverAddress } from '../../net/resolver.ts';
import { HEADER_SIZE } from '../wire.ts';
import {
  UpstreamAbortedError,
  UpstreamMalformedError,
  UpstreamNetworkError,
  UpstreamTimeoutError,
  type UpstreamError,
  type UpstreamTransport,
} from './errors.ts';
import { checkReply, sameQuestion, type ReplyInfo } from './reply-scan.ts';

export interface UpstreamReply {
  readonly bytes: Uint8Array;
  readonly info: ReplyInfo;
}

/** The largest reply accepted over TCP, the protocol's own limit. */
const MAX_TCP_MESSAGE = 65535;

/**
 * What `msg` is to the exchange for `query` (whose ID is already the upstream one): not ours
 * (wrong ID or question: ignored, the real reply may still come), our reply but malformed (a
 * sentence), or the reply to relay.
 */
function judge(
  query: Uint8Array,
  questionEnd: number,
  msg: Uint8Array,
): UpstreamReply | string | undefined {
  if (msg.length < questionEnd || msg[0] !== query[0] || msg[1] !== query[1]) return undefined;
  if (!sameQuestion(query, questionEnd, msg, questionEnd)) return undefined;
  const info = checkReply(msg);
  if (typeof info === 'string') return info;
  if (info.wholeLength === msg.length) return { bytes: msg, info };
  // A truncated reply cut mid-record: its header and question, the counts cleared, TC kept.
  const bytes = msg.slice(0, info.wholeLength);
  bytes.fill(0, 6, HEADER_SIZE);
  return { bytes, info };
}

/**
 * What both transports share: the exchange settles once, on a reply, an error, its deadline or
 * the forwarder closing, and always releases its socket.
 */
function settleOnce(
  resolver: ResolverAddress,
  transport: UpstreamTransport,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  release: () => void,
  resolve: (reply: UpstreamReply) => void,
  reject: (error: UpstreamError) => void,
): (outcome: UpstreamReply | UpstreamError) => void {
  let done = false;
  const finish = (outcome: UpstreamReply | UpstreamError): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    release();
    if (outcome instanceof Error) reject(outcome);
    else resolve(outcome);
  };
  const timer = setTimeout(() => {
    finish(new UpstreamTimeoutError(resolver, transport, timeoutMs));
  }, timeoutMs);
  const onAbort = (): void => {
    finish(new UpstreamAbortedError(resolver, transport));
  };
  if (signal?.aborted) {
    queueMicrotask(onAbort);
  } else {
    signal?.addEventListener('abort', onAbort, { once: true });
  }
  return finish;
}

/** Sends `query` over UDP; resolves with the first matching reply, rejects on timeout or error. */
export function exchangeUdp(
  resolver: ResolverAddress,
  query: Uint8Array,
  questionEnd: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<UpstreamReply> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(resolver.family === 6 ? 'udp6' : 'udp4');
    const finish = settleOnce(
      resolver,
      'udp',
      timeoutMs,
      signal,
      () => socket.close(),
      resolve,
      reject,
    );
    socket.on('error', (err) => {
      finish(new UpstreamNetworkError(resolver, 'udp', err.message, { cause: err }));
    });
    // The socket is connected: the kernel delivers only datagrams from the resolver's address
    // and port, however the address was written in the config ("::1", "0:0::1", a v4-mapped
    // form), so no text comparison here. Anything not answering this query is ignored: an
    // off-path attacker must guess the port, the ID and the question, and race the real reply.
    socket.on('message', (msg) => {
      const verdict = judge(query, questionEnd, msg);
      if (verdict === undefined) return;
      finish(
        typeof verdict === 'string'
          ? new UpstreamMalformedError(resolver, 'udp', verdict)
          : verdict,
      );
    });
    // connect() also reports ICMP port-unreachable as an error, so a closed port fails fast
    // instead of timing out.
    socket.connect(resolver.port, resolver.host, () => {
      socket.send(query, (err) => {
        if (err) finish(new UpstreamNetworkError(resolver, 'udp', err.message, { cause: err }));
      });
    });
  });
}

/** Sends `query` over TCP with the two-byte length prefix; resolves with the matching reply. */
export function exchangeTcp(
  resolver: ResolverAddress,
  query: Uint8Array,
  questionEnd: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<UpstreamReply> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: resolver.host, port: resolver.port, noDelay: true });
    let chunks: Buffer[] = [];
    let buffered = 0;
    const finish = settleOnce(
      resolver,
      'tcp',
      timeoutMs,
      signal,
      () => socket.destroy(),
      resolve,
      reject,
    );
    socket.on('error', (err) => {
      finish(new UpstreamNetworkError(resolver, 'tcp', err.message, { cause: err }));
    });
    socket.on('close', () => {
      finish(new UpstreamNetworkError(resolver, 'tcp', 'connection closed before a reply'));
    });
    socket.on('connect', () => {
      const framed = Buffer.allocUnsafe(query.length + 2);
      framed.writeUInt16BE(query.length, 0);
      framed.set(query, 2);
      socket.write(framed);
    });
    socket.on('data', (data: Buffer) => {
      chunks.push(data);
      buffered += data.length;
      // Several messages may arrive on one connection; check each complete one.
      for (;;) {
        if (buffered < 2) return;
        let all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, buffered);
        chunks = [all];
        const length = all.readUInt16BE(0);
        if (length > MAX_TCP_MESSAGE || buffered < length + 2) return;
        const msg = all.subarray(2, 2 + length);
        const verdict = judge(query, questionEnd, msg);
        if (typeof verdict === 'string') {
          finish(new UpstreamMalformedError(resolver, 'tcp', verdict));
          return;
        }
        if (verdict !== undefined) {
          finish({ bytes: new Uint8Array(verdict.bytes), info: verdict.info });
          return;
        }
        all = all.subarray(2 + length);
        chunks = [all];
        buffered = all.length;
      }
    });
  });
}
