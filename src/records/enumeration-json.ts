// /v1/enumerate's body as mesos-dns writes it, rendered as a list of UTF-8 pieces whose
// concatenation is the JSON. The load (or stream) worker renders it when asked and hands the
// pieces over without a copy, so the serving thread holds a few large buffers outside its heap
// instead of a million small objects (which it would have to deserialize and garbage-collect,
// stalling DNS answers), and never the text as a string. The enumeration (recordset.ts) holds
// each record as a reference into the set's maps; its name and "host" are read from them here.
import { ENUM_RTYPES, recordPosition, recordType } from './enumeration.ts';
import { isPacked, type PackedRecordMap } from './packed-map.ts';
import type { Enumeration, RecordSet, SrvRecord } from './recordset.ts';
import { BODY_PIECE_BYTES, Utf8Pieces } from './utf8-pieces.ts';

/** What the enumeration is read from: its records' names and values are in the maps. */
export type EnumerationSource = Pick<RecordSet, 'a' | 'aaaa' | 'srv' | 'enumeration'>;

/** One record as mesos-dns's /v1/enumerate lists it. */
export interface EnumerationRecord {
  readonly name: string;
  readonly host: string;
  readonly rtype: 'A' | 'AAAA' | 'SRV';
}

/** One task as /v1/enumerate lists it (enumerationFrameworks). */
export interface EnumerationTask {
  readonly name: string;
  readonly id: string;
  readonly records: readonly EnumerationRecord[];
}

export interface EnumerationFramework {
  readonly frameworkname: string;
  readonly tasks: readonly EnumerationTask[];
}

type AnyMap = ReadonlyMap<string, readonly string[] | readonly SrvRecord[]>;

/** Reads records' names and hosts from the set's maps. */
class RecordReader {
  readonly #en: Enumeration;
  readonly #maps: readonly AnyMap[];
  /** The maps, when the records name their entries in them. */
  readonly #packed: readonly PackedRecordMap<readonly string[] | readonly SrvRecord[]>[] | null;

  constructor(set: EnumerationSource, en: Enumeration) {
    this.#en = en;
    this.#maps = [set.a, set.aaaa, set.srv];
    this.#packed = null;
    if (en.names instanceof Uint32Array) {
      const packed = this.#maps.filter((m) => isPacked(m));
      if (packed.length !== this.#maps.length) {
        throw new Error('the enumeration refers to packed maps the set does not have');
      }
      this.#packed = packed;
    }
  }

  name(r: number): string {
    const names = this.#en.names;
    return names instanceof Uint32Array
      ? this.#packed![recordType(this.#en, r)]!.keyAt(names[r]!)
      : names[r]!;
  }

  /** The value the record lists: an address, or an SRV value's "target:port". */
  host(r: number): string {
    const en = this.#en;
    const type = recordType(en, r);
    const at = recordPosition(en, r);
    const names = en.names;
    const value =
      names instanceof Uint32Array
        ? this.#packed![type]!.valueAt(names[r]!, at)
        : this.#maps[type]!.get(names[r]!)?.[at];
    if (value === undefined) {
      throw new Error(`enumeration record ${r} has no value ${at} under its name`);
    }
    return typeof value === 'string' ? value : `${value.target}:${value.port}`;
  }

  rtype(r: number): EnumerationRecord['rtype'] {
    return ENUM_RTYPES[recordType(this.#en, r)];
  }
}

/**
 * The body, newline-terminated, as UTF-8 pieces of `pieceBytes` (utf8-pieces.ts), encoded as it
 * is rendered: the renderer never holds the whole document twice (72 MB at 50,000 tasks). Each
 * piece has an ArrayBuffer of its own, so a worker can transfer them without a copy. A set
 * without its enumeration renders as one with no frameworks.
 */
export function enumerationBytes(
  set: EnumerationSource,
  pieceBytes = BODY_PIECE_BYTES,
): Uint8Array[] {
  const out = new Utf8Pieces(pieceBytes);
  const en = set.enumeration;
  if (en === undefined) out.write('{"frameworks":[]}\n');
  else renderEnumeration(new RecordReader(set, en), en, (text) => out.write(text));
  return out.finish();
}

function renderEnumeration(
  reader: RecordReader,
  en: Enumeration,
  push: (text: string) => void,
): void {
  push('{"frameworks":[');
  en.frameworks.forEach((frameworkname, f) => {
    push(f === 0 ? '{"tasks":[' : ',{"tasks":[');
    for (let t = en.frameworkTasks[f]!, end = en.frameworkTasks[f + 1]!; t < end; t++) {
      // Key order as mesos-dns's Go structs declare them.
      let json = t === en.frameworkTasks[f] ? '{"name":' : ',{"name":';
      json += JSON.stringify(taskText(en, 2 * t));
      json += ',"id":';
      json += JSON.stringify(taskText(en, 2 * t + 1));
      json += ',"records":[';
      for (let r = en.taskRecords[t]!, last = en.taskRecords[t + 1]!; r < last; r++) {
        json += r === en.taskRecords[t] ? '{"name":' : ',{"name":';
        json += JSON.stringify(reader.name(r));
        json += ',"host":';
        json += JSON.stringify(reader.host(r));
        json += `,"rtype":"${reader.rtype(r)}"}`;
      }
      push(json + ']}');
    }
    push(`],"name":${JSON.stringify(frameworkname)}}`);
  });
  push(']}\n');
}

/** A task's name (2t) or id (2t + 1). */
function taskText(en: Enumeration, i: number): string {
  return en.text.slice(en.textAt[i], en.textAt[i + 1]);
}

/** The enumeration as objects, framework by framework (tests, benchmarks); [] without one. */
export function enumerationFrameworks(set: EnumerationSource): EnumerationFramework[] {
  const en = set.enumeration;
  if (en === undefined) return [];
  const reader = new RecordReader(set, en);
  return en.frameworks.map((frameworkname, f) => {
    const tasks: EnumerationTask[] = [];
    for (let t = en.frameworkTasks[f]!; t < en.frameworkTasks[f + 1]!; t++) {
      const records: EnumerationRecord[] = [];
      for (let r = en.taskRecords[t]!; r < en.taskRecords[t + 1]!; r++) {
        records.push({ name: reader.name(r), host: reader.host(r), rtype: reader.rtype(r) });
      }
      tasks.push({ name: taskText(en, 2 * t), id: taskText(en, 2 * t + 1), records });
    }
    return { frameworkname, tasks };
  });
}
