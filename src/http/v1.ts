// mesos-dns's v1 HTTP API over the record set in service: same paths and JSON shapes as its
// resolver.go, except that a name with no records answers [] rather than one empty entry.
import { enumerationBytes } from '../records/enumeration-json.ts';
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
  /** The enumeration of the set in service when the set does not carry it (the load worker keeps it). */
  readonly enumeration?: () => Promise<readonly Uint8Array[] | null>;
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

export async function enumerate(ctx: ApiContext): Promise<Reply> {
  const set = ctx.store.current;
  if (set === null) return notLoaded();
  const keeper = ctx.enumeration;
  return ctx.largeBodies.serve(
    'enumerate',
    JSON_TYPE,
    // Sets from the load worker come without their enumeration: it renders it when asked.
    () =>
      set.enumeration.length > 0 || keeper === undefined
        ? Promise.resolve(enumerationBytes(set.enumeration))
        : keeper(),
    () =>
      errorReply(
        503,
        'enumeration_unavailable',
        'the enumeration of the records in service is being reloaded; retry in a moment',
        { 'Retry-After': '1' },
      ),
  );
}

function sortedObject<V>(map: ReadonlyMap<string, readonly V[]>, show: (v: V) => string) {
  const out: Record<string, string[]> = {};
  // Go's encoding/json writes map keys sorted; do the same so dumps diff cleanly.
  for (const key of [...map.keys()].sort()) out[key] = (map.get(key) ?? []).map(show);
  return out;
}

export function axfr(ctx: ApiContext): Reply {
  const set = ctx.store.current;
  if (set === null) return notLoaded();
  return json(200, {
    TTL: ctx.config.ttl,
    Serial: zoneSerial(ctx),
    RefreshSeconds: ctx.config.refreshSeconds,
    Mname: absoluteSoaMname(ctx.config.SOAMname),
    Rname: absoluteSoaRname(ctx.config.SOARname),
    Domain: ctx.config.domain,
    Records: {
      As: sortedObject(set.a, (ip) => ip),
      AAAAs: sortedObject(set.aaaa, (ip) => ip),
      // mesos-dns keeps SRV data as "target:port" strings and exports them unchanged.
      SRVs: sortedObject(set.srv, (srv) => `${srv.target}:${srv.port}`),
      // ptron only (ours), so mesos-dns's shape is unchanged without it.
      ...(ctx.config.ptron ? { PTRs: sortedObject(set.ptr, (target) => target) } : {}),
    },
  });
}
