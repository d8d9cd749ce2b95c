// /v1/axfr's "Records" object as mesos-dns writes it (names sorted, as Go's encoding/json writes
// map keys; SRV data as "target:port"), rendered as UTF-8 pieces like enumeration-json.ts: 28 MB
// and about 2 s of work at 50,000 tasks, so a worker renders it and hands the bytes over.
import type { RecordSet } from './recordset.ts';
import { BODY_PIECE_BYTES, Utf8Pieces } from './utf8-pieces.ts';

export function axfrRecordsBytes(
  set: Pick<RecordSet, 'a' | 'aaaa' | 'srv' | 'ptr'>,
  options: { readonly ptr: boolean },
  pieceBytes = BODY_PIECE_BYTES,
): Uint8Array[] {
  const out = new Utf8Pieces(pieceBytes);
  const push = (text: string): void => out.write(text);
  push('{');
  const object = <V>(
    key: string,
    map: ReadonlyMap<string, readonly V[]>,
    show: (v: V) => string,
  ): void => {
    push(`${JSON.stringify(key)}:{`);
    [...map.keys()].sort().forEach((name, i) => {
      const values = (map.get(name) ?? []).map(show);
      push(`${i === 0 ? '' : ','}${JSON.stringify(name)}:${JSON.stringify(values)}`);
    });
    push('}');
  };
  object('As', set.a, (ip) => ip);
  push(',');
  object('AAAAs', set.aaaa, (ip) => ip);
  push(',');
  // mesos-dns keeps SRV data as "target:port" strings and exports them unchanged.
  object('SRVs', set.srv, (srv) => `${srv.target}:${srv.port}`);
  // ptron only (ours), so mesos-dns's shape is unchanged without it.
  if (options.ptr) {
    push(',');
    object('PTRs', set.ptr, (target) => target);
  }
  push('}');
  return out.finish();
}
