// One DNS exchange with one upstream resolver over UDP or TCP: a fresh socket (random source
// port) per query, and only a reply from that address with our ID and our question is accepted.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

import { scanReply, sameQuestion, type ReplyInfo } from './reply-scan.ts';
import type { ResolverAddress } from './resolver-address.ts';

export class UpstreamTimeout extends Error {
  constructor(resolver: ResolverAddress, transport: string, timeoutMs: number) {
    super(`no ${transport} reply from resolver ${resolver.label} within ${timeoutMs} ms`);
    this.name = 'UpstreamTimeout';
  }
}

export interface UpstreamReply {
  readonly bytes: Uint8Array;
  readonly info: ReplyInfo;
}

/** The largest reply accepted over TCP, the protocol's own limit. */
const MAX_TCP_MESSAGE = 65535;

/** Accepts `reply` only when it answers `query` (whose ID is already the upstream one). */
function matches(query: Uint8Array, questionEnd: number, reply: Uint8Array): ReplyInfo | undefined {
  if (reply.length < 12 || reply[0] !== query[0] || reply[1] !== query[1]) return undefined;
  const info = scanReply(reply);
  if (!info || !sameQuestion(query, questionEnd, reply, info.questionEnd)) return undefined;
  return info;
}

/**
 * What both transports share: the exchange settles once, on a reply, an error, its deadline or
 * the forwarder closing, and always releases its socket.
 */
function settleOnce(
  resolver: ResolverAddress,
  transport: 'udp' | 'tcp',
  timeoutMs: number,
  signal: AbortSignal | undefined,
  release: () => void,
  resolve: (reply: UpstreamReply) => void,
  reject: (error: Error) => void,
): (err: Error | undefined, reply?: UpstreamReply) => void {
  let done = false;
  const finish = (err: Error | undefined, reply?: UpstreamReply): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    release();
    if (reply) resolve(reply);
    else reject(err ?? new Error(`resolver ${resolver.label}: exchange failed`));
  };
  const timer = setTimeout(() => {
    finish(new UpstreamTimeout(resolver, transport, timeoutMs));
  }, timeoutMs);
  const onAbort = (): void => {
    finish(new Error(`resolver ${resolver.label} (${transport}): forwarder closed`));
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
      finish(new Error(`resolver ${resolver.label} (udp): ${err.message}`));
    });
    socket.on('message', (msg, rinfo) => {
      // Anything not from the resolver, or not answering this query, is ignored: an off-path
      // attacker must guess the port, the ID and the question, and still race the real reply.
      if (rinfo.port !== resolver.port || rinfo.address !== resolver.host) return;
      const info = matches(query, questionEnd, msg);
      if (info) finish(undefined, { bytes: msg, info });
    });
    // connect() makes the kernel drop datagrams from other sources and report ICMP
    // port-unreachable as an error, so a closed port fails fast instead of timing out.
    socket.connect(resolver.port, resolver.host, () => {
      socket.send(query, (err) => {
        if (err) finish(new Error(`resolver ${resolver.label} (udp): ${err.message}`));
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
      finish(new Error(`resolver ${resolver.label} (tcp): ${err.message}`));
    });
    socket.on('close', () => {
      finish(new Error(`resolver ${resolver.label} (tcp): connection closed before a reply`));
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
        const info = matches(query, questionEnd, msg);
        if (info) {
          finish(undefined, { bytes: new Uint8Array(msg), info });
          return;
        }
        all = all.subarray(2 + length);
        chunks = [all];
        buffered = all.length;
      }
    });
  });
}
