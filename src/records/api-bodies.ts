// The HTTP API's bodies that grow with the cluster, rendered from a set by whoever holds it
// whole (the load or stream worker): /v1/enumerate's document and /v1/axfr's "Records".
import { axfrRecordsBytes } from './axfr-json.ts';
import { enumerationBytes } from './enumeration-json.ts';
import type { RecordSet } from './recordset.ts';

/** 'axfr-ptr': with ptron, the records include "PTRs" (ours; mesos-dns's shape without it). */
export type ApiBody = 'enumerate' | 'axfr' | 'axfr-ptr';

export function renderApiBody(set: RecordSet, body: ApiBody): Uint8Array[] {
  return body === 'enumerate'
    ? enumerationBytes(set)
    : axfrRecordsBytes(set, { ptr: body === 'axfr-ptr' });
}
