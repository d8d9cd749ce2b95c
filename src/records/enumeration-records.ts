// Enumeration entries for SRV records that keep a reference to the shared SrvRecord instead of
// a "target:port" string each: on a 50,000-task state that is hundreds of thousands of strings
// the /v1/enumerate endpoint may never ask for. JSON output is the plain mesos-dns shape.
import type { EnumerationRecord, SrvRecord } from './recordset.ts';

export class SrvEnumerationRecord implements EnumerationRecord {
  readonly name: string;
  readonly rtype = 'SRV' as const;
  readonly #srv: SrvRecord;

  constructor(name: string, srv: SrvRecord) {
    this.name = name;
    this.#srv = srv;
  }

  /** mesos-dns's form: "target.:port". */
  get host(): string {
    return `${this.#srv.target}:${this.#srv.port}`;
  }

  toJSON(): EnumerationRecord {
    return { name: this.name, host: this.host, rtype: this.rtype };
  }
}
