// DNS names as the config writes them: validation with a message that says what is wrong, the one
// normal form zone and domain names are compared in, and the SOA mailbox's "@".

const HOST_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** Renders a value for a message, short enough to keep the line readable. */
function show(value: string): string {
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Why `name` is not a usable DNS name (labels of letters, digits, inner hyphens), or undefined. */
export function dnsNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name.length > 253) return 'is longer than 253 characters';
  for (const label of name.split('.')) {
    if (label === '') return 'has an empty label';
    if (!HOST_LABEL.test(label)) {
      return `has label ${show(label)}; labels are 1-63 letters, digits and inner hyphens`;
    }
  }
  return undefined;
}

/** A zone or domain name lower-case without surrounding dots ("Mesos." → "mesos"), as every lookup compares names. */
export function canonicalZoneName(name: string): string {
  return name.toLowerCase().replace(/^\.+/, '').replace(/\.+$/, '');
}

/** The name an SOA RNAME mailbox stands for, without the trailing dot: mesos-dns lets "@" stand for a dot. */
export function soaRnameAsName(rname: string): string {
  return rname.replaceAll('@', '.').replace(/\.+$/, '');
}

/** SOA RNAME made absolute, as mesos-dns does when it loads config.json ("root@ns1.mesos" → "root.ns1.mesos."). */
export function absoluteSoaRname(rname: string): string {
  return `${soaRnameAsName(rname)}.`;
}

/** SOA MNAME made absolute ("ns1.mesos" → "ns1.mesos."). */
export function absoluteSoaMname(mname: string): string {
  return `${mname.replace(/\.+$/, '')}.`;
}

/**
 * A name from config that is compared with names read off the wire (TSIG key names), in the
 * form dns/names.ts's nameKey gives the same name: lower-case and absolute ("Xfr" → "xfr.").
 * Labels are 1-63 printable ASCII characters other than "." and "\" (no escapes). Throws saying
 * what is wrong.
 */
export function absoluteNameKey(name: string): string {
  const labels = name.replace(/\.$/, '').split('.');
  if (name === '' || name === '.') throw new Error('is the root; name it');
  let wire = 1;
  for (const label of labels) {
    if (label === '') throw new Error('has an empty label');
    if (label.length > 63) throw new Error(`has label ${show(label)} longer than 63 characters`);
    if (!/^[\x21-\x7e]+$/.test(label) || label.includes('\\')) {
      throw new Error(
        `has label ${show(label)}; use printable ASCII without spaces or backslashes`,
      );
    }
    wire += label.length + 1;
  }
  if (wire > 255) throw new Error('is longer than 255 bytes');
  return `${labels.join('.').toLowerCase()}.`;
}
