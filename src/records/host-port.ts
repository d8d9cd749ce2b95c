// Splits the "host:port" and libprocess "id@host:port" forms found in Mesos state and in the
// masters list; IPv6 hosts come bracketed ("[2001:db8::1]:5050"), as Go's net.SplitHostPort.

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
 * A libprocess UPID "id@host:port" (agent and framework `pid`, state `leader`). null unless it
 * has exactly one '@' and a host with a numeric port, as mesos-dns's upid.Parse requires.
 */
export function parseUpid(text: string): HostPort | null {
  const at = text.indexOf('@');
  if (at === -1 || text.indexOf('@', at + 1) !== -1) return null;
  const hp = splitHostPort(text.slice(at + 1));
  if (!hp || hp.host === '' || !isPort(hp.port)) return null;
  return hp;
}

function isPort(s: string): boolean {
  if (s.length === 0 || s.length > 5) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return Number(s) <= 65535;
}
