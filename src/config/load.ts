// Reads mesos-dns's config.json unchanged (keys matched case-insensitively, as Go's encoding/json
// does), applies command-line overrides, validates, normalises and deep-freezes the result.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';

import { joinHostPort } from '../net/host-port.ts';
import { readResolvConf } from '../net/resolv-conf.ts';
import {
  CONFIG_SCHEMA,
  IGNORED_KEYS,
  findKey,
  schemaDefaults,
  type FileKey,
  type KeyDef,
} from './schema.ts';
import type { Config, MesosCredentials } from './types.ts';
import {
  ConfigError,
  canonicalizeAddresses,
  normalizeValues,
  show,
  validateValues,
  type ConfigValues,
} from './validate.ts';

export { ConfigError };
export type { ConfigValues };

/** Typed values that win over the file (the CLI builds these from flags). */
export type ConfigOverrides = Partial<ConfigValues>;

export interface LoadResult {
  readonly config: Config;
  /** One line each: unknown keys, ignored keys, suspicious settings. */
  readonly warnings: readonly string[];
}

export interface LoadOptions {
  /** Path as the user wrote it; "~/" expands to `home`, relative paths resolve against `cwd`. */
  readonly file: string;
  readonly overrides?: ConfigOverrides;
  readonly verbose?: number;
  /** Home directory for "~/" (default: the current user's). */
  readonly home?: string;
  /** Directory relative paths resolve against (default: the process's). */
  readonly cwd?: string;
  /** Where nameservers come from when "resolvers" is empty (default /etc/resolv.conf). */
  readonly resolvConf?: string;
}

export interface BuildOptions {
  /** Label for messages about values from `values`, e.g. the config file path. */
  readonly source?: string;
  readonly overrides?: ConfigOverrides;
  readonly verbose?: number;
  readonly configFile?: string;
  readonly resolvConf?: string;
}

