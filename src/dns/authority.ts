// Decides what the server says about a name in its domain and encodes it once, as RR byte slices
// that response.ts can send in any order. This is the slow path; answer-cache.ts memoises it.
import { findEmptyNonTerminals } from '../records/empty-non-terminals.ts';
import type { Config } from '../config/types.ts';
import type { RecordSet } from '../records/recordset.ts';
import { absoluteSoaRname } from '../net/dns-name.ts';
import type { QueryOutcome } from './observer.ts';
import { absoluteName, nameKey, nameToWire, splitName } from './names.ts';
import { NameCompressor, RREncoder, type SoaFields } from './rr-encode.ts';
import {
  HEADER_SIZE,
  RCODE_NOERROR,
  RCODE_NXDOMAIN,
  RCODE_REFUSED,
  TYPE_A,
  TYPE_AAAA,
  TYPE_ANY,
  TYPE_AXFR,
  TYPE_IXFR,
  TYPE_NS,
  TYPE_PTR,
  TYPE_SOA,
  TYPE_SRV,
} from './wire.ts';

/** The zone's fixed facts, derived once from the config. */
export class Zone {
  /** "mesos." */
  readonly apexKey: string;
  /** Lower-case wire form of the apex, for in-domain checks on the query bytes. */
  readonly apexWire: Uint8Array;
  readonly ttl: number;
  /** RFC 2308 §5: negative answers are cached for min(SOA TTL, SOA MINIMUM). */
  readonly negativeTtl: number;
  readonly mname: string;
  readonly mnameKey: string;
  readonly rname: string;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  readonly minttl: number;
  /** The SOA serial of the set in service (RecordSet.serial), taken by the handler on each swap. */
  serial = 1;

  /** The cluster domain's zone, or with `apex` another zone with the same SOA (reverse trees). */
  constructor(config: Config, apex: string = config.domain) {
    this.apexKey = nameKey(apex);
    this.apexWire = nameToWire(this.apexKey);
    this.ttl = config.ttl >>> 0;
    this.minttl = config.SOAMinttl >>> 0;
    this.negativeTtl = Math.min(this.ttl, this.minttl);
    this.mname = absoluteName(config.SOAMname);
    this.mnameKey = nameKey(this.mname);
    // mesos-dns lets "@" stand for a dot in the mailbox, as people write it.
    this.rname = absoluteSoaRname(config.SOARname);
    splitName(this.rname);
    this.refresh = config.SOARefresh >>> 0;
    this.retry = config.SOARetry >>> 0;
    this.expire = config.SOAExpire >>> 0;
  }

  soaFields(): SoaFields {
    return {
      mname: this.mname,
      rname: this.rname,
      serial: this.serial >>> 0,
      refresh: this.refresh,
      retry: this.retry,
      expire: this.expire,
      minttl: this.minttl,
    };
  }
}

/** An answer ready to send: everything but the header and question. */
export interface PreparedAnswer {
  readonly rcode: number;
  readonly outcome: QueryOutcome;
  /** Answer RRs; only ever point into the question, so any order is valid (response.ts shuffles). */
  readonly answers: Uint8Array[];
  readonly authority: readonly Uint8Array[];
  /** Fixed order; names may point at earlier additional RRs, so drop only from the end. */
  readonly additional: readonly Uint8Array[];
}

const emptyNames = new WeakMap<RecordSet, ReadonlySet<string>>();

/** The set's empty non-terminals: shipped with it by the load worker, else found once here. */
export function emptyNonTerminals(set: RecordSet): ReadonlySet<string> {
  if (set.emptyNonTerminals !== undefined) return set.emptyNonTerminals;
  let found = emptyNames.get(set);
  if (found === undefined) {
    found = new Set(findEmptyNonTerminals(set));
    emptyNames.set(set, found);
  }
  return found;
}

function nameExists(set: RecordSet, zone: Zone, key: string): boolean {
  return (
    key === zone.apexKey ||
    set.a.has(key) ||
    set.aaaa.has(key) ||
    set.srv.has(key) ||
    emptyNonTerminals(set).has(key)
  );
}

/** Wire length of the question name for `key`. */
function wireLength(key: string): number {
  let n = 1;
  for (const l of splitName(key)) n += l.length + 1;
  return n;
}

/**
 * Builds the answer for (`key`, `qtype`) in class IN, where `key` is the lower-case question name
 * (ParsedQuery.key), known to be inside the zone. Compression offsets assume the question sits at
 * offset 12 with the same wire length as `key` — true for every case variant of the name.
 */
