// mesos-dns's v1 HTTP API over the record set in service: same paths and JSON shapes as its
// resolver.go, except that a name with no records answers [] rather than one empty entry.
import { renderApiBody, type ApiBody } from '../records/api-bodies.ts';
import type { Config } from '../config/types.ts';
import type { RecordSet } from '../records/recordset.ts';
import type { RecordStore } from '../records/store.ts';
import { absoluteSoaMname, absoluteSoaRname } from '../net/dns-name.ts';
import { SERVICE_NAME, SERVICE_URL } from '../version.ts';
import { configView } from './config-view.ts';
import type { LargeBodies } from './large-body.ts';
import { inDomain, parseLookupName, recordKey } from './names.ts';
import { errorReply, json, type Reply } from './reply.ts';

export interface ApiContext {
  readonly config: Config;
  readonly store: RecordStore;
  readonly version: string;
  /** Wall-clock ms the process started; the zone serial before the first load. */
  readonly startedAtMs: number;
  /** Renders a large body of the set in service where the whole set is kept (the load worker). */
  readonly render?: (body: ApiBody) => Promise<readonly Uint8Array[] | null>;
  /** Renders /v1/enumerate and /v1/axfr once per record set and bounds how many are sent at once. */
  readonly largeBodies: LargeBodies;
}

/** The serial DNS answers with: the set in service's (the Unix time of its load, as mesos-dns). */
export function zoneSerial(ctx: ApiContext): number {
  return ctx.store.current?.serial ?? Math.floor(ctx.startedAtMs / 1000);
}

export function version(ctx: ApiContext): Reply {
  return json(200, {
    Service: SERVICE_NAME,
    URL: SERVICE_URL,
    Version: ctx.version,
  });
}

export function config(ctx: ApiContext): Reply {
  return json(200, configView(ctx.config, zoneSerial(ctx)));
}

function notLoaded(): Reply {
  return errorReply(
    503,
    'not ready',
    'no Mesos state has been loaded yet; records are served after the first successful load',
    { 'Retry-After': '1' },
  );
}

type Lookup =
  | { readonly kind: 'reply'; readonly reply: Reply }
  | { readonly kind: 'name'; readonly name: string; readonly set: RecordSet | null };

/**
 * A name the record set holds is answered whatever it looks like (mesos-dns looks any text
 * up). Otherwise validation first (400), then names outside the domain (never any records),
 * then 503 before the first load.
 */
function lookup(ctx: ApiContext, raw: string, what: 'host' | 'service'): Lookup {
  const current = ctx.store.current;
  const key = recordKey(raw);
  if (current !== null && (current.a.has(key) || current.aaaa.has(key) || current.srv.has(key))) {
    return { kind: 'name', name: key, set: current };
  }
  const result = parseLookupName(raw);
  if (!result.ok) {
    return {
      kind: 'reply',
      reply: errorReply(400, 'bad name', `${what} "${raw}" is not a DNS name: ${result.reason}`),
    };
  }
  if (!inDomain(result.name, ctx.config.domain)) {
    return { kind: 'name', name: result.name, set: null };
  }
  const set = ctx.store.current;
  if (set === null) return { kind: 'reply', reply: notLoaded() };
  return { kind: 'name', name: result.name, set };
}

export function hosts(ctx: ApiContext, raw: string): Reply {
  const found = lookup(ctx, raw, 'host');
  if (found.kind === 'reply') return found.reply;
  const { name, set } = found;
  const records: { host: string; ip: string }[] = [];
  for (const ip of set?.a.get(name) ?? []) records.push({ host: name, ip });
  for (const ip of set?.aaaa.get(name) ?? []) records.push({ host: name, ip });
  return json(200, records);
}

export function hostPorts(): Reply {
  // mesos-dns registers this route but never implemented it.
  return errorReply(
    501,
    'not implemented',
    'GET /v1/hosts/{host}/ports is not implemented (as in mesos-dns); use /v1/services/{service}',
  );
}

export function services(ctx: ApiContext, raw: string): Reply {
  const found = lookup(ctx, raw, 'service');
  if (found.kind === 'reply') return found.reply;
  const { name, set } = found;
  const records: { service: string; host: string; ip: string; port: string }[] = [];
  if (set !== null) {
    for (const srv of set.srv.get(name) ?? []) {
      const port = String(srv.port);
      // As mesos-dns's RestService: the service as asked, and per SRV record one IPv4 and one
      // IPv6 of its target (rs.As.First); targets without an address are left out.
      const v4 = set.a.get(srv.target)?.[0];
      const v6 = set.aaaa.get(srv.target)?.[0];
      if (v4 !== undefined) records.push({ service: raw, host: srv.target, ip: v4, port });
      if (v6 !== undefined) records.push({ service: raw, host: srv.target, ip: v6, port });
    }
  }
  return json(200, records);
}

const JSON_TYPE = 'application/json; charset=utf-8';

function unavailable(code: string, what: string): Reply {
  return errorReply(
    503,
    code,
    `the ${what} of the records in service is being reloaded; retry in a moment`,
    { 'Retry-After': '1' },
  );
}

/**
 * A large body of the set in service: from the keeper (the load worker, off this thread that
 * answers DNS) when there is one; rendered here only for sets built in this thread (tests).
 */
function rendered(ctx: ApiContext, set: RecordSet, body: ApiBody) {
  const keeper = ctx.render;
  // Sets from the load worker come without their enumeration: it renders it when asked.
  const here = keeper === undefined || (body === 'enumerate' && set.enumeration !== undefined);
  return () => (here ? Promise.resolve(renderApiBody(set, body)) : keeper(body));
}

export async function enumerate(ctx: ApiContext): Promise<Reply> {
  const set = ctx.store.current;
  if (set === null) return notLoaded();
  return ctx.largeBodies.serve('enumerate', JSON_TYPE, rendered(ctx, set, 'enumerate'), () =>
    unavailable('enumeration_unavailable', 'enumeration'),
  );
}

export async function axfr(ctx: ApiContext): Promise<Reply> {
  const set = ctx.store.current;
  if (set === null) return notLoaded();
  const render = rendered(ctx, set, ctx.config.ptron ? 'axfr-ptr' : 'axfr');
  // Key order as mesos-dns's Go struct; the header is small and comes from this thread.
  const head = JSON.stringify({
    TTL: ctx.config.ttl,
    Serial: zoneSerial(ctx),
    RefreshSeconds: ctx.config.refreshSeconds,
    Mname: absoluteSoaMname(ctx.config.SOAMname),
    Rname: absoluteSoaRname(ctx.config.SOARname),
    Domain: ctx.config.domain,
  });
  return ctx.largeBodies.serve(
    'axfr',
    JSON_TYPE,
    async () => {
      const records = await render();
      if (records === null) return null;
      const encoder = new TextEncoder();
      return [encoder.encode(`${head.slice(0, -1)},"Records":`), ...records, encoder.encode('}\n')];
    },
    () => unavailable('axfr_unavailable', 'zone dump'),
  );
}
