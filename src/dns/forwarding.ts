// The seam between the authoritative server and the forwarder: the DNS layer hands over the
// client's raw query and sends back whatever bytes come back.
import type { Transport } from './observer.ts';

export interface Forwarder {
  /**
   * Resolves a query outside the cluster domain. Never rejects: on failure it resolves to a
   * SERVFAIL built from the query. The reply carries the client's ID and question exactly, and
   * over UDP fits `clientUdpSize` (TC set otherwise).
   */
  forward(query: Uint8Array, transport: Transport, clientUdpSize: number): Promise<Uint8Array>;
  close(): Promise<void>;
}
