// The server as a primary: every record set swapped in becomes a version of the zone (journal
// for IXFR), and the secondaries in `notify` hear of it. With ptron the reverse trees
// (in-addr.arpa., ip6.arpa.) are zones too, holding the set's PTR records. Lives on the main
// thread, next to the store the poller fills.
import type { Config } from '../../config/types.ts';
import type { Logger } from '../../log.ts';
import type { RecordSet } from '../../records/recordset.ts';
import type { RecordStore } from '../../records/store.ts';
import { REVERSE_APEXES, Zone } from '../authority.ts';
import { DEFAULT_JOURNAL_LIMITS } from './journal.ts';
import { Notifier, type NotifyObserver } from './notify.ts';
import { TransferService, type TransferObserver } from './service.ts';
import { clusterContent, reverseContent, type ZoneContent } from './zone-records.ts';

export interface PrimaryOptions {
  readonly config: Config;
  readonly store: RecordStore;
  /** The zone's fixed facts (SOA fields), as the query handler has them. */
  readonly zone: Zone;
  /** The serial of a set swapped in (the one the store stamped on it). */
  readonly serial: (set: RecordSet) => number;
  readonly observer: TransferObserver & NotifyObserver;
  readonly logger: Logger;
  /**
   * NOTIFY as each set swaps in (default). False when other threads answer the secondaries'
   * SOA checks: they must serve the new serial first, or a secondary told of it asks a thread
   * still on the old one, finds itself current, and waits for its next refresh. The caller then
   * calls `announce` once they do.
   */
  readonly announceOnSwap?: boolean;
}

export class Primary {
  readonly service: TransferService;
  /** One per zone, when `notify` lists secondaries. */
  readonly notifiers: readonly Notifier[];
  readonly #store: RecordStore;
  readonly #zones: readonly { readonly zone: Zone; readonly content: ZoneContent }[];
  readonly #serial: (set: RecordSet) => number;
  readonly #announceOnSwap: boolean;
  readonly #onSwap = (set: RecordSet): void => {
    const serial = this.#serial(set);
    for (const { zone } of this.#zones) this.service.advance(zone.apexKey, set, serial);
    if (this.#announceOnSwap) this.announce(set);
  };

  constructor(options: PrimaryOptions) {
    const { config, logger } = options;
    this.#store = options.store;
    this.#zones = [
      { zone: options.zone, content: clusterContent },
      ...(config.ptron
        ? REVERSE_APEXES.map((apex) => ({
            zone: new Zone(config, apex),
            content: reverseContent(apex),
          }))
        : []),
    ];
    this.#serial = options.serial;
    this.#announceOnSwap = options.announceOnSwap ?? true;
    this.service = new TransferService({
      allow: config.transferAllow,
      keys: config.transferKeys,
      zones: this.#zones,
      logger,
      observer: options.observer,
      // Nobody may transfer: keep no history, so swaps cost no diff.
      journal:
        config.transferAllow.length === 0 ? { versions: 0, records: 0 } : DEFAULT_JOURNAL_LIMITS,
    });
    const source =
      config.listener === '' || config.listener === '0.0.0.0' || config.listener === '::'
        ? {}
        : { source: config.listener };
    this.notifiers =
      config.notify.length === 0
        ? []
        : this.#zones.map(
            ({ zone }, i) =>
              new Notifier({
                targets: config.notify,
                zone,
                key: this.service.notifyKey,
                logger,
                observer: options.observer,
                // A secondary need not carry the reverse trees: one that refuses them is
                // told once, not on every change.
                dropOnRejection: i > 0,
                ...source,
              }),
          );
  }

  /** Follows the store from now on: each set swapped in becomes a version. */
  start(): void {
    const current = this.#store.current;
    if (current !== null) this.#onSwap(current);
    this.#store.onSwap(this.#onSwap);
  }

  /** Tells the secondaries in `notify` that the zone is now `set` (coalesced, retried). */
  announce(set: RecordSet): void {
    const serial = this.#serial(set);
    for (const notifier of this.notifiers) notifier.changed(serial);
  }

  close(): void {
    this.#store.offSwap(this.#onSwap);
    for (const notifier of this.notifiers) notifier.close();
  }
}
