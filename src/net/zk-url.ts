// Parses the `zk` setting (zk://[user:pass@]host:port,...,host:port/path) the way Mesos writes it,
// into hosts, the group path where masters register, and optional digest credentials.
import { isIPv4, isIPv6 } from 'node:net';

import { joinHostPort } from './host-port.ts';

export interface ZkHost {
  /** Hostname, IPv4 literal, or IPv6 literal without brackets. */
  readonly host: string;
  readonly port: number;
}

export interface ZkUrl {
  readonly hosts: readonly ZkHost[];
  /** Absolute znode path of the Mesos master group, e.g. "/mesos"; never ends in "/". */
  readonly path: string;
  /** Digest credentials from "user:pass@", when given. */
  readonly auth: { readonly user: string; readonly password: string } | null;
  /** The URL with any password replaced by "***", for logs and error messages. */
  readonly display: string;
}

const DEFAULT_ZK_PORT = 2181;
const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;

export class ZkUrlError extends Error {
  override name = 'ZkUrlError';
}

/** Parses and validates a Mesos ZooKeeper URL; throws ZkUrlError naming the problem and the fix. */
export function parseZkUrl(raw: string): ZkUrl {
  const url = raw.trim();
  const bad = (problem: string): ZkUrlError =>
    new ZkUrlError(
      `invalid zk URL "${redact(url)}": ${problem} (expected zk://host1:2181,host2:2181/mesos)`,
    );

  if (!url.toLowerCase().startsWith('zk://')) {
    throw bad('it must start with zk://');
  }
  const rest = url.slice('zk://'.length);
  const slash = rest.indexOf('/');
  if (slash === -1) {
    throw bad('it has no path; Mesos masters register under a path such as /mesos');
  }
  let authority = rest.slice(0, slash);
  const path = normalisePath(rest.slice(slash), bad);

  let auth: ZkUrl['auth'] = null;
  const at = authority.lastIndexOf('@');
  if (at !== -1) {
    const userInfo = authority.slice(0, at);
    authority = authority.slice(at + 1);
    const colon = userInfo.indexOf(':');
    if (colon <= 0) {
      throw bad('credentials must be written user:password@');
    }
    auth = { user: userInfo.slice(0, colon), password: userInfo.slice(colon + 1) };
  }

  if (authority === '') {
    throw bad('it names no ZooKeeper host');
  }
  const hosts = authority.split(',').map((part) => parseHost(part, bad));

  const display = auth ? `zk://${auth.user}:***@${authority}${path}` : `zk://${authority}${path}`;
  return { hosts, path, auth, display };
}

/** The URL with any "user:password@" password masked. */
export function redact(url: string): string {
  return url.replace(/^(zk:\/\/[^/@:]*:)[^/]*@/i, '$1***@');
}

/** "host:port", bracketing IPv6 literals. */
export function formatHost(h: ZkHost): string {
  return joinHostPort(h.host, h.port);
}

function parseHost(part: string, bad: (problem: string) => ZkUrlError): ZkHost {
  const item = part.trim();
  if (item === '') {
    throw bad('it has an empty host between commas');
  }
  let host: string;
  let portText: string | undefined;
  if (item.startsWith('[')) {
    const close = item.indexOf(']');
    if (close === -1) {
      throw bad(`host "${item}" opens "[" without closing "]"`);
    }
    host = item.slice(1, close);
    const after = item.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) {
      throw bad(`host "${item}" has text after "]" that is not ":port"`);
    }
    portText = after === '' ? undefined : after.slice(1);
    if (!isIPv6(host)) {
      throw bad(`"${host}" in brackets is not an IPv6 address`);
    }
  } else {
    const colons = item.split(':').length - 1;
    if (colons > 1) {
      throw bad(`host "${item}" looks like a bare IPv6 address; write it as [addr]:port`);
    }
    const colon = item.indexOf(':');
    host = colon === -1 ? item : item.slice(0, colon);
    portText = colon === -1 ? undefined : item.slice(colon + 1);
    if (!isIPv4(host) && (!HOSTNAME.test(host) || /^[\d.]+$/.test(host))) {
      throw bad(`"${host}" is not a valid hostname or IPv4 address`);
    }
  }
  let port = DEFAULT_ZK_PORT;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw bad(`port "${portText}" of host "${host}" must be a number from 1 to 65535`);
    }
    port = Number(portText);
  }
  return { host, port };
}

function normalisePath(rawPath: string, bad: (problem: string) => ZkUrlError): string {
  // Mesos tolerates a trailing slash ("/mesos/"); ZooKeeper paths must not end in one.
  const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, '') : rawPath;
  if (path === '/' || path === '') {
    throw bad('its path is "/"; Mesos masters register under a path such as /mesos');
  }
  for (const segment of path.slice(1).split('/')) {
    if (segment === '') {
      throw bad(`path "${rawPath}" has an empty segment ("//")`);
    }
    if (segment === '.' || segment === '..') {
      throw bad(`path "${rawPath}" may not contain "." or ".." segments`);
    }
    if (hasForbiddenChar(segment)) {
      throw bad(`path "${rawPath}" contains a control character, "?" or "#"`);
    }
  }
  return path;
}

/** Control characters break ZooKeeper paths; "?" and "#" mean a mistyped URL. */
function hasForbiddenChar(segment: string): boolean {
  for (let i = 0; i < segment.length; i++) {
    const code = segment.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || code === 0x3f || code === 0x23) {
      return true;
    }
  }
  return false;
}
