// Keeps a listener's connections within a total cap and a per-source cap without refusing the
// newcomer: at a cap, the connection quiet for longest (of that source, for the source cap) is
// closed to make room. A flood of idle or dripping connections thus only evicts itself, while a
// client that sends whole requests stays near the recent end and keeps being served. Connections
// quiet for longer than a deadline are closed by `sweep`; "quiet" means no complete request, so
// a byte now and then buys nothing.
import type { Socket } from 'node:net';

export type CloseReason = 'capacity' | 'per_source' | 'deadline';

export interface ConnectionLimits {
  /** Open connections at most; at the cap the least recently active one is closed. */
  readonly maxConnections: number;
  /** Open connections per source address at most. */
  readonly maxPerSource: number;
}

interface Entry {
  readonly socket: Socket;
  readonly source: string;
  /** Requests in progress (answers not yet written): such a connection is evicted last. */
  busy: number;
  lastActiveMs: number;
}

/** How far past the least recently active entry an eviction looks for one that is not busy. */
const EVICTION_SCAN = 64;

export class ConnectionGuard {
  readonly #limits: ConnectionLimits;
  readonly #onClose: (reason: CloseReason, source: string) => void;
  readonly #now: () => number;
  /** Least recently active first: `touch` moves an entry to the end. */
  readonly #all = new Map<Socket, Entry>();
  readonly #bySource = new Map<string, Map<Socket, Entry>>();

  constructor(
    limits: ConnectionLimits,
    onClose: (reason: CloseReason, source: string) => void,
    now: () => number = Date.now,
  ) {
    if (!(limits.maxConnections >= 1) || !(limits.maxPerSource >= 1)) {
      throw new Error('connection limits must be at least 1');
    }
    this.#limits = limits;
    this.#onClose = onClose;
    this.#now = now;
  }

  get size(): number {
    return this.#all.size;
  }

  /** Registers a new connection, first closing others as the caps require. */
  admit(socket: Socket): void {
    const source = socket.remoteAddress ?? '';
    const mine = this.#bySource.get(source);
    if (mine !== undefined && mine.size >= this.#limits.maxPerSource) {
      this.#evictFrom(mine, 'per_source');
    }
    if (this.#all.size >= this.#limits.maxConnections) this.#evictFrom(this.#all, 'capacity');
    const entry: Entry = { socket, source, busy: 0, lastActiveMs: this.#now() };
    this.#all.set(socket, entry);
    let group = this.#bySource.get(source);
    if (group === undefined) {
      group = new Map();
      this.#bySource.set(source, group);
    }
    group.set(socket, entry);
    socket.once('close', () => this.#remove(socket));
  }

  /** A whole request arrived or an answer went out: the connection is useful, keep it longest. */
  touch(socket: Socket): void {
    const entry = this.#all.get(socket);
    if (entry === undefined) return;
    entry.lastActiveMs = this.#now();
    this.#all.delete(socket);
    this.#all.set(socket, entry);
    const group = this.#bySource.get(entry.source);
    if (group !== undefined) {
      group.delete(socket);
      group.set(socket, entry);
    }
  }

  /** Counts a request in progress (+1) or finished (-1). */
  busy(socket: Socket, delta: 1 | -1): void {
    const entry = this.#all.get(socket);
    if (entry !== undefined) entry.busy = Math.max(0, entry.busy + delta);
  }

  /** Closes every connection with no request in progress that was quiet for `quietMs` or more. */
  sweep(quietMs: number): void {
    const cutoff = this.#now() - quietMs;
    for (const entry of this.#all.values()) {
      if (entry.lastActiveMs > cutoff) break;
      if (entry.busy > 0) continue;
      this.#close(entry, 'deadline');
    }
  }

  /** Closes every connection. */
  closeAll(): void {
    for (const entry of this.#all.values()) entry.socket.destroy();
    this.#all.clear();
    this.#bySource.clear();
  }

  #evictFrom(group: Map<Socket, Entry>, reason: CloseReason): void {
    let victim: Entry | undefined;
    let scanned = 0;
    for (const entry of group.values()) {
      victim ??= entry;
      if (entry.busy === 0) {
        victim = entry;
        break;
      }
      if (++scanned >= EVICTION_SCAN) break;
    }
    if (victim !== undefined) this.#close(victim, reason);
  }

  #close(entry: Entry, reason: CloseReason): void {
    this.#remove(entry.socket);
    entry.socket.destroy();
    this.#onClose(reason, entry.source);
  }

  #remove(socket: Socket): void {
    const entry = this.#all.get(socket);
    if (entry === undefined) return;
    this.#all.delete(socket);
    const group = this.#bySource.get(entry.source);
    if (group === undefined) return;
    group.delete(socket);
    if (group.size === 0) this.#bySource.delete(entry.source);
  }
}
