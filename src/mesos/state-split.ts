// A /master/state body read without building its whole tree. At 200,000 tasks the body is
// 124 MB: as one string it is 124 MB of heap, and JSON.parse of it a ~330 MB tree, all live
// while the records are generated (and every byte of it work for the load worker's collector,
// which runs on the same thread under --single-threaded-gc). Here the body's bytes are scanned for
// structure only (json-scan.ts): the state is parsed with each framework's `tasks` (and the
// lists nothing reads) left empty and validated, and each framework gets its tasks as a list
// parsed one task at a time from the bytes, each validated as it is parsed, when generation
// reaches it. A body that is not JSON, or not a state, fails with the same error and message as
// parsing it whole: wherever the scan finds something wrong it does parse it whole.
import type { LazyMesosState, MesosState, MesosTask } from '../state/types.ts';
import { StateNotJsonError } from './errors.ts';
import { JsonSlices, Malformed, OPEN_ARRAY, OPEN_OBJECT, Scanner, withCuts } from './json-scan.ts';
import { validateState, validateTask } from './validate-state.ts';

/**
 * Lists that neither validation nor generation reads (mesos-dns reads frameworks' id, name, pid,
 * hostname and tasks, agents' id, hostname and pid, and the leader: records/state/state.go);
 * replaced by an empty value before parsing.
 */
const UNREAD_TOP = new Set(['completed_frameworks', 'orphan_tasks', 'unregistered_frameworks']);
const UNREAD_FRAMEWORK = new Set([
  'completed_tasks',
  'unreachable_tasks',
  'executors',
  'completed_executors',
  'offers',
]);

/**
 * The state in `bytes` (the body of `url`), validated but for the tasks, which are parsed and
 * validated one at a time as each framework's list is iterated (once). Throws StateNotJsonError
 * or StateInvalidError as parsing and validating it whole would, and so does iterating a task
 * list that reaches a task that is not JSON or not a task.
 */
export function readState(bytes: Buffer, url: string): LazyMesosState {
  let split: Split | null;
  try {
    split = scan(bytes);
  } catch (err) {
    if (!(err instanceof Malformed)) throw err;
    split = null;
  }
  let rest: unknown;
  if (split !== null) {
    try {
      rest = JSON.parse(withCuts(bytes, split.cuts).toString('utf8'));
      checkUnread(bytes, split.unread);
    } catch {
      // Broken outside the tasks: the whole body's parse says where, as it always did.
      split = null;
    }
  }
  if (split === null) return parseWhole(bytes, url);
  const state: LazyMesosState = validateState(rest, url);
  const frameworks = state.frameworks ?? [];
  split.tasks.forEach((bounds, i) => {
    const framework = frameworks[i];
    // Not an object: validation has already failed. An empty list has nothing to read.
    if (bounds === undefined || framework === undefined || bounds.length === 0) return;
    framework.tasks = new JsonSlices(bytes, bounds, readTask(i, url));
  });
  return state;
}

/**
 * Parses the lists nothing reads, element by element, each garbage at once: a body broken
 * inside one is still not JSON, and fails as it did when it was parsed whole. Throws where one
 * is broken.
 */
function checkUnread(bytes: Buffer, ranges: readonly number[]): void {
  for (let k = 0; k < ranges.length; k += 2) {
    const region = bytes.subarray(ranges[k], ranges[k + 1]);
    if (region[0] !== OPEN_ARRAY) {
      JSON.parse(region.toString('utf8'));
      continue;
    }
    const bounds = new Scanner(region).elements();
    for (let i = 0; i < bounds.length; i += 2) {
      JSON.parse(region.toString('utf8', bounds[i], bounds[i + 1]));
    }
  }
}

/** A state read with readState, its task lists read into arrays: the whole state at once. */
export function wholeState(state: LazyMesosState): MesosState {
  for (const framework of state.frameworks ?? []) {
    const tasks = framework.tasks;
    if (tasks instanceof JsonSlices) framework.tasks = [...(tasks as JsonSlices<MesosTask>)];
  }
  return state as MesosState;
}

interface Split {
  /** Ranges replaced by an empty list or object in the parsed rest (Scanner.cut), in order. */
  readonly cuts: number[];
  /** Those of them that nothing reads (the rest are task lists, parsed as they are read). */
  readonly unread: number[];
  /** Per framework (by index in the last `frameworks` list), its tasks' byte ranges in pairs. */
  readonly tasks: (number[] | undefined)[];
}

function scan(bytes: Buffer): Split | null {
  const s = new Scanner(bytes);
  const cuts: number[] = [];
  const unread: number[] = [];
  const skip = (): void => {
    const at = cuts.length;
    s.cut(cuts);
    unread.push(...cuts.slice(at));
  };
  let tasks: (number[] | undefined)[] = [];
  if (s.peek() !== OPEN_OBJECT) return null;
  s.object((key) => {
    if (UNREAD_TOP.has(key)) return skip();
    if (key !== 'frameworks') return s.skipValue();
    // JSON.parse keeps the last of repeated keys; so does this, here and for `tasks` below.
    tasks = [];
    if (s.peek() !== OPEN_ARRAY) return s.skipValue();
    const perFramework = tasks;
    s.array((index) => {
      if (s.peek() !== OPEN_OBJECT) return s.skipValue();
      s.object((key) => {
        if (UNREAD_FRAMEWORK.has(key)) return skip();
        if (key !== 'tasks') return s.skipValue();
        // Anything but a list stays in the rest, for validation to report (or read as none).
        if (s.peek() !== OPEN_ARRAY) {
          perFramework[index] = undefined;
          return s.skipValue();
        }
        const start = s.i;
        perFramework[index] = s.elements();
        cuts.push(start, s.i);
      });
    });
  });
  return s.atEnd() ? { cuts, unread, tasks } : null;
}

/** Reads framework `i`'s task number `j` from its text. */
function readTask(i: number, url: string): (text: string, j: number, bytes: Buffer) => MesosTask {
  return (text, j, bytes) => {
    let task: unknown;
    try {
      task = JSON.parse(text);
    } catch (error) {
      // The body is not JSON: said as the whole body's parse says it (its first error is here:
      // everything before this task parsed), that parse being the one thing that can say it.
      const whole = bytes.toString('utf8');
      let reason = message(error);
      try {
        JSON.parse(whole);
      } catch (wholeError) {
        reason = message(wholeError);
      }
      throw notJson(url, whole, reason);
    }
    return validateTask(task, `frameworks[${i}].tasks[${j}]`, url);
  };
}

function parseWhole(bytes: Buffer, url: string): MesosState {
  const text = bytes.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw notJson(url, text, message(error));
  }
  return validateState(parsed, url);
}

function notJson(url: string, text: string, reason: string): StateNotJsonError {
  return new StateNotJsonError(
    `${url} returned a body that is not JSON (${reason}); starts with ${JSON.stringify(text.slice(0, 60))}`,
    url,
  );
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
