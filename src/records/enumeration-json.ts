// /v1/enumerate's body as mesos-dns writes it, rendered as a list of UTF-8 pieces whose
// concatenation is the JSON. The load (or stream) worker renders it when asked and hands the
// pieces over without a copy, so the serving thread holds a few large buffers outside its heap
// instead of a million small objects (which it would have to deserialize and garbage-collect,
// stalling DNS answers), and never the text as a string.
import type { EnumerationFramework, EnumerationRecord, EnumerationTask } from './recordset.ts';
import { BODY_PIECE_BYTES, Utf8Pieces } from './utf8-pieces.ts';

/**
 * The body, newline-terminated, as UTF-8 pieces of `pieceBytes` (utf8-pieces.ts), encoded as it
 * is rendered: the renderer never holds the whole document twice (72 MB at 50,000 tasks). Each
 * piece has an ArrayBuffer of its own, so a worker can transfer them without a copy.
 */
export function enumerationBytes(
  frameworks: readonly EnumerationFramework[],
  pieceBytes = BODY_PIECE_BYTES,
): Uint8Array[] {
  const out = new Utf8Pieces(pieceBytes);
  renderEnumeration(frameworks, (text) => out.write(text));
  return out.finish();
}

function renderEnumeration(
  frameworks: readonly EnumerationFramework[],
  push: (text: string) => void,
): void {
  push('{"frameworks":[');
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
  push(']}\n');
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
