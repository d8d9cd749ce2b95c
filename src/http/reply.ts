// What a route handler returns and how it goes on the wire. Handlers build plain Reply values;
// only this module touches the ServerResponse, so HEAD and error shapes are handled once.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Reply {
  readonly status: number;
  /** Serialised as JSON unless `text` is set. */
  readonly body: unknown;
  /** Sent as-is with this content type instead of JSON. */
  readonly text?: { readonly contentType: string; readonly content: string };
  readonly headers?: Readonly<Record<string, string>>;
}

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

export function send(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
  const payload = reply.text !== undefined ? reply.text.content : `${JSON.stringify(reply.body)}\n`;
  const buffer = Buffer.from(payload, 'utf8');
  res.statusCode = reply.status;
  res.setHeader(
    'Content-Type',
    reply.text !== undefined ? reply.text.contentType : 'application/json; charset=utf-8',
  );
  res.setHeader('Content-Length', buffer.length);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (reply.headers !== undefined) {
    for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
  }
  // HEAD gets the GET headers, Content-Length included, and no body.
  if (req.method === 'HEAD') res.end();
  else res.end(buffer);
}
