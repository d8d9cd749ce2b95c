// DNS label sanitising, character for character as mesos-dns's records/labels package
// (labels.go): task and port names become one label, framework names one label per dot.

/** Turns arbitrary text into one DNS label ("" when nothing valid is left). */
export type LabelSpec = (name: string) => string;

const DASH = 45; // '-'

/** RFC 952 host label: letters, digits and '-', starts with a letter, at most 24 chars. */
export function rfc952(name: string): string {
  return label(name, 24, true);
}

/** RFC 1123 host label: letters, digits and '-', starts with a letter or digit, at most 63. */
export function rfc1123(name: string): string {
  return label(name, 63, false);
}

/**
 * Sanitises each dot-separated part of `name` with `spec`, drops the parts that come out
 * empty and joins the rest with dots (mesos-dns's labels.DomainFrag with Sep ".").
 */
export function domainFrag(name: string, spec: LabelSpec): string {
  let out = '';
  let start = 0;
  for (;;) {
    const dot = name.indexOf('.', start);
    const part = spec(dot === -1 ? name.slice(start) : name.slice(start, dot));
    if (part !== '') out = out === '' ? part : out + '.' + part;
    if (dot === -1) return out;
    start = dot + 1;
  }
}

/** True when `name` already is what `label` would return, so the common case allocates nothing. */
function alreadyValid(name: string, maxlen: number, noLeadingDigit: boolean): boolean {
  const n = name.length;
  if (n === 0 || n > maxlen) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c >= 97 && c <= 122) continue;
    if (c >= 48 && c <= 57) {
      if (i === 0 && noLeadingDigit) return false;
      continue;
    }
    if (c === DASH && i !== 0 && i !== n - 1) continue;
    return false;
  }
  return true;
}

// mesos-dns: trimCut(bytes.Map(mapping, name), maxlen, left, right) with left "-" (RFC 1123)
// or "-0123456789" (RFC 952) and right "-".
function label(name: string, maxlen: number, noLeadingDigit: boolean): string {
  if (alreadyValid(name, maxlen, noLeadingDigit)) return name;

  // mapping: upper → lower, [a-z0-9] kept, '-' '.' '_' → '-', everything else dropped; the
  // left trim is folded in by skipping leading dashes (and digits for RFC 952).
  let mapped = '';
  for (let i = 0; i < name.length; i++) {
    let c = name.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    else if (c === 46 || c === 95) c = DASH;
    if (c >= 97 && c <= 122) {
      mapped += String.fromCharCode(c);
    } else if (c >= 48 && c <= 57) {
      if (mapped === '' && noLeadingDigit) continue;
      mapped += String.fromCharCode(c);
    } else if (c === DASH) {
      if (mapped !== '') mapped += '-';
    }
  }

  const size = Math.min(mapped.length, maxlen);
  let headEnd = size;
  while (headEnd > 0 && mapped.charCodeAt(headEnd - 1) === DASH) headEnd--;
  const head = mapped.slice(0, headEnd);
  if (headEnd === size) return head;
  // The cut landed in a run of dashes: mesos-dns refills the freed room from what follows.
  let tailStart = size;
  while (tailStart < mapped.length && mapped.charCodeAt(tailStart) === DASH) tailStart++;
  if (tailStart === mapped.length) return head;
  return head + mapped.slice(tailStart, tailStart + (size - headEnd));
}
