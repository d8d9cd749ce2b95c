// Parses Mesos's port-range resource text ("[31000-31001, 31005-31005]") into port numbers,
// as mesos-dns's Resources.Ports does, but never throwing on text it cannot read.

/** Ports a single range may expand to; wider ranges are almost certainly bad input. */
const MAX_PORT = 65535;

/**
 * Expands `text` to its ports, in order. Unreadable ranges are skipped with a `warn` naming the
 * text; "" and "[]" mean no ports.
 */
export function parsePortRanges(text: string, warn?: (message: string) => void): number[] {
  const ports: number[] = [];
  if (text === '' || text === '[]') return ports;
  const open = text.indexOf('[');
  if (open === -1) {
    warn?.(`port resources ${JSON.stringify(text)} are not a "[lo-hi, ...]" range list; skipped`);
    return ports;
  }
  const close = text.indexOf(']', open + 1);
  const body = close === -1 ? text.slice(open + 1) : text.slice(open + 1, close);
  let start = 0;
  for (;;) {
    const comma = body.indexOf(',', start);
    const part = (comma === -1 ? body.slice(start) : body.slice(start, comma)).trim();
    addRange(part, ports, text, warn);
    if (comma === -1) return ports;
    start = comma + 1;
  }
}

function addRange(
  part: string,
  ports: number[],
  text: string,
  warn: ((message: string) => void) | undefined,
): void {
  const dash = part.indexOf('-');
  // mesos-dns reads the text on each side of the first '-' (a range without one panics there).
  const end = dash === -1 ? -1 : part.indexOf('-', dash + 1);
  const lo = dash === -1 ? NaN : parsePort(part.slice(0, dash));
  const hi =
    dash === -1 ? NaN : parsePort(end === -1 ? part.slice(dash + 1) : part.slice(dash + 1, end));
  if (Number.isNaN(lo) || Number.isNaN(hi)) {
    warn?.(`port range ${JSON.stringify(part)} in ${JSON.stringify(text)} is not "lo-hi"; skipped`);
    return;
  }
  if (hi > MAX_PORT) {
    warn?.(
      `port range ${JSON.stringify(part)} in ${JSON.stringify(text)} goes past 65535; skipped`,
    );
    return;
  }
  for (let p = lo; p <= hi; p++) ports.push(p);
}

/** Decimal digits only (Go's Atoi also takes a sign, which a port range never has). */
function parsePort(s: string): number {
  if (s.length === 0 || s.length > 10) return NaN;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return NaN;
    n = n * 10 + (c - 48);
  }
  return n;
}
