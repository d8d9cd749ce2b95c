// Resolves the host names in a state that are not IP literals (agents, frameworks, masters)
// before generation, which is pure and does no lookups. Each lookup has its own deadline.
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { splitHostPort } from '../net/host-port.ts';
import { listOf } from '../records/list-of.ts';
import { agentHost, frameworkHost, leaderAddress } from '../records/state-hosts.ts';
import type { LazyMesosState } from '../state/types.ts';

export type Lookup = (hostname: string) => Promise<readonly string[]>;

export interface ResolveOptions {
  readonly timeoutMs: number;
  /** At most this many lookups in flight (getaddrinfo runs on libuv's small thread pool). */
  readonly concurrency?: number;
  readonly lookup?: Lookup;
}

const systemLookup: Lookup = async (hostname) =>
  (await dnsLookup(hostname, { all: true, order: 'verbatim' })).map((a) => a.address);

/**
 * The names generation takes addresses from that are not IP literals: each agent's and
 * framework's host as generation picks it (the pid's host; `hostname` only without a readable
 * pid), the leader's, the masters'. Keys are kept exactly as written, since generation looks
 * them up that way.
 */
export function hostsToResolve(state: LazyMesosState, masters: readonly string[]): string[] {
  const names = new Set<string>();
  const add = (host: string | undefined): void => {
    if (typeof host !== 'string' || host === '' || isIP(host) !== 0) return;
    names.add(host);
  };
  for (const agent of listOf(state.slaves)) if (isObject(agent)) add(agentHost(agent).host);
  for (const framework of listOf(state.frameworks)) {
    if (isObject(framework)) add(frameworkHost(framework).host);
  }
  add(leaderAddress(state.leader)?.hp.host);
  for (const master of masters) add(splitHostPort(master)?.host);
  return [...names];
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`lookup of ${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface ResolveResult {
  readonly resolved: Map<string, readonly string[]>;
  /** One message per name that did not resolve. */
  readonly failures: string[];
}

export async function resolveHosts(
  names: readonly string[],
  options: ResolveOptions,
): Promise<ResolveResult> {
  const lookup = options.lookup ?? systemLookup;
  const resolved = new Map<string, readonly string[]>();
  const failures: string[] = [];
  let next = 0;
  const run = async (): Promise<void> => {
    while (next < names.length) {
      const name = names[next++]!;
      try {
        const addresses = await withTimeout(lookup(name), options.timeoutMs, name);
        if (addresses.length > 0) resolved.set(name, addresses);
        else failures.push(`${name}: no addresses`);
      } catch (error) {
        failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 8, names.length));
  await Promise.all(Array.from({ length: workers }, run));
  return { resolved, failures };
}
