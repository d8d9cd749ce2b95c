// Maps numeric DNS query types onto a small fixed set of metric label values, so a client
// sending random qtypes cannot grow the number of Prometheus series.

/** Label values, in index order; everything not listed counts as OTHER. */
export const QTYPE_LABELS = [
  'A',
  'NS',
  'CNAME',
  'SOA',
  'PTR',
  'MX',
  'TXT',
  'AAAA',
  'SRV',
  'HTTPS',
  'AXFR',
  'ANY',
  'OTHER',
] as const;

export type QtypeLabel = (typeof QTYPE_LABELS)[number];

const CODES: Readonly<Record<Exclude<QtypeLabel, 'OTHER'>, number>> = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  HTTPS: 65,
  AXFR: 252,
  ANY: 255,
};

export const QTYPE_OTHER = QTYPE_LABELS.length - 1;

/** Index into QTYPE_LABELS for qtypes 0..255; larger or invalid codes are OTHER. */
const TABLE: Uint8Array = (() => {
  const table = new Uint8Array(256).fill(QTYPE_OTHER);
  QTYPE_LABELS.forEach((label, index) => {
    if (label !== 'OTHER') table[CODES[label]] = index;
  });
  return table;
})();

export function qtypeIndex(qtype: number): number {
  // Out-of-range, fractional and NaN reads of a typed array give undefined.
  return TABLE[qtype] ?? QTYPE_OTHER;
}
