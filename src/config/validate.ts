// Semantic checks and normalisation of typed config values: each problem becomes one ConfigError
// line naming where the value came from, the key, what is wrong and how to fix it.
import { accessSync, constants } from 'node:fs';
import { isIP } from 'node:net';

import { canonicalZoneName, dnsNameProblem } from '../net/dns-name.ts';
import { canonicalEndpoint, joinHostPort } from '../net/host-port.ts';
import { canonicalResolver, parseResolver } from '../net/resolver.ts';
import { parseZkUrl } from '../net/zk-url.ts';
// The parsers the transfer service uses too, so validation and use cannot disagree.
import { AddressList } from '../net/address-list.ts';
import { parseIpEndpoint } from '../net/host-port.ts';
import { parseTsigKeySpecs } from './tsig-key.ts';
import { CONFIG_SCHEMA, IP_SOURCES, type FileKey } from './schema.ts';
import type { Config } from './types.ts';

/** A configuration problem; `message` is one line fit for stderr. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Mutable typed values of every file key, before freezing. */
export type ConfigValues = { -readonly [K in FileKey]: Config[K] };

/** Where a key's value came from, e.g. "config.json" or "--port". */
export type SourceLabel = (key: FileKey) => string;

/** Renders a value for an error message, short enough to keep the line readable. */
export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** "ip", "ip:port" or "[v6]:port" as canonical "ip:port" / "[v6]:port", port always shown; undefined if invalid. */
export function normalizeResolver(value: string): string | undefined {
  try {
    const { host, port } = parseResolver(value);
    return joinHostPort(host, port);
  } catch {
    return undefined;
  }
}

function checkResolverList(where: string, key: string, list: readonly string[]): void {
  const seen = new Set<string>();
  list.forEach((r, i) => {
    const norm = normalizeResolver(r);
    if (norm === undefined) {
      throw new ConfigError(
        `${where}: "${key}"[${i}] must be an IP address or IP:port (e.g. "10.0.0.2", "10.0.0.2:5353", "[fd00::2]:53"), got ${show(r)}`,
      );
    }
    if (seen.has(norm)) {
      throw new ConfigError(`${where}: "${key}" lists ${show(r)} twice; remove the duplicate`);
    }
    seen.add(norm);
  });
}

function checkMasters(where: string, masters: readonly string[]): void {
  const seen = new Set<string>();
  masters.forEach((m, i) => {
    const norm = canonicalEndpoint(m);
    if (norm === undefined) {
      throw new ConfigError(
        `${where}: "masters"[${i}] must be host:port (e.g. "10.0.0.1:5050", "[fd00::1]:5050"), got ${show(m)}`,
      );
    }
    if (seen.has(norm)) {
      throw new ConfigError(`${where}: "masters" lists ${show(m)} twice; remove the duplicate`);
    }
    seen.add(norm);
  });
}

function checkZk(where: string, zk: string): void {
  // The detector's own parser decides what is valid; the message keeps the config's one form.
  try {
    parseZkUrl(zk);
  } catch {
    throw new ConfigError(
      `${where}: "zk" must be zk://host:port[,host:port...]/path (e.g. "zk://10.0.0.1:2181/mesos"), got ${show(zk)}`,
    );
  }
}

function checkZoneResolvers(
  where: string,
  zones: Readonly<Record<string, readonly string[]>>,
  domain: string,
): void {
  const all = [`.${domain}`];
  for (const [zone, list] of Object.entries(zones)) {
    const problem = dnsNameProblem(zone);
    if (problem !== undefined) {
      throw new ConfigError(`${where}: "zoneResolvers" zone ${show(zone)} ${problem}`);
    }
    if (list.length === 0) {
      throw new ConfigError(
        `${where}: "zoneResolvers" zone ${show(zone)} has no resolvers; list at least one IP or remove the zone`,
      );
    }
    if (zone === domain) {
      throw new ConfigError(
        `${where}: "zoneResolvers" cannot hold the Mesos domain ${show(domain)}; remove that zone`,
      );
    }
    checkResolverList(where, `zoneResolvers.${zone}`, list);
    all.push(`.${zone}`);
  }
  for (const a of all) {
    for (const b of all) {
      if (a !== b && a.endsWith(b)) {
        throw new ConfigError(
          `${where}: "zoneResolvers" zone ${show(a.slice(1))} is inside ${show(b.slice(1))} and would never be used; remove one`,
        );
      }
    }
  }
}

