// The one home for "host:port" and libprocess "id@host:port" text, wherever it comes from (config
// masters, Mesos state, ZooKeeper MasterInfo) and the one canonical text form endpoints are
// compared in. IPv6 hosts come bracketed ("[2001:db8::1]:5050"), as Go's net.SplitHostPort, except
// in UPIDs, which Mesos also writes bare ("master@fd00::1:5050").
import { isIP, isIPv6 } from 'node:net';

import { dnsNameProblem } from './dns-name.ts';
import { parseIp } from './ip.ts';

export interface HostPort {
  readonly host: string;
  readonly port: string;
}

/** Go's net.SplitHostPort: null when there is no port or an unbracketed host has a colon. */
export function splitHostPort(text: string): HostPort | null {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close === -1 || text.charCodeAt(close + 1) !== 58 /* ':' */) return null;
    const port = text.slice(close + 2);
    if (port.includes(':') || port.includes('[') || port.includes(']')) return null;
    return { host: text.slice(1, close), port };
  }
  const colon = text.lastIndexOf(':');
  if (colon === -1) return null;
  const host = text.slice(0, colon);
  if (host.includes(':') || host.includes('[') || host.includes(']')) return null;
  return { host, port: text.slice(colon + 1) };
}

/**
 * A libprocess UPID "id@host:port" (agent and framework `pid`, state `leader`, MasterInfo `pid`).
 * null unless it has exactly one '@' and a host with a numeric port, as mesos-dns's upid.Parse
 * requires; an IPv6 host may be bracketed or bare, since Mesos writes both.
 */
export function parseUpid(text: string): HostPort | null {
  const at = text.indexOf('@');
  if (at === -1 || text.indexOf('@', at + 1) !== -1) return null;
  const address = text.slice(at + 1);
  let hp = splitHostPort(address);
  if (hp === null) {
    const colon = address.lastIndexOf(':');
    const host = address.slice(0, colon);
    if (colon > 0 && isIPv6(host)) hp = { host, port: address.slice(colon + 1) };
  }
  if (!hp || hp.host === '' || !isPort(hp.port)) return null;
  return hp;
}

/** Decimal digits naming a port 0-65535. */
export function isPort(s: string): boolean {
  if (s.length === 0 || s.length > 5) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return Number(s) <= 65535;
}

/** "host:port", bracketing an IPv6 host (Go's net.JoinHostPort). */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The one text form of a host: an IP literal canonical (RFC 5952), a name lower-case. */
export function canonicalHost(host: string): string {
  return parseIp(host)?.address ?? host.toLowerCase();
}

/** The one text form of an endpoint, the form endpoints are compared in: "10.0.0.1:5050", "[fd00::1]:5050". */
export function canonicalHostPort(host: string, port: number | string): string {
  return joinHostPort(canonicalHost(host), Number(port));
}

/** True when `host` is an IP literal (a v6 zone allowed) or a DNS host name (a trailing dot allowed). */
export function isHost(host: string): boolean {
  return isIP(host) !== 0 || dnsNameProblem(host.replace(/\.$/, '')) === undefined;
}

/**
 * A master address as configured, "host:port" with an IP or host name and a port 1-65535, in
 * canonical form; undefined when it is not one.
 */
export function canonicalEndpoint(text: string): string | undefined {
  const hp = splitHostPort(text);
  if (!hp || !isHost(hp.host) || !isPort(hp.port) || Number(hp.port) === 0) return undefined;
  // Brackets are for IPv6 literals only.
  if (text.startsWith('[') && !isIPv6(hp.host)) return undefined;
  return canonicalHostPort(hp.host, hp.port);
}

/**
 * The canonical "host:port" a UPID names, for contacting that process (a port of 0 cannot be);
 * null when there is none. "master@fd00::1:5050" → "[fd00::1]:5050".
 */
export function upidAddress(upid: string | undefined): string | null {
  if (upid === undefined) return null;
  const hp = parseUpid(upid);
  if (!hp || Number(hp.port) === 0) return null;
  return canonicalHostPort(hp.host, hp.port);
}

export interface IpEndpoint {
  /** Canonical IP text (parseIp). */
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
}

/**
 * An IP endpoint as configured: "10.0.0.7:53", "[fd00::7]:53", or a bare IP ("10.0.0.7",
 * "fd00::7", "[fd00::7]") taking `defaultPort`; the port 1-65535. null for anything else (host
 * names included: these are addresses to send to, not to resolve).
 */
export function parseIpEndpoint(text: string, defaultPort: number): IpEndpoint | null {
  const bare = parseIp(/^\[.*\]$/.test(text) ? text.slice(1, -1) : text);
  if (bare !== null) {
    if (text.startsWith('[') && !text.includes(':')) return null;
    return { host: bare.address, port: defaultPort, family: bare.family };
  }
  const hp = splitHostPort(text);
  if (hp === null || !isPort(hp.port) || Number(hp.port) === 0) return null;
  const ip = parseIp(hp.host);
  // Brackets are for IPv6 literals only (splitHostPort already refuses bare ones with a port).
  if (ip === null || text.startsWith('[') !== hp.host.includes(':')) return null;
  return { host: ip.address, port: Number(hp.port), family: ip.family };
}
