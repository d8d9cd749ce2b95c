// /v1/enumerate's body as mesos-dns writes it, rendered as a list of string fragments whose
// concatenation is the JSON. The load worker renders it once per load, so the serving thread
// holds a few large strings instead of a million small objects (which it would otherwise have
// to deserialize and garbage-collect on every reload, stalling DNS answers).
import type { EnumerationFramework, EnumerationRecord, EnumerationTask } from './recordset.ts';

/** Fragment size: small enough to copy between threads in well under a millisecond. */
export const ENUMERATION_FRAGMENT_CHARS = 256 * 1024;

export function enumerationJson(
  frameworks: readonly EnumerationFramework[],
  fragmentChars = ENUMERATION_FRAGMENT_CHARS,
): string[] {
  const fragments: string[] = [];
  let current = '{"frameworks":[';
  const push = (text: string): void => {
    current += text;
    if (current.length >= fragmentChars) {
      fragments.push(current);
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
  fragments.push(`${current}]}`);
  return fragments;
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
