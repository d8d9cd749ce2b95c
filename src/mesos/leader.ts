// Where the masters are: a LeaderSource says which master leads (when known) and which exist.
// A static `masters` list and ZooKeeper detection both implement it; the poller only reads it.

export interface MasterView {
  /** "host:port" of the leading master, or null when not known (the poller then asks each master). */
  readonly leader: string | null;
  /** Every known master, "host:port", in configured or sequence order. */
  readonly masters: readonly string[];
}

export interface LeaderSource {
  /** Begins detection; resolves once the source is running (not necessarily with a leader). */
  start(): Promise<void>;
  stop(): Promise<void>;
  current(): MasterView;
  /** Called whenever the leader or the master list changes. */
  onChange(listener: (view: MasterView) => void): void;
  /** Called when detection gives up for good (zkDetectionTimeout); the server exits. */
  onFatal(listener: (error: Error) => void): void;
  /**
   * Told, after each good load, which master the state named as leader: a hint for the next
   * round's order. It is not news to act on, so it never fires onChange. Sources that learn
   * the leader otherwise (ZooKeeper) ignore it; a combination passes it on.
   */
  noteLeader(leader: string): void;
}

/** Told how leader detection is doing, for metrics; each call reports a change (or the start). */
export interface LeaderObserver {
  /** Whether a ZooKeeper session is connected. */
  zkConnected(connected: boolean): void;
  /** Whether the view comes from the `masters` list because ZooKeeper has no leader. */
  leaderFallbackActive(active: boolean): void;
}