export function prepareAnswer(
  zone: Zone,
  set: RecordSet,
  key: string,
  qtype: number,
): PreparedAnswer {
  const qnameLength = wireLength(key);
  const questionEnd = HEADER_SIZE + qnameLength + 4;
  const apexPointer = HEADER_SIZE + qnameLength - zone.apexWire.length;
  const compressor = new NameCompressor();
  compressor.addQuestion(key);
  const owner = { pointer: HEADER_SIZE };

  if (qtype === TYPE_AXFR || qtype === TYPE_IXFR) {
    // Zone transfers are not offered: the zone is rebuilt from Mesos state, not replicated.
    return { rcode: RCODE_REFUSED, outcome: 'refused', answers: [], authority: [], additional: [] };
  }

  const negative = (rcode: number, outcome: QueryOutcome): PreparedAnswer => {
    const enc = new RREncoder(compressor, questionEnd, false);
    const soa = enc.soa({ pointer: apexPointer }, zone.negativeTtl, zone.soaFields());
    return { rcode, outcome, answers: [], authority: [soa], additional: [] };
  };

  if (!nameExists(set, zone, key)) return negative(RCODE_NXDOMAIN, 'nxdomain');

  const ans = new RREncoder(compressor, questionEnd, false);
  const answers: Uint8Array[] = [];
  // Names whose addresses go to ADDITIONAL.
  let wantsNameserver = false;
  const srvTargets: string[] = [];
  const any = qtype === TYPE_ANY;
  const isApex = key === zone.apexKey;
  const push = (rr: Uint8Array | null): void => {
    if (rr) answers.push(rr);
  };

  if (isApex && (qtype === TYPE_SOA || any)) {
    push(ans.soa(owner, zone.ttl, zone.soaFields()));
    wantsNameserver = true;
  }
  if (isApex && (qtype === TYPE_NS || any)) {
    push(ans.ns(owner, zone.ttl, zone.mname));
    wantsNameserver = true;
  }
  if (qtype === TYPE_A || any) {
    for (const ip of set.a.get(key) ?? []) push(ans.address(owner, zone.ttl, ip, false));
  }
  if (qtype === TYPE_AAAA || any) {
    for (const ip of set.aaaa.get(key) ?? []) push(ans.address(owner, zone.ttl, ip, true));
  }
  if (qtype === TYPE_SRV || any) {
    for (const srv of set.srv.get(key) ?? []) {
      push(ans.srv(owner, zone.ttl, srv.priority, srv.weight, srv.port, srv.target));
      srvTargets.push(srv.target);
    }
  }
  if (answers.length === 0) return negative(RCODE_NOERROR, 'nodata');

  let answersLength = 0;
  for (const rr of answers) answersLength += rr.length;
  const add = new RREncoder(compressor, questionEnd + answersLength, true);
  const additional: Uint8Array[] = [];
  const seen = new Set<string>();
  const addAddresses = (target: string, perFamily: number): void => {
    if (seen.has(target)) return;
    seen.add(target);
    for (const [ips, v6] of [
      [set.a.get(target), false],
      [set.aaaa.get(target), true],
    ] as const) {
      let n = 0;
      for (const ip of ips ?? []) {
        if (n++ >= perFamily) break;
        const rr = add.address({ name: target }, zone.ttl, ip, v6);
        if (rr) additional.push(rr);
      }
    }
  };
  if (wantsNameserver) addAddresses(zone.mnameKey, Infinity);
  // An SRV target gets one A and one AAAA, as mesos-dns's handleSRV (rs.As.First).
  for (const target of srvTargets) addAddresses(target, 1);
  return { rcode: RCODE_NOERROR, outcome: 'authoritative', answers, authority: [], additional };
}

/** The apexes of the reverse trees whose names ptron answers (and transfers, with transferAllow). */
export const REVERSE_APEXES = ['in-addr.arpa.', 'ip6.arpa.'] as const;

/**
 * Answers a reverse name the set holds (`set.ptr.has(key)`; config ptron). The server speaks
 * only for these names, not for whole reverse zones (agent addresses belong to the site's own),
 * so a negative answer carries the SOA of the reverse tree's apex, an ancestor of every such name.
 */
export function prepareReverseAnswer(
  zone: Zone,
  set: RecordSet,
  key: string,
  qtype: number,
): PreparedAnswer {
  const qnameLength = wireLength(key);
  const questionEnd = HEADER_SIZE + qnameLength + 4;
  const compressor = new NameCompressor();
  compressor.addQuestion(key);
  if ((REVERSE_APEXES as readonly string[]).includes(key)) {
    // The apex itself, asked only when the reverse trees are transferred (see the handler): its
    // SOA and NS, so secondaries can check the serial they hold.
    const enc = new RREncoder(compressor, questionEnd, false);
    const answers: Uint8Array[] = [];
    const apex = { pointer: HEADER_SIZE };
    if (qtype === TYPE_SOA || qtype === TYPE_ANY) {
      answers.push(enc.soa(apex, zone.ttl, zone.soaFields()));
    }
    if (qtype === TYPE_NS || qtype === TYPE_ANY) answers.push(enc.ns(apex, zone.ttl, zone.mname));
    if (answers.length > 0) {
      return {
        rcode: RCODE_NOERROR,
        outcome: 'authoritative',
        answers,
        authority: [],
        additional: [],
      };
    }
  }
  const targets = qtype === TYPE_PTR || qtype === TYPE_ANY ? set.ptr.get(key) : undefined;
  if (targets === undefined || targets.length === 0) {
    const apex =
      REVERSE_APEXES.find((a) => key === a || key.endsWith('.' + a)) ?? REVERSE_APEXES[0];
    const apexPointer = HEADER_SIZE + qnameLength - wireLength(apex);
    const enc = new RREncoder(compressor, questionEnd, false);
    const soa = enc.soa({ pointer: apexPointer }, zone.negativeTtl, zone.soaFields());
    return {
      rcode: RCODE_NOERROR,
      outcome: 'nodata',
      answers: [],
      authority: [soa],
      additional: [],
    };
  }
  // Targets are not registered for compression: answers are shuffled, so one may not point
  // into another.
  const enc = new RREncoder(compressor, questionEnd, false);
  const answers = targets.map((t) => enc.ptr({ pointer: HEADER_SIZE }, zone.ttl, t));
  return { rcode: RCODE_NOERROR, outcome: 'authoritative', answers, authority: [], additional: [] };
}