/** Reads, validates and freezes a config file; throws ConfigError with a one-line message. */
export function loadConfig(options: LoadOptions): LoadResult {
  const label = options.file;
  const home = options.home ?? homedir();
  const expanded = options.file.replace('~/', `${home}/`);
  const path = isAbsolute(expanded) ? expanded : resolve(options.cwd ?? process.cwd(), expanded);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`;
    throw new ConfigError(
      `${label}: config file ${why} (looked at ${path}); create it or pass -config=FILE`,
    );
  }
  const parsed = parseJson(label, text);
  return buildConfig(parsed, {
    source: label,
    configFile: path,
    ...(options.overrides ? { overrides: options.overrides } : {}),
    ...(options.verbose !== undefined ? { verbose: options.verbose } : {}),
    ...(options.resolvConf !== undefined ? { resolvConf: options.resolvConf } : {}),
  });
}

/** Parses JSON, reporting syntax errors with line and column. */
export function parseJson(label: string, text: string): Record<string, unknown> {
  const body = text.replace(/^\uFEFF/, '');
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    const message = (err as Error).message;
    const pos = /at position (\d+)/.exec(message);
    const offset = pos ? Number(pos[1]) : body.length;
    const before = body.slice(0, offset).split('\n');
    const line = before.length;
    const column = (before.at(-1)?.length ?? 0) + 1;
    const reason = message
      .replace(/\s*(in JSON )?at position \d+.*$/, '')
      .replace(/^JSON\.parse: /, '');
    throw new ConfigError(
      `${label}: invalid JSON at line ${line}, column ${column}: ${reason}; fix the syntax`,
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(
      `${label}: must hold a JSON object ({"key": value, ...}), got ${show(value)}`,
    );
  }
  return value as Record<string, unknown>;
}

/**
 * Builds a validated, frozen Config from file-style values (any key case) plus overrides. Also
 * the way to make a Config in code and tests: `buildConfig({ masters: ['127.0.0.1:5050'] })`.
 */
export function buildConfig(
  raw: Readonly<Record<string, unknown>>,
  options: BuildOptions = {},
): LoadResult {
  const source = options.source ?? 'config';
  const warnings: string[] = [];
  const values: ConfigValues = schemaDefaults();
  const setBy = new Map<FileKey, string>();

  for (const [name, value] of Object.entries(raw)) {
    const def = findKey(name);
    if (!def) {
      const ignored = IGNORED_KEYS[name.toLowerCase()];
      if (ignored !== undefined) {
        if (value !== '' && value !== null && value !== 0)
          warnings.push(`${source}: "${name}" is set but ${ignored}`);
        continue;
      }
      const near = closestKey(name);
      warnings.push(
        `${source}: unknown key "${name}" ignored${near === undefined ? '' : ` (did you mean "${near}"?)`}`,
      );
      continue;
    }
    const previous = setBy.get(def.key);
    if (previous !== undefined) {
      warnings.push(
        `${source}: "${previous}" and "${name}" both set "${def.key}"; the later "${name}" wins`,
      );
    }
    setBy.set(def.key, name);
    if (value === null) {
      // Go's encoding/json leaves scalars untouched on null and empties slices and maps.
      if (def.kind === 'list') assign(values, def.key, []);
      else if (def.kind === 'zones' || def.kind === 'keys') assign(values, def.key, {});
      continue;
    }
    assign(values, def.key, fromJson(def, value, source, warnings));
  }

  const overridden = new Set<FileKey>();
  for (const def of CONFIG_SCHEMA) {
    const value = options.overrides?.[def.key];
    if (value === undefined) continue;
    assign(values, def.key, value);
    overridden.add(def.key);
  }
  const where = (key: FileKey): string => {
    if (overridden.has(key)) return `--${CONFIG_SCHEMA.find((d) => d.key === key)?.flag ?? key}`;
    return source;
  };

  normalizeValues(values);
  if (values.externalon && values.resolvers.length === 0) {
    // mesos-dns falls back to the host's nameservers when none are configured.
    const file = options.resolvConf ?? '/etc/resolv.conf';
    values.resolvers = hostNameservers(file, values.listener, values.port);
    warnings.push(
      values.resolvers.length > 0
        ? `${where('resolvers')}: "resolvers" is empty; using ${file} nameservers ${values.resolvers.join(', ')}`
        : `${where('resolvers')}: "resolvers" is empty and ${file} lists no usable nameserver; names outside "${values.domain}" will fail`,
    );
  }
  warnings.push(...validateValues(values, where));
  canonicalizeAddresses(values);

  const config: Config = {
    ...values,
    verbose: options.verbose ?? 0,
    configFile: options.configFile ?? '',
  };
  return { config: deepFreeze(config), warnings };
}

/** Stores a value already converted to the key's type (checked by fromJson or parseFlagValue). */
function assign(values: ConfigValues, key: FileKey, value: unknown): void {
  (values as Record<FileKey, unknown>)[key] = value;
}

function typeError(
  source: string,
  key: string,
  expected: string,
  value: unknown,
  index?: number,
): ConfigError {
  const name = index === undefined ? `"${key}"` : `"${key}"[${index}]`;
  return new ConfigError(`${source}: ${name} must be ${expected}, got ${show(value)}`);
}

function stringList(source: string, key: string, value: unknown): string[] {
  if (!Array.isArray(value))
    throw typeError(source, key, 'a list of strings (e.g. ["a", "b"])', value);
  return value.map((item: unknown, i) => {
    if (typeof item !== 'string') throw typeError(source, key, 'a string', item, i);
    return item;
  });
}

/** Converts one JSON value to the key's type, as strictly as Go's encoding/json does. */
function fromJson(def: KeyDef, value: unknown, source: string, warnings: string[]): unknown {
  switch (def.kind) {
    case 'string':
      if (typeof value !== 'string') throw typeError(source, def.key, 'a string', value);
      return value;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        throw typeError(source, def.key, 'an integer', value);
      }
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw typeError(source, def.key, 'true or false', value);
      return value;
    case 'list':
      return stringList(source, def.key, value);
    case 'zones': {
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw typeError(
          source,
          def.key,
          'an object of zone → resolver list (e.g. {"consul": ["10.0.0.5:8600"]})',
          value,
        );
      }
      const zones: Record<string, string[]> = {};
      for (const [zone, list] of Object.entries(value as Record<string, unknown>)) {
        zones[zone] = stringList(source, `${def.key}.${zone}`, list);
      }
      return zones;
    }
    case 'credentials':
      return credentialsFromJson(def.key, value, source, warnings);
    case 'keys': {
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw typeError(
          source,
          def.key,
          'an object of key name → "algorithm:base64" (e.g. {"transfer.": "hmac-sha256:..."})',
          value === null ? value : '***',
        );
      }
      const keys: Record<string, string> = {};
      for (const [name, spec] of Object.entries(value as Record<string, unknown>)) {
        if (typeof spec !== 'string')
          throw typeError(source, `${def.key}.${name}`, 'a string', '***');
        keys[name] = spec;
      }
      return keys;
    }
  }
}

function credentialsFromJson(
  key: string,
  value: unknown,
  source: string,
  warnings: string[],
): MesosCredentials {
  if (typeof value !== 'object' || Array.isArray(value) || value === null) {
    throw typeError(source, key, 'an object {"principal": "...", "secret": "..."}', value);
  }
  const out = { principal: '', secret: '' };
  for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
    const field = name.toLowerCase();
    if (field !== 'principal' && field !== 'secret') {
      warnings.push(
        `${source}: unknown key "${key}.${name}" ignored (use "principal" and "secret")`,
      );
      continue;
    }
    if (typeof v !== 'string')
      throw typeError(source, `${key}.${field}`, 'a string', field === 'secret' ? '***' : v);
    out[field] = v;
  }
  return out;
}

/**
 * Converts a command-line value (string, boolean or repeated strings from yargs) to the key's
 * type; errors name the flag.
 */
export function parseFlagValue(def: KeyDef, raw: unknown): unknown {
  const flag = `--${def.flag}`;
  const items = (Array.isArray(raw) ? raw : [raw]).map((x: unknown) =>
    typeof x === 'string' ? x : String(x),
  );
  const last = items.at(-1) ?? '';
  const bad = (expected: string, got: unknown): ConfigError =>
    new ConfigError(`${flag}: "${def.key}" must be ${expected}, got ${show(got)}`);
  const split = (): string[] =>
    items
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter((s) => s !== '');
  switch (def.kind) {
    case 'string':
      return last;
    case 'integer':
      if (!/^[+-]?\d+$/.test(last.trim())) throw bad('an integer', last);
      return Number(last.trim());
    case 'boolean': {
      const b: unknown = Array.isArray(raw) ? (raw as unknown[]).at(-1) : raw;
      if (typeof b === 'boolean') return b;
      const s = last.trim().toLowerCase();
      if (s === 'true' || s === '1' || s === '') return true;
      if (s === 'false' || s === '0') return false;
      throw bad('true or false', last);
    }
    case 'list':
      return split();
    case 'zones': {
      const zones: Record<string, string[]> = {};
      for (const item of items) {
        const eq = item.indexOf('=');
        if (eq <= 0) throw bad('zone=ip[,ip...] (e.g. consul=10.0.0.5:8600)', item);
        const zone = item.slice(0, eq).trim();
        const list = item
          .slice(eq + 1)
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
        zones[zone] = [...(zones[zone] ?? []), ...list];
      }
      return zones;
    }
    case 'keys': {
      const keys: Record<string, string> = {};
      for (const item of items) {
        const eq = item.indexOf('=');
        if (eq <= 0) throw bad('name=algorithm:base64 (e.g. transfer.=hmac-sha256:...)', '***');
        keys[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
      }
      return keys;
    }
    case 'credentials': {
      const colon = last.indexOf(':');
      if (colon <= 0) throw bad('principal:secret', last.replace(/:.*/, ':***'));
      return { principal: last.slice(0, colon), secret: last.slice(colon + 1) };
    }
  }
}

/**
 * Nameservers in a resolv.conf, leaving out any address this server itself answers on (a wildcard
 * listener on port 53 covers every local address), so it never forwards to itself; none when the
 * file cannot be read (the caller's warning says so).
 */
function hostNameservers(file: string, listener: string, port: number): string[] {
  try {
    return readResolvConf([joinHostPort(listener, port)], file);
  } catch {
    return [];
  }
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** The known key nearest to a misspelt one, if any is near enough to be a likely typo. */
export function closestKey(name: string): string | undefined {
  const lower = name.toLowerCase();
  let best: { key: string; d: number } | undefined;
  for (const def of CONFIG_SCHEMA) {
    const d = editDistance(lower, def.key.toLowerCase());
    if (!best || d < best.d) best = { key: def.key, d };
  }
  const limit = lower.length <= 4 ? 1 : Math.max(2, Math.floor(lower.length / 3));
  return best && best.d <= limit ? best.key : undefined;
}

/** Freezes an object graph so no module can change the shared config. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
