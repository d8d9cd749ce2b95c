// Turns a host or service name from a URL path into the record set's key form (lower-case,
// absolute) or says precisely why it is no name at all.

/**
 * Letters, digits, hyphen, and the underscore SRV names start with. No 63-character limit: a
 * canonical task name ("<task>-<hash>-<agent>") can have a longer first label; it cannot be
 * asked over DNS, but mesos-dns serves it over HTTP, and so do we.
 */
const LABEL = /^[a-z0-9_-]+$/;
const MAX_NAME_LENGTH = 253;

/** mesos-dns's key for a path parameter: lower-case, ".*" wildcards gone, absolute. */
export function recordKey(raw: string): string {
  const name = raw.toLowerCase().replaceAll('.*', '');
  return name.endsWith('.') ? name : `${name}.`;
}

export type NameResult =
  { readonly ok: true; readonly name: string } | { readonly ok: false; readonly reason: string };

export function parseLookupName(raw: string): NameResult {
  // mesos-dns strips ".*" wildcards before looking a name up; so do we, for the same answers.
  let name = raw.toLowerCase().replaceAll('.*', '');
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name === '') return { ok: false, reason: 'the name is empty' };
  if (name.length > MAX_NAME_LENGTH) {
    return {
      ok: false,
      reason: `the name is ${name.length} characters long; DNS names have at most ${MAX_NAME_LENGTH}`,
    };
  }
  for (const label of name.split('.')) {
    if (label === '')
      return { ok: false, reason: `"${raw}" has an empty label (two dots in a row)` };
    if (!LABEL.test(label)) {
      return {
        ok: false,
        reason: `label "${label}" may only contain letters, digits, "-" and "_"`,
      };
    }
  }
  return { ok: true, name: `${name}.` };
}

/** `name` is absolute and lower-case; `domain` is lower-case without the trailing dot. */
export function inDomain(name: string, domain: string): boolean {
  return name === `${domain}.` || name.endsWith(`.${domain}.`);
}
