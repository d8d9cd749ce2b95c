// What a Mesos master writes into ZooKeeper: classifies group children (json.info_N, legacy info_N)
// and turns a MasterInfo JSON payload into the "host:port" the state poller should contact.
import { canonicalHostPort, upidAddress } from '../../net/host-port.ts';

export type GroupChild =
  | { readonly kind: 'json'; readonly name: string; readonly sequence: number }
  | { readonly kind: 'legacy'; readonly name: string; readonly sequence: number }
  | { readonly kind: 'other'; readonly name: string };

const JSON_INFO = /^json\.info_(\d+)$/;
const LEGACY_INFO = /^info_(\d+)$/;

export function classifyChild(name: string): GroupChild {
  const json = JSON_INFO.exec(name);
  if (json?.[1] !== undefined) {
    return { kind: 'json', name, sequence: Number(json[1]) };
  }
  const legacy = LEGACY_INFO.exec(name);
  if (legacy?.[1] !== undefined) {
    return { kind: 'legacy', name, sequence: Number(legacy[1]) };
  }
  return { kind: 'other', name };
}

/** The json.info_ children, lowest sequence (the leader, per Mesos's group election) first. */
export function jsonInfoChildren(names: readonly string[]): { name: string; sequence: number }[] {
  const out: { name: string; sequence: number }[] = [];
  for (const name of names) {
    const child = classifyChild(name);
    if (child.kind === 'json') {
      out.push({ name: child.name, sequence: child.sequence });
    }
  }
  return out.sort((a, b) => a.sequence - b.sequence);
}

export class MasterInfoError extends Error {
  override name = 'MasterInfoError';
}

/**
 * "host:port" of a master from its MasterInfo JSON: address.ip, else address.hostname (with
 * address.port), else the pid's "ip:port" after "@". Throws MasterInfoError naming the node.
 */
export function masterAddress(node: string, data: Buffer | string): string {
  const text = typeof data === 'string' ? data : data.toString('utf8');
  let info: unknown;
  try {
    info = JSON.parse(text);
  } catch (err) {
    throw new MasterInfoError(
      `ZooKeeper node ${node} does not hold MasterInfo JSON (${(err as Error).message})`,
    );
  }
  if (!isRecord(info)) {
    throw new MasterInfoError(`ZooKeeper node ${node} holds JSON that is not a MasterInfo object`);
  }
  const address = isRecord(info.address) ? info.address : undefined;
  const port = validPort(address?.port) ?? validPort(info.port);
  const ip = nonEmptyString(address?.ip);
  const hostname = nonEmptyString(address?.hostname);
  if (ip !== undefined && port !== undefined) {
    return canonicalHostPort(ip, port);
  }
  if (hostname !== undefined && port !== undefined) {
    return canonicalHostPort(hostname, port);
  }
  const fromPid = upidAddress(nonEmptyString(info.pid));
  if (fromPid !== null) return fromPid;
  throw new MasterInfoError(
    `ZooKeeper node ${node} MasterInfo has no usable address (need address.ip and address.port, ` +
      `address.hostname, or a pid like master@10.0.0.1:5050)`,
  );
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nonEmptyString(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

function validPort(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 65535 ? v : undefined;
}