function checkReadable(where: string, key: string, path: string): void {
  if (path === '') return;
  try {
    accessSync(path, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(
      `${where}: "${key}" file ${show(path)} cannot be read (${code}); fix the path or set it to ""`,
    );
  }
}

/** Normalises in place: domain and zone names lower-case, no leading/trailing dot. */
export function normalizeValues(values: ConfigValues): void {
  values.domain = canonicalZoneName(values.domain);
  const zones: Record<string, readonly string[]> = {};
  for (const [zone, list] of Object.entries(values.zoneResolvers)) {
    zones[canonicalZoneName(zone)] = list;
  }
  values.zoneResolvers = zones;
}

/**
 * Rewrites validated addresses in their one canonical form, so every module compares them as
 * text: masters "[fd00::1]:5050", resolvers "::1" or "[::1]:5353" (a reply's source address
 * then matches the resolver however config.json spelt it).
 */
export function canonicalizeAddresses(values: ConfigValues): void {
  values.masters = values.masters.map((m) => canonicalEndpoint(m) ?? m);
  const resolvers = (list: readonly string[]): string[] =>
    list.map((r) => canonicalResolver(r) ?? r);
  values.resolvers = resolvers(values.resolvers);
  values.zoneResolvers = Object.fromEntries(
    Object.entries(values.zoneResolvers).map(([zone, list]) => [zone, resolvers(list)]),
  );
}

/**
 * Checks normalised values, throwing the first problem as a ConfigError; returns warnings for
 * settings that are legal but probably unintended.
 */
export function validateValues(v: ConfigValues, where: SourceLabel): string[] {
  const warnings: string[] = [];
  for (const def of CONFIG_SCHEMA) {
    if (def.kind !== 'integer') continue;
    const n = v[def.key] as number;
    const min = def.min ?? 0;
    const max = def.max ?? Number.MAX_SAFE_INTEGER;
    if (n < min || n > max) {
      const range =
        def.key === 'port' || def.key === 'httpport'
          ? `${min}-${max} (0 picks a free port)`
          : `${min}-${max}`;
      throw new ConfigError(`${where(def.key)}: "${def.key}" must be ${range}, got ${n}`);
    }
  }

  for (const def of CONFIG_SCHEMA) {
    const value = v[def.key];
    if (def.choices === undefined || typeof value !== 'string' || def.choices.includes(value))
      continue;
    const hint = value === 'iam' ? '; IAM authentication is not supported by mesos-dns-ts' : '';
    throw new ConfigError(
      `${where(def.key)}: "${def.key}" must be one of ${def.choices.map((c) => show(c)).join(', ')}, got ${show(value)}${hint}`,
    );
  }

  if (!v.dnson && !v.httpon) {
    throw new ConfigError(
      `${where('dnson')}: "dnson" and "httpon" are both false; set at least one to true`,
    );
  }
  if (v.masters.length === 0 && v.zk === '') {
    throw new ConfigError(
      `${where('masters')}: neither "masters" nor "zk" is set; set "zk" (e.g. "zk://10.0.0.1:2181/mesos") or "masters" (e.g. ["10.0.0.1:5050"])`,
    );
  }
  if (v.zk !== '') checkZk(where('zk'), v.zk);
  checkMasters(where('masters'), v.masters);

  const domainProblem = dnsNameProblem(v.domain);
  if (domainProblem !== undefined) {
    throw new ConfigError(
      `${where('domain')}: "domain" ${domainProblem} (got ${show(v.domain)}); use a name like "mesos" or "cluster.example"`,
    );
  }
  checkResolverList(where('resolvers'), 'resolvers', v.resolvers);
  checkZoneResolvers(where('zoneResolvers'), v.zoneResolvers, v.domain);

  for (const key of ['listener', 'HTTPListener'] as const) {
    if (isIP(v[key]) === 0) {
      throw new ConfigError(
        `${where(key)}: "${key}" must be an IP address (e.g. "0.0.0.0", "127.0.0.1", "::"), got ${show(v[key])}`,
      );
    }
  }

  if (v.IPSources.length === 0) {
    throw new ConfigError(
      `${where('IPSources')}: "IPSources" is empty; list at least one of ${IP_SOURCES.map((s) => `"${s}"`).join(', ')}`,
    );
  }
  const sources = new Set<string>();
  for (const s of v.IPSources) {
    if (!(IP_SOURCES as readonly string[]).includes(s)) {
      throw new ConfigError(
        `${where('IPSources')}: "IPSources" has unknown source ${show(s)}; use any of ${IP_SOURCES.map((x) => `"${x}"`).join(', ')}`,
      );
    }
    if (sources.has(s)) {
      throw new ConfigError(
        `${where('IPSources')}: "IPSources" lists ${show(s)} twice; remove the duplicate`,
      );
    }
    sources.add(s);
  }

  for (const key of ['SOAMname', 'SOARname'] as const) {
    const problem = dnsNameProblem(v[key].replace(/@/g, '.').replace(/\.$/, ''));
    if (problem !== undefined) {
      throw new ConfigError(`${where(key)}: "${key}" ${problem} (got ${show(v[key])})`);
    }
  }

  if (v.mesosAuthentication === 'basic' && v.mesosCredentials.principal === '') {
    throw new ConfigError(
      `${where('mesosAuthentication')}: "mesosAuthentication" is "basic" but "mesosCredentials" has no principal; set "mesosCredentials": {"principal": "...", "secret": "..."}`,
    );
  }
  if (v.mesosAuthentication === '' && v.mesosCredentials.principal !== '') {
    warnings.push(
      `${where('mesosCredentials')}: "mesosCredentials" is set but "mesosAuthentication" is ""; the credentials are not used (set "mesosAuthentication": "basic")`,
    );
  }

  if ((v.CertFile === '') !== (v.KeyFile === '')) {
    const missing = v.CertFile === '' ? 'CertFile' : 'KeyFile';
    const set = missing === 'CertFile' ? 'KeyFile' : 'CertFile';
    throw new ConfigError(
      `${where(set)}: "${set}" is set but "${missing}" is not; set both or neither`,
    );
  }
  for (const key of ['CACertFile', 'CertFile', 'KeyFile'] as const) {
    checkReadable(where(key), key, v[key]);
  }
  checkTransfers(v, where, warnings);
  return warnings;
}

/** transferAllow, transferKeys and notify, read by the parsers the transfer service uses. */
function checkTransfers(v: ConfigValues, where: SourceLabel, warnings: string[]): void {
  for (const [i, entry] of v.transferAllow.entries()) {
    try {
      new AddressList([entry]);
    } catch (err) {
      throw new ConfigError(
        `${where('transferAllow')}: "transferAllow"[${i}] ${(err as Error).message}`,
      );
    }
  }
  try {
    parseTsigKeySpecs(v.transferKeys);
  } catch (err) {
    throw new ConfigError(`${where('transferKeys')}: "transferKeys": ${(err as Error).message}`);
  }
  for (const [i, entry] of v.notify.entries()) {
    if (parseIpEndpoint(entry, 53) === null) {
      throw new ConfigError(
        `${where('notify')}: "notify"[${i}] ${JSON.stringify(entry)} must be an IP address with an optional port (e.g. "10.0.0.7:53", "[fd00::7]:53")`,
      );
    }
  }
  if (v.transferAllow.length === 0 && Object.keys(v.transferKeys).length > 0) {
    warnings.push(
      `${where('transferKeys')}: "transferKeys" is set but "transferAllow" is empty, so every transfer is refused; list the secondaries' addresses in "transferAllow"`,
    );
  }
}
