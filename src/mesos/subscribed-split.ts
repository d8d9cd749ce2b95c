// A SUBSCRIBED record read without building its whole tree at once. The record is the whole
// cluster (274 MB of JSON at 200,000 tasks): JSON.parse of it as one string holds the string
// and a tree several times its size together, and the tree lives on while the model is built.
// Here the record's bytes are scanned for the structure only: the record is parsed with
// `subscribed.get_state.get_tasks.tasks` (and the task and executor lists generation never
// reads) left empty, and the tasks are parsed one by one from the bytes when asked, each
// garbage as soon as it is converted. Anything not shaped like a SUBSCRIBED record gives null,
// and the caller parses it whole as any other record (which also reports it malformed).
import type { V1Event, V1Task } from '../state/v1-types.ts';
import { JsonSlices, Malformed, QUOTE, Scanner, withCuts } from './json-scan.ts';

/** get_state lists that are not read (replaced by an empty value before parsing). */
const UNREAD_TASK_LISTS = new Set(['completed_tasks', 'unreachable_tasks', 'orphan_tasks']);

/** The tasks of a split SUBSCRIBED record, parsed one at a time from the record's bytes. */
export type SubscribedTasks = JsonSlices<V1Task>;

const readTask = (text: string): V1Task => JSON.parse(text) as V1Task;

export interface SplitSubscribed {
  /** The record with its tasks list empty. */
  readonly event: V1Event;
  readonly tasks: SubscribedTasks;
}

/** A SUBSCRIBED record split into the rest of it and its tasks; null for any other record. */
export function splitSubscribed(bytes: Buffer): SplitSubscribed | null {
  try {
    return split(bytes);
  } catch (err) {
    if (err instanceof Malformed) return null;
    throw err;
  }
}

function split(bytes: Buffer): SplitSubscribed | null {
  const s = new Scanner(bytes);
  /** Ranges [start, end) replaced by `[]` or `{}` (the byte at start tells which). */
  const cuts: number[] = [];
  let type = null as string | null;
  let tasks = null as number[] | null;
  s.object((key) => {
    if (key === 'type') {
      const start = s.i;
      s.skipValue();
      const text = bytes.toString('utf8', start, s.i);
      type = text.charCodeAt(0) === QUOTE ? (JSON.parse(text) as string) : null;
    } else if (key === 'subscribed') {
      s.object((key) => {
        if (key !== 'get_state') return s.skipValue();
        s.object((key) => {
          if (key === 'get_executors') return s.cut(cuts);
          if (key !== 'get_tasks') return s.skipValue();
          s.object((key) => {
            if (UNREAD_TASK_LISTS.has(key)) return s.cut(cuts);
            if (key !== 'tasks') return s.skipValue();
            const start = s.i;
            tasks = s.elements();
            cuts.push(start, s.i);
          });
        });
      });
    } else s.skipValue();
  });
  if (!s.atEnd() || type !== 'SUBSCRIBED' || tasks === null) return null;
  const rest = withCuts(bytes, cuts);
  let event: unknown;
  try {
    event = JSON.parse(rest.toString('utf8'));
  } catch {
    return null;
  }
  return { event: event as V1Event, tasks: new JsonSlices(bytes, tasks, readTask) };
}
