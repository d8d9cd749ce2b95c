// Builds dnsperf query files ("name TYPE" lines) from the RecordSet the server will answer
// from: task A names, task SRV names, and a mix with NXDOMAIN and infrastructure names.
import { enumerationFrameworks } from '../src/records/enumeration-json.ts';
import { writeFileSync } from 'node:fs';
import type { RecordSet } from '../src/records/recordset.ts';

export interface QuerySets {
  /** Every distinct task A name (the names /v1/enumerate lists with rtype A). */
  readonly a: readonly string[];
  /** Every distinct `_task._tcp.framework.domain` SRV name. */
  readonly srv: readonly string[];
  /** Weighted mix, see MIX_WEIGHTS. */
  readonly mixed: readonly string[];
}

/** Share of each kind of line in the mixed file; NXDOMAIN is the 20 % the brief asks for. */
export const MIX_WEIGHTS = {
  a: 0.4,
  srv: 0.25,
  nxdomain: 0.2,
  soa: 0.05,
  ns: 0.05,
  leader: 0.025,
  master: 0.025,
} as const;

export type MixKind = keyof typeof MIX_WEIGHTS;

/** xorshift32: the same files on every run, so results compare across runs. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
  return items;
}

function bare(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** The kind of line at each position of a mix of `count` lines, in exact proportions. */
export function mixKinds(count: number, random: () => number): MixKind[] {
  const kinds: MixKind[] = [];
  const entries = Object.entries(MIX_WEIGHTS) as [MixKind, number][];
  for (const [kind, weight] of entries) {
    const n = Math.round(count * weight);
    for (let i = 0; i < n && kinds.length < count; i++) kinds.push(kind);
  }
  while (kinds.length < count) kinds.push('a');
  return shuffle(kinds, random);
}

export interface QuerySetOptions {
  /** Lines in the mixed file (default 20,000). */
  readonly mixedLines?: number;
  readonly seed?: number;
}

export function buildQuerySets(set: RecordSet, options: QuerySetOptions = {}): QuerySets {
  const random = seededRandom(options.seed ?? 1);
  const aNames = new Set<string>();
  const srvNames = new Set<string>();
  for (const framework of enumerationFrameworks(set)) {
    for (const task of framework.tasks) {
      for (const record of task.records) {
        if (record.rtype === 'A') aNames.add(bare(record.name));
        else if (record.rtype === 'SRV' && record.name.includes('._tcp.')) {
          srvNames.add(bare(record.name));
        }
      }
    }
  }
  if (aNames.size === 0 || srvNames.size === 0) {
    throw new Error(
      `query files: the record set has ${aNames.size} task A names and ${srvNames.size} SRV names; ` +
        'the benchmark needs a cluster with running tasks that hold ports',
    );
  }
  const a = shuffle(
    [...aNames].map((n) => `${n} A`),
    random,
  );
  const srv = shuffle(
    [...srvNames].map((n) => `${n} SRV`),
    random,
  );

  const domain = set.domain;
  const taken = (name: string): boolean =>
    set.a.has(name) || set.aaaa.has(name) || set.srv.has(name);
  const kinds = mixKinds(options.mixedLines ?? 20_000, random);
  const mixed: string[] = [];
  let ai = 0;
  let si = 0;
  let nx = 0;
  for (const kind of kinds) {
    switch (kind) {
      case 'a':
        mixed.push(a[ai++ % a.length]!);
        break;
      case 'srv':
        mixed.push(srv[si++ % srv.length]!);
        break;
      case 'nxdomain': {
        // Shaped like task names, so the lookup walks the same code as a hit would.
        let name = `nx-${nx++}.marathon.${domain}.`;
        while (taken(name)) name = `nx-${nx++}.marathon.${domain}.`;
        mixed.push(`${bare(name)} A`);
        break;
      }
      case 'soa':
        mixed.push(`${domain} SOA`);
        break;
      case 'ns':
        mixed.push(`${domain} NS`);
        break;
      case 'leader':
        mixed.push(`leader.${domain} A`);
        break;
      case 'master':
        mixed.push(`master.${domain} A`);
        break;
    }
  }
  return { a, srv, mixed };
}

export function writeQueryFile(path: string, lines: readonly string[]): void {
  writeFileSync(path, `${lines.join('\n')}\n`);
}
