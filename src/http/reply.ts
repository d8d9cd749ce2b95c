// What a route handler returns and how it goes on the wire. Handlers build plain Reply values;
// only this module touches the ServerResponse, so HEAD and error shapes are handled once.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendPaced } from './paced-writer.ts';

export interface Reply {
  readonly status: number;
  /** Serialised as JSON unless `text` is set. */
  readonly body: unknown;
  /** Sent as-is with this content type instead of JSON. */
  readonly text?: { readonly contentType: string; readonly content: string };
  /** A large body sent chunk by chunk as the client reads it (large-body.ts). */
  readonly chunks?: { readonly contentType: string; readonly chunks: readonly Uint8Array[] };
  readonly headers?: Readonly<Record<string, string>>;
  /** Called once when the response is over: sent, failed, or never sent at all. */
  readonly done?: () => void;
}

/** How long a chunked body may wait for a client that reads nothing before it is cut off. */
export const DEFAULT_STALL_MS = 30_000;

export function json(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return headers === undefined ? { status, body } : { status, body, headers };
}

/** The one error shape of this API: a short machine code and a sentence for people. */
export function errorReply(
  status: number,
  error: string,
  message: string,
  headers?: Record<string, string>,
): Reply {
  return json(status, { error, message }, headers);
}

export function send(
  req: IncomingMessage,
  res: ServerResponse,
  reply: Reply,
  stallMs = DEFAULT_STALL_MS,
): void {
  if (reply.done !== undefined) res.once('close', reply.done);
  if (reply.chunks !== undefined) {
    const { chunks, contentType } = reply.chunks;
    head(
      res,
      reply,
      contentType,
      chunks.reduce((n, c) => n + c.byteLength, 0),
    );
    if (req.method === 'HEAD') res.end();
    else sendPaced(res, chunks, stallMs);
    return;
  }
  const payload = reply.text !== undefined ? reply.text.content : `${JSON.stringify(reply.body)}\n`;
  const buffer = Buffer.from(payload, 'utf8');
  head(
    res,
    reply,
    reply.text !== undefined ? reply.text.contentType : 'application/json; charset=utf-8',
    buffer.length,
  );
  // HEAD gets the GET headers, Content-Length included, and no body.
  if (req.method === 'HEAD') res.end();
  else res.end(buffer);
}

function head(res: ServerResponse, reply: Reply, contentType: string, length: number): void {
  res.statusCode = reply.status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', length);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (reply.headers !== undefined) {
    for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
  }
}
