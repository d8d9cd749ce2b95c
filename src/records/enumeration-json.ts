// /v1/enumerate's body as mesos-dns writes it, rendered as a list of UTF-8 chunks whose
// concatenation is the JSON. The load (or stream) worker renders it when asked and hands the
// chunks over without a copy, so the serving thread holds a few large buffers outside its heap
// instead of a million small objects (which it would have to deserialize and garbage-collect,
// stalling DNS answers), and never the text as a string.
import type { EnumerationFramework, EnumerationRecord, EnumerationTask } from './recordset.ts';

/** Fragment size: small enough to copy between threads in well under a millisecond. */
export const ENUMERATION_FRAGMENT_CHARS = 256 * 1024;

/**
 * The body, newline-terminated, in chunks of about `fragmentChars` characters, each encoded as
 * soon as its text is complete: the renderer never holds the whole document twice (72 MB at
 * 50,000 tasks). Each chunk owns its ArrayBuffer, so a worker can transfer it without a copy.
 */
export function enumerationBytes(
  frameworks: readonly EnumerationFramework[],
  fragmentChars = ENUMERATION_FRAGMENT_CHARS,
): Uint8Array[] {
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [];
  renderEnumeration(frameworks, fragmentChars, (fragment) => chunks.push(encoder.encode(fragment)));
  return chunks;
}

function renderEnumeration(
  frameworks: readonly EnumerationFramework[],
  fragmentChars: number,
  emit: (fragment: string) => void,
): void {
  let current = '{"frameworks":[';
  const push = (text: string): void => {
    current += text;
    if (current.length >= fragmentChars) {
      emit(current);
      current = '';
    }
  };
  frameworks.forEach((framework, i) => {
    push(i === 0 ? '{"tasks":[' : ',{"tasks":[');
    framework.tasks.forEach((task, j) => {
      // Key order as mesos-dns's Go structs declare them.
      const records = enumerationRecords(task).map((r) => ({
        name: r.name,
        host: r.host,
        rtype: r.rtype,
      }));
      const json = JSON.stringify({ name: task.name, id: task.id, records });
      push(j === 0 ? json : `,${json}`);
    });
    push(`],"name":${JSON.stringify(framework.frameworkname)}}`);
  });
  emit(`${current}]}\n`);
}

/** A task's records (stored as flat rtype/name/host triples) as EnumerationRecords. */
export function enumerationRecords(task: EnumerationTask): EnumerationRecord[] {
  const out: EnumerationRecord[] = [];
  const r = task.records;
  for (let i = 0; i + 2 < r.length; i += 3) {
    out.push({ rtype: r[i] as EnumerationRecord['rtype'], name: r[i + 1]!, host: r[i + 2]! });
  }
  return out;
}
